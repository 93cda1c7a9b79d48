"""The documents the IAM evaluation runs over, taken from plans of the real modules.

The root module is planned against moto (local_stack/emulator/aws_answers.py). Its key
policy, queue policy and Function URL permissions are fully known at plan time;
the role policy names ARNs AWS assigns at apply (table, key, queue), so it comes
from a plan of modules/iam with the root plan's own inputs and those ARNs in
their documented forms (test_root_wires_the_role_to_the_stack checks the wiring).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.iam.iamdocs import (
    ACCOUNT,
    DNS_SUFFIX,
    KEY_ID,
    OPERATOR_ROLE,
    PARTITION,
    POWER_USER_ROLE,
    REGION,
    SUFFIX,
    Documents,
    arn,
    function_policy,
    resources_of,
)
from tests.terraform.harness import Emulator, Planner


@pytest.fixture(scope="session")
def iam_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("iam-emulator") / "moto.log") as emu:
        yield emu


@pytest.fixture(scope="session")
def iam_planner(iam_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Planner:
    return Planner(iam_emulator, tmp_path_factory.mktemp("iam-tf"))


@pytest.fixture(scope="session")
def documents(iam_planner: Planner) -> Documents:
    root = iam_planner.plan(
        environment_suffix=SUFFIX, operator_role_arns=[OPERATOR_ROLE], stripe_reconciliation_enabled=True
    )
    lam = root.modules["module.lambda"].resources
    function_name = lam["aws_lambda_function.this"]["values"]["function_name"]
    log_group_name = lam["aws_cloudwatch_log_group.this"]["values"]["name"]
    parameters: dict[str, str] = root.outputs["provider_secret_parameter_names"]  # the operator creates them
    table = root.modules["module.dynamodb"].resources["aws_dynamodb_table.this"]["values"]["name"]
    payments = root.modules["module.payments_table"].resources["aws_dynamodb_table.this"]["values"]["name"]
    queue_values = root.modules["module.quarantine"].resources["aws_sqs_queue.this"]["values"]
    role_name = root.modules["module.iam"].resources["aws_iam_role.this"]["values"]["name"]

    names = {
        "{account}": ACCOUNT,
        "{region}": REGION,
        "{partition}": PARTITION,
        "{dns_suffix}": DNS_SUFFIX,
        "{events_table}": arn("dynamodb", f"table/{table}"),
        "{payments_table}": arn("dynamodb", f"table/{payments}"),
        "{key}": arn("kms", f"key/{KEY_ID}"),
        "{queue}": arn("sqs", queue_values["name"]),
        "{function_arn}": arn("lambda", f"function:{function_name}"),
        "{role}": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{role_name}",
        "{function}": f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{role_name}/{function_name}",
        "{deployer}": f"arn:{PARTITION}:iam::{ACCOUNT}:user/deployer",
        "{operator}": OPERATOR_ROLE.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/alice",
        "{power_user}": POWER_USER_ROLE.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/bob",
        "{log_group}": arn("logs", f"log-group:{log_group_name}"),
        **{
            f"{{parameter:{provider}}}": arn("ssm", f"parameter/{name.lstrip('/')}")
            for provider, name in parameters.items()
        },
    }

    iam = iam_planner.plan(
        "modules/iam",
        role_name=role_name,
        table_arn=names["{events_table}"],
        payments_table_arn=names["{payments_table}"],
        log_group_name=log_group_name,
        secret_parameter_names=sorted(parameters.values()),
        kms_key_arn=names["{key}"],
        quarantine_queue_arn=names["{queue}"],
    )
    role = iam.resources["aws_iam_role.this"]["values"]

    # The publisher's role, from a plan of modules/events_out with the root plan's names
    # and the stream ARNs in their documented form (their label is known only at apply).
    events_out = root.modules["module.events_out"].resources
    publisher = events_out["aws_lambda_function.this"]["values"]
    publisher_env = publisher["environment"][0]["variables"]
    stream = "stream/2026-12-01T00:00:00.000"
    names.update(
        {
            "{publisher}": f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{publisher['function_name']}-role/"
            f"{publisher['function_name']}",
            "{events_stream}": f"{names['{events_table}']}/{stream}",
            "{payments_stream}": f"{names['{payments_table}']}/{stream}",
            "{other_stream}": arn("dynamodb", f"table/another-team-table/{stream}"),
            "{events_queue}": arn("sqs", publisher_env["EVENTS_QUEUE_URL"].rsplit("/", 1)[1]),
            "{failures_queue}": arn("sqs", events_out['aws_sqs_queue.this["failures"]']["values"]["name"]),
            "{bus}": arn("events", f"event-bus/{publisher_env['EVENT_BUS_NAME']}"),
            "{default_bus}": arn("events", "event-bus/default"),
        }
    )
    publisher_plan = iam_planner.plan(
        "modules/events_out",
        name=publisher["function_name"].removesuffix("-publisher"),
        environment_suffix=SUFFIX,
        kms_key_arn=names["{key}"],
        package_path="lambda.zip",
        package_base64sha256="AAAA",
        runtime=publisher["runtime"],
        transactions_table_name=table,
        payments_table_name=payments,
        transactions_stream_arn=names["{events_stream}"],
        payments_stream_arn=names["{payments_stream}"],
    )
    publisher_policy = json.loads(publisher_plan.resources["aws_iam_role_policy.this"]["values"]["policy"])
    names.update(reconciler_names(function_name))
    reconciler = iam_planner.plan(
        "modules/reconciler",
        name=function_name,
        kms_key_arn=names["{key}"],
        package_path="lambda.zip",
        package_base64sha256="AAAA",
        runtime="python3.13",
        transactions_table_name=table,
        payments_table_name=payments,
        quarantine_queue_url=f"https://sqs.{REGION}.{DNS_SUFFIX}/{ACCOUNT}/{queue_values['name']}",
        quarantine_queue_arn=names["{queue}"],
        api_key_parameter_name=names["{reconciler_parameter_name}"],
    )
    names.pop("{reconciler_parameter_name}")
    return Documents(
        role_policy=json.loads(iam.resources["aws_iam_role_policy.this"]["values"]["policy"]),
        trust_policy=json.loads(role["assume_role_policy"]),
        key_policy=json.loads(root.modules["module.kms"].resources["aws_kms_key.this"]["values"]["policy"]),
        queue_policy=json.loads(queue_values["policy"]),
        function_policy=function_policy(
            names["{function_arn}"], resources_of(root, "module.lambda", "aws_lambda_permission")
        ),
        names=names,
        root_plan=root,
        other_roles={
            "{publisher}": publisher_policy,
            "{reconciler}": json.loads(reconciler.resources["aws_iam_role_policy.this"]["values"]["policy"]),
            "{scheduler}": json.loads(reconciler.resources["aws_iam_role_policy.scheduler"]["values"]["policy"]),
        },
    )


def reconciler_names(function_name: str) -> dict[str, str]:
    """The Stripe reconciler's names as the root module makes them (main.tf, module "reconciler")."""
    reconciler = f"{function_name}-reconciler"
    prefix = function_name.removesuffix(f"-{SUFFIX}")
    parameter = f"/{prefix}/{SUFFIX}/stripe-api-key"
    return {
        "{reconciler_parameter_name}": parameter,
        "{parameter:stripe-api-key}": arn("ssm", f"parameter{parameter}"),
        "{reconciler_function_arn}": arn("lambda", f"function:{reconciler}"),
        "{reconciler_log_group}": arn("logs", f"log-group:/aws/lambda/{reconciler}"),
        "{reconciler}": f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{reconciler}-role/{reconciler}",
        "{scheduler}": f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{reconciler}-schedule/scheduler-session",
    }

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
    PARTITION,
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
    root = iam_planner.plan(environment_suffix=SUFFIX)
    lam = root.modules["module.lambda"].resources
    function_name = lam["aws_lambda_function.this"]["values"]["function_name"]
    log_group_name = lam["aws_cloudwatch_log_group.this"]["values"]["name"]
    parameters = {
        address.removeprefix('aws_ssm_parameter.secret["').removesuffix('"]'): r["values"]["name"]
        for address, r in lam.items()
        if address.startswith("aws_ssm_parameter.secret")
    }
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
    )

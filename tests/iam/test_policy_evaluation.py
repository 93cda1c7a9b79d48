"""Evaluate the planned IAM, key, queue and Function URL policies: every request the
function makes at run time is Allowed, every request in the deny table is Denied,
as decided by @cloud-copilot/iam-simulate (AWS's evaluation logic, KMS key-policy
trust included), not by comparing policy text."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.iam.iamdocs import DNS_SUFFIX, Documents

HERE = Path(__file__).resolve().parent
REQUESTS = json.loads((HERE / "requests.json").read_text())
ROWS = REQUESTS["requests"]
VERDICTS = {"Allow": {"Allowed"}, "Deny": {"ImplicitlyDenied", "ExplicitlyDenied"}}


def fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, replacement in names.items():
            value = value.replace(placeholder, replacement)
        assert "{" not in value or "[$LATEST]" in value, f"unknown placeholder in {value!r}"
        return value
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    return value


def simulation(row: dict[str, Any], docs: Documents) -> dict[str, Any]:
    principal = fill(row["principal"], docs.names)
    identity: list[dict[str, Any]] = []
    if row["principal"] == "{function}":
        identity = [{"name": "role-policy", "policy": docs.role_policy}]
    elif row["principal"] == "{deployer}":
        identity = [{"name": "deployer", "policy": REQUESTS["deployer_policy"]}]
    elif row["principal"] in docs.other_roles:
        identity = [{"name": "role-policy", "policy": docs.other_roles[row["principal"]]}]
    elif row["principal"] == "{operator}":
        identity = [{"name": "operator", "policy": REQUESTS["operator_policy"]}]
    elif row["principal"] == "{power_user}":
        identity = [{"name": "power-user", "policy": REQUESTS["power_user_policy"]}]
    resource_policy = {
        None: None,
        "key": docs.key_policy,
        "queue": docs.queue_policy,
        "function": docs.function_policy,
        "trust": docs.trust_policy,
    }[row["resource_policy"]]
    context = {"aws:SecureTransport": "true"} if principal != "anonymous" else {}
    if principal.startswith("arn:"):
        context["aws:PrincipalArn"] = principal_arn(principal)
    context.update(fill(row.get("context", {}), docs.names))
    resource = fill(row["resource"], docs.names)
    sim: dict[str, Any] = {
        "request": {
            "principal": principal,
            "action": row["action"],
            "resource": {"resource": resource, "accountId": docs.names["{account}"]},
            "contextVariables": context,
        },
        "identityPolicies": identity,
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
    }
    if resource_policy is not None:
        sim["resourcePolicy"] = resource_policy
    return sim


def principal_arn(principal: str) -> str:
    """aws:PrincipalArn as AWS sets it: a role session's is the role's ARN (iam-simulate
    does not derive it; without it a condition on it fails closed)."""
    if ":assumed-role/" in principal:
        role = principal.split(":assumed-role/", 1)[1].split("/", 1)[0]
        return (
            principal.split(":sts::", 1)[0]
            + ":iam::"
            + principal.split(":sts::", 1)[1].split(":", 1)[0]
            + f":role/{role}"
        )
    return principal


def run_simulations(batch: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    assert node, "Node.js >= 20 is needed (tests/iam); `make tools` prepares the rest"
    assert (HERE / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir(), (
        "tests/iam/node_modules is missing: run `tools/toolchain.sh node` (part of `make tools`)"
    )
    done = subprocess.run(
        [node, str(HERE / "evaluate.mjs")], input=json.dumps(batch), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return {result["id"]: result for result in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def verdicts(documents: Documents) -> dict[str, dict[str, Any]]:
    results = run_simulations([{"id": row["id"], "simulation": simulation(row, documents)} for row in ROWS])
    # What the evaluator answered, row by row (the README's table shows it).
    out = HERE.parents[1] / "build" / "iam-verdicts.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({id_: v["result"] for id_, v in results.items()}, indent=1) + "\n")
    return results


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_request_verdict(verdicts: dict[str, dict[str, Any]], row: dict[str, Any]) -> None:
    verdict = verdicts[row["id"]]
    assert verdict["result"] != "Error", f"{row['id']}: the simulation is invalid: {verdict.get('detail')}"
    assert verdict["result"] in VERDICTS[row["expect"]], (
        f"{row['id']} ({row['action']} on {row['resource']}): expected {row['expect']}, got {verdict['result']}"
        f" - {row['why']}"
    )


def test_every_row_id_is_unique() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids))


def test_the_deny_table_is_not_trivially_denied(documents: Documents) -> None:
    """The evaluator itself can say Allow to a deny row when the policy is wrong: the
    key policy of an earlier version (CreateGrant for the account without
    kms:GrantIsForAWSResource) lets the deployer grant itself direct Decrypt."""
    old_admin = {
        "Sid": "AccountAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{documents.names['{account}']}:root"},
        "Action": ["kms:CreateGrant", "kms:DescribeKey"],
        "Resource": "*",
    }
    weakened = replace(
        documents, key_policy={**documents.key_policy, "Statement": [*documents.key_policy["Statement"], old_admin]}
    )
    row = next(r for r in ROWS if r["id"] == "grant-for-a-principal")
    (result,) = run_simulations([{"id": row["id"], "simulation": simulation(row, weakened)}]).values()
    assert result["result"] == "Allowed"


def test_logs_principal_is_partition_aware(documents: Documents) -> None:
    logs = next(s for s in documents.key_policy["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsTheLogGroups")
    assert logs["Principal"] == {"Service": f"logs.us-east-1.{DNS_SUFFIX}"}


def test_root_wires_the_role_to_the_stack(documents: Documents) -> None:
    """The module/iam plan above uses the ARNs of the root's own resources."""
    calls = documents.root_plan["configuration"]["root_module"]["module_calls"]["iam"]["expressions"]
    expected = {
        "table_arn": "module.dynamodb.table_arn",
        "payments_table_arn": "module.payments_table.table_arn",
        "kms_key_arn": "module.kms.key_arn",
        "quarantine_queue_arn": "module.quarantine.queue_arn",
        "secret_parameter_names": "local.enabled",
        "log_group_name": "local.log_group_name",
    }
    for argument, reference in expected.items():
        assert reference in calls[argument]["references"], (argument, calls[argument])


def replace(documents: Documents, **changes: Any) -> Documents:
    fields = {name: getattr(documents, name) for name in Documents.__dataclass_fields__}
    return Documents(**{**fields, **changes})


def test_the_allow_rows_need_the_role_policy(documents: Documents) -> None:
    """Without the role's policy none of the function's own requests is allowed:
    every Allow comes from a statement, not from the evaluator's defaults."""
    rows = [r for r in ROWS if r["expect"] == "Allow" and r["principal"] == "{function}"]
    empty = replace(documents, role_policy={"Version": "2012-10-17", "Statement": []})
    results = run_simulations([{"id": r["id"], "simulation": simulation(r, empty)} for r in rows])
    assert {id_: v["result"] for id_, v in results.items() if v["result"] == "Allowed"} == {}


def test_the_key_policy_is_evaluated_as_kms_does(documents: Documents) -> None:
    """KMS trusts the role's IAM policy only where the key policy delegates to the
    account: without AccountServicesUseKey no Decrypt through any service is allowed."""
    delegating = {"AccountServicesUseKey", "SecretReadersDecryptThroughSsm"}
    statements = [s for s in documents.key_policy["Statement"] if s["Sid"] not in delegating]
    weakened = replace(documents, key_policy={**documents.key_policy, "Statement": statements})
    rows = [
        r for r in ROWS if r["expect"] == "Allow" and r["principal"] == "{function}" and r["resource_policy"] == "key"
    ]
    assert rows
    results = run_simulations([{"id": r["id"], "simulation": simulation(r, weakened)} for r in rows])
    assert {v["result"] for v in results.values()} == {"ImplicitlyDenied"}


def test_the_reconciler_and_schedule_allow_rows_need_their_policies(documents: Documents) -> None:
    """The reconciler's and the schedule's Allow rows come from their own role policies."""
    rows = [r for r in ROWS if r["expect"] == "Allow" and r["principal"] in ("{reconciler}", "{scheduler}")]
    assert {r["principal"] for r in rows} == {"{reconciler}", "{scheduler}"}
    empty = {"Version": "2012-10-17", "Statement": []}
    emptied = replace(documents, other_roles=dict.fromkeys(documents.other_roles, empty))
    results = run_simulations([{"id": r["id"], "simulation": simulation(r, emptied)} for r in rows])
    assert {id_: v["result"] for id_, v in results.items() if v["result"] == "Allowed"} == {}

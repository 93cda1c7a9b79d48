"""Who can read what signs money (issue 21, point 3): the rows of requests.json that
deny a power user (ssm:*, kms:*, sqs:* on *) the signing secrets and the quarantine,
and allow the function and a named operator, decided by iam-simulate - and proof
that these rows fail when the key policy or the queue policy is as before."""

from __future__ import annotations

from typing import Any

from tests.iam.iamdocs import ACCOUNT, OPERATOR_ROLE, PARTITION, Documents
from tests.iam.test_policy_evaluation import ROWS, replace, run_simulations, simulation

ACCESS_ROWS = [
    "securestring-via-ssm",
    "operator-decrypts-secret-via-ssm",
    "operator-receives-quarantine",
    "power-user-decrypts-secret-via-ssm",
    "power-user-receives-quarantine",
    "power-user-purges-quarantine",
]


def verdicts_of(documents: Documents, ids: list[str]) -> dict[str, str]:
    rows = [r for r in ROWS if r["id"] in ids]
    assert {r["id"] for r in rows} == set(ids)
    results = run_simulations([{"id": r["id"], "simulation": simulation(r, documents)} for r in rows])
    return {id_: v["result"] for id_, v in results.items()}


def statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in policy["Statement"] if s.get("Sid") == sid)
    return found


def test_the_secrets_and_the_quarantine_are_for_the_function_and_the_operators(documents: Documents) -> None:
    assert verdicts_of(documents, ACCESS_ROWS) == {
        "securestring-via-ssm": "Allowed",
        "operator-decrypts-secret-via-ssm": "Allowed",
        "operator-receives-quarantine": "Allowed",
        "power-user-decrypts-secret-via-ssm": "ImplicitlyDenied",
        "power-user-receives-quarantine": "ExplicitlyDenied",
        "power-user-purges-quarantine": "ExplicitlyDenied",
    }


def test_the_power_user_row_fails_on_the_key_policy_of_before(documents: Documents) -> None:
    """Before: SSM was one of the services the whole account used the key through,
    so IAM alone (kms:* on *) decided - the power user read the secrets."""
    statements = [s for s in documents.key_policy["Statement"] if s["Sid"] != "SecretReadersDecryptThroughSsm"]
    account_use = statement(documents.key_policy, "AccountServicesUseKey")
    via = account_use["Condition"]["StringEquals"]["kms:ViaService"]
    via = [via] if isinstance(via, str) else via
    ssm = f"ssm.us-east-1.{documents.names['{dns_suffix}']}"
    assert ssm not in via
    widened = {
        **account_use,
        "Condition": {
            **account_use["Condition"],
            "StringEquals": {**account_use["Condition"]["StringEquals"], "kms:ViaService": [*via, ssm]},
        },
    }
    before = [widened if s["Sid"] == "AccountServicesUseKey" else s for s in statements]
    weakened = replace(documents, key_policy={**documents.key_policy, "Statement": before})
    assert verdicts_of(weakened, ["power-user-decrypts-secret-via-ssm"]) == {
        "power-user-decrypts-secret-via-ssm": "Allowed"
    }


def test_the_quarantine_rows_fail_on_the_queue_policy_of_before(documents: Documents) -> None:
    """Before: the queue policy only required TLS; any role with sqs:* received."""
    only_tls = [s for s in documents.queue_policy["Statement"] if s["Sid"] != "OnlyOperatorsReceive"]
    weakened = replace(documents, queue_policy={**documents.queue_policy, "Statement": only_tls})
    assert verdicts_of(weakened, ["power-user-receives-quarantine", "power-user-purges-quarantine"]) == {
        "power-user-receives-quarantine": "Allowed",
        "power-user-purges-quarantine": "Allowed",
    }


def test_the_allow_rows_need_the_reader_statement(documents: Documents) -> None:
    """The function, the reconciler (its Stripe API key) and the operator decrypt through
    SSM because the key policy names them."""
    statements = [s for s in documents.key_policy["Statement"] if s["Sid"] != "SecretReadersDecryptThroughSsm"]
    weakened = replace(documents, key_policy={**documents.key_policy, "Statement": statements})
    rows = ["securestring-via-ssm", "reconciler-api-key-via-ssm", "operator-decrypts-secret-via-ssm"]
    assert verdicts_of(documents, rows) == dict.fromkeys(rows, "Allowed")
    assert verdicts_of(weakened, rows) == dict.fromkeys(rows, "ImplicitlyDenied")


def test_the_readers_are_the_planned_function_role_and_the_operators(documents: Documents) -> None:
    readers = statement(documents.key_policy, "SecretReadersDecryptThroughSsm")["Condition"]["ArnEquals"][
        "aws:PrincipalArn"
    ]
    readers = [readers] if isinstance(readers, str) else readers
    reconciler_role = f"arn:{PARTITION}:iam::{ACCOUNT}:role/" + documents.names["{reconciler}"].split("/")[1]
    # and whoever applies the stack (its refresh reads the SecureStrings with decryption): here
    # the emulator's default caller, whose ARN moto spells arn:aws:sts::…:user/moto (AWS: iam)
    deployer = f"arn:{PARTITION}:sts::{ACCOUNT}:user/moto"
    assert sorted(readers) == sorted([documents.names["{role}"], reconciler_role, OPERATOR_ROLE, deployer])
    assert documents.names["{role}"].startswith(f"arn:{PARTITION}:iam::{ACCOUNT}:role/")
    receivers = statement(documents.queue_policy, "OnlyOperatorsReceive")["Condition"]["ArnNotEquals"][
        "aws:PrincipalArn"
    ]
    assert receivers in (OPERATOR_ROLE, [OPERATOR_ROLE])

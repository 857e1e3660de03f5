"""`byok eval` on the committed generated policies (the root's and examples/enterprise's): each
gap issue 24 closed, asked the way a reviewer asks it. The requests carry `aws:PrincipalArn` as
AWS sets it (the role ARN for a role session), and `--key-account` is the key's account, so a
principal of another account is `allow_if_iam` at best (its own IAM policy must also allow).

AWS behaviour relied on, each cited where the statement is built (compiler/compile/guards.py,
compiler/compile/keys.py): an explicit Deny wins over every Allow; `ArnNotEquals` and
`StringNotEquals` are true when the key is absent; `aws:CurrentTime` is set on every request.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from byok.cli import semantics as semantics_cli
from tests.conftest import REPO

ROOT = REPO / "generated" / "policies"
ENTERPRISE = REPO / "examples" / "enterprise" / "generated" / "policies"
ACME, GLOBEX = "111122223333", "210987654321"
DATABRICKS = "arn:aws:iam::414351767826:role/DatabricksWorkspace"
TENANT = "8f2c6a1e-3b4d-4e5f-9a7b-0c1d2e3f4a5b"  # org.yaml databricks_account_id


def _eval(tmp: Path, policy: Path, account: str, request: dict[str, Any]) -> dict[str, Any]:
    """`byok eval`'s answer without `derived_context` (the keys AWS sets from the principal,
    tested in tests/test_aws_request.py): the decision, reason and statements are the point."""
    parser = argparse.ArgumentParser(prog="byok")
    semantics_cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    req = tmp / "request.json"
    req.write_text(json.dumps(request))
    args = parser.parse_args(["eval", str(policy), str(req), "--key-account", account])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert args.func(args) == 0
    result: dict[str, Any] = json.loads(buf.getvalue())
    result.pop("derived_context", None)
    return result


def _req(principal: str, action: str, **context: str) -> dict[str, Any]:
    return {
        "principal": principal,
        "action": action,
        "context": {"aws:PrincipalArn": principal, **context},
    }


ADMIN_G = f"arn:aws:iam::{GLOBEX}:role/KmsKeyAdministrators"
BREAK_G = f"arn:aws:iam::{GLOBEX}:role/BreakGlassKms"


@pytest.mark.parametrize(
    "action",
    [
        "kms:DeleteImportedKeyMaterial",
        "kms:DisableKey",
        "kms:ImportKeyMaterial",
        "kms:ScheduleKeyDeletion",
        "kms:UpdatePrimaryRegion",
    ],
)
def test_administrators_cannot_destroy_or_move_an_imported_key(tmp_path: Path, action: str) -> None:
    """Issue 24: `byok eval` on enterprise slack-prod gave allow (KeyAdministration) for
    kms:DeleteImportedKeyMaterial. Now every break-glass-only action is denied to the
    administrators and to any other role of the account, and allowed to break-glass alone."""
    policy = ENTERPRISE / "slack-prod.json"
    for who in (ADMIN_G, f"arn:aws:iam::{GLOBEX}:role/AnyRole"):
        got = _eval(tmp_path, policy, GLOBEX, _req(who, action))
        assert got == {
            "decision": "deny",
            "reason": "explicit_deny",
            "statements": ["OnlyBreakGlassDisablesOrDeletes"],
        }, who
    assert _eval(tmp_path, policy, GLOBEX, _req(BREAK_G, action))["decision"] == "allow"


@pytest.mark.parametrize(
    ("region", "decision"),
    [("us-west-2", "allow_if_iam"), ("eu-west-1", "allow_if_iam"), ("ap-south-1", "deny")],
)
def test_replicas_only_in_declared_regions(tmp_path: Path, region: str, decision: str) -> None:
    """enterprise zoom-prod declares replica_regions [eu-west-1, us-west-2]: the account may
    replicate there (through IAM, as Terraform does); nobody anywhere else, break-glass neither."""
    policy = ENTERPRISE / "zoom-prod.json"
    deployer = f"arn:aws:iam::{GLOBEX}:role/Terraform"
    got = _eval(
        tmp_path,
        policy,
        GLOBEX,
        _req(deployer, "kms:ReplicateKey", **{"kms:ReplicaRegion": region}),
    )
    assert got["decision"] == decision, got
    if decision == "deny":
        assert got["statements"] == ["ReplicasOnlyInDeclaredRegions"]
        brk = _req(BREAK_G, "kms:ReplicateKey", **{"kms:ReplicaRegion": region})
        assert _eval(tmp_path, policy, GLOBEX, brk)["reason"] == "explicit_deny"


def test_keys_without_replica_regions_cannot_be_replicated(tmp_path: Path) -> None:
    for name in ("zoom-prod", "slack-prod", "databricks-prod"):
        for who in (f"arn:aws:iam::{ACME}:root", f"arn:aws:iam::{ACME}:role/BreakGlassKms"):
            req = _req(who, "kms:ReplicateKey", **{"kms:ReplicaRegion": "us-west-2"})
            got = _eval(tmp_path, ROOT / f"{name}.json", ACME, req)
            assert got["reason"] == "explicit_deny", (name, who, got)


EBS_ROLE = f"arn:aws:iam::{ACME}:role/databricks-cross-account-staging"
VIA_EC2 = {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}


@pytest.mark.parametrize(
    ("action", "context"),
    [
        ("kms:GenerateDataKeyWithoutPlaintext", VIA_EC2),
        ("kms:Decrypt", VIA_EC2),
        ("kms:CreateGrant", {**VIA_EC2, "kms:GrantIsForAWSResource": "true"}),
    ],
)
def test_suspension_cuts_the_role_databricks_assumes(
    tmp_path: Path, action: str, context: dict[str, str]
) -> None:
    """databricks-staging is suspended: the organization's cross-account role that Databricks
    assumes (`party: customer`) is denied through EC2 too; on databricks-prod it is not."""
    req = _req(EBS_ROLE, action, **context)
    got = _eval(tmp_path, ROOT / "databricks-staging.json", ACME, req)
    assert (got["decision"], got["statements"]) == ("deny", ["SuspendDatabricks"]), got
    assert _eval(tmp_path, ROOT / "databricks-prod.json", ACME, req)["decision"] == "allow"


def test_databricks_grants_need_our_tenant_tag(tmp_path: Path) -> None:
    """VendorDatabricksWorkspaceStorageGrants carries aws:PrincipalTag/DatabricksAccountId like
    the other statements to Databricks' shared account: another tenant's principal gets nothing."""
    policy = ROOT / "databricks-prod.json"
    grant = {"kms:GrantIsForAWSResource": "true"}
    ours = _req(
        DATABRICKS, "kms:CreateGrant", **grant, **{"aws:PrincipalTag/DatabricksAccountId": TENANT}
    )
    other = _req(
        DATABRICKS, "kms:CreateGrant", **grant, **{"aws:PrincipalTag/DatabricksAccountId": "0" * 8}
    )
    untagged = _req(DATABRICKS, "kms:ListGrants")
    assert _eval(tmp_path, policy, ACME, ours)["decision"] == "allow_if_iam"
    for req in (other, untagged):
        got = _eval(tmp_path, policy, ACME, req)
        assert (got["decision"], got["reason"]) == ("deny", "implicit_deny"), got
    doc = json.loads(policy.read_text())
    (st,) = [s for s in doc["Statement"] if s["Sid"] == "VendorDatabricksWorkspaceStorageGrants"]
    assert st["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringEquals": {"aws:PrincipalTag/DatabricksAccountId": TENANT},
    }


@pytest.mark.parametrize(
    ("now", "decision"),
    [
        ("2027-03-31T23:59:59Z", "allow"),
        ("2027-04-01T00:00:00Z", "allow_if_iam"),
        (None, "allow_if_iam"),
    ],
)
def test_org_statement_expiry_is_in_the_policy(
    tmp_path: Path, now: str | None, decision: str
) -> None:
    """org.yaml `dbfs-migration` expires 2027-03-31: AWS stops honouring it at the end of that
    day (UTC) whether or not anyone regenerates, and the role is back to what any role of the
    account has (delegated to IAM); a request without aws:CurrentTime (AWS always sets it) is
    not allowed by it either."""
    who = f"arn:aws:iam::{ACME}:role/DatabricksMigration"
    ctx = {"kms:CallerAccount": ACME, **({"aws:CurrentTime": now} if now else {})}
    got = _eval(tmp_path, ROOT / "databricks-prod.json", ACME, _req(who, "kms:Decrypt", **ctx))
    assert got["decision"] == decision, got
    assert ("OrgDbfsMigration" in got["statements"]) is (decision == "allow"), got

"""Issue 17: per-grant principals (fixed, service, organization parameters, lists), the
organization's own statements (`apps[].statements`) and key specs.

AWS behaviour encoded here:
- An explicit Deny in a key policy overrides every Allow, whatever statement holds it:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- A key policy `Principal` may name AWS service principals (`"Service": "ec2.amazonaws.com"`):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services
- `kms:ViaService` holds the service that made the request on the caller's behalf
  (`ec2.<region>.amazonaws.com`):
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
- Key usages and the operations each permits (RSA keys do not generate data keys; HMAC keys only
  generate and verify MACs):
  https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html
  https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-usage.html
- Only symmetric encryption keys rotate automatically:
  https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byok.compile import CompiledKey
from byok.diagnostics import CompileError
from byok.pipeline import Result, build_tree
from byok.policy import iam, keyspecs
from byok.policy.compare import compare
from byok.policy.evaluate import Request, evaluate
from byok.verify import verify_key
from byok.verify.claims import suspension_line
from tests.conftest import REPO, copy_inputs

TODAY = date(2026, 11, 23)
ACCOUNT = "111122223333"
DATABRICKS = "arn:aws:iam::414351767826:root"
TENANT = "8f2c6a1e-3b4d-4e5f-9a7b-0c1d2e3f4a5b"  # org.yaml databricks_account_id
SLACK = "arn:aws:iam::152659312504:root"
EBS_ROLES = [
    f"arn:aws:iam::{ACCOUNT}:role/databricks-cross-account-prod",
    f"arn:aws:iam::{ACCOUNT}:role/databricks-cross-account-staging",
]
VIA_EC2 = {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}


@pytest.fixture(scope="module")
def shipped() -> Result:
    return build_tree(REPO, TODAY)


def _key(result: Result, name: str) -> CompiledKey:
    return next(ck for ck in result.compiled.keys if ck.key.name == name)


def _stmt(ck: CompiledKey, sid: str) -> dict[str, object]:
    return next(s for s in ck.policy.to_json()["Statement"] if s["Sid"] == sid)


# --------------------------------------------------------------------------- per-grant principals


def test_databricks_workspace_storage_statements_as_documented(shipped: Result) -> None:
    """The EBS statement names the organization's list parameter (both roles); the grants
    statement is Databricks' own, only for AWS resources."""
    ck = _key(shipped, "databricks-prod")
    assert _stmt(ck, "VendorDatabricksWorkspaceStorageEbs") == {
        "Sid": "VendorDatabricksWorkspaceStorageEbs",
        "Effect": "Allow",
        "Principal": {"AWS": EBS_ROLES},
        "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"ForAnyValue:StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}},
    }
    assert _stmt(ck, "VendorDatabricksWorkspaceStorageGrants") == {
        "Sid": "VendorDatabricksWorkspaceStorageGrants",
        "Effect": "Allow",
        "Principal": {"AWS": DATABRICKS},
        "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        "Resource": "*",
        "Condition": {
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"aws:PrincipalTag/DatabricksAccountId": TENANT},
        },
    }
    # The customer's roles are not the vendor's: revocations never name them (a suspension
    # does: Databricks assumes them).
    assert ck.key.principals == (DATABRICKS,)


def test_ebs_role_uses_the_key_through_ec2_only(shipped: Result) -> None:
    ck = _key(shipped, "databricks-prod")
    for role in EBS_ROLES:
        direct = Request(principal=role, action="kms:Decrypt", context=VIA_EC2)
        assert evaluate(ck.policy, direct, ACCOUNT).decision == "allow"
        # Without EC2 only the account-root delegation to IAM remains.
        alone = Request(principal=role, action="kms:Decrypt")
        assert evaluate(ck.policy, alone, ACCOUNT).decision == "allow_if_iam"
        grant = Request(
            principal=role,
            action="kms:CreateGrant",
            context={**VIA_EC2, "kms:GrantIsForAWSResource": "true", "aws:PrincipalArn": role},
        )
        assert evaluate(ck.policy, grant, ACCOUNT).decision == "allow"


def test_suspension_denies_databricks_and_the_roles_it_assumes(shipped: Result) -> None:
    """Issue 24: the cross-account role Databricks assumes (`party: customer`) is a path the
    vendor uses; a suspension cuts it too, through EC2 included."""
    ck = _key(shipped, "databricks-staging")
    assert ck.key.suspension is not None
    for action in ("kms:Decrypt", "kms:CreateGrant", "kms:RevokeGrant", "kms:GenerateDataKey"):
        req = Request(
            principal=DATABRICKS, action=action, context={"kms:GrantIsForAWSResource": "true"}
        )
        assert evaluate(ck.policy, req, ACCOUNT).reason == "explicit_deny", action
    for role in EBS_ROLES:
        for action in ("kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant"):
            req = Request(principal=role, action=action, context=VIA_EC2)
            assert evaluate(ck.policy, req, ACCOUNT).reason == "explicit_deny", (role, action)
    assert suspension_line(ck) == (
        "proved: suspended: every data action granted in the vendor file denied (10 action(s); "
        "metadata reads not denied: kms:DescribeKey, kms:ListGrants; also denied to the "
        "organization's own principals its `party: customer` grants name, which the vendor uses "
        "(" + ", ".join(EBS_ROLES) + ")); grants created before the suspension keep working until "
        "revoked (aws kms list-grants)"
    )


def test_service_principal_is_matched_and_compared() -> None:
    """`Principal.Service` allows requests from that service principal only; the comparer sees
    the added service as new access."""
    stmt = iam.Statement(
        sid="Logs",
        effect="Allow",
        principal=iam.Principals(service=("logs.amazonaws.com",)),
        action=("kms:Decrypt",),
        resource=("*",),
    )
    with_svc = iam.Policy(statements=(stmt,))
    assert with_svc.to_json()["Statement"][0]["Principal"] == {"Service": "logs.amazonaws.com"}
    ok = Request(principal="logs.amazonaws.com", action="kms:Decrypt")
    other = Request(principal="ec2.amazonaws.com", action="kms:Decrypt")
    assert evaluate(with_svc, ok, ACCOUNT).decision == "allow"
    assert evaluate(with_svc, other, ACCOUNT).decision == "deny"
    empty = iam.Policy(statements=())
    result = compare(empty, with_svc, ACCOUNT)
    assert result.relation == "wider"
    assert result.new_access is not None and result.new_access.principal == "logs.amazonaws.com"


# ------------------------------------------------------------------ organization statements


def test_org_statement_in_policy_and_access_md(shipped: Result) -> None:
    ck = _key(shipped, "databricks-prod")
    assert _stmt(ck, "OrgDbfsMigration") == {
        "Sid": "OrgDbfsMigration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/DatabricksMigration"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        # expires 2027-03-31 in org.yaml: AWS enforces it too (issue 24)
        "Condition": {
            "DateLessThan": {"aws:CurrentTime": "2027-04-01T00:00:00Z"},
            "StringEquals": {"kms:CallerAccount": ACCOUNT},
        },
    }
    # Only where org.yaml asks for it (environments: [prod]).
    assert "OrgDbfsMigration" not in {
        s.sid for s in _key(shipped, "databricks-staging").policy.statements
    }
    access = shipped.files["ACCESS.md"].decode()
    assert (
        "**Organization statements** (reviewed in org.yaml)\n\n"
        "- `dbfs-migration` (Allow): `arn:aws:iam::111122223333:role/DatabricksMigration`: "
        "`kms:Decrypt` when `kms:CallerAccount` StringEquals `111122223333` and "
        "`aws:CurrentTime` DateLessThan `2027-04-01T00:00:00Z` (SEC-150: re-encrypt legacy DBFS "
        "exports under the new key; expires 2027-03-31: AWS honours it only until then "
        "(`aws:CurrentTime`), and the next `byok generate` drops it)\n"
    ) in access


def test_org_statement_expires_and_leaves_the_policy() -> None:
    on_the_day = build_tree(REPO, date(2027, 3, 31))
    after = build_tree(REPO, date(2027, 4, 1))
    sids = {s.sid for s in _key(on_the_day, "databricks-prod").policy.statements}
    assert "OrgDbfsMigration" in sids
    later = _key(after, "databricks-prod")
    assert "OrgDbfsMigration" not in {s.sid for s in later.policy.statements}
    warnings = [d.render() for d in after.warnings if d.code == "W130"]
    assert warnings == [
        "org.yaml:74:18: W130 statement `dbfs-migration` (SEC-150) expired on 2027-03-31 and is "
        "removed from the policy\n"
        "  help: delete it from org.yaml (`byok diff` shows the removal as an access change)"
    ]
    # The removal is a change to generated/ (what `byok diff` reviews).
    path = "policies/databricks-prod.json"
    assert on_the_day.files[path] != after.files[path]


SLACK_EXTRA = """
    statements:
      - name: support-override
        effect: Allow
        principals: [{principal}]
        actions: [kms:Decrypt, kms:GenerateDataKey]
        conditions:
          - {{operator: StringEquals, key: "kms:EncryptionContext:channel_id", values: ["{value}"]}}
        reason: support engineer reads a channel
        ticket: SEC-999
"""


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["C0123ABCD", "C07QX4M2PLR"]),
    st.sampled_from([SLACK, "arn:aws:iam::152659312504:role/SlackSupport"]),
    st.sampled_from(["kms:Decrypt", "kms:GenerateDataKey"]),
)
def test_extra_allow_never_reopens_a_revoked_value(value: str, principal: str, action: str) -> None:
    """An org Allow naming the vendor and exactly a revoked value: the revoked value stays
    denied (explicit deny) on slack-prod, and every proof still passes."""
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_inputs(Path(tmp) / "p", with_generated=False)
        org = (root / "org.yaml").read_text()
        anchor = "  - vendor: zoom\n"
        extra = SLACK_EXTRA.format(principal=principal, value=value).lstrip("\n")
        (root / "org.yaml").write_text(org.replace(anchor, extra + "\n" + anchor, 1))
        result = build_tree(root, TODAY)
    ck = _key(result, "slack-prod")
    assert "OrgSupportOverride" in {s.sid for s in ck.policy.statements}
    ctx = {"kms:EncryptionContext:channel_id": value}
    decision = evaluate(
        ck.policy, Request(principal=principal, action=action, context=ctx), ACCOUNT
    )
    assert decision.reason == "explicit_deny"
    diags, _ = verify_key(ck)
    assert [d for d in diags if d.severity == "error"] == []


# --------------------------------------------------------------------------- key specs


@pytest.mark.parametrize(
    ("spec", "usage", "action", "usable"),
    [
        ("RSA_2048", "ENCRYPT_DECRYPT", "kms:GenerateDataKey", False),
        ("RSA_2048", "ENCRYPT_DECRYPT", "kms:Decrypt", True),
        ("RSA_4096", "SIGN_VERIFY", "kms:Sign", True),
        ("RSA_4096", "SIGN_VERIFY", "kms:Encrypt", False),
        ("ECC_NIST_P256", "KEY_AGREEMENT", "kms:DeriveSharedSecret", True),
        ("ECC_NIST_P256", "SIGN_VERIFY", "kms:DeriveSharedSecret", False),
        ("HMAC_256", "GENERATE_VERIFY_MAC", "kms:GenerateMac", True),
        ("HMAC_256", "GENERATE_VERIFY_MAC", "kms:Decrypt", False),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "kms:GenerateDataKeyPair", True),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "kms:GetPublicKey", False),
        ("HMAC_512", "GENERATE_VERIFY_MAC", "kms:DescribeKey", True),
    ],
)
def test_spec_usage_actions(spec: str, usage: str, action: str, usable: bool) -> None:
    assert (keyspecs.unusable(spec, usage, [action]) == []) is usable


def test_specs_usages_and_rotation() -> None:
    assert keyspecs.usages("ECC_SECG_P256K1") == ("SIGN_VERIFY",)
    assert keyspecs.default_usage("HMAC_384") == "GENERATE_VERIFY_MAC"
    assert keyspecs.default_usage("RSA_3072") is None
    assert [s for s in keyspecs.KEY_SPECS if keyspecs.rotates(s)] == ["SYMMETRIC_DEFAULT"]


def test_signing_vendor_compiles_with_its_spec(tmp_path: Path) -> None:
    """A vendor that signs with an RSA key: the key policy grants Sign/Verify and the Terraform
    inputs carry the spec and usage."""
    root = copy_inputs(tmp_path / "p", with_generated=False)
    zoom = (root / "vendors" / "zoom.yaml").read_text()
    zoom = zoom.replace(
        "      - kms:Decrypt\n      - kms:DescribeKey\n"
        "      - kms:Encrypt\n      - kms:GenerateDataKey*\n",
        "      - kms:DescribeKey\n      - kms:GetPublicKey\n      - kms:Sign\n      - kms:Verify\n",
    )
    zoom = zoom.replace("  spec: SYMMETRIC_DEFAULT\n", "  spec: RSA_2048\n  usage: SIGN_VERIFY\n")
    zoom = zoom.replace("  automatic_rotation: supported\n", "  automatic_rotation: unsupported\n")
    zoom = zoom.replace(
        "    - kms:Decrypt\n    - kms:Encrypt\n    - kms:GenerateDataKey*\n",
        "    - kms:GetPublicKey\n    - kms:Sign\n    - kms:Verify\n",
    )
    (root / "vendors" / "zoom.yaml").write_text(zoom)
    result = build_tree(root, TODAY)
    ck = _key(result, "zoom-prod")
    assert _stmt(ck, "VendorZoomKeyUsage")["Action"] == [
        "kms:DescribeKey",
        "kms:GetPublicKey",
        "kms:Sign",
        "kms:Verify",
    ]
    main = result.files["main.tf"].decode()
    assert re.search(
        r'"zoom-prod" = \{[^}]*"key_spec" += "RSA_2048"\n +"key_usage" += "SIGN_VERIFY"', main
    )
    assert "`RSA_2048` key for `SIGN_VERIFY`" in result.files["ACCESS.md"].decode()


def _with_extra(tmp_path: Path, extra: str) -> Path:
    root = copy_inputs(tmp_path / "p", with_generated=False)
    org = (root / "org.yaml").read_text()
    anchor = "  - vendor: zoom\n"
    (root / "org.yaml").write_text(org.replace(anchor, extra + "\n" + anchor, 1))
    return root


def test_org_deny_that_locks_out_administrators_is_refused(tmp_path: Path) -> None:
    """An extra Deny goes through the lockout proof (E507) like every other statement."""
    root = _with_extra(
        tmp_path,
        "    statements:\n"
        "      - {name: freeze, effect: Deny, principals: ['*'], actions: [kms:PutKeyPolicy],"
        " reason: change freeze, ticket: SEC-1}\n",
    )
    with pytest.raises(CompileError) as err:
        build_tree(root, TODAY)
    assert {d.code for d in err.value.diagnostics} == {"E507"}


def test_org_allow_cannot_open_a_guard_rail(tmp_path: Path) -> None:
    """An extra Allow of kms:DisableKey: the guard-rail Deny still wins (explicit deny)."""
    role = f"arn:aws:iam::{ACCOUNT}:role/Ops"
    root = _with_extra(
        tmp_path,
        "    statements:\n"
        f"      - {{name: ops, effect: Allow, principals: ['{role}'], actions: [kms:DisableKey],"
        " reason: ops wants it, ticket: SEC-2}\n",
    )
    ck = _key(build_tree(root, TODAY), "slack-prod")
    req = Request(principal=role, action="kms:DisableKey", context={"aws:PrincipalArn": role})
    assert evaluate(ck.policy, req, ACCOUNT).reason == "explicit_deny"


def test_vendor_grant_with_a_service_principal(tmp_path: Path) -> None:
    """A `party: customer` grant naming an AWS service principal compiles to `Principal.Service`
    and allows that service only; the vendor's suspension does not name it."""
    root = copy_inputs(tmp_path / "p", with_generated=False)
    path = root / "vendors" / "zoom.yaml"
    text = path.read_text()
    grant = (
        "  - name: logs\n"
        "    party: customer\n"
        "    principals:\n"
        "      - {service: logs.us-east-1.amazonaws.com, source: 'https://example.com/s', "
        "verified: true}\n"
        "    actions: [kms:Decrypt]\n"
        "    source: 'https://example.com/s'\n"
        "    verified: true\n"
    )
    path.write_text(text.replace("\nkey:\n", "\n" + grant + "\nkey:\n", 1))
    ck = _key(build_tree(root, TODAY), "zoom-prod")
    assert _stmt(ck, "VendorZoomLogs")["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    req = Request(principal="logs.us-east-1.amazonaws.com", action="kms:Decrypt")
    assert evaluate(ck.policy, req, ACCOUNT).decision == "allow"
    assert ck.key.principals == ("arn:aws:iam::409910850980:root",)

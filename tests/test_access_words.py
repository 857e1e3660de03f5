"""Issue 25: ACCESS.md, `byok diff` and `generate` say what holds.

- ACCESS.md: a key in its decrypt-only grace period says so (not "full minimum access"), and
  every key names its account, Region, replica Regions and, for imported material, when the
  material expires.
- `byok diff`: a revocation on an unconfirmed context key carries `generate`'s caveat, in text
  and JSON; a guard rail's line follows the relation (removing break-glass narrows, so it is no
  NEW ACCESS); a widened vendor grant names which of the vendor's own principals gains which
  action under which condition, and so does the witness.

AWS behaviour relied on: `aws:PrincipalArn` of a request is the caller's ARN, the role's for a
session (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
which is what makes the guard rail `ArnNotEquals aws:PrincipalArn <break-glass>` spare only
break-glass; an imported key material's expiry and re-import
(https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import REPO, byok, committed_repo, copy_inputs, default_base, edit

ENTERPRISE = REPO / "examples" / "enterprise" / "generated" / "ACCESS.md"


def _section(text: str, key: str) -> str:
    return text.split(f"## `{key}` — ", 1)[1].split("\n## ", 1)[0]


def test_a_decrypt_only_key_says_so() -> None:
    zoom = _section(ENTERPRISE.read_text(), "zoom-prod")
    assert "full minimum access" not in zoom
    assert (
        "- **Zoom** (Customer Managed Key (CMK)), as `arn:aws:iam::409910850980:root` "
        "(decrypt-only until 2027-02-28: see below):"
    ) in zoom
    assert (
        "**Revocations in force**\n\n"
        "- **DECRYPT-ONLY until 2027-02-28**: replaced by `zoom-prod-g2` (SEC-310: scheduled "
        "manual rotation (Zoom keeps the key ARN across automatic rotation only)); Zoom keeps "
        "only `kms:Decrypt` here, to re-encrypt under the new key, and is denied `kms:Encrypt`, "
        "`kms:GenerateDataKey`, `kms:GenerateDataKeyPair`, "
        "`kms:GenerateDataKeyPairWithoutPlaintext`, `kms:GenerateDataKeyWithoutPlaintext`; after "
        'that date `generate` warns (W110) until org.yaml decommissions it (README, "Replacing a '
        'key")\n'
    ) in zoom


def test_each_key_names_its_region_replicas_and_material_expiry() -> None:
    text = ENTERPRISE.read_text()
    assert _section(text, "zoom-prod-g2").split("\n")[2] == (
        "Alias `alias/globex-zoom-prod-g2` in account `210987654321`, Region `us-east-1`; "
        "multi-Region, replicas in `eu-west-1`, `us-west-2` (the same key policy); automatic "
        "rotation every 365 days; deletion window 30 days."
    )
    assert _section(text, "slack-staging").split("\n")[2] == (
        "Alias `alias/globex-slack-staging` in account `444455556666`, Region `eu-west-1`; "
        "single-Region; no automatic rotation (imported key material); deletion window 30 "
        "days; imported key material: each import (`byok import-material slack-staging`) "
        "expires 180 days later, alarmed 30 days before; then the key is unusable until the "
        "same material is imported again."
    )
    shipped = (REPO / "generated" / "ACCESS.md").read_text()
    assert _section(shipped, "slack-prod").split("\n")[2] == (
        "Alias `alias/acme-slack-prod` in account `111122223333`, Region `us-east-1`; "
        "single-Region; automatic rotation every 365 days; deletion window 30 days."
    )


def test_diff_carries_the_unconfirmed_caveat_in_text_and_json(repo: Path) -> None:
    edit(
        repo / "org.yaml",
        "values: [C0123ABCD, C07QX4M2PLR]",
        "values: [C0123ABCD, C07QX4M2PLR, C05ZX8PQ9RT]",
    )
    assert byok(repo, "generate").returncode == 0
    line = (
        "slack-prod: Slack (152659312504) loses kms:Decrypt, kms:GenerateDataKey when "
        "kms:EncryptionContext:channel_id = C05ZX8PQ9RT (revocation SEC-123); unconfirmed: "
        "may deny nothing: slack has not confirmed it sends `channel_id`"
    )
    text = byok(repo, "diff")
    assert (text.returncode, text.stdout) == (0, default_base(repo) + line + "\n")
    doc = json.loads(byok(repo, "diff", "--format", "json").stdout)
    (key,) = [k for k in doc["keys"] if k["key"] == "slack-prod"]
    assert key["changes"] == [line]
    # the same caveat `generate` prints for the key
    gen = byok(repo, "generate", "--check").stdout + byok(repo, "generate").stdout
    assert "unconfirmed: may deny nothing" in gen


def test_removing_break_glass_narrows_and_says_so(repo: Path) -> None:
    edit(repo / "org.yaml", "break_glass: arn:aws:iam::111122223333:role/BreakGlassKms\n", "")
    assert byok(repo, "generate").returncode == 0
    res = byok(repo, "diff", "--format", "json")
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert not doc["widens"]
    (key,) = [k for k in doc["keys"] if k["key"] == "slack-prod"]
    assert key["relation"] == "narrower"
    assert key["changes"] == [
        "slack-prod: `BreakGlass` removed: no longer grants "
        "`arn:aws:iam::111122223333:role/BreakGlassKms` `kms:*`",
        "slack-prod: Deny `OnlyBreakGlassDisablesOrDeletes` now denies more "
        "(`kms:DeleteImportedKeyMaterial`, `kms:DisableKey`, `kms:ImportKeyMaterial`, "
        "`kms:ScheduleKeyDeletion`, `kms:UpdatePrimaryRegion`): e.g. "
        "`arn:aws:iam::111122223333:role/BreakGlassKms` calling `kms:DeleteImportedKeyMaterial` "
        "is denied",
    ]
    assert "NEW ACCESS" not in byok(repo, "diff").stdout


ACME = "arn:aws:iam::777788889999:root"


def _acme_project(tmp_path: Path) -> Path:
    """The shipped inputs plus a local vendor, AcmeCRM, with one grant, committed."""
    project = copy_inputs(tmp_path / "repo")
    zoom = (project / "vendors" / "zoom.yaml").read_text()
    acme = (
        zoom.replace("name: zoom\n", "name: acmecrm\n")
        .replace("display_name: Zoom", "display_name: AcmeCRM")
        .replace("409910850980", "777788889999")
        .replace("      - kms:Encrypt\n      - kms:GenerateDataKey*\n    source", "    source", 1)
    )
    (project / "vendors" / "acmecrm.yaml").write_text(acme)
    edit(
        project / "org.yaml",
        "  - vendor: zoom\n",
        "  - vendor: acmecrm\n    environments: [prod]\n\n  - vendor: zoom\n",
    )
    assert byok(project, "generate").returncode == 0
    return committed_repo(project)


def _widened(repo: Path) -> dict[str, Any]:
    """`byok diff`'s JSON for acmecrm-prod after a change that widens it (exit 3)."""
    assert byok(repo, "generate").returncode == 0
    res = byok(repo, "diff", "--format", "json")
    assert res.returncode == 3, res.stdout + res.stderr
    (key,) = [k for k in json.loads(res.stdout)["keys"] if k["key"] == "acmecrm-prod"]
    return dict(key)


def test_a_widened_vendor_grant_names_the_vendors_principal(tmp_path: Path) -> None:
    repo = _acme_project(tmp_path)
    edit(
        repo / "vendors" / "acmecrm.yaml",
        "      - kms:DescribeKey\n",
        "      - kms:DescribeKey\n      - kms:Encrypt\n",
    )
    key = _widened(repo)
    assert key["changes"] == [
        f"acmecrm-prod: NEW ACCESS: `VendorAcmecrmKeyUsage` now also grants `{ACME}` `kms:Encrypt`"
    ]
    assert key["new_access"] == {"principal": ACME, "action": "kms:Encrypt", "context": {}}


def test_a_vendor_grant_without_its_condition_says_under_which_condition(tmp_path: Path) -> None:
    repo = _acme_project(tmp_path)
    grant = (
        '    source: "https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0065902"\n'
        "    verified: true\n\nkey:"
    )
    cond = (
        "    conditions:\n      - operator: StringEquals\n        key: kms:ViaService\n"
        "        values: [s3.us-east-1.amazonaws.com]\n"
    )
    edit(repo / "vendors" / "acmecrm.yaml", grant, cond + grant)
    assert byok(repo, "generate").returncode == 0
    repo = committed_repo(repo)
    edit(repo / "vendors" / "acmecrm.yaml", cond, "")
    key = _widened(repo)
    assert key["changes"] == [
        f"acmecrm-prod: NEW ACCESS: `VendorAcmecrmKeyUsage` now grants `{ACME}` "
        "`kms:Decrypt`, `kms:DescribeKey` always (before: when `kms:ViaService` StringEquals "
        "`s3.us-east-1.amazonaws.com`)"
    ]
    assert key["new_access"]["principal"] == ACME


def test_a_grant_that_drops_future_actions_says_which() -> None:
    # `kms:ReEncrypt*` also covers actions AWS may add; its expansion does not (a narrowing
    # only the comparer's future-action witness shows).
    from byok.policy import iam
    from byok.review.lines import Context, statement_lines

    def grant(actions: list[str]) -> iam.Statement:
        doc = {"Sid": "V", "Effect": "Allow", "Principal": {"AWS": ACME}, "Action": actions}
        return iam.Policy.from_json({"Statement": [{**doc, "Resource": "*"}]}).statements[0]

    wide, narrow = grant(["kms:ReEncrypt*"]), grant(["kms:ReEncryptFrom", "kms:ReEncryptTo"])
    ctx = Context(who="AcmeCRM (777788889999)", ck=None, account="111122223333", lifted={})
    narrows = Context(who=ctx.who, ck=None, account=ctx.account, lifted={}, widens=False)
    assert statement_lines("k", "V", wide, narrow, narrows) == [
        f"k: `V` no longer grants `{ACME}` any future action matching `kms:ReEncrypt*` "
        "(e.g. `kms:ReEncryptFuture`)"
    ]
    assert statement_lines("k", "V", narrow, wide, ctx) == [
        f"k: NEW ACCESS: `V` now also grants `{ACME}` any future action matching "
        "`kms:ReEncrypt*` (e.g. `kms:ReEncryptFuture`)"
    ]

"""Revocations and suspensions that cannot fail open (issue 12, "Revocation and suspension"):

- a revocation on a context key the vendor has not confirmed is an error (E325) unless
  org.yaml acknowledges it, and is then reported as "unconfirmed: may deny nothing";
- `revocation.actions` must cover every granted data action (E326), and a suspension is proved
  to deny every one of them (E517);
- a vendor file may declare a context key present on every request (`always_present`); the
  vendor's Allow statements then require it and a request without it is proved denied (E518).

AWS behaviour these tests encode:
- `Null` with `"false"` matches only when the key is present:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
- `kms:EncryptionContext:<context-key>` applies to CreateGrant, Encrypt, Decrypt,
  GenerateDataKey*, ReEncrypt only (DescribeKey takes no encryption context):
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
- an explicit Deny overrides every Allow:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import copy
import io
import os
from contextlib import redirect_stderr, redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from byok.cli import main as cli
from byok.compile.keys import CONTEXT_PREFIX, CompiledKey, compile_key
from byok.diagnostics import CompileError
from byok.load import load_bytes
from byok.model import Org, Vendor, build
from byok.pipeline import load_inputs
from byok.policy import catalog
from byok.policy.evaluate import Request, evaluate
from byok.render.access import key_section
from byok.resolve import resolve
from byok.resolve.revocations import uncovered_actions
from byok.verify import verify_key
from byok.verify.claims import proof_lines
from byok.write import read_tree
from tests.conftest import REPO, copy_inputs
from tests.test_compiler_properties import ACTIONS, orgs, vendors

TODAY = date(2026, 11, 23)
SRC = "https://example.com/source"
ALWAYS = {"source": SRC, "verified": True}


def _run(project: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("BYOK_TODAY")
    os.environ["BYOK_TODAY"] = TODAY.isoformat()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(["-C", str(project), "generate", *args])
    finally:
        if old is None:
            os.environ.pop("BYOK_TODAY", None)
        else:
            os.environ["BYOK_TODAY"] = old
    return code, out.getvalue(), err.getvalue()


def _compile(vendor: dict[str, Any], org: dict[str, Any]) -> CompiledKey:
    v = build(Vendor, load_bytes(yaml.safe_dump(vendor).encode(), "vendors/acme-vendor.yaml"))
    o = build(Org, load_bytes(yaml.safe_dump(org).encode(), "org.yaml"))
    (key,) = resolve(o, {"acme-vendor": v}, TODAY).keys
    return compile_key(key)


def _vendor(actions: list[str], revoked: list[str], always: bool) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "name": "tenant",
        "description": "one tenant",
        "context_key": "tenant_id",
        "pattern": "^[A-Z0-9]{4,10}$",
        "source": SRC,
        "verified": True,
    }
    if always:
        scope["always_present"] = dict(ALWAYS)
    return {
        "name": "acme-vendor",
        "display_name": "Acme",
        "product": "EKM",
        "homepage": SRC,
        "principals": [{"arn": "arn:aws:iam::444455556666:root", "source": SRC, "verified": True}],
        "grants": [{"name": "use", "actions": actions, "source": SRC, "verified": True}],
        "key": {
            "multi_region": "optional",
            "automatic_rotation": "supported",
            "replacement_needs_new_arn": True,
            "source": SRC,
            "verified": True,
        },
        "revocation": {
            "actions": revoked,
            "kill_switch": {"supported": True, "source": SRC, "verified": True},
            "scopes": [scope],
        },
    }


ORG: dict[str, Any] = {
    "organization": "acme",
    "account_id": "111122223333",
    "region": "us-east-1",
    "key_administrators": ["arn:aws:iam::111122223333:role/Admins"],
    "alarms": {"emails": ["secops@acme.example"]},
    "apps": [{"vendor": "acme-vendor", "environments": ["prod"]}],
}
VENDOR_ARN = "arn:aws:iam::444455556666:root"


# --------------------------------------------------------------------------- unconfirmed keys


# The guard-rail lines every shipped key prints (no key declares replica Regions).
GUARDS = (
    "  proved: only break-glass may call kms:DeleteImportedKeyMaterial, kms:DisableKey, "
    "kms:ImportKeyMaterial, kms:ScheduleKeyDeletion, kms:UpdatePrimaryRegion\n"
    "  proved: kms:CreateGrant denied unless the grant is for an AWS resource\n"
    "  proved: kms:ReplicateKey denied (no replica_regions)\n"
)


def test_shipped_summary_states_exactly_what_is_proved(project: Path) -> None:
    code, out, err = _run(project)
    assert code == 0, err
    assert out == (
        "databricks-prod: key policy 3386/32768 bytes\n"
        "  proved: revocations and suspension only narrow access against the same policy "
        "without them (equivalent)\n"
        "  proved: the account root and the key administrators keep kms:PutKeyPolicy\n"
        + GUARDS
        + "databricks-staging: key policy 3468/32768 bytes\n"
        "  proved: revocations and suspension only narrow access against the same policy "
        "without them (narrower)\n"
        "  proved: the account root and the key administrators keep kms:PutKeyPolicy\n"
        "  proved: suspended: every data action granted in the vendor file denied (10 "
        "action(s); metadata reads not denied: kms:DescribeKey, kms:ListGrants; also denied to "
        "the organization's own principals its `party: customer` grants name, which the vendor "
        "uses (arn:aws:iam::111122223333:role/databricks-cross-account-prod, "
        "arn:aws:iam::111122223333:role/databricks-cross-account-staging)); grants created "
        "before the suspension keep working until revoked (aws kms list-grants)\n"
        + GUARDS
        + "slack-prod: key policy 2407/32768 bytes\n"
        "  proved: revocations and suspension only narrow access against the same policy "
        "without them (narrower)\n"
        "  proved: the account root and the key administrators keep kms:PutKeyPolicy\n"
        "  proved: 3 revoked value(s) denied for every granted data action when the request "
        "carries the value under its context key\n"
        "  unconfirmed: may deny nothing: 3 revoked value(s) on "
        "kms:EncryptionContext:channel_id (SEC-124), kms:EncryptionContext:workspace_id "
        "(SEC-132); slack has not confirmed it sends these keys\n"
        + GUARDS
        + "slack-sandbox: key policy 2156/32768 bytes\n"
        "  proved: revocations and suspension only narrow access against the same policy "
        "without them (narrower)\n"
        "  proved: the account root and the key administrators keep kms:PutKeyPolicy\n"
        "  proved: 1 revoked value(s) denied for every granted data action when the request "
        "carries the value under its context key\n"
        "  unconfirmed: may deny nothing: 1 revoked value(s) on "
        "kms:EncryptionContext:workspace_id (SEC-132); slack has not confirmed it sends these "
        "keys\n" + GUARDS + "zoom-prod: key policy 1942/32768 bytes\n"
        "  proved: revocations and suspension only narrow access against the same policy "
        "without them (equivalent)\n"
        "  proved: the account root and the key administrators keep kms:PutKeyPolicy\n"
        + GUARDS
        + "not proved: IAM policies and SCPs (the AccountRoot statement delegates each key to IAM "
        "in your account); the proofs cover the key policies in generated/policies only\n"
        "not proved: grants; a grant created before a revocation or suspension may keep "
        "allowing the vendor until it is retired or revoked\n"
        "not proved: data keys the vendor already decrypted and caches; a Deny stops only new "
        "KMS requests\n"
        "not proved: that a vendor sends an unconfirmed context key; a revocation denies only "
        "requests that carry the revoked value under that key\n"
        "not proved: how each vendor behaves after a revocation (its vendor file):\n"
        "  databricks: a revocation takes effect: At the end of Databricks' cache "
        "interval: reads and writes of the protected data fail once the cached data "
        "encryption key is evicted; the interval's length is not stated. "
        "[https://docs.databricks.com/en/security/keys/customer-managed-keys-managed-serv"
        "ices-aws.html]\n"
        "  databricks: data-key caching: Yes: the data encryption key is cached in "
        "memory for several read and write operations and evicted at a regular interval. "
        "[https://docs.databricks.com/en/security/keys/customer-managed-keys-managed-serv"
        "ices-aws.html]\n"
        "  databricks: restoring access: Not documented in the sources seen: allow "
        "Databricks' principal again and confirm with Databricks that the workspaces "
        "recover. (unverified) [https://docs.databricks.com/en/security/keys/customer-man"
        "aged-keys-managed-services-aws.html]\n"
        "  slack: a revocation takes effect: When Slack's cache of data keys expires: a "
        "revocation triggers a new TTL for cached data (audit action "
        "ekm_clear_cache_set), and until it ends data Slack has cached stays readable. "
        "Slack does not publish the TTL. [https://docs.slack.dev/reference/audit-logs-api"
        "/methods-actions-reference]\n"
        "  slack: data-key caching: Yes: Slack calls GenerateDataKey only when no cached "
        "data key fits and stores the encrypted data key with the data; the blog does "
        "not give the cache's lifetime (see takes_effect). "
        "[https://aws.amazon.com/blogs/apn/control-access-to-your-data-with-slack-enterpr"
        "ise-key-management-and-aws-kms/]\n"
        "  slack: restoring access: Remove the revocation or suspension from org.yaml "
        "and apply; Slack's public pages do not say how soon access returns or whether "
        "anything is needed on Slack's side. (unverified) "
        "[https://slack.com/help/articles/360019110974-Slack-Enterprise-Key-Management]\n"
        "  zoom: a revocation takes effect: Not stated. Zoom documents only that "
        "functionality tied to the key (recording, viewing) fails while Zoom cannot "
        "reach the key, not how soon after a revocation. (unverified) "
        "[https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0065902]\n"
        "  zoom: data-key caching: Not documented: assume data keys Zoom already "
        "decrypted may keep working for a while after a Deny. (unverified) "
        "[https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0065902]\n"
        "  zoom: restoring access: Not documented as a procedure: allow Zoom's principal "
        "again (or re-enable the key) and check with Zoom; Zoom states it cannot provide "
        "support while the key is unreachable. (unverified) "
        "[https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0065902]\n"
        # every acceptance in force, each on its line (issue 27)
        "accepted: W101 at vendors/databricks.yaml:138:5 (databricks: kill switch), by org.yaml "
        "accepted_warnings (ticket SEC-152, expires 2027-03-31): the Deny is per key and stops "
        "all its use; recovery after it is undocumented\n"
        "accepted: W101 at vendors/slack.yaml:30:5 (slack: principal "
        "arn:aws:iam::152659312504:root), by org.yaml accepted_warnings (ticket SEC-150, expires "
        "2027-03-31): listed as Slack EKM in fwdcloudsec/known_aws_accounts; confirming the "
        "account with Slack\n"
        "accepted: W101 at vendors/slack.yaml:39:5 (slack: grant data-keys), by org.yaml "
        "accepted_warnings (ticket SEC-150, expires 2027-03-31): GenerateDataKey and Decrypt "
        "match the AWS blog; awaiting Slack's sample policy\n"
        "accepted: W101 at vendors/slack.yaml:84:7 (slack: revocation scope workspace (context "
        "key workspace_id)), by org.yaml accepted_warnings (ticket SEC-132, expires 2027-03-31): "
        "the revocation is acknowledged (SEC-132); the context key name awaits Slack's guide\n"
        "accepted: W101 at vendors/slack.yaml:93:7 (slack: revocation scope channel (context key "
        "channel_id)), by org.yaml accepted_warnings (ticket SEC-124, expires 2027-03-31): the "
        "revocation is acknowledged (SEC-124); the context key name awaits Slack's guide\n"
        "accepted: W101 at vendors/slack.yaml:144:3 (slack: logging role), by org.yaml "
        "accepted_warnings (ticket SEC-151, expires 2027-03-31): assumed to be Slack's EKM "
        "account; confirming with Slack before logging goes live\n"
        "generated/: 18 files unchanged\n"
    )


def test_access_md_marks_acknowledged_revocations_unconfirmed() -> None:
    text = (REPO / "generated" / "ACCESS.md").read_text()
    assert (
        "  - **unconfirmed: may deny nothing**: the vendor has not confirmed it sends "
        "`channel_id`; if it does not, this revocation denies nothing\n"
        "  - SEC-123: `C0123ABCD`, `C07QX4M2PLR`: customer PII posted in public channels\n"
        "    - unconfirmed context key accepted (SEC-124): channel\\_id awaits Slack EKM "
        "guide 5.0\n"
    ) in text


def test_unacknowledged_revocation_on_unconfirmed_key_fails_and_writes_nothing(
    project: Path,
) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    ack = "        unconfirmed_context_key: {reason: workspace_id awaits Slack EKM guide 5.0, "
    ack += "ticket: SEC-132}\n"
    assert text.count(ack) == 1
    org.write_text(text.replace(ack, ""))
    before = read_tree(project / "generated")
    code, out, err = _run(project)
    assert (code, out) == (1, "")
    assert err == (
        "org.yaml:44:16: E325 revocation SEC-131 uses `slack` scope `workspace`, whose context "
        "key `workspace_id` is unconfirmed: if `slack` does not send it, the revocation denies "
        "nothing\n"
        "  help: confirm the key with the vendor (then `verified: true` in vendors/slack.yaml, "
        "with its source), or accept the gap on this revocation with "
        "`unconfirmed_context_key: {reason: ..., ticket: ...}`\n"
    )
    assert read_tree(project / "generated") == before


def test_acknowledgement_of_a_confirmed_key_warns_stale(tmp_path: Path) -> None:
    project = copy_inputs(tmp_path / "p", with_generated=False)
    slack = project / "vendors" / "slack.yaml"
    text = slack.read_text()
    old = "      context_key: channel_id\n      pattern: '^[CGD][A-Z0-9]{8,12}$'\n"
    old += '      source: "https://slack.engineering/engineering-dive-into-slack-enterprise-key'
    old += '-management/"\n      verified: false\n'
    assert text.count(old) == 1
    slack.write_text(text.replace(old, old.replace("verified: false", "verified: true")))
    code, _, err = _run(project)
    assert code == 0
    assert (
        "org.yaml:43:9: W107 revocation SEC-123 acknowledges an unconfirmed context key, but "
        "`slack` scope `channel` (`channel_id`) is verified\n"
        "  help: remove `unconfirmed_context_key`\n"
    ) in err


# --------------------------------------------------------------------------- complete actions


def test_shipped_vendors_revoke_every_granted_data_action() -> None:
    _, vendors_ = load_inputs(REPO)
    assert {name: uncovered_actions(v) for name, v in vendors_.items()} == {
        name: [] for name in vendors_
    }


def test_metadata_reads_are_the_only_exempt_actions() -> None:
    assert {
        "kms:DescribeKey",
        "kms:GetKeyLastUsage",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:GetPublicKey",
        "kms:ListGrants",
        "kms:ListKeyPolicies",
        "kms:ListKeyRotations",
        "kms:ListResourceTags",
    } == catalog.METADATA_READ_ACTIONS
    assert catalog.METADATA_READ_ACTIONS.isdisjoint(catalog.USE_ACTIONS)
    assert catalog.METADATA_READ_ACTIONS <= catalog.KMS_ACTIONS - catalog.NON_KEY_ACTIONS
    # The operations kms:EncryptionContext:<key> applies to (conditions-kms, see module doc).
    assert {
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    } == catalog.ENCRYPTION_CONTEXT_ACTIONS
    # CreateGrant gives data access through a grant; PutKeyPolicy through a new policy.
    assert catalog.data_actions(["kms:*"]) >= {"kms:CreateGrant", "kms:PutKeyPolicy"}


def test_vendor_revoking_only_decrypt_is_rejected() -> None:
    vendor = _vendor(
        ["kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant", "kms:DescribeKey"],
        ["kms:Decrypt"],
        always=False,
    )
    with pytest.raises(CompileError) as err:
        _compile(vendor, ORG)
    assert [d.render() for d in err.value.diagnostics] == [
        "vendors/acme-vendor.yaml:26:3: E326 `revocation.actions` of `acme-vendor` do not deny "
        "`kms:CreateGrant`, `kms:ReEncryptFrom`, granted to the vendor: a suspension or "
        "revocation would leave them allowed\n"
        "  help: add them to `revocation.actions` (only metadata reads such as "
        "`kms:DescribeKey` may stay allowed)"
    ]


def test_suspension_that_misses_a_granted_action_is_caught() -> None:
    vendor = _vendor(
        ["kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey"],
        ["kms:Decrypt", "kms:ReEncrypt*"],
        always=False,
    )
    org = copy.deepcopy(ORG)
    org["apps"][0]["suspension"] = {"reason": "incident", "ticket": "SEC-1"}
    ck = _compile(vendor, org)
    assert verify_key(ck)[0] == []
    broken = tuple(
        s.model_copy(update={"action": ("kms:Decrypt", "kms:ReEncryptFrom")})
        if s.sid == "SuspendAcmeVendor"
        else s
        for s in ck.policy.statements
    )
    bad = ck.model_copy(update={"policy": ck.policy.model_copy(update={"statements": broken})})
    assert [d.render() for d in verify_key(bad)[0]] == [
        "org.yaml:9:5: E517 key `acme-vendor-prod`: suspended "
        "`arn:aws:iam::444455556666:root` may still call `kms:ReEncryptTo` (cross_account)"
    ]


# --------------------------------------------------------------------------- always present


def test_always_present_key_is_required_by_context_actions_only() -> None:
    ck = _compile(
        _vendor(
            ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"],
            ["kms:Decrypt", "kms:GenerateDataKey*"],
            always=True,
        ),
        ORG,
    )
    allows = [s.to_json() for s in ck.policy.statements if s.sid.startswith("VendorAcme")]
    assert allows == [
        {
            "Sid": "VendorAcmeVendorUse",
            "Effect": "Allow",
            "Principal": {"AWS": VENDOR_ARN},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"Null": {"kms:EncryptionContext:tenant_id": "false"}},
        },
        {
            "Sid": "VendorAcmeVendorUseWithoutContext",
            "Effect": "Allow",
            "Principal": {"AWS": VENDOR_ARN},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        },
    ]
    assert verify_key(ck)[0] == []
    ctx = {CONTEXT_PREFIX + "tenant_id": "T1234"}
    for action, context, decision in (
        ("kms:Decrypt", {}, "deny"),
        ("kms:Decrypt", ctx, "allow"),
        ("kms:GenerateDataKeyWithoutPlaintext", {}, "deny"),
        ("kms:DescribeKey", {}, "allow"),
    ):
        req = Request(principal=VENDOR_ARN, action=action, context=context)
        assert evaluate(ck.policy, req).decision == decision, (action, context)


def test_allow_without_the_required_key_is_caught() -> None:
    ck = _compile(_vendor(["kms:Decrypt"], ["kms:Decrypt"], always=True), ORG)
    loose = tuple(
        s.model_copy(update={"conditions": ()}) if s.effect == "Allow" else s
        for s in ck.policy.statements
    )
    bad = ck.model_copy(
        update={
            "policy": ck.policy.model_copy(update={"statements": loose}),
            "base_policy": ck.base_policy.model_copy(update={"statements": loose}),
        }
    )
    assert [d.render() for d in verify_key(bad)[0]] == [
        "vendors/acme-vendor.yaml:30:7: E518 key `acme-vendor-prod`: "
        "`arn:aws:iam::444455556666:root` may call `kms:Decrypt` without "
        "kms:EncryptionContext:tenant_id"
    ]


def test_unverified_always_present_is_an_unverified_fact() -> None:
    vendor = _vendor(["kms:Decrypt"], ["kms:Decrypt"], always=True)
    vendor["revocation"]["scopes"][0]["always_present"]["verified"] = False
    v = build(Vendor, load_bytes(yaml.safe_dump(vendor).encode(), "vendors/acme-vendor.yaml"))
    o = build(Org, load_bytes(yaml.safe_dump(ORG).encode(), "org.yaml"))
    resolved = resolve(o, {"acme-vendor": v}, TODAY)
    assert [d.render() for d in resolved.warnings] == [
        "vendors/acme-vendor.yaml:30:7: W101 unverified vendor fact reaches generated output: "
        "context key `tenant_id` always present (scope `tenant`)\n"
        f"  help: confirm it ({SRC}), then set `verified: true`"
    ]


def _always(vendor: dict[str, Any], picks: list[bool]) -> dict[str, Any]:
    out = copy.deepcopy(vendor)
    for scope, pick in zip(out["revocation"]["scopes"], picks, strict=False):
        if pick:
            scope["always_present"] = dict(ALWAYS)
    return out


always_scenario = vendors().flatmap(
    lambda v: st.tuples(
        st.just(v),
        orgs(v),
        st.lists(st.booleans(), min_size=3, max_size=3).filter(any),
    )
)


@given(always_scenario, st.sampled_from(sorted(catalog.KMS_ACTIONS - catalog.NON_KEY_ACTIONS)))
def test_requests_without_an_always_present_key_are_denied(
    case: tuple[dict[str, Any], dict[str, Any], list[bool]], action: str
) -> None:
    """For vendors, orgs and revocations drawn at random: a vendor request that lacks a required
    context key is denied; one that carries every required key is decided exactly as without
    the requirement; and operations that take no context are unaffected."""
    vendor, org, picks = case
    strict = _compile(_always(vendor, picks), org)
    plain = _compile(vendor, org)
    required = strict.key.required_context_keys
    if not required:  # only scopes past the vendor's last were picked
        return
    full = {CONTEXT_PREFIX + k: "T1234" for k in required}
    for principal in strict.key.principals:
        with_all = Request(principal=principal, action=action, context=full)
        assert (
            evaluate(strict.policy, with_all).decision == evaluate(plain.policy, with_all).decision
        )
        for missing in required:
            ctx = {k: v for k, v in full.items() if k != CONTEXT_PREFIX + missing}
            req = Request(principal=principal, action=action, context=ctx)
            if action in catalog.ENCRYPTION_CONTEXT_ACTIONS:
                assert evaluate(strict.policy, req).decision == "deny", req
            else:
                assert evaluate(strict.policy, req).decision == evaluate(plain.policy, req).decision
    assert verify_key(strict)[0] == []


def test_summary_lines_for_an_always_present_suspended_vendor() -> None:
    org = copy.deepcopy(ORG)
    org["apps"][0]["suspension"] = {"reason": "incident", "ticket": "SEC-1"}
    ck = _compile(_vendor(["kms:Decrypt", "kms:DescribeKey"], ["kms:Decrypt"], always=True), org)
    diags, proof = verify_key(ck)
    assert diags == []
    assert proof_lines(ck, proof) == [
        "proved: revocations and suspension only narrow access against the same policy "
        "without them (narrower)",
        "proved: the account root and the key administrators keep kms:PutKeyPolicy",
        "proved: suspended: every data action granted in the vendor file denied (1 action(s); "
        "metadata reads not denied: kms:DescribeKey); grants created before the suspension keep "
        "working until revoked (aws kms list-grants)",
        "proved: vendor requests without kms:EncryptionContext:tenant_id denied for every "
        "granted encryption-context action",
        "proved: nobody may (no break_glass role) call kms:DeleteImportedKeyMaterial, "
        "kms:DisableKey, kms:ImportKeyMaterial, kms:ScheduleKeyDeletion, kms:UpdatePrimaryRegion",
        "proved: kms:CreateGrant denied unless the grant is for an AWS resource",
        "proved: kms:ReplicateKey denied (no replica_regions)",
    ]


def test_access_md_states_the_required_context_key() -> None:
    ck = _compile(_vendor(["kms:Decrypt"], ["kms:Decrypt"], always=True), ORG)
    assert (
        "  - `use`: `kms:Decrypt`\n"
        "  - every encryption-context request must carry `kms:EncryptionContext:tenant_id` "
        "(the vendor documents it on every request): a request without it is denied\n"
    ) in key_section(ck)


ACTION_ENTRIES = st.sampled_from(
    [
        *ACTIONS,  # what a SYMMETRIC_DEFAULT key can perform (E363 rejects the rest)
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
        "kms:Get*",
        "kms:List*",
        "kms:Describe*",
    ]
)


@given(
    st.lists(ACTION_ENTRIES, min_size=1, max_size=5, unique=True),
    st.lists(ACTION_ENTRIES, min_size=1, max_size=5, unique=True),
)
def test_a_vendor_is_accepted_only_if_its_suspension_denies_every_granted_data_action(
    granted: list[str], revoked: list[str]
) -> None:
    """For any grant and revocation action lists: the vendor file is rejected (E326, at
    `revocation.actions`) exactly when a granted action other than a metadata read escapes the
    revocation; when accepted, a suspension explicitly denies the vendor every such action."""
    org = copy.deepcopy(ORG)
    org["apps"][0]["suspension"] = {"reason": "incident", "ticket": "SEC-1"}
    escaped = catalog.data_actions(granted) - catalog.expand_all(revoked)
    try:
        ck = _compile(_vendor(granted, revoked, always=False), org)
    except CompileError as err:
        assert escaped
        assert [d.code for d in err.diagnostics] == ["E326"]
        return
    assert not escaped
    assert [d.render() for d in verify_key(ck)[0]] == []
    for action in sorted(catalog.data_actions(granted)):
        d = evaluate(ck.policy, Request(principal=VENDOR_ARN, action=action))
        assert d.reason == "explicit_deny", action
    for action in sorted(catalog.expand_all(granted) & catalog.METADATA_READ_ACTIONS):
        if action not in catalog.expand_all(revoked):
            assert evaluate(ck.policy, Request(principal=VENDOR_ARN, action=action)).decision == (
                "allow"
            )

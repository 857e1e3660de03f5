"""Guard rails every key policy carries (issue 12): only the break-glass role disables or
schedules deletion of a key, and kms:CreateGrant is denied unless the grant is for an AWS
resource (or the vendor's file declares that it creates grants). Each claim is checked on the
compiled policies with the evaluator, and each proof in verify/ is shown to fail when its
statement is missing.

AWS behaviour encoded here:
- `aws:PrincipalArn` is the ARN of the principal that made the request; for a role session it
  is the role's ARN, not the session's:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
- An explicit Deny in a key policy overrides every Allow (key policy, IAM policy, grant):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- `kms:GrantIsForAWSResource` is true only when an AWS service integrated with KMS creates the
  grant on the user's behalf; `...IfExists` makes an absent key match:
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byok.compile.guards import GUARD_GRANTS_SID, GUARD_LIFECYCLE_SID, GUARD_REPLICAS_SID
from byok.compile.keys import CompiledKey
from byok.diagnostics import CompileError
from byok.pipeline import Result, build_tree
from byok.policy import iam
from byok.policy.evaluate import Request, evaluate
from byok.verify import verify_key
from tests.conftest import REPO, copy_inputs

TODAY = date(2026, 11, 23)
ACCOUNT = "111122223333"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/BreakGlassKms"
# Break-glass only (issue 24): each makes the key unusable or moves it.
LIFECYCLE = (
    "kms:DeleteImportedKeyMaterial",
    "kms:DisableKey",
    "kms:ImportKeyMaterial",
    "kms:ScheduleKeyDeletion",
    "kms:UpdatePrimaryRegion",
)
BREAK_GLASS_LINE = "break_glass: arn:aws:iam::111122223333:role/BreakGlassKms\n"


@pytest.fixture(scope="module")
def shipped() -> Result:
    return build_tree(REPO, TODAY)


def _as(who: str, action: str, **ctx: str) -> Request:
    return Request(principal=who, action=action, context={"aws:PrincipalArn": who, **ctx})


def test_every_key_carries_the_guards_verbatim(shipped: Result) -> None:
    for ck in shipped.compiled.keys:
        doc = {s["Sid"]: s for s in ck.policy.to_json()["Statement"]}
        assert doc[GUARD_LIFECYCLE_SID] == {
            "Sid": "OnlyBreakGlassDisablesOrDeletes",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": list(LIFECYCLE),
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS}},
        }, ck.key.name
        # the shipped org.yaml declares no replica Region: replication is denied outright
        assert doc[GUARD_REPLICAS_SID] == {
            "Sid": "ReplicasOnlyInDeclaredRegions",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:ReplicateKey",
            "Resource": "*",
        }, ck.key.name
        assert doc[GUARD_GRANTS_SID] == {
            "Sid": "GrantsOnlyForAwsResources",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
        }, ck.key.name
        # moto breaks DescribeKey under a Deny that covers it (docs/terraform-e2e.md); AWS
        # would not, but no guard needs it.
        for s in ck.policy.statements:
            if s.effect == "Deny":
                assert "kms:DescribeKey" not in (s.action or ()) and "kms:*" not in (s.action or ())


_ARNS = st.one_of(
    st.from_regex(r"arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_-]{1,20}", fullmatch=True),
    st.from_regex(r"arn:aws:iam::[0-9]{12}:(root|user/[A-Za-z0-9_-]{1,12})", fullmatch=True),
    st.sampled_from(
        [
            f"arn:aws:iam::{ACCOUNT}:root",
            f"arn:aws:iam::{ACCOUNT}:role/KmsKeyAdministrators",
            f"arn:aws:iam::{ACCOUNT}:role/BreakGlassKmsX",
            f"arn:aws:iam::{ACCOUNT}:role/breakglasskms",
            "arn:aws:iam::409910850980:root",
        ]
    ),
)


@given(who=_ARNS, action=st.sampled_from(LIFECYCLE), key=st.integers(0, 4))
def test_nobody_but_break_glass_disables_or_deletes(
    shipped: Result, who: str, action: str, key: int
) -> None:
    ck = sorted(shipped.compiled.keys, key=lambda c: c.key.name)[key]
    if who == BREAK_GLASS:
        return
    assert evaluate(ck.policy, _as(who, action)).reason == "explicit_deny"
    # A request that carries no aws:PrincipalArn is denied too (ArnNotEquals matches absence).
    assert evaluate(ck.policy, Request(principal=who, action=action)).reason == "explicit_deny"


def test_break_glass_keeps_disable_and_delete(shipped: Result) -> None:
    for ck in shipped.compiled.keys:
        for action in LIFECYCLE:
            assert evaluate(ck.policy, _as(BREAK_GLASS, action)).decision == "allow", ck.key.name


@given(
    who=st.one_of(_ARNS, st.just(BREAK_GLASS)),
    flag=st.sampled_from([None, "false"]),
    key=st.integers(0, 4),
)
def test_grants_not_for_aws_resources_are_denied_to_everyone(
    shipped: Result, who: str, flag: str | None, key: int
) -> None:
    ck = sorted(shipped.compiled.keys, key=lambda c: c.key.name)[key]
    ctx = {} if flag is None else {"kms:GrantIsForAWSResource": flag}
    assert evaluate(ck.policy, _as(who, "kms:CreateGrant", **ctx)).reason == "explicit_deny"


def test_grants_for_aws_resources_stay_with_the_account(shipped: Result) -> None:
    """The guard removes nothing else: an in-account role keeps grants for AWS resources (the
    account root's delegation), e.g. for a service that encrypts with the key."""
    ck = shipped.compiled.keys[0]
    req = _as(
        f"arn:aws:iam::{ACCOUNT}:role/App",
        "kms:CreateGrant",
        **{"kms:GrantIsForAWSResource": "true"},
    )
    assert evaluate(ck.policy, req, ACCOUNT).decision == "allow_if_iam"


def test_generate_summary_states_the_guards(shipped: Result) -> None:
    from byok.cli.generate import _summary

    lines = _summary(shipped).splitlines()
    assert lines[:6] == [
        "databricks-prod: key policy 3386/32768 bytes",
        "  proved: revocations and suspension only narrow access against the same policy "
        "without them (equivalent)",
        "  proved: the account root and the key administrators keep kms:PutKeyPolicy",
        "  proved: only break-glass may call kms:DeleteImportedKeyMaterial, kms:DisableKey, "
        "kms:ImportKeyMaterial, kms:ScheduleKeyDeletion, kms:UpdatePrimaryRegion",
        "  proved: kms:CreateGrant denied unless the grant is for an AWS resource",
        "  proved: kms:ReplicateKey denied (no replica_regions)",
    ]


# --------------------------------------------------------------------------- proofs can fail


def _without(ck: CompiledKey, sid: str) -> CompiledKey:
    def drop(p: iam.Policy) -> iam.Policy:
        return p.model_copy(update={"statements": tuple(s for s in p.statements if s.sid != sid)})

    return ck.model_copy(update={"policy": drop(ck.policy), "base_policy": drop(ck.base_policy)})


def test_lifecycle_proof_fails_without_the_guard(shipped: Result) -> None:
    ck = next(c for c in shipped.compiled.keys if c.key.name == "zoom-prod")
    diags, _ = verify_key(_without(ck, GUARD_LIFECYCLE_SID))
    rendered = sorted({d.render() for d in diags if d.code == "E520"})
    assert (
        "org.yaml:13:14: E520 key `zoom-prod`: `arn:aws:iam::111122223333:role/AnyOtherRole` may "
        "call kms:DisableKey (delegated); only the break-glass role may"
    ) in rendered
    # every break-glass-only action is named, for the account's other role
    other = [r for r in rendered if "AnyOtherRole` may call " in r]
    assert sorted(r.split(" may call ")[1].split(" ")[0] for r in other) == sorted(LIFECYCLE)
    # root, both administrators, any other role of the account (via root delegation); Zoom's
    # principal is not granted kms:DisableKey in the first place
    assert len({d.message.split("`")[3] for d in diags if d.code == "E520"}) == 4


def test_grant_proof_fails_without_the_guard(shipped: Result) -> None:
    ck = next(c for c in shipped.compiled.keys if c.key.name == "zoom-prod")
    diags, _ = verify_key(_without(ck, GUARD_GRANTS_SID))
    messages = sorted(d.message for d in diags if d.code == "E521")
    assert (
        "key `zoom-prod`: `arn:aws:iam::111122223333:root` may call kms:CreateGrant with "
        "kms:GrantIsForAWSResource absent (allow)"
    ) in messages
    assert all(d.code == "E521" for d in diags), [d.render() for d in diags]


def test_lockout_proof_covers_break_glass(shipped: Result) -> None:
    """If the break-glass role lost DisableKey (here: the guard without its exception), E507."""
    ck = next(c for c in shipped.compiled.keys if c.key.name == "zoom-prod")

    def unconditional(p: iam.Policy) -> iam.Policy:
        stmts = tuple(
            s.model_copy(update={"conditions": ()}) if s.sid == GUARD_LIFECYCLE_SID else s
            for s in p.statements
        )
        return p.model_copy(update={"statements": stmts})

    broken = ck.model_copy(
        update={"policy": unconditional(ck.policy), "base_policy": unconditional(ck.base_policy)}
    )
    diags, _ = verify_key(broken)
    assert sorted(d.render() for d in diags) == [
        "org.yaml:13:14: E507 key `zoom-prod`: `arn:aws:iam::111122223333:role/BreakGlassKms` "
        f"could not call {action} (explicit_deny)"
        for action in LIFECYCLE
    ]


# --------------------------------------------------------------------------- no break-glass


def test_without_break_glass_nobody_disables_or_deletes(tmp_path: Path) -> None:
    project = copy_inputs(tmp_path / "p", with_generated=False)
    text = (project / "org.yaml").read_text()
    assert BREAK_GLASS_LINE in text
    (project / "org.yaml").write_text(text.replace(BREAK_GLASS_LINE, ""))
    result = build_tree(project, TODAY)
    w108 = [d.render() for d in result.warnings if d.code == "W108"]
    assert w108 == [
        "org.yaml:3:1: W108 no `break_glass` role: every key denies "
        "kms:DeleteImportedKeyMaterial, kms:DisableKey, kms:ImportKeyMaterial, "
        "kms:ScheduleKeyDeletion, kms:UpdatePrimaryRegion to every principal\n"
        "  help: to decommission a key or import material, first add `break_glass` in a reviewed "
        "change and apply it (kms:PutKeyPolicy, alarmed), then act as that role"
    ]
    for ck in result.compiled.keys:
        (guard,) = [s for s in ck.policy.statements if s.sid == GUARD_LIFECYCLE_SID]
        assert guard.conditions == ()
        for who in (f"arn:aws:iam::{ACCOUNT}:root", BREAK_GLASS):
            for action in LIFECYCLE:
                assert evaluate(ck.policy, _as(who, action)).reason == "explicit_deny"
        # administrators can still repair the policy (and so add a break-glass role)
        admin = f"arn:aws:iam::{ACCOUNT}:role/KmsKeyAdministrators"
        assert evaluate(ck.policy, _as(admin, "kms:PutKeyPolicy")).decision == "allow"
    assert "proved: nobody may (no break_glass role) call kms:DeleteImportedKeyMaterial, " in (
        __import__("byok.cli.generate", fromlist=["_summary"])._summary(result)
    )


# --------------------------------------------------------------------------- vendor grants

_ZOOM_GRANT = "      - kms:GenerateDataKey*\n    source:"
_ZOOM_CREATE_GRANT = "      - kms:GenerateDataKey*\n      - kms:CreateGrant\n    source:"
_DECLARATION = (
    "create_grant:\n"
    '  source: "https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0065902"\n'
    "  verified: false\n"
)


def _zoom_project(tmp_path: Path, declare: bool) -> Path:
    project = copy_inputs(tmp_path / "p", with_generated=False)
    path = project / "vendors" / "zoom.yaml"
    text = path.read_text()
    assert text.count(_ZOOM_GRANT) == 1
    text = text.replace(_ZOOM_GRANT, _ZOOM_CREATE_GRANT)
    # a suspension must deny every granted data action (E326): kms:CreateGrant too
    revoke = "    - kms:GenerateDataKey*\n  kill_switch:"
    assert text.count(revoke) == 1
    text = text.replace(revoke, "    - kms:CreateGrant\n" + revoke)
    path.write_text(text + (_DECLARATION if declare else ""))
    return project


def test_undeclared_create_grant_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as err:
        build_tree(_zoom_project(tmp_path, declare=False), TODAY)
    assert [d.render() for d in err.value.diagnostics] == [
        "vendors/zoom.yaml:24:7: E522 vendor `zoom` grant `key-usage` allows kms:CreateGrant, "
        "but the vendor file does not declare `create_grant`: every key denies grants that are "
        "not for AWS resources\n"
        "  help: add `create_grant:` with the `source` that documents the vendor creates grants"
    ]


def test_declared_create_grant_exempts_only_the_vendor(tmp_path: Path) -> None:
    result = build_tree(_zoom_project(tmp_path, declare=True), TODAY)
    ck = next(c for c in result.compiled.keys if c.key.name == "zoom-prod")
    (guard,) = [s for s in ck.policy.statements if s.sid == GUARD_GRANTS_SID]
    assert [(c.operator, c.key, c.values) for c in guard.conditions] == [
        ("BoolIfExists", "kms:GrantIsForAWSResource", ("false",)),
        ("ArnNotLike", "aws:PrincipalArn", ("arn:aws:iam::409910850980:*",)),
    ]
    zoom_role = "arn:aws:iam::409910850980:role/ZoomKms"
    assert (
        evaluate(ck.policy, _as(zoom_role, "kms:CreateGrant"), ACCOUNT).decision == "allow_if_iam"
    )
    other = f"arn:aws:iam::{ACCOUNT}:role/App"
    assert evaluate(ck.policy, _as(other, "kms:CreateGrant")).reason == "explicit_deny"
    # the other vendors' keys keep the plain guard
    slack = next(c for c in result.compiled.keys if c.key.name == "slack-prod")
    (plain,) = [s for s in slack.policy.statements if s.sid == GUARD_GRANTS_SID]
    assert len(plain.conditions) == 1


def test_create_grant_only_for_aws_resources_needs_no_declaration(tmp_path: Path) -> None:
    """A grant that itself requires `kms:GrantIsForAWSResource` true (AWS's pattern for letting
    an integrated service create grants) is never denied by the guard: no E522."""
    project = _zoom_project(tmp_path, declare=False)
    path = project / "vendors" / "zoom.yaml"
    text = path.read_text()
    extra = (
        "  - name: service-grants\n"
        "    actions: [kms:CreateGrant]\n"
        "    conditions:\n"
        "      - operator: Bool\n"
        "        key: kms:GrantIsForAWSResource\n"
        '        values: ["true"]\n'
        '    source: "https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0065902"\n'
        "    verified: false\n"
    )
    text = text.replace(_ZOOM_CREATE_GRANT, _ZOOM_GRANT).replace(
        "\nkey:\n", "\n" + extra + "\nkey:\n"
    )
    path.write_text(text)
    result = build_tree(project, TODAY)
    ck = next(c for c in result.compiled.keys if c.key.name == "zoom-prod")
    req = _as(
        "arn:aws:iam::409910850980:role/Zoom",
        "kms:CreateGrant",
        **{"kms:GrantIsForAWSResource": "true"},
    )
    # cross-account: Zoom's own IAM policies must also allow
    # (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html)
    assert evaluate(ck.policy, req, ACCOUNT).decision == "allow_if_iam"
    assert evaluate(ck.policy, req.model_copy(update={"context": {}})).reason == "explicit_deny"


# --------------------------------------------------------------------------- issue 24


def test_replication_proof_fails_without_the_guard(shipped: Result) -> None:
    ck = next(c for c in shipped.compiled.keys if c.key.name == "zoom-prod")
    diags, _ = verify_key(_without(ck, GUARD_REPLICAS_SID))
    rendered = sorted({d.render() for d in diags})
    assert (
        "org.yaml:51:5: E523 key `zoom-prod`: `arn:aws:iam::111122223333:role/AnyOtherRole` may "
        "replicate the key into ap-southeast-2 (delegated)"
    ) in rendered
    assert {d.code for d in diags} == {"E523"}


def test_replication_proof_fails_when_a_declared_region_is_denied(shipped: Result) -> None:
    """A guard that denied the declared Regions too would break Terraform's replicas: E523."""
    from byok.compile.guards import replica_guard

    ck = next(c for c in shipped.compiled.keys if c.key.name == "zoom-prod")
    key = ck.key.model_copy(
        update={"options": ck.key.options.model_copy(update={"replica_regions": ("us-west-2",)})}
    )

    def swap(p: iam.Policy) -> iam.Policy:
        stmts = tuple(replica_guard(()) if s.sid == GUARD_REPLICAS_SID else s for s in p.statements)
        return p.model_copy(update={"statements": stmts})

    broken = ck.model_copy(
        update={"key": key, "policy": swap(ck.policy), "base_policy": swap(ck.base_policy)}
    )
    diags, _ = verify_key(broken)
    assert [d.message for d in diags] == [
        "key `zoom-prod`: the account cannot replicate the key into its declared Region "
        "us-west-2 (explicit_deny)"
    ]


def test_suspension_proof_covers_the_roles_the_vendor_assumes(shipped: Result) -> None:
    """databricks-staging: a Suspend statement naming only Databricks' account would leave the
    cross-account role Databricks assumes: E517 names it."""
    ck = next(c for c in shipped.compiled.keys if c.key.name == "databricks-staging")

    def vendor_only(p: iam.Policy) -> iam.Policy:
        stmts = tuple(
            s.model_copy(
                update={"principal": iam.Principals(aws=("arn:aws:iam::414351767826:root",))}
            )
            if s.sid == "SuspendDatabricks"
            else s
            for s in p.statements
        )
        return p.model_copy(update={"statements": stmts})

    diags, _ = verify_key(ck.model_copy(update={"policy": vendor_only(ck.policy)}))
    e517 = sorted({d.message.split("`")[3] for d in diags if d.code == "E517"})
    assert e517 == [
        f"arn:aws:iam::{ACCOUNT}:role/databricks-cross-account-prod",
        f"arn:aws:iam::{ACCOUNT}:role/databricks-cross-account-staging",
    ]

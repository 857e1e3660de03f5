"""The comparer on hand-made policy pairs: exact relations, and witnesses the evaluator confirms."""

from __future__ import annotations

from typing import Any

import pytest

from byok.policy import catalog
from byok.policy.compare import Comparison, action_classes, compare
from byok.policy.evaluate import Request, evaluate
from byok.policy.iam import Policy

ACCT = "111122223333"
VENDOR = "arn:aws:iam::152659312504:root"
EC = "kms:EncryptionContext:channel_id"
ROOT = {
    "Sid": "Root",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
VENDOR_USE = {
    "Sid": "Vendor",
    "Effect": "Allow",
    "Principal": {"AWS": VENDOR},
    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": "*",
}


def revoke(*values: str, sid: str = "Revoke", op: str = "StringEquals") -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": {"AWS": VENDOR},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {op: {EC: list(values)}},
    }


def pol(*statements: dict[str, Any]) -> Policy:
    return Policy.from_json({"Version": "2012-10-17", "Statement": list(statements)})


def allow(**fields: Any) -> dict[str, Any]:
    out = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def check(old: Policy, new: Policy, relation: str) -> Comparison:
    """Compare, assert the relation, and replay every witness through the evaluator."""
    result = compare(old, new)
    assert result.relation == relation, result
    for witness, allows, denies in ((result.new_access, new, old), (result.lost_access, old, new)):
        if witness is not None:
            assert evaluate(allows, witness).rank > evaluate(denies, witness).rank
    assert (result.new_access is not None) == (relation in ("wider", "incomparable"))
    assert (result.lost_access is not None) == (relation in ("narrower", "incomparable"))
    return result


def test_identical_is_equivalent() -> None:
    p = pol(ROOT, VENDOR_USE, revoke("C1"))
    assert compare(p, p) == Comparison(relation="equivalent")


def test_removing_a_deny_widens() -> None:
    r = check(pol(ROOT, VENDOR_USE, revoke("C1")), pol(ROOT, VENDOR_USE), "wider")
    assert r.new_access is not None
    assert r.new_access.context == {EC: "C1"}
    assert r.new_access.principal.startswith("arn:aws:iam::152659312504:")


def test_removing_one_revoked_value_widens_with_that_value() -> None:
    r = check(
        pol(ROOT, VENDOR_USE, revoke("C1", "C2", "C3")),
        pol(ROOT, VENDOR_USE, revoke("C1", "C3")),
        "wider",
    )
    assert r.new_access is not None and r.new_access.context == {EC: "C2"}


def test_adding_a_deny_value_narrows() -> None:
    r = check(
        pol(ROOT, VENDOR_USE, revoke("C1")), pol(ROOT, VENDOR_USE, revoke("C1", "C9")), "narrower"
    )
    assert r.lost_access is not None and r.lost_access.context == {EC: "C9"}
    assert r.to_json()["new_access"] is None


def test_equivalent_under_reordering_and_splitting() -> None:
    old = pol(ROOT, VENDOR_USE, revoke("C1", "C2", "C3"))
    new = pol(revoke("C3", sid="B"), VENDOR_USE, revoke("C2", "C1", sid="A"), ROOT)
    check(old, new, "equivalent")


def test_account_id_and_root_arn_are_the_same_principal() -> None:
    same_root = dict(ROOT, Principal={"AWS": ACCT})
    check(pol(ROOT), pol(same_root), "equivalent")


def test_swapped_values_are_incomparable() -> None:
    check(pol(ROOT, VENDOR_USE, revoke("C1")), pol(ROOT, VENDOR_USE, revoke("C2")), "incomparable")


def test_string_not_equals_missing_key_trap() -> None:
    # Deny StringNotEquals also denies requests *without* the key; StringEquals does not.
    old = pol(ROOT, VENDOR_USE, revoke("C1", op="StringNotEquals"))
    new = pol(ROOT, VENDOR_USE, revoke("C2", op="StringEquals"))
    # kms:EncryptionContext:* is single-valued
    # (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html), so no request
    # carries [C1, C2]: nothing OLD allows is denied by NEW.
    r = check(old, new, "wider")
    assert r.new_access is not None and r.new_access.context.get(EC) != "C1"


def test_negated_if_exists_is_the_plain_negated_operator() -> None:
    old = pol(ROOT, VENDOR_USE, revoke("C1", op="StringNotEquals"))
    new = pol(ROOT, VENDOR_USE, revoke("C1", op="StringNotEqualsIfExists"))
    check(old, new, "equivalent")


def test_positive_if_exists_widens_a_deny_to_missing_keys() -> None:
    r = check(
        pol(ROOT, VENDOR_USE, revoke("C1")),
        pol(ROOT, VENDOR_USE, revoke("C1", op="StringEqualsIfExists")),
        "narrower",
    )
    assert r.lost_access is not None and r.lost_access.context == {}


def test_for_all_values_matches_missing_keys() -> None:
    old = pol(allow(Condition={"StringEquals": {EC: "C1"}}))
    new = pol(allow(Condition={"ForAllValues:StringEquals": {EC: "C1"}}))
    # New access: no context at all. No lost access: the key is single-valued
    # (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html), so the list
    # [C1, other] that would tell the two apart is not a request KMS makes.
    r = check(old, new, "wider")
    assert r.new_access is not None and r.new_access.context == {}
    # A key of unknown cardinality may carry a list, which tells them apart.
    r = check(
        pol(allow(Condition={"StringEquals": {"x:k": "C1"}})),
        pol(allow(Condition={"ForAllValues:StringEquals": {"x:k": "C1"}})),
        "incomparable",
    )
    assert r.lost_access is not None and isinstance(r.lost_access.context["x:k"], tuple)


def test_for_any_value_with_multi_valued_context() -> None:
    # A plain operator on a multi-valued key is undocumented
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
    # the comparer answers unknown with the reason, never a relation built on a guess.
    key = "aws:TagKeys"
    old = pol(allow(Condition={"StringEquals": {key: ["a", "b"]}}))
    new = pol(allow(Condition={"ForAnyValue:StringEquals": {key: ["b", "a"]}}))
    assert compare(old, new) == Comparison(
        relation="unknown",
        reason="`StringEquals` on multi-valued `aws:TagKeys`: AWS documents only "
        "`ForAnyValue:`/`ForAllValues:` for multi-valued keys, not how a plain operator "
        "reads a list",
    )
    everything = pol(allow(Condition={"ForAllValues:StringEquals": {key: ["a", "b"]}}))
    r = check(new, everything, "incomparable")
    assert r.lost_access is not None and isinstance(r.lost_access.context[key], tuple)


def test_null_deny_blocks_omitted_context() -> None:
    with_null = dict(revoke("C1"), Sid="NoContext", Condition={"Null": {EC: "true"}})
    r = check(pol(ROOT, VENDOR_USE), pol(ROOT, VENDOR_USE, with_null), "narrower")
    assert r.lost_access is not None and r.lost_access.context == {}


def test_generate_data_key_wildcard_equals_its_expansion() -> None:
    listed = [
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:GenerateDataKeyWithoutPlaintext",
    ]
    # The wildcard also matches action names the catalog does not list (yet); the evaluator
    # allows them, so the comparer must not call the two equivalent.
    r = check(pol(allow(Action="kms:GenerateDataKey*")), pol(allow(Action=listed)), "narrower")
    assert r.lost_access is not None
    assert r.lost_access.action.lower().startswith("kms:generatedatakey")
    assert r.lost_access.action not in catalog.KMS_ACTIONS
    check(pol(allow(Action=listed)), pol(allow(Action=listed[:3])), "narrower")
    star = pol(allow(Action=["kms:GenerateDataKey*", "kms:Other*"]))
    check(star, pol(allow(Action=["kms:Other*", "kms:GenerateDataKey*"])), "equivalent")


def test_not_action_against_the_catalog() -> None:
    # NotAction also matches every non-KMS action name; `kms:*` does not
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html).
    r = check(
        pol(allow(Action="kms:*")),
        pol(allow(Action=None, NotAction="kms:Schedule*")),
        "incomparable",
    )
    assert r.lost_access is not None and r.lost_access.action == "kms:ScheduleKeyDeletion"
    assert r.new_access is not None and not r.new_access.action.lower().startswith("kms:")


def test_principal_star_versus_account() -> None:
    """`*` widens the account statement twice over: other accounts' principals gain access
    (deny -> allow_if_iam) and the account's own principals need no IAM policy any more
    (allow_if_iam -> allow). Either is a valid witness (`check` replays it); both exist."""
    old, new = pol(allow(Principal={"AWS": ACCT})), pol(allow(Principal="*"))
    check(old, new, "wider")
    other = Request(principal="arn:aws:iam::444455556666:role/X", action="kms:Decrypt")
    own = Request(principal=f"arn:aws:iam::{ACCT}:role/X", action="kms:Decrypt")
    assert (evaluate(old, other, ACCT).decision, evaluate(new, other, ACCT).decision) == (
        "deny",
        "allow_if_iam",
    )
    assert (evaluate(old, own, ACCT).decision, evaluate(new, own, ACCT).decision) == (
        "allow_if_iam",
        "allow",
    )


def test_aws_star_against_service_principals_is_unknown() -> None:
    # Whether {"AWS": "*"} names service principals is undocumented
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    # lists it beside "*" as "all principals"): NEW is wider under one reading, the same under
    # the other, so never `equivalent`.
    r = compare(pol(allow(Principal={"AWS": "*"})), pol(allow(Principal="*")))
    assert r.relation == "unknown" and r.new_access is None
    assert r.reason is not None and '`{"AWS": "*"}` names AWS service principals' in r.reason


def test_not_principal_account_spares_only_root() -> None:
    deny_all_but = {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": ACCT},
        "Action": "kms:*",
        "Resource": "*",
    }
    r = check(pol(ROOT), pol(ROOT, deny_all_but), "narrower")
    assert r.lost_access is not None
    assert r.lost_access.principal != f"arn:aws:iam::{ACCT}:root"
    assert (
        evaluate(
            pol(ROOT, deny_all_but),
            Request(principal=f"arn:aws:iam::{ACCT}:root", action="kms:Decrypt"),
        ).decision
        == "allow"
    )


def test_numeric_boundary() -> None:
    r = check(
        pol(allow(Condition={"NumericLessThan": {"n": "10"}})),
        pol(allow(Condition={"NumericLessThanEquals": {"n": "10"}})),
        "wider",
    )
    assert r.new_access is not None and r.new_access.context == {"n": "10"}


def test_date_window() -> None:
    old = pol(allow(Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
    new = pol(allow(Condition={"DateLessThan": {"aws:CurrentTime": "2031-01-01T00:00:00Z"}}))
    r = check(old, new, "wider")
    assert r.new_access is not None


def test_ip_ranges() -> None:
    old = pol(allow(Condition={"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}))
    new = pol(allow(Condition={"IpAddress": {"aws:SourceIp": ["10.1.0.0/16", "10.2.0.0/16"]}}))
    r = check(old, new, "wider")
    assert r.new_access is not None
    assert str(r.new_access.context["aws:SourceIp"]).startswith("10.2.")
    v6 = pol(allow(Condition={"NotIpAddress": {"aws:SourceIp": "::/0"}}))
    check(pol(allow(Condition={"NotIpAddress": {"aws:SourceIp": "0.0.0.0/0"}})), v6, "incomparable")


def test_bool_ignores_case_and_like_patterns() -> None:
    check(
        pol(allow(Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}})),
        pol(allow(Condition={"Bool": {"kms:GrantIsForAWSResource": "TRUE"}})),
        "equivalent",
    )
    r = check(
        pol(allow(Condition={"StringEquals": {EC: ["C1", "C2"]}})),
        pol(allow(Condition={"StringLike": {EC: "C*"}})),
        "wider",
    )
    assert r.new_access is not None
    assert str(r.new_access.context[EC]).startswith("C")


def test_ignore_case_against_literals() -> None:
    old = pol(allow(Condition={"StringEquals": {EC: ["ab", "aB", "Ab", "AB"]}}))
    new = pol(allow(Condition={"StringEqualsIgnoreCase": {EC: "ab"}}))
    check(old, new, "equivalent")


def test_arn_like_components() -> None:
    old = pol(allow(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:1:trail/*"}}))
    new = pol(allow(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/*"}}))
    r = check(old, new, "wider")
    assert r.new_access is not None


def test_resource_star_versus_arn() -> None:
    arn = f"arn:aws:kms:us-east-1:{ACCT}:key/*"
    r = check(pol(allow()), pol(allow(Resource=arn)), "narrower")
    assert r.lost_access is not None


def test_empty_old_policy_everything_is_new() -> None:
    r = check(Policy(statements=()), pol(ROOT, VENDOR_USE, revoke("C1")), "wider")
    assert r.new_access is not None


def test_suspension_narrows_revocation() -> None:
    suspend = {
        "Sid": "Suspend",
        "Effect": "Deny",
        "Principal": {"AWS": VENDOR},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    }
    check(pol(ROOT, VENDOR_USE, revoke("C1")), pol(ROOT, VENDOR_USE, suspend), "narrower")


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ({"StringLike": {"k": "${aws:username}"}}, "policy variables"),
        ({"StringEquals": {"k": "1"}, "NumericEquals": {"K": "1"}}, "compared as"),
    ],
)
def test_unsupported_is_unknown(condition: dict[str, Any], reason: str) -> None:
    r = compare(pol(allow()), pol(allow(Condition=condition)))
    assert r.relation == "unknown"
    assert r.reason is not None and reason in r.reason
    assert r.to_json()["reason"] == r.reason


def test_unknown_keeps_a_certain_witness_elsewhere() -> None:
    odd = allow(Action="kms:Sign", Condition={"StringLike": {"k": "${aws:username}"}})
    r = compare(pol(allow()), pol(allow(Action="kms:Encrypt"), odd))
    assert r.relation == "unknown"


def test_action_classes_group_alike_actions() -> None:
    classes = action_classes(pol(ROOT, VENDOR_USE), pol(ROOT, VENDOR_USE, revoke("C1")))
    changed = [c for c in classes if not c.unchanged()]
    assert len(changed) == 1 and changed[0].action == "kms:Decrypt"


OPS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"


def vendor_if(op: str, values: list[str]) -> Policy:
    return pol(dict(VENDOR_USE, Condition={op: {EC: values}}))


@pytest.mark.parametrize(
    ("old_op", "new_op", "values", "suffix"),
    [
        # OPS: StringLike `C0123ABCD*` also matches longer strings; StringEquals does not.
        ("StringEquals", "StringLike", ["C0123ABCD"], "*"),
        # OPS: StringEqualsIgnoreCase also matches `c0123abcd`.
        ("StringEquals", "StringEqualsIgnoreCase", ["C0123ABCD", "C07QX4M2PLR"], ""),
    ],
)
def test_ordinary_ids_get_witnesses(
    old_op: str, new_op: str, values: list[str], suffix: str
) -> None:
    r = check(vendor_if(old_op, values), vendor_if(new_op, [v + suffix for v in values]), "wider")
    assert r.new_access is not None
    got = r.new_access.context[EC]
    assert isinstance(got, str) and got not in values
    assert any(got.lower().startswith(v.lower()) for v in values)


@pytest.mark.parametrize("new_op", ["StringEqualsIgnoreCase", "StringLike"])
def test_two_thousand_ids_are_decided(new_op: str) -> None:
    ids = [f"C{n:08d}AB" for n in range(2000)]
    globbed = [i + "*" for i in ids] if new_op == "StringLike" else ids
    r = check(vendor_if("StringEquals", ids), vendor_if(new_op, globbed), "wider")
    assert r.new_access is not None and r.new_access.context[EC] not in ids
    like = [i + "*" for i in ids]
    check(vendor_if("StringLike", like), vendor_if("StringLike", [*like[:-1], "C*"]), "wider")


SESSION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-role-session"
ADMIN = f"arn:aws:iam::{ACCT}:role/ops/Admin"
ADMIN_SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Admin/alice"


def test_role_names_its_sessions() -> None:
    # SESSION: a role ARN in Principal covers its sessions (the session ARN has no path), so
    # also naming one session adds nothing.
    old = pol(allow(Principal={"AWS": ADMIN}))
    check(old, pol(allow(Principal={"AWS": [ADMIN, ADMIN_SESSION]})), "equivalent")
    # Denying the role denies its sessions: lifting the Deny gives a session access back.
    denied = pol(allow(), allow(Effect="Deny", Principal={"AWS": ADMIN}))
    r = check(denied, pol(allow()), "wider")
    assert r.new_access is not None
    sessions = f"arn:aws:sts::{ACCT}:assumed-role/Admin/"
    assert r.new_access.principal == ADMIN or r.new_access.principal.startswith(sessions)
    # Narrowing the role to one session loses the others (the witness is a session or the role).
    r = check(old, pol(allow(Principal={"AWS": ADMIN_SESSION})), "narrower")
    assert r.lost_access is not None and r.lost_access.principal != ADMIN_SESSION


def test_delegated_to_direct_is_new_access() -> None:
    # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
    attacker = f"arn:aws:iam::{ACCT}:role/Attacker"
    old, new = pol(ROOT), pol(ROOT, allow(Principal={"AWS": attacker}, Action="kms:*"))
    r = compare(old, new, ACCT)
    assert r.relation == "wider" and r.new_access is not None
    assert r.new_access.principal == attacker
    assert evaluate(old, r.new_access, ACCT).decision == "allow_if_iam"
    assert evaluate(new, r.new_access, ACCT).decision == "allow"
    # Another account's role named instead of its root: IAM is needed either way
    # (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
    vendor_role = dict(VENDOR_USE, Principal={"AWS": "arn:aws:iam::152659312504:role/R"})
    assert compare(pol(ROOT, VENDOR_USE), pol(ROOT, VENDOR_USE, vendor_role), ACCT) == Comparison(
        relation="equivalent"
    )


def test_actions_outside_the_catalog_are_compared() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "kms:SynchronizeMultiRegionKey",
        "Resource": "*",
    }
    r = check(pol(ROOT, deny), pol(ROOT), "wider")
    assert r.new_access is not None and r.new_access.action == "kms:SynchronizeMultiRegionKey"

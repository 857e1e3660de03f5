"""Every witness `compare` gives replays through `eval` with the decisions it states (issue 25).

A witness is printed as JSON (`Comparison.to_json`); a reviewer feeds it to `byok eval`. So the
property is checked on that path: the witness's JSON is read back with `Request.from_json` (what
`byok eval` reads), which refuses a request AWS could not receive (a principal of no known
shape, an `aws:PrincipalArn` or account that contradicts the principal, a list for a
single-valued key, an undefined `kms:` action not marked `future_action`), and the evaluator
must then rank it as the relation says: NEW above OLD for `new_access`, OLD above NEW for
`lost_access`, with no reading AWS leaves open deciding it (`evaluate` refuses such a request).

The policies mix the keys AWS derives from the principal (`aws:PrincipalArn`, including role
paths; `aws:PrincipalAccount`, `kms:CallerAccount`, `aws:PrincipalType`,
`aws:PrincipalIsAWSService`: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account)
with role sessions, service principals, `{"AWS": "*"}`, `NotPrincipal`, wildcard actions
that cover actions AWS may add, and the value conditions of `test_semantics_properties`.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from byok.policy.compare import compare
from byok.policy.evaluate import Request, evaluate
from byok.policy.iam import Policy
from tests.test_semantics_properties import conditions, consistent, modest

ACCT = "111122223333"
OTHER = "444455556666"
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": ACCT},
    {"AWS": f"arn:aws:iam::{ACCT}:role/team/Ops"},
    {"AWS": f"arn:aws:iam::{ACCT}:role/Admin"},
    {"AWS": [f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1", f"arn:aws:iam::{ACCT}:root"]},
    {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"Service": "logs.amazonaws.com"},
]
DERIVED: list[dict[str, Any]] = [
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/team/*"}},
    {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/Admin"}},
    {
        "StringEquals": {
            "aws:PrincipalArn": [f"arn:aws:iam::{ACCT}:root", f"arn:aws:iam::{ACCT}:role/Ops"]
        }
    },
    {"StringLike": {"aws:principalarn": "arn:aws:iam::*:role/*Ops"}},
    {"StringEquals": {"kms:CallerAccount": ACCT}},
    {"StringNotEquals": {"aws:PrincipalAccount": OTHER}},
    {"StringLike": {"aws:PrincipalAccount": "1111*"}},
    {"StringEquals": {"aws:PrincipalType": ["AssumedRole", "User"]}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalType": "account"}},
    {"Bool": {"aws:PrincipalIsAWSService": "true"}},
    {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
    {"Null": {"aws:PrincipalArn": "true"}},
]
ACTIONS = [
    "kms:*",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:ReEncryptFrom",
    "kms:Re*",
    "kms:DisableKey",
]


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    s["NotPrincipal" if draw(st.integers(0, 6)) == 0 else "Principal"] = draw(
        st.sampled_from(PRINCIPALS)
    )
    s["NotAction" if draw(st.integers(0, 7)) == 0 else "Action"] = draw(
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2, unique=True)
    )
    s["Resource"] = "*"
    cond: dict[str, dict[str, Any]] = {}
    for c in draw(st.lists(st.sampled_from(DERIVED), max_size=2)):
        for op, block in c.items():
            cond.setdefault(op, {}).update(block)
    if draw(st.integers(0, 3)) == 0:
        for op, block in draw(conditions()).items():
            cond.setdefault(op, {}).update(block)
    if cond:
        s["Condition"] = cond
    return s


policies = st.lists(statements(), max_size=3).map(lambda sts: Policy.from_json({"Statement": sts}))


def _replayed(w: Request) -> Request:
    """The witness as `byok eval` reads it: its printed JSON, parsed back."""
    return Request.from_json(json.loads(json.dumps(w.to_json())))


@modest(300)
@given(policies, policies, st.sampled_from([ACCT, None]))
def test_every_witness_replays_through_eval(old: Policy, new: Policy, ka: str | None) -> None:
    result = compare(old, new, ka)
    if result.relation == "unknown":
        assert result.reason
    if result.relation in ("wider", "incomparable"):
        assert result.new_access is not None
    if result.relation in ("narrower", "incomparable"):
        assert result.lost_access is not None
    for w, higher, lower in ((result.new_access, new, old), (result.lost_access, old, new)):
        if w is None:
            continue
        r = _replayed(w)
        assert r == w
        assert evaluate(higher, r, ka).rank > evaluate(lower, r, ka).rank, (w, result)


SAMPLE_WHO: list[tuple[str, dict[str, str]]] = [
    (f"arn:aws:iam::{ACCT}:root", {}),
    (f"arn:aws:iam::{ACCT}:role/team/Ops", {}),
    (f"arn:aws:iam::{ACCT}:role/Admin", {}),
    (f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1", {}),
    (
        f"arn:aws:sts::{ACCT}:assumed-role/Ops/s1",
        {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/team/Ops"},
    ),
    (
        f"arn:aws:sts::{ACCT}:assumed-role/Ops/s2",
        {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/x/Ops"},
    ),
    (f"arn:aws:sts::{ACCT}:assumed-role/Admin/s", {}),
    (f"arn:aws:iam::{ACCT}:user/u", {}),
    (f"arn:aws:sts::{ACCT}:federated-user/f", {}),
    (f"arn:aws:iam::{OTHER}:root", {}),
    (f"arn:aws:sts::{OTHER}:assumed-role/Ops/s", {}),
    ("logs.amazonaws.com", {}),
    ("logs.amazonaws.com", {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/team/Ops"}),
]
SAMPLE_ACTIONS = [
    ("kms:Decrypt", False),
    ("kms:ReEncryptFrom", False),
    ("kms:ReEncryptFuture", True),
    ("kms:RetireFuture", True),
    ("kms:DisableKey", False),
    ("s3:GetObject", False),
]


@st.composite
def sample_requests(draw: st.DrawFn) -> Request:
    who, ctx = draw(st.sampled_from(SAMPLE_WHO))
    action, future = draw(st.sampled_from(SAMPLE_ACTIONS))
    return Request(principal=who, action=action, context=ctx, future_action=future)


@modest(300)
@given(
    policies,
    policies,
    st.lists(sample_requests(), min_size=1, max_size=25),
    st.sampled_from([ACCT, None]),
)
def test_no_sampled_request_contradicts_the_relation(
    old: Policy, new: Policy, sample: list[Request], ka: str | None
) -> None:
    """Sound over the derived keys: a request AWS could send (a session of a role with a path
    included) that one policy ranks higher under some reading is a difference the comparer
    reports, or it answers `unknown`."""
    consistent(compare(old, new, ka).relation, old, new, sample, ka)

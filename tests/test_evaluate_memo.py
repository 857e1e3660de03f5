"""The evaluator remembers, per statement, how it answered each principal, action and resource
(issue 16: the guard proofs ask the same few statements the same questions tens of times per
key). The memo must never change an answer: not across requests, not when the bounded caches
evict."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from byok.policy import compiled as memo
from byok.policy import evaluate as ev
from byok.policy.condops import condition_holds, one_value_test, parse_operator
from byok.policy.evaluate import Request, evaluate
from byok.policy.iam import Policy
from tests import test_semantics_properties as props

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
WHO = [
    f"arn:aws:iam::{ACCOUNT}:root",
    f"arn:aws:iam::{ACCOUNT}:role/AnyOtherRole",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/KeyAdmin/alice",
    "arn:aws:iam::444455556666:role/vendor",
    "arn:aws:iam::444455556666:root",
    "cloudtrail.amazonaws.com",
]
ACTIONS = ["kms:Decrypt", "kms:encrypt", "kms:CreateGrant", "kms:DisableKey", "kms:PutKeyPolicy"]
CONTEXTS: list[dict[str, str | tuple[str, ...]]] = [
    {},
    {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/AnyOtherRole"},
    {"kms:GrantIsForAWSResource": "true"},
    {"kms:EncryptionContext:channel": "C0123"},
]


def _fresh(policy: Policy, request: Request) -> ev.Decision | str:
    memo.forget()
    return _judged(policy, request)


def _judged(policy: Policy, request: Request) -> ev.Decision | str:
    """The decision, or the refusal of a request whose decision AWS leaves open."""
    try:
        return evaluate(policy, request, ACCOUNT)
    except ev.AmbiguousRequestError as exc:
        return str(exc)


def _request(**fields: object) -> Request | None:
    try:
        return Request(**fields)  # type: ignore[arg-type]
    except ValueError:  # `aws:PrincipalArn` of another principal: AWS never sends it
        return None


def _requests(seed: int) -> list[Request]:
    made = [
        _request(principal=w, action=a, context=c, resource=r)
        for w in WHO
        for a in ACTIONS
        for c in CONTEXTS
        for r in (None, f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k")
    ]
    reqs = [r for r in made if r is not None]
    random.Random(seed).shuffle(reqs)
    return reqs


def test_remembered_answers_equal_fresh_ones_for_every_shipped_policy() -> None:
    policies = [
        Policy.from_json(json.loads(p.read_text()))
        for p in sorted((REPO / "generated" / "policies").glob("*.json"))
    ]
    assert policies
    for seed, policy in enumerate(policies):
        requests = _requests(seed)
        remembered = [_judged(policy, r) for r in requests]
        assert remembered == [_fresh(policy, r) for r in requests]


def test_evicted_and_freed_policies_are_judged_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """With caches of one entry, every policy evicts the last one and is freed in turn (an
    entry holds its policy, so no new policy can take the address of a cached one); each
    policy must still be judged on its own statements."""
    monkeypatch.setattr(memo, "COMPILED_MAX", 1)
    monkeypatch.setattr(memo, "POLICIES_MAX", 1)
    monkeypatch.setattr(memo, "INTERNED_MAX", 1)
    who = f"arn:aws:iam::{ACCOUNT}:role/AnyOtherRole"
    request = Request(principal=who, action="kms:Decrypt")
    for i in range(300):
        effect = "Allow" if i % 2 else "Deny"
        names_who = i % 3 != 0
        named = who if names_who else "arn:aws:iam::444455556666:role/other"
        doc = {
            "Statement": [
                {
                    "Effect": effect,
                    "Principal": {"AWS": named},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                }
            ]
        }
        policy = Policy.from_json(doc)
        got = evaluate(policy, request, ACCOUNT).decision
        want = ("allow" if effect == "Allow" else "deny") if names_who else "deny"
        assert got == want, (i, doc)
        del policy


def test_each_request_is_judged_on_its_own_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements remember their answer to each request (by identity, the entry holding
    the request): a new request with other context values, freed one after another so that
    addresses are reused, is judged on its own values, with a memo of one entry or many."""
    who = f"arn:aws:iam::{ACCOUNT}:role/AnyOtherRole"
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": who},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:EncryptionContext:c": "yes"}},
            }
        ]
    }
    policy = Policy.from_json(doc)
    for size in (1, 1 << 10):
        monkeypatch.setattr(memo, "MEMO_MAX", size)
        for i in range(300):
            value = "yes" if i % 3 else "no"
            ctx = {"kms:EncryptionContext:c": value}
            request = Request(principal=who, action="kms:Decrypt", context=ctx)
            got = evaluate(policy, request, ACCOUNT).decision
            assert got == ("allow" if value == "yes" else "deny"), (size, i)
            del request


# Policies that share statements (by value, in other positions, with and without Sids), so
# that the interned policies, their action views and the remembered decisions are shared.
@st.composite
def _related_policies(draw: st.DrawFn) -> list[Policy]:
    pool = draw(st.lists(props.statements(), min_size=1, max_size=4))
    for s in pool:
        sid = draw(st.sampled_from([None, "A", "B"]))
        if sid is not None:
            s["Sid"] = sid
    out = []
    for _ in range(draw(st.integers(2, 5))):
        picked = draw(st.lists(st.sampled_from(range(len(pool))), max_size=4))
        docs = [pool[i] for i in picked]
        if len({d.get("Sid") for d in docs if "Sid" in d}) < sum("Sid" in d for d in docs):
            docs = [{k: v for k, v in d.items() if k != "Sid"} for d in docs]  # Sids unique
        out.append(Policy.from_json(json.loads(json.dumps({"Statement": docs}))))
    return out


EACH_VALUES = [["a", "b", "x"], ["ab"], ["b", "a", ""], []]


def _all_answers(
    policy: Policy, request: Request, ka: str | None, values: list[str]
) -> tuple[object, ...]:
    """What every entry point says: `evaluate` (or its refusal), `evaluate_readings`, and
    `evaluate_each` over a context key the request may or may not carry."""
    try:
        each: object = ev.evaluate_each(policy, request, "k1", values, ka)
    except ev.AmbiguousRequestError as exc:
        each = str(exc)
    try:
        decided: object = evaluate(policy, request, ka)
    except ev.AmbiguousRequestError as exc:
        decided = str(exc)
    return decided, ev.evaluate_readings(policy, request, ka), each


@props.modest(200)
@given(
    _related_policies(),
    st.lists(props.requests(), min_size=1, max_size=8),
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.integers(0, 7),
            st.sampled_from(props.KEY_ACCOUNTS),
            st.sampled_from(EACH_VALUES),
        )
    ),
)
def test_shared_memos_answer_as_fresh_ones(
    policies: list[Policy],
    requests: list[Request],
    order: list[tuple[int, int, str | None, list[str]]],
) -> None:
    """Asked in any order, with memos warmed by equal and overlapping policies, every answer
    equals the one a cold evaluator gives (all memos dropped before each)."""
    memo.forget()
    asked = [(policies[p % len(policies)], requests[r % len(requests)], *x) for p, r, *x in order]
    asked += [
        (p, r, ka, vs)
        for p in policies
        for r in requests
        for ka in props.KEY_ACCOUNTS
        for vs in EACH_VALUES[:2]
    ]
    warm = [_all_answers(*a) for a in asked]
    cold = []
    for a in asked:
        memo.forget()
        cold.append(_all_answers(*a))
    assert warm == cold


def _each_or_first_refusal(policy: Policy, requests: tuple[Request, ...], ka: str | None) -> object:
    try:
        return ev.evaluate_all(policy, requests, ka)
    except ev.AmbiguousRequestError as exc:
        return str(exc)


_AWS_STAR = Policy.from_json(
    {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
        ]
    }
)


@props.modest(200)
@given(_related_policies(), st.lists(props.requests(), min_size=1, max_size=8))
@example(  # a reading AWS leaves open decides the service principal's request: refused
    [_AWS_STAR, Policy()],
    [
        Request(principal=WHO[1], action="kms:Decrypt"),
        Request(principal=WHO[5], action="kms:Decrypt"),
    ],
)
def test_batches_answer_as_one_request_at_a_time(
    policies: list[Policy], requests: list[Request]
) -> None:
    """`evaluate_all` of one tuple of requests (as the guard proofs ask every key, its
    decisions shared between policies with the same action views) is `evaluate` of each in
    turn, or the refusal of the first that `evaluate` refuses, asked of a cold evaluator."""
    memo.forget()
    batch = tuple(requests)
    asked = [(p, ka) for p in policies for ka in props.KEY_ACCOUNTS] * 2
    warm = [_each_or_first_refusal(p, batch, ka) for p, ka in asked]
    cold: list[object] = []
    for p, ka in asked:
        memo.forget()
        try:
            cold.append(tuple(evaluate(p, r, ka) for r in batch))
        except ev.AmbiguousRequestError as exc:
            cold.append(str(exc))
    assert warm == cold


@props.modest(500)
@given(st.data())
def test_one_value_tests_agree_with_condition_holds(data: st.DataObject) -> None:
    """`one_value_test` (the revocation proofs' per-value test, its policy values parsed once)
    answers as `condition_holds` does for a request carrying that one value, under every
    operator the property tests draw: set prefixes, IfExists, Null, negated forms."""
    key = data.draw(st.sampled_from(sorted(props.KEYS)))
    ops, pool = props.KEYS[key]
    prefix = data.draw(st.sampled_from(["", "ForAnyValue:", "ForAllValues:"]))
    suffix = data.draw(st.sampled_from(["", "IfExists"])) if not prefix else ""
    name = data.draw(st.sampled_from(["Null", prefix + data.draw(st.sampled_from(ops)) + suffix]))
    values = tuple(
        [data.draw(st.sampled_from(["true", "false"]))]
        if name == "Null"
        else data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    )
    op = parse_operator(name)
    test = one_value_test(op, values)
    for value in props.REQUEST_VALUES[key]:
        assert test(value) == condition_holds(op, values, (value,)), (name, values, value)

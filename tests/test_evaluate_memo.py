"""The evaluator remembers, per statement, how it answered each principal, action and resource
(issue 16: the guard proofs ask the same few statements the same questions tens of times per
key). The memo must never change an answer: not across requests, not when the bounded caches
evict."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from byok.policy import compiled as memo
from byok.policy import evaluate as ev
from byok.policy.evaluate import Request, evaluate
from byok.policy.iam import Policy

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

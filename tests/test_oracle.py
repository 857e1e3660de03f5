"""The evaluator and the comparer against an independent brute-force oracle (issue 11).

The oracle below shares no code with `byok.policy`: it re-implements, from the AWS pages
cited next to each rule, the few policy forms used here, and decides every request of a
finite space (principals of the key's account named directly, through the account root, or
as role sessions; vendor roots and roles of other accounts; a service; catalogued actions, an
action the catalog does not list, a non-KMS action; a few encryption-context values).

Rules, each with the page it rests on:

- Explicit Deny wins, then Allow, else implicit deny.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
- `arn:aws:iam::A:root` (or `A`) names every principal of account A, but for the key's own
  account only delegates to IAM: such a principal is allowed only if an IAM policy also
  allows ("allow_if_iam"); the root user itself and principals named by their own ARN are
  allowed by the key policy alone ("allow").
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
- A principal of another account always needs its own account's IAM policy too.
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
- A role ARN names the role's sessions `arn:aws:sts::A:assumed-role/NAME/SESSION` (no path).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-role-session
- Action names match case-insensitively with `*`/`?` wildcards, whatever the catalog lists.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
- `StringEquals` exact, `StringEqualsIgnoreCase` ignoring case, `StringLike` with `*`/`?`; a
  missing key fails each of them.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byok.policy.compare import compare
from byok.policy.evaluate import Request, evaluate
from byok.policy.iam import Policy

KEY = "111122223333"
VENDOR = "444455556666"
EC = "kms:EncryptionContext:channel_id"

# ---------------------------------------------------------------- the oracle


def _wild(pattern: str, text: str, fold: bool) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, text, re.DOTALL | (re.IGNORECASE if fold else 0)) is not None


def _account(principal: str) -> str | None:
    m = re.fullmatch(r"arn:aws:(?:iam|sts)::(\d{12}):.+", principal)
    return m.group(1) if m else None


def _named(entry: str, principal: str, services: bool = True) -> str | None:
    """'direct', 'root' (through the account) or None. `services`: whether `{"AWS": "*"}`
    names a service principal (a reading the Principal page leaves open)."""
    if entry == "*":
        return "direct" if services or principal.startswith("arn:") else None
    if entry == principal:
        return "direct"
    account = entry if re.fullmatch(r"\d{12}", entry) else None
    m = re.fullmatch(r"arn:aws:iam::(\d{12}):root", entry)
    if m:
        account = m.group(1)
    if account is not None:
        if principal == f"arn:aws:iam::{account}:root":
            return "direct"
        return "root" if _account(principal) == account else None
    m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([^/]+)", entry)
    if m:
        session = re.fullmatch(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/[^/]+", principal)
        if session and session.groups() == m.groups():
            return "direct"
    return None


def _value_ok(op: str, want: str, got: str) -> bool:
    if op == "StringEquals":
        return got == want
    if op == "StringEqualsIgnoreCase":
        return got.lower() == want.lower()
    assert op == "StringLike", op
    return _wild(want, got, False)


def _condition_ok(cond: dict[str, dict[str, Any]], ctx: dict[str, str]) -> bool:
    for op, block in cond.items():
        for key, values in block.items():
            got = ctx.get(key)
            vals = values if isinstance(values, list) else [values]
            if got is None or not any(_value_ok(op, v, got) for v in vals):
                return False
    return True


def _how(s: dict[str, Any], who: str, reading: tuple[bool, bool]) -> set[str | None]:
    """How the statement's principal element names `who` under `reading` (does `{"AWS":
    "*"}` name services; does a role in NotPrincipal spare its sessions)."""
    services, spares = reading
    if "NotPrincipal" in s:
        listed = _listed(s["NotPrincipal"].get("AWS")) + _listed(s["NotPrincipal"].get("Service"))
        spared = any(e == who or (e == "*" and _named(e, who, services)) for e in listed) or any(
            spares and _named(e, who) == "direct" and ":assumed-role/" in who for e in listed
        )
        return set() if spared else {"direct"}
    p = s["Principal"]
    if p == "*":
        return {"direct"}
    how = {_named(e, who, services) for e in _listed(p.get("AWS"))}
    return (how | {"direct" for e in _listed(p.get("Service")) if e == who}) - {None}


def _listed(v: Any) -> list[str]:
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def oracle(
    policy: dict[str, Any],
    who: str,
    action: str,
    ctx: dict[str, str],
    reading: tuple[bool, bool] = (True, True),
) -> int:
    """0 deny, 1 allowed only if an IAM policy also allows, 2 allowed by the key policy."""
    ways: set[str] = set()
    for s in policy["Statement"]:
        how = _how(s, who, reading)
        acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if not how or not any(_wild(a, action, True) for a in acts):
            continue
        if not _condition_ok(s.get("Condition", {}), ctx):
            continue
        if s["Effect"] == "Deny":
            return 0
        ways.add("direct" if "direct" in how else "root")
    if not ways:
        return 0
    own = _account(who) in (None, KEY)
    return 2 if own and "direct" in ways else 1


# ---------------------------------------------------------------- the request space

PRINCIPALS = [
    f"arn:aws:iam::{KEY}:root",
    f"arn:aws:iam::{KEY}:role/BreakGlassKms",
    f"arn:aws:iam::{KEY}:role/Attacker",
    f"arn:aws:iam::{KEY}:role/team/Ops",
    f"arn:aws:sts::{KEY}:assumed-role/BreakGlassKms/oncall",
    f"arn:aws:sts::{KEY}:assumed-role/Ops/s",
    f"arn:aws:sts::{KEY}:assumed-role/Attacker/s",
    f"arn:aws:iam::{VENDOR}:root",
    f"arn:aws:iam::{VENDOR}:role/VendorRole",
    f"arn:aws:sts::{VENDOR}:assumed-role/VendorRole/s",
    "cloudtrail.amazonaws.com",
]
ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:PutKeyPolicy",
    "kms:SynchronizeMultiRegionKey",  # not in the action catalog
    "s3:GetObject",
]
CONTEXTS: list[dict[str, str]] = [{}, {EC: "C0123ABCD"}, {EC: "c0123abcd"}, {EC: "C0123ABCDx"}]
SPACE = list(itertools.product(PRINCIPALS, ACTIONS, CONTEXTS))


def _relation(
    old: dict[str, Any], new: dict[str, Any], reading: tuple[bool, bool] = (True, True)
) -> str:
    gained = lost = False
    for who, action, ctx in SPACE:
        a, b = oracle(old, who, action, ctx, reading), oracle(new, who, action, ctx, reading)
        gained, lost = gained or b > a, lost or a > b
    return {(False, False): "equivalent", (True, False): "wider"}.get(
        (gained, lost), "narrower" if lost and not gained else "incomparable"
    )


def _check(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The evaluator equals the oracle on the whole space; the comparer's relation equals the
    oracle's; each witness is confirmed by the oracle."""
    p_old, p_new = Policy.from_json(old), Policy.from_json(new)
    for who, action, ctx in SPACE:
        req = Request(principal=who, action=action, context=ctx)
        for doc, pol in ((old, p_old), (new, p_new)):
            assert evaluate(pol, req, KEY).rank == oracle(doc, who, action, ctx), (who, action)
    result = compare(p_old, p_new, KEY)
    expected = _relation(old, new)
    assert result.relation == expected, (result, expected)
    for w, hi, lo in ((result.new_access, new, old), (result.lost_access, old, new)):
        if w is not None:
            ctx = {k: v for k, v in w.context.items() if isinstance(v, str)}
            assert oracle(hi, w.principal, w.action, ctx) > oracle(lo, w.principal, w.action, ctx)
    return result.relation


# ---------------------------------------------------------------- the issue's cases


def allow(principal: Any, actions: Any = "kms:*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*", **extra}


def deny(principal: Any, actions: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": actions, "Resource": "*", **extra}


ROOT = allow({"AWS": f"arn:aws:iam::{KEY}:root"})


def role(name: str) -> dict[str, str]:
    return {"AWS": f"arn:aws:iam::{KEY}:role/{name}"}


def cond(op: str, *values: str) -> dict[str, Any]:
    return {"Condition": {op: {EC: list(values)}}}


CASES = [
    # break_glass swapped to another role of the account: Attacker goes from delegated to direct.
    ("break-glass-swap", [ROOT, allow(role("BreakGlassKms"))], [ROOT, allow(role("Attacker"))]),
    ("new-administrator", [ROOT], [ROOT, allow(role("Attacker"), ["kms:PutKeyPolicy"])]),
    # A Deny on a role covers its sessions; dropping it gives the sessions access back.
    (
        "deny-role-covers-sessions",
        [allow("*"), deny(role("team/Ops"), "kms:Decrypt")],
        [allow("*")],
    ),
    (
        "session-already-named-by-role",
        [ROOT, allow(role("BreakGlassKms"))],
        [
            ROOT,
            allow(
                {
                    "AWS": [
                        f"arn:aws:iam::{KEY}:role/BreakGlassKms",
                        f"arn:aws:sts::{KEY}:assumed-role/BreakGlassKms/oncall",
                    ]
                }
            ),
        ],
    ),
    (
        "action-outside-catalog",
        [ROOT, deny("*", "kms:SynchronizeMultiRegionKey")],
        [ROOT],
    ),
    (
        "vendor-root-to-vendor-role",
        [ROOT, allow({"AWS": f"arn:aws:iam::{VENDOR}:root"}, "kms:Decrypt")],
        [ROOT, allow({"AWS": f"arn:aws:iam::{VENDOR}:role/VendorRole"}, "kms:Decrypt")],
    ),
    (
        "equals-to-like",
        [allow("*", "kms:Decrypt", **cond("StringEquals", "C0123ABCD"))],
        [allow("*", "kms:Decrypt", **cond("StringLike", "C0123ABCD*"))],
    ),
    (
        "equals-to-ignore-case",
        [allow("*", "kms:Decrypt", **cond("StringEquals", "C0123ABCD"))],
        [allow("*", "kms:Decrypt", **cond("StringEqualsIgnoreCase", "C0123ABCD"))],
    ),
]
EXPECTED = {
    "break-glass-swap": "incomparable",
    "new-administrator": "wider",
    "deny-role-covers-sessions": "wider",
    "session-already-named-by-role": "equivalent",
    "action-outside-catalog": "wider",
    "vendor-root-to-vendor-role": "narrower",  # another account: IAM needed either way
    "equals-to-like": "wider",
    "equals-to-ignore-case": "wider",
}


@pytest.mark.parametrize(("name", "old", "new"), CASES, ids=[c[0] for c in CASES])
def test_issue_cases_against_the_oracle(name: str, old: list[Any], new: list[Any]) -> None:
    relation = _check({"Statement": old}, {"Statement": new})
    assert relation == EXPECTED[name]


# ---------------------------------------------------------------- readings AWS leaves open

SESSION = f"arn:aws:sts::{KEY}:assumed-role/Ops/s"
SPARED = [f"arn:aws:iam::{KEY}:role/team/Ops", f"arn:aws:iam::{KEY}:root"]


def not_principal_deny(*spared: str) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": list(spared)},
        "Action": "kms:*",
        "Resource": "*",
    }


# Issue 25: under one reading of AWS's pages the pair is equivalent, under the other NEW is
# wider; the comparer must answer `unknown` (or `wider`), never `equivalent`, both ways.
# - `{"AWS": "*"}` and a service principal: the Principal page lists `{"AWS": "*"}` beside
#   `"*"` as all principals, yet a service principal is of the `Service` type
#   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
# - a role in `NotPrincipal` and its sessions: the NotPrincipal page spares a session by
#   listing its session ARN beside the role
#   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
UNDOCUMENTED = [
    (
        "aws-star-and-a-service",
        [allow({"AWS": "*"}), deny({"Service": "cloudtrail.amazonaws.com"}, "kms:*")],
        [allow({"AWS": "*"})],
    ),
    (
        "not-principal-role-sessions",
        [allow("*"), not_principal_deny(*SPARED)],
        [allow("*"), not_principal_deny(*SPARED, SESSION)],
    ),
]


@pytest.mark.parametrize("swap", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize(("name", "old", "new"), UNDOCUMENTED, ids=[c[0] for c in UNDOCUMENTED])
def test_undocumented_readings_are_never_equivalent(
    name: str, old: list[Any], new: list[Any], swap: bool
) -> None:
    a, b = (
        ({"Statement": new}, {"Statement": old})
        if swap
        else ({"Statement": old}, {"Statement": new})
    )
    readings = list(itertools.product([True, False], repeat=2))
    by_reading = {_relation(a, b, r) for r in readings}
    assert len(by_reading) > 1, by_reading  # the oracle itself depends on the reading
    result = compare(Policy.from_json(a), Policy.from_json(b), KEY)
    assert result.relation == "unknown", result
    assert result.reason is not None and "AWS does not document" in result.reason


# ---------------------------------------------------------------- random policies

PRINCIPAL_CHOICES: list[Any] = [
    "*",
    {"AWS": KEY},
    {"AWS": f"arn:aws:iam::{KEY}:root"},
    role("BreakGlassKms"),
    role("team/Ops"),
    {"AWS": f"arn:aws:sts::{KEY}:assumed-role/Ops/s"},
    {"AWS": f"arn:aws:iam::{VENDOR}:root"},
    {"AWS": f"arn:aws:iam::{VENDOR}:role/VendorRole"},
]
ACTION_CHOICES = ["kms:*", "kms:Decrypt", "kms:*crypt", "kms:SynchronizeMultiRegionKey", "*"]
CONDITION_CHOICES: list[dict[str, Any]] = [
    {},
    cond("StringEquals", "C0123ABCD"),
    cond("StringEqualsIgnoreCase", "C0123ABCD"),
    cond("StringLike", "C0123ABCD*"),
]


@st.composite
def statement(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Principal": draw(st.sampled_from(PRINCIPAL_CHOICES)),
        "Action": draw(st.lists(st.sampled_from(ACTION_CHOICES), min_size=1, max_size=2)),
        "Resource": "*",
        **draw(st.sampled_from(CONDITION_CHOICES)),
    }


policies = st.lists(statement(), max_size=3).map(lambda sts: {"Statement": sts})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies, policies)
def test_random_policies_against_the_oracle(old: dict[str, Any], new: dict[str, Any]) -> None:
    # The space may miss a difference the comparer finds elsewhere (its witness is then
    # checked by the oracle); a difference the oracle finds must be found by the comparer.
    p_old, p_new = Policy.from_json(old), Policy.from_json(new)
    for who, action, ctx in SPACE:
        req = Request(principal=who, action=action, context=ctx)
        assert evaluate(p_old, req, KEY).rank == oracle(old, who, action, ctx)
    result = compare(p_old, p_new, KEY)
    oracle_rel = _relation(old, new)
    if oracle_rel in ("wider", "incomparable"):
        assert result.new_access is not None, (result, oracle_rel)
    if oracle_rel in ("narrower", "incomparable"):
        assert result.lost_access is not None, (result, oracle_rel)
    for w, hi, lo in ((result.new_access, new, old), (result.lost_access, old, new)):
        if w is not None:
            ctx = {k: v for k, v in w.context.items() if isinstance(v, str)}
            assert oracle(hi, w.principal, w.action, ctx) > oracle(lo, w.principal, w.action, ctx)

"""Proofs without a solver for structurally monotone policy changes.

Most real changes to a key policy only add or only take away: a Deny statement added, values
added to a Deny's condition list, a principal added to an Allow, values removed from an
Allow's condition list. `monotone(old, new, key_account)` recognises such changes from the
structure alone and returns the relation with a witness request confirmed by the concrete
evaluator, or None when it cannot be certain (the caller then asks the solver).

The rule, over the evaluator's semantics (`evaluate`): statement A is *contained* in B
(`contained(A, B)`) when every request A applies to, B applies to as well, naming the
principal at least as directly (direct > delegated). That holds syntactically when A and B
have the same effect and

- B's `Action` lists every action A lists (or A's `NotAction` excludes every action B's
  excludes), likewise for `Resource`/`NotResource`;
- B's `Principal` is `"*"`, or lists every entry A lists (a request principal named by an
  entry of A is then named by the same entry of B, directly or by delegation alike);
  `NotPrincipal` only when identical;
- every condition of B has a condition in A on the same key with the same operator whose
  values are a subset of B's for a positive operator (its values are ORed, so more values
  hold for more requests, whatever `IfExists` or the set prefix) or a superset for a negated
  one; `Null` conditions only when identical.

NEW grants nothing OLD does not (`no_new_access`) when each Allow of NEW is contained in an
Allow of OLD and each Deny of OLD in a Deny of NEW: a request NEW allows at some level is
then denied by no Deny of OLD, and allowed by OLD at least as directly. Whether access was
lost is then shown by a concrete request (built from the statements that differ) that the
evaluator ranks lower under NEW than under OLD; without one the solver decides. A change
that both adds and takes away is `incomparable` as soon as each direction has a confirmed
witness, with no proof at all.

>>> from byok.policy.iam import Policy
>>> allow = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*",
...          "Resource": "*"}
>>> deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
...         "Condition": {"StringEquals": {"kms:EncryptionContext:ch": "C1"}}}
>>> old = Policy.from_json({"Statement": [allow]})
>>> new = Policy.from_json({"Statement": [allow, deny]})
>>> rel, _, lost = monotone(old, new, None)
>>> rel, lost.action, lost.context
('narrower', 'kms:Decrypt', {'kms:EncryptionContext:ch': 'C1'})
>>> monotone(new, old, None)[0]
'wider'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice

from . import catalog, iam
from .condops import UnsupportedPolicyError, parse_operator
from .context import DERIVED_LOWER
from .evaluate import Request, evaluate
from .matching import glob_matches, has_wildcard
from .request import future_action

_MAX_CANDIDATES = 64  # concrete requests tried per direction before leaving it to the solver
_ARGS_PER_PART = 4  # principals / actions / values tried per statement


def _subset(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    return a is not None and b is not None and set(a) <= set(b)


def _listed_within(
    a_in: tuple[str, ...] | None,
    a_not: tuple[str, ...] | None,
    b_in: tuple[str, ...] | None,
    b_not: tuple[str, ...] | None,
) -> bool:
    """`X`/`NotX` of A names no more than B's (both lists match with any())."""
    if a_in is None and a_not is None:
        return True  # A applies to nothing
    return _subset(a_in, b_in) or _subset(b_not, a_not)


def _principal_within(a: iam.Statement, b: iam.Statement) -> bool:
    if a.principal is None and a.not_principal is None:
        return True
    if a.not_principal is not None or b.not_principal is not None:
        return a.not_principal == b.not_principal and a.principal == b.principal
    pa, pb = a.principal, b.principal
    if pa is None or pb is None:
        return False
    if pb.star:
        return True
    return not pa.star and all(
        set(x) <= set(y) for x, y in zip(pa._groups(), pb._groups(), strict=True)
    )


def _condition_implied(cb: iam.Condition, a: iam.Statement) -> bool:
    """Whether A's conditions holding means `cb` holds."""
    op = parse_operator(cb.operator)
    for ca in a.conditions:
        if ca.operator != cb.operator or ca.key.lower() != cb.key.lower():
            continue
        va, vb = set(ca.values), set(cb.values)
        if va == vb or (op.view != "null" and (vb >= va if not op.negated else va >= vb)):
            return True
    return False


def contained(a: iam.Statement, b: iam.Statement) -> bool:
    """Every request A applies to, B applies to, naming its principal at least as directly."""
    return (
        a.effect == b.effect
        and _listed_within(a.action, a.not_action, b.action, b.not_action)
        and _listed_within(a.resource, a.not_resource, b.resource, b.not_resource)
        and _principal_within(a, b)
        and all(_condition_implied(cb, a) for cb in b.conditions)
    )


def _uncovered(small: Sequence[iam.Statement], big: Sequence[iam.Statement]) -> list[iam.Statement]:
    """Statements of `small` contained in no statement of `big`. A statement parsed from the
    same JSON on both sides is one shared object (iam.py): found by identity first."""
    return [s for s in small if not any(s is b for b in big) and not _within_any(s, big)]


def _within_any(s: iam.Statement, big: Sequence[iam.Statement]) -> bool:
    return any(s == b or contained(s, b) for b in big)


def _split(p: iam.Policy, effect: str) -> list[iam.Statement]:
    return [s for s in p.statements if s.effect == effect]


def no_new_access(old: iam.Policy, new: iam.Policy) -> bool:
    """Proved from the structure: no request ranks higher under NEW than under OLD."""
    return not _uncovered(_split(new, "Allow"), _split(old, "Allow")) and not _uncovered(
        _split(old, "Deny"), _split(new, "Deny")
    )


def _principals_of(st: iam.Statement) -> list[str]:
    p = st.principal
    if p is None or p.star:
        return []
    out = []
    for v in p.aws:
        if v == "*":
            continue
        out.append(f"arn:aws:iam::{v}:root" if v.isdigit() and len(v) == 12 else v)
    return [*out, *p.service, *p.federated, *p.canonical_user]


def _actions_of(st: iam.Statement) -> list[str]:
    if st.action is None:
        excluded = st.not_action or ()
        return [
            a
            for a in sorted(catalog.KMS_ACTIONS)
            if not any(glob_matches(p, a, fold_case=True) for p in excluded)
        ][:_ARGS_PER_PART]
    out = [a for a in st.action if not has_wildcard(a)]
    for pat in (a for a in st.action if has_wildcard(a)):
        out += [a for a in sorted(catalog.KMS_ACTIONS) if glob_matches(pat, a, fold_case=True)]
    return list(dict.fromkeys(out))[:_ARGS_PER_PART]


def _contexts(st: iam.Statement, prefer: frozenset[str]) -> list[dict[str, str]]:
    """Contexts meeting each condition of `st` that a plain value can meet: one value of a
    positive string operator (values in `prefer` first); negated and `IfExists` conditions
    are left to the missing key. Other conditions get nothing (the evaluator then rejects)."""
    options: list[tuple[str, list[str]]] = []
    for c in st.conditions:
        op = parse_operator(c.operator)
        if op.negated or op.if_exists or op.view != "string" or op.set_op == "ForAllValues":
            continue
        if c.key.lower() in DERIVED_LOWER:
            continue  # AWS sets it from the principal; the evaluator derives it
        vals = [v for v in c.values if not has_wildcard(v)]
        vals.sort(key=lambda v: v not in prefer)
        if vals:
            options.append((c.key, vals[:_ARGS_PER_PART]))
    out: list[dict[str, str]] = [{}]
    for key, vals in options:
        if any(k.lower() == key.lower() for k in out[0]):
            continue  # key names ignore case: the first condition on a key picks its value
        out = [{**ctx, key: v} for ctx in out for v in vals][:_ARGS_PER_PART]
    return out


def _lower(ctx: dict[str, str]) -> set[str]:
    return {k.lower() for k in ctx}


def _changed_values(st: iam.Statement, others: Sequence[iam.Statement]) -> frozenset[str]:
    """Principal entries and condition values of `st` that no statement of `others` has."""
    seen = {v for o in others for v in _principals_of(o)}
    seen |= {v for o in others for c in o.conditions for v in c.values}
    mine = {*_principals_of(st), *(v for c in st.conditions for v in c.values)}
    return frozenset(mine - seen)


def _candidates(
    changed: Sequence[iam.Statement], richer: iam.Policy, other: iam.Policy
) -> Iterator[Request]:
    """Requests that some changed statement applies to, its principal drawn from the
    statement itself or (for `"*"`) from the Allows of the policy granting more."""
    donors = [p for s in richer.statements if s.effect == "Allow" for p in _principals_of(s)]
    for st in changed:
        # Values new to `st` are the likely difference: compare with the policy without it.
        elsewhere = other if any(s is st for s in richer.statements) else richer
        prefer = _changed_values(st, elsewhere.statements)
        own = sorted(_principals_of(st), key=lambda v: v not in prefer)
        whos = list(dict.fromkeys(own or donors))[:_ARGS_PER_PART]
        grants = [
            s for s in richer.statements if s.effect == "Allow" and s is not st and s.conditions
        ]
        for who in whos:
            for action in _actions_of(st):
                for ctx in _contexts(st, prefer):
                    yield from _request(who, action, ctx)
                    for g in grants:
                        for extra in _contexts(g, prefer)[:1]:
                            if extra and not _lower(extra) & _lower(ctx):
                                yield from _request(who, action, {**ctx, **extra})


def _request(who: str, action: str, ctx: dict[str, str]) -> Iterator[Request]:
    """The request, if AWS could receive it (a principal the policy names may be none a
    request carries: a canonical user id, an identity provider)."""
    try:
        yield Request(
            principal=who, action=action, context=ctx, future_action=future_action(action)
        )
    except ValueError:
        return


def _witness(
    higher: iam.Policy, lower: iam.Policy, changed: list[iam.Statement], ka: str | None
) -> Request | None:
    """A request `higher` ranks above `lower`, confirmed by the evaluator, or None."""
    for w in islice(_candidates(changed, higher, lower), _MAX_CANDIDATES):
        try:
            if evaluate(higher, w, ka).rank > evaluate(lower, w, ka).rank:
                return w
        except UnsupportedPolicyError:  # a decision AWS leaves open: no witness
            continue
    return None


def _differing(higher: iam.Policy, lower: iam.Policy) -> list[iam.Statement]:
    """Statements that may let `higher` grant more than `lower`: its Allows not in `lower`'s,
    and `lower`'s Denies not in `higher`'s."""
    return [
        *_uncovered(_split(higher, "Allow"), _split(lower, "Allow")),
        *_uncovered(_split(lower, "Deny"), _split(higher, "Deny")),
    ]


def monotone(
    old: iam.Policy, new: iam.Policy, key_account: str | None
) -> tuple[str, Request | None, Request | None] | None:
    """(relation, new_access, lost_access) when the structure and confirmed witnesses settle
    it, None otherwise. `equivalent` needs both directions proved; `narrower`/`wider` one
    direction proved and a witness for the other; `incomparable` needs no proof, only a
    confirmed witness each way (a change that both adds and takes away, e.g. a key
    administrator added while values are revoked). Callers must have checked every statement
    with `evaluate.check_statement` (the rule reasons about the evaluator)."""
    narrows, widens = no_new_access(old, new), no_new_access(new, old)
    if narrows and widens:
        return ("equivalent", None, None)
    gained = None if narrows else _witness(new, old, _differing(new, old), key_account)
    lost = None if widens else _witness(old, new, _differing(old, new), key_account)
    if gained is not None and lost is not None:
        return ("incomparable", gained, lost)
    if narrows and lost is not None:
        return ("narrower", None, lost)
    if widens and gained is not None:
        return ("wider", gained, None)
    return None

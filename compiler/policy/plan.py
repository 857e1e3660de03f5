"""How the comparer's encoding (`symbolic`) sizes a request, and the strings it prefers.

`plan_keys` says which condition keys the policies test, compared how (string, numeric, date,
IP, or only for presence), with how many elements: K for a key that K distinct "some element
satisfies P" facts are tested on (a set of at most K values realizes every combination of
them), 1 for a key the catalog lists as single-valued. `hints` and `session_hints` are the
readable strings a witness uses when they have the signature the solver chose (a role of the
key's account rather than the shortest string of that signature); `decimal` writes a number
the solver chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import iam
from .catalog import is_single_valued
from .condops import Operator, UnsupportedPolicyError, View, element_predicate, parse_operator
from .context import DERIVED_LOWER
from .matching import Glob, StrPred
from .principals import SHAPES, session_form

FALLBACK = {
    "principal": "arn:aws:iam::444455556666:role/Other",
    "session": "arn:aws:iam::444455556666:role/Other/session",
    "resource": "arn:aws:kms:us-east-1:444455556666:key/other",
}


@dataclass(frozen=True)
class KeyPlan:
    name: str  # as first spelled in a policy, for witnesses
    view: View
    elements: int


def _exists_sign(op: Operator) -> bool:
    """False when the condition asks whether some element *fails* the positive predicate
    (`ForAnyValue` with a negated operator; `ForAllValues` with a positive one, as
    "all satisfy P" is "none fails P")."""
    if not op.set_op:
        return True
    return (op.set_op == "ForAnyValue") != op.negated


def plan_keys(statements: Sequence[iam.Statement]) -> dict[str, KeyPlan]:
    names: dict[str, str] = {}
    views: dict[str, set[View]] = {}
    facts: dict[str, set[tuple[object, bool]]] = {}
    for st in statements:
        for c in st.conditions:
            op, key = parse_operator(c.operator), c.key.lower()
            names.setdefault(key, c.key)
            facts.setdefault(key, set())
            views.setdefault(key, set())
            if op.view != "null":
                views[key].add(op.view)
                facts[key].add((element_predicate(op, c.values), _exists_sign(op)))
    plans = {}
    for key, vs in views.items():
        if len(vs) > 1:
            raise UnsupportedPolicyError(
                f"condition key `{names[key]}` is compared as {' and as '.join(sorted(vs))}"
            )
        if key in DERIVED_LOWER and vs - {"string"}:
            raise UnsupportedPolicyError(
                f"condition key `{names[key]}`, which AWS sets from the principal, is compared "
                f"as {next(iter(vs - {'string'}))}: only its string comparisons are modelled"
            )
        count = 1 if _single_valued(key) else max(1, len(facts[key]))
        plans[key] = KeyPlan(names[key], next(iter(vs), "null"), count)
    return plans


def _single_valued(key: str) -> bool:
    """A key the catalog lists as single-valued carries one value in every real request."""
    try:
        return is_single_valued(key)
    except KeyError:  # unknown cardinality: allow lists
        return False


def decimal(num: int, den: int) -> str:
    """An exact decimal for num/den, if the fraction terminates."""
    k, rest = 0, den
    for p in (2, 5):
        while rest % p == 0:
            rest //= p
            k += 1
    if rest != 1:
        raise UnsupportedPolicyError("solver chose a number without a finite decimal form")
    digits = abs(num) * (10**k // den)
    text = str(digits).rjust(k + 1, "0")
    body = f"{text[: len(text) - k]}.{text[len(text) - k :]}" if k else text
    return ("-" if num < 0 else "") + body


def _prefix_text(g: Glob) -> str | None:
    """`abc` for the glob `abc*` (literal characters, then one trailing star), else None."""
    if not g or not g[-1][0] or any(rep or neg or len(cs) != 1 for rep, (neg, cs) in g[:-1]):
        return None
    return "".join(next(iter(cs)) for _, (_, cs) in g[:-1])


def hints(part: str, preds: tuple[StrPred, ...], key_account: str | None) -> tuple[str, ...]:
    """Readable witness candidates: for a principal, the root and a role of each account a
    pattern names (`arn:aws:iam::111122223333:*` suggests `...:root`), a role of the key's
    account and a service; for a session, a session of a role of each such account."""
    base = FALLBACK.get(part, "value")
    if part not in ("principal", "session"):
        return (base,)
    own = (f"arn:aws:iam::{key_account}:",) if key_account else ()
    stems = [t for p in preds for g in p.globs if (t := _prefix_text(g)) and t.endswith(":")]
    if part == "session":
        forms = (f"{t}role/Other/session" for t in [*own, *stems] if ":iam::" in t)
        return (*dict.fromkeys(forms), base)
    leaves = (f"{t}{leaf}" for t in stems for leaf in ("root", "role/Other"))
    return (base, *(f"{t}role/Other" for t in own), *leaves, "service.amazonaws.com")


def session_hints(statements: Sequence[iam.Statement]) -> tuple[str, ...]:
    """Session forms of the roles and sessions the statements name (readable witnesses)."""
    out: list[str] = []
    for st in statements:
        for elem in (st.principal, st.not_principal):
            for v in elem.aws if elem is not None else ():
                if SHAPES["role"].matches(v):
                    out.append(f"{v}/session")
                elif SHAPES["assumed-role"].matches(v):
                    out.append(session_form(v))
    return tuple(dict.fromkeys(out))

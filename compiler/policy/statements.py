"""What one statement of a key policy names: which principals (directly, through an
account, or only under a reading AWS leaves open), which actions and which resources; and
whether the evaluator can decide the statement at all (`check_statement`).

The evaluator (`evaluate`) and the comparer (`symbolic`, `fastpath`) share these; the module
docstring of `evaluate` states the semantics.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from . import iam
from .condops import (
    AmbiguousPolicyError,
    UnsupportedPolicyError,
    ambiguity,
    element_predicate,
    null_wants_absent,
    parse_operator,
)
from .matching import StrPred, glob_matches, patterns
from .principals import principal_preds

Kind = Literal["direct", "delegated"]
Reading = frozenset[str]  # the flags of `principals.READINGS` taken to hold
PLAIN: Reading = frozenset()


def statement_label(st: iam.Statement, index: int) -> str:
    """The Sid, or `#<index>` (0-based position) for a statement without one."""
    return st.sid if st.sid is not None else f"#{index}"


def is_all_star(pattern: str) -> bool:
    return bool(pattern) and set(pattern) == {"*"}


@lru_cache(maxsize=1024)
def resource_pred(values: tuple[str, ...]) -> StrPred:
    if any("${" in v for v in values):
        raise UnsupportedPolicyError("policy variables (${...}) in `Resource` are not supported")
    return patterns(values)


def principal_kind(st: iam.Statement, who: str, reading: Reading = PLAIN) -> Kind | None:
    """How the statement's principal element names `who` under `reading`: directly, only
    through an account (delegation to IAM), or not at all. A NotPrincipal that does not
    exclude `who` names it directly, like `"*"`."""
    if st.principal is not None:
        if st.principal.star:
            return "direct"
        preds = principal_preds(st.principal, False)
        if preds.direct.p.matches(who) or preds.open_readings(who) & reading:
            return "direct"
        return "delegated" if preds.delegated.p.matches(who) else None
    if st.not_principal is not None:
        if st.not_principal.star:
            return None
        preds = principal_preds(st.not_principal, True)
        if preds.any.p.matches(who) or preds.open_readings(who) & reading:
            return None
        return "direct"
    return None


def open_readings(st: iam.Statement, who: str) -> Reading:
    """The readings (`principals.READINGS`) that change whether `st` names `who`."""
    for elem, negated in ((st.principal, False), (st.not_principal, True)):
        if elem is not None and not elem.star:
            return principal_preds(elem, negated).open_readings(who)
    return PLAIN


def may_open(st: iam.Statement) -> bool:
    """Whether `open_readings` can be non-empty for some principal: only when the element it
    reads holds an entry that names principals under one reading alone (`maybe`)."""
    for elem, negated in ((st.principal, False), (st.not_principal, True)):
        if elem is not None and not elem.star:
            return bool(principal_preds(elem, negated).maybe)
    return False


def action_ok(st: iam.Statement, action: str) -> bool:
    listed = st.action if st.action is not None else st.not_action
    if listed is None:
        return False
    hit = any(glob_matches(p, action, fold_case=True) for p in listed)
    return hit if st.action is not None else not hit


def resource_ok(st: iam.Statement, resource: str | None) -> bool:
    listed = st.resource if st.resource is not None else st.not_resource
    if listed is None:
        return False
    if resource is None:  # this key: named only by an all-wildcard entry
        hit = any(is_all_star(r) for r in listed)
    else:
        hit = resource_pred(listed).matches(resource)
    return hit if st.resource is not None else not hit


def check_statement(st: iam.Statement) -> None:
    """Raise `PolicyFormatError`/`UnsupportedPolicyError` for anything `evaluate` cannot do."""
    for listed in (st.resource, st.not_resource):
        if listed is not None:
            resource_pred(listed)
    for c in st.conditions:
        op = parse_operator(c.operator)
        why = ambiguity(c.operator, c.key)
        if why is not None:
            raise AmbiguousPolicyError(why)
        if op.view == "null":
            null_wants_absent(op, c.values)
        else:
            element_predicate(op, c.values)


def readings(flags: Reading) -> list[Reading]:
    """Every combination of `flags` taken to hold, the plain reading first."""
    items = sorted(flags)
    return [
        frozenset(f for i, f in enumerate(items) if mask >> i & 1)
        for mask in range(1 << len(items))
    ]

"""The concrete evaluator: one request against one key policy, the IAM way.

An explicit `Deny` that matches wins; else a matching `Allow` allows; else the request is
implicitly denied. Context keys come only from the request's `context` (nothing is derived);
condition key names are case-insensitive. A statement without `Principal`/`NotPrincipal`,
`Action`/`NotAction` or `Resource`/`NotResource` never matches (KMS ignores such statements).

Principals (`byok.policy.principals`): `"*"` is everyone; `{"AWS": "*"}` every AWS
principal (an ARN); a role ARN the role and its assumed-role sessions; an account id or
`arn:<partition>:iam::<account>:root` every IAM/STS principal of that account in `Principal`,
but only by delegation to IAM (and only the account principal itself in `NotPrincipal`);
anything else matches exactly. A request without a resource is a request on this key, which
only all-wildcard `Resource` entries (`"*"`) name.

Three outcomes for an allowed request
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html):
`allow` when a statement names a principal of the key's account directly (the key policy
alone allows); `allow_if_iam` when it is allowed only if an IAM policy also allows it, either
because only an account-root statement matches it (reason `delegated`) or because it belongs
to another account, whose own IAM policy must always allow too (reason `cross_account`).
`key_account=None` counts every principal as one of the key's account. Explicit deny wins.

>>> from byok.policy.iam import Policy
>>> p = Policy.from_json({"Statement": [
...     {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*",
...      "Resource": "*"},
...     {"Sid": "Revoke", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
...      "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:ch": "C1"}}}]})
>>> who = "arn:aws:iam::111122223333:role/Admin"
>>> d = evaluate(p, Request(principal=who, action="kms:decrypt"))
>>> d.decision, d.reason, d.statements
('allow_if_iam', 'delegated', ('Root',))
>>> evaluate(p, Request(principal=who, action="kms:decrypt"), "444455556666").reason
'cross_account'
>>> evaluate(p, Request(principal="arn:aws:iam::111122223333:root", action="kms:decrypt")).decision
'allow'
>>> evaluate(p, Request(principal=who, action="kms:Decrypt",
...                     context={"KMS:EncryptionContext:ch": "C1"})).reason
'explicit_deny'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from . import iam
from .condops import (
    AmbiguousPolicyError,
    Operator,
    UnsupportedPolicyError,
    ambiguity,
    condition_holds,
    element_predicate,
    null_wants_absent,
    parse_operator,
)
from .matching import StrPred, glob_matches, patterns
from .principals import principal_preds, same_account
from .request import ContextValue, Request, RequestFormatError, lowered

# Requests live in `request`; callers import them from here, beside `evaluate`.
__all__ = ["ContextValue", "Decision", "Request", "RequestFormatError", "evaluate", "evaluate_each"]

Kind = Literal["direct", "delegated"]


DecisionName = Literal["allow", "allow_if_iam", "deny"]
RANK: dict[str, int] = {"deny": 0, "allow_if_iam": 1, "allow": 2}


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    decision: DecisionName
    reason: Literal["allow", "delegated", "cross_account", "explicit_deny", "implicit_deny"]
    statements: tuple[str, ...] = ()

    @property
    def rank(self) -> int:
        """0 denied, 1 allowed only if an IAM policy also allows, 2 allowed by the key policy."""
        return RANK[self.decision]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "decision": self.decision,
            "reason": self.reason,
            "statements": list(self.statements),
        }
        if self.reason in _NOTES:
            out["note"] = _NOTES[self.reason]
        return out


_NOTES = {
    "delegated": "only an account statement names this principal: allowed if an IAM policy "
    "of the key's account also allows it (the key policy delegates to IAM)",
    "cross_account": "a principal of another account: allowed if an IAM policy of its own "
    "account also allows it",
}


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


def principal_kind(st: iam.Statement, who: str) -> Kind | None:
    """How the statement's principal element names `who`: directly, only through an account
    (delegation to IAM), or not at all. A NotPrincipal that does not exclude `who` names it
    directly, like `"*"`."""
    if st.principal is not None:
        if st.principal.star:
            return "direct"
        preds = principal_preds(st.principal, False)
        if preds.direct.matches(who):
            return "direct"
        return "delegated" if preds.delegated.matches(who) else None
    if st.not_principal is not None:
        if st.not_principal.star or principal_preds(st.not_principal, True).any.matches(who):
            return None
        return "direct"
    return None


def action_ok(st: iam.Statement, action: str) -> bool:
    listed = st.action if st.action is not None else st.not_action
    if listed is None:
        return False
    hit = any(glob_matches(p, action, fold_case=True) for p in listed)
    return hit if st.action is not None else not hit


def _resource_ok(st: iam.Statement, resource: str | None) -> bool:
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


class _Compiled:
    """A statement `check_statement` accepted, with its parsed conditions and memos of how it
    answers the principals, actions and resources asked so far. The verifier asks the same few
    statements of a key tens of times about the same handful of principals and actions
    (issue 16); each answer is the pure function above, computed once."""

    __slots__ = ("actions", "conds", "kinds", "resources", "st")

    def __init__(self, st: iam.Statement) -> None:
        check_statement(st)  # raises: nothing is cached for a refused statement
        self.st = st
        self.conds = tuple(
            (c.key.lower(), parse_operator(c.operator), c.values) for c in st.conditions
        )
        self.kinds: dict[str, Kind | None] = {}
        self.actions: dict[str, bool] = {}
        self.resources: dict[str | None, bool] = {}

    def kind(self, who: str) -> Kind | None:
        if who not in self.kinds:
            if len(self.kinds) >= _MEMO_MAX:
                self.kinds.clear()  # a comparer's witnesses can be many: keep memos bounded
            self.kinds[who] = principal_kind(self.st, who)
        return self.kinds[who]

    def names(self, action: str, resource: str | None) -> bool:
        """Whether the action and resource elements name this request."""
        if action not in self.actions:
            if len(self.actions) >= _MEMO_MAX:
                self.actions.clear()
            self.actions[action] = action_ok(self.st, action)
        if not self.actions[action]:
            return False
        if resource not in self.resources:
            if len(self.resources) >= _MEMO_MAX:
                self.resources.clear()
            self.resources[resource] = _resource_ok(self.st, resource)
        return self.resources[resource]


# By value: keys of one organization share most statements (the guard rails, the vendor grants
# of every environment), so what one statement answered serves every equal one. Bounded (cleared
# when full), so a long test run does not keep its statements alive.
_COMPILED: dict[iam.Statement, _Compiled] = {}
_COMPILED_MAX = 1 << 12
_MEMO_MAX = 1 << 10
# Each policy's compiled statements, by identity: the entry holds the policy, so an id is never
# reused while cached. The verifier works through the keys one at a time: only the last few
# policies matter.
_POLICIES: dict[int, tuple[iam.Policy, list[_Compiled]]] = {}
_POLICIES_MAX = 1 << 8


def _compiled_policy(policy: iam.Policy) -> list[_Compiled]:
    got = _POLICIES.get(id(policy))
    if got is not None and got[0] is policy:
        return got[1]
    made = [_compiled(st) for st in policy.statements]
    if len(_POLICIES) >= _POLICIES_MAX:
        _POLICIES.clear()
    _POLICIES[id(policy)] = (policy, made)
    return made


def _compiled(st: iam.Statement) -> _Compiled:
    got = _COMPILED.get(st)
    if got is not None:
        return got
    made = _Compiled(st)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[st] = made
    return made


def _applies(cs: _Compiled, request: Request, ctx: Mapping[str, tuple[str, ...]]) -> Kind | None:
    kind = cs.kind(request.principal)
    ok = (
        kind is not None
        and cs.names(request.action, request.resource)
        and all(condition_holds(op, vals, ctx.get(key)) for key, op, vals in cs.conds)
    )
    return kind if ok else None


def statement_applies(
    st: iam.Statement, request: Request, ctx: Mapping[str, tuple[str, ...]]
) -> Kind | None:
    """How the statement names the request (see `principal_kind`), or None if it does not
    apply to it. `ctx` is the request's context with lower-case keys."""
    return _applies(_compiled(st), request, ctx)


def evaluate_each(
    policy: iam.Policy,
    request: Request,
    key: str,
    values: Sequence[str],
    key_account: str | None = None,
) -> list[Decision]:
    """`evaluate` of `request` with context key `key` set to each of `values` in turn.

    Decision `i` equals `evaluate(policy, request')` where `request'` is `request` with its
    context entry for `key` (any case) replaced by `values[i]`. Everything a statement decides
    without reading `key` (principal, action, resource, its other conditions) is decided once,
    so N values cost one evaluation plus N condition tests instead of N evaluations (the
    verifier proves every revoked value denied this way).
    """
    live = _live_statements(policy, request, key.lower())
    same = same_account(request.principal, key_account)
    out: list[Decision] = []
    memo: dict[tuple[tuple[str, ...], ...], Decision] = {}
    for value in values:
        got = (value,)
        hits: dict[str, list[str]] = {"Deny": [], "direct": [], "delegated": []}
        for label, slot, varying in live:
            if all(condition_holds(op, vals, got) for op, vals in varying):
                hits[slot].append(label)
        sig = (tuple(hits["Deny"]), tuple(hits["direct"]), tuple(hits["delegated"]))
        found = memo.get(sig)
        if found is None:
            found = memo[sig] = _decide(*sig, same)
        out.append(found)
    return out


# (label, "Deny" | "direct" | "delegated", the conditions on the varying key)
_Live = tuple[str, str, tuple[tuple[Operator, tuple[str, ...]], ...]]


def _live_statements(policy: iam.Policy, request: Request, wanted: str) -> list[_Live]:
    """(label, effect, the statement's conditions on `wanted`) for each statement that applies
    whatever the value of `wanted` is, as far as its other parts go."""
    compiled = _compiled_policy(policy)
    ctx = lowered({k: v for k, v in request.context.items() if k.lower() != wanted})
    live: list[_Live] = []
    for i, cs in enumerate(compiled):
        kind = cs.kind(request.principal)
        if not (
            kind is not None
            and cs.names(request.action, request.resource)
            and all(
                condition_holds(op, vals, ctx.get(key))
                for key, op, vals in cs.conds
                if key != wanted
            )
        ):
            continue
        varying = tuple((op, vals) for key, op, vals in cs.conds if key == wanted)
        slot = "Deny" if cs.st.effect == "Deny" else (kind or "direct")
        live.append((statement_label(cs.st, i), slot, varying))
    return live


@lru_cache(maxsize=4096)  # decisions are immutable: equal outcomes share one (issue 16)
def _decide(
    denies: tuple[str, ...], direct: tuple[str, ...], delegated: tuple[str, ...], same: bool
) -> Decision:
    if denies:
        return Decision(decision="deny", reason="explicit_deny", statements=denies)
    if direct and same:
        return Decision(decision="allow", reason="allow", statements=direct)
    if direct or delegated:
        reason = "delegated" if same else "cross_account"
        return Decision(decision="allow_if_iam", reason=reason, statements=direct + delegated)
    return Decision(decision="deny", reason="implicit_deny")


def evaluate(policy: iam.Policy, request: Request, key_account: str | None = None) -> Decision:
    """Decide `request` against `policy` for a key in `key_account`: explicit deny, else
    allow (`allow` or `allow_if_iam`, see the module docstring), else implicit deny."""
    compiled = _compiled_policy(policy)
    ctx = lowered(request.context)
    hits: dict[str, list[str]] = {"Deny": [], "direct": [], "delegated": []}
    for i, cs in enumerate(compiled):
        kind = _applies(cs, request, ctx)
        if kind is not None:
            hits["Deny" if cs.st.effect == "Deny" else kind].append(statement_label(cs.st, i))
    same = same_account(request.principal, key_account)
    return _decide(tuple(hits["Deny"]), tuple(hits["direct"]), tuple(hits["delegated"]), same)

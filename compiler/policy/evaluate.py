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

from pydantic import BaseModel, ConfigDict, Field

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

ContextValue = str | tuple[str, ...]
Kind = Literal["direct", "delegated"]
_REQUEST_FIELDS = {"principal", "action", "resource", "context"}


class RequestFormatError(ValueError):
    """A request document that is not `{"principal", "action", "resource"?, "context"?}`."""


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    principal: str
    action: str
    resource: str | None = None
    context: dict[str, ContextValue] = Field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: Any) -> Request:
        if not isinstance(doc, Mapping):
            raise RequestFormatError("a request must be a JSON object")
        unknown = set(doc) - _REQUEST_FIELDS
        if unknown:
            raise RequestFormatError(f"unknown request field `{sorted(unknown)[0]}`")
        # An empty principal is odd but well-formed (the comparer may name one); no action is not.
        if not isinstance(doc.get("principal"), str):
            raise RequestFormatError("`principal` must be a string")
        if not isinstance(doc.get("action"), str) or not doc["action"]:
            raise RequestFormatError("`action` must be a non-empty string")
        resource = doc.get("resource")
        if resource is not None and not isinstance(resource, str):
            raise RequestFormatError("`resource` must be a string or null")
        ctx = _context_from_json(doc.get("context", {}))
        return cls(principal=doc["principal"], action=doc["action"], resource=resource, context=ctx)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"principal": self.principal, "action": self.action}
        if self.resource is not None:
            out["resource"] = self.resource
        out["context"] = {k: v if isinstance(v, str) else list(v) for k, v in self.context.items()}
        return out


def _scalar(v: Any, key: str) -> str:
    text = iam.scalar_text(v)
    if text is None:
        raise RequestFormatError(f"context key `{key}`: values must be strings or lists of strings")
    return text


def _context_from_json(raw: Any) -> dict[str, ContextValue]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RequestFormatError("`context` must be an object of condition keys")
    out: dict[str, ContextValue] = {}
    for key, val in raw.items():
        out[key] = (
            tuple(_scalar(v, key) for v in val) if isinstance(val, list) else _scalar(val, key)
        )
    _lowered(out)
    return out


def _lowered(ctx: Mapping[str, ContextValue]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, val in ctx.items():
        if key.lower() in out:
            raise RequestFormatError(f"context key `{key}` is given twice (key names ignore case)")
        out[key.lower()] = (val,) if isinstance(val, str) else tuple(val)
    return out


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


# Statements `check_statement` accepted, by identity: the verifier evaluates the same few
# statements of a key tens of times, and checking is a third of an evaluation (issue 16). The
# entry holds the statement itself, so an id is never reused while it is cached.
_CHECKED: dict[int, iam.Statement] = {}
_CHECKED_MAX = 1 << 16


def _check_once(st: iam.Statement) -> None:
    if _CHECKED.get(id(st)) is st:
        return
    check_statement(st)  # raises: nothing is cached for a refused statement
    if len(_CHECKED) >= _CHECKED_MAX:
        _CHECKED.clear()
    _CHECKED[id(st)] = st


def statement_applies(
    st: iam.Statement, request: Request, ctx: Mapping[str, tuple[str, ...]]
) -> Kind | None:
    """How the statement names the request (see `principal_kind`), or None if it does not
    apply to it."""
    kind = principal_kind(st, request.principal)
    ok = (
        kind is not None
        and action_ok(st, request.action)
        and _resource_ok(st, request.resource)
        and all(
            condition_holds(parse_operator(c.operator), c.values, ctx.get(c.key.lower()))
            for c in st.conditions
        )
    )
    return kind if ok else None


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
    for st in policy.statements:
        _check_once(st)
    ctx = _lowered({k: v for k, v in request.context.items() if k.lower() != wanted})
    live: list[_Live] = []
    for i, st in enumerate(policy.statements):
        fixed = [c for c in st.conditions if c.key.lower() != wanted]
        kind = principal_kind(st, request.principal)
        if not (
            kind is not None
            and action_ok(st, request.action)
            and _resource_ok(st, request.resource)
            and all(
                condition_holds(parse_operator(c.operator), c.values, ctx.get(c.key.lower()))
                for c in fixed
            )
        ):
            continue
        varying = tuple(
            (parse_operator(c.operator), c.values) for c in st.conditions if c.key.lower() == wanted
        )
        slot = "Deny" if st.effect == "Deny" else (kind or "direct")
        live.append((statement_label(st, i), slot, varying))
    return live


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
    for st in policy.statements:
        _check_once(st)
    ctx = _lowered(request.context)
    hits: dict[str, list[str]] = {"Deny": [], "direct": [], "delegated": []}
    for i, st in enumerate(policy.statements):
        kind = statement_applies(st, request, ctx)
        if kind is not None:
            hits["Deny" if st.effect == "Deny" else kind].append(statement_label(st, i))
    same = same_account(request.principal, key_account)
    return _decide(tuple(hits["Deny"]), tuple(hits["direct"]), tuple(hits["delegated"]), same)

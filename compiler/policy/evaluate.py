"""The concrete evaluator: one request against one key policy, the IAM way.

An explicit `Deny` that matches wins; else a matching `Allow` allows; else the request is
implicitly denied. The context is the request's `context` completed with the keys AWS sets
from the principal on every request (`context.complete`: `aws:PrincipalArn`,
`aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalIsAWSService`, `kms:CallerAccount`);
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
Where AWS leaves a principal element's reading open (`principals.READINGS`), a request whose
decision differs between the readings is refused (`AmbiguousRequestError`).

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

from collections.abc import Callable, Mapping, Sequence

from . import compiled as compiled_mod
from . import iam
from .compiled import (
    CompiledPolicy,
    CompiledStatement,
    Labelled,
    batch,
    compiled_policy,
    compiled_statement,
    request_key,
)
from .condops import AmbiguousPolicyError, condition_holds, one_value_test
from .context import DERIVED_LOWER, complete
from .decision import Decision, decide, says
from .principals import READINGS, same_account
from .request import ContextValue, Request, RequestFormatError, lowered
from .statements import (
    PLAIN,
    Kind,
    Reading,
    action_ok,
    check_statement,
    is_all_star,
    principal_kind,
    readings,
    resource_pred,
    statement_label,
)

# Requests live in `request`, what a statement names in `statements`; callers import them
# from here, beside `evaluate`.
__all__ = [
    "PLAIN",
    "ContextValue",
    "Decision",
    "Reading",
    "Request",
    "RequestFormatError",
    "action_ok",
    "check_statement",
    "evaluate",
    "evaluate_all",
    "evaluate_each",
    "evaluate_readings",
    "evaluate_under",
    "is_all_star",
    "principal_kind",
    "resource_pred",
    "statement_label",
]


class AmbiguousRequestError(AmbiguousPolicyError):
    """A request whose decision depends on a reading AWS does not document."""


def _applies(
    cs: CompiledStatement,
    request: Request,
    ctx: Mapping[str, tuple[str, ...]],
    reading: Reading = PLAIN,
) -> Kind | None:
    kind = cs.kind(request.principal, reading)
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
    apply to it. `ctx` is the request's context with lower-case keys (the keys AWS derives
    from the principal are added)."""
    return _applies(compiled_statement(st), request, complete(request.principal, ctx))


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
    verifier proves every revoked value denied this way). `key` may not be one AWS derives
    from the principal.
    """
    if key.lower() in DERIVED_LOWER:
        raise ValueError(f"`{key}` is set by AWS from the principal: it cannot vary")
    cp = compiled_policy(policy)
    if cp.open(request.principal):
        return [
            evaluate(policy, _with(request, key, v), key_account) for v in values
        ]  # the rare request a reading decides: one evaluation each
    memo_key = ("each", request_key(request), key, tuple(values), key_account)
    got = cp.recall(memo_key)
    if got is None:
        got = _each(cp, request, key, values, same_account(request.principal, key_account))
        cp.remember(memo_key, got)
    return list(got)


def _each(
    cp: CompiledPolicy, request: Request, key: str, values: Sequence[str], same: bool
) -> tuple[Decision, ...]:
    live = _live_statements(cp.labelled, request, key.lower())
    varying = [(j, test) for j, (_, _, test) in enumerate(live) if test is not None]
    out: list[Decision] = []
    memo: dict[tuple[int, ...], Decision] = {}
    for value in values:
        held = tuple(j for j, test in varying if test(value))  # the statements it decides
        found = memo.get(held)
        if found is None:
            found = memo[held] = _decide_held(live, set(held), same)
        out.append(found)
    return tuple(out)


def _decide_held(live: list[_Live], held: set[int], same: bool) -> Decision:
    """The decision when the live statements without a test on the value, and those of
    `held`, apply."""
    hits: dict[str, list[str]] = {"Deny": [], "direct": [], "delegated": []}
    for j, (label, slot, test) in enumerate(live):
        if test is None or j in held:
            hits[slot].append(label)
    return decide(tuple(hits["Deny"]), tuple(hits["direct"]), tuple(hits["delegated"]), same)


def _with(request: Request, key: str, value: str) -> Request:
    ctx = {k: v for k, v in request.context.items() if k.lower() != key.lower()}
    return request.model_copy(update={"context": {**ctx, key: value}})


# (label, "Deny" | "direct" | "delegated", the statement's conditions on the varying key as one
# test of its value, `condops.one_value_test`: None when it has none)
_Live = tuple[str, str, Callable[[str], bool] | None]


def _live_statements(entries: Labelled, request: Request, wanted: str) -> list[_Live]:
    """(label, effect, the statement's conditions on `wanted`) for each statement that applies
    whatever the value of `wanted` is, as far as its other parts go."""
    own = lowered({k: v for k, v in request.context.items() if k.lower() != wanted})
    ctx = complete(request.principal, own)
    live: list[_Live] = []
    for label, cs in entries:
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
        tests = [one_value_test(op, vals) for key, op, vals in cs.conds if key == wanted]
        slot = "Deny" if cs.st.effect == "Deny" else (kind or "direct")
        live.append((label, slot, _all_of(tests)))
    return live


def _all_of(tests: list[Callable[[str], bool]]) -> Callable[[str], bool] | None:
    if len(tests) <= 1:
        return tests[0] if tests else None
    return lambda v: all(test(v) for test in tests)


def _evaluate(entries: Labelled, request: Request, same: bool, reading: Reading) -> Decision:
    ctx = None
    hits: dict[str, list[str]] = {"Deny": [], "direct": [], "delegated": []}
    asked = id(request), reading  # each statement answers a request once (the entry holds it)
    for label, cs in entries:
        got = cs.asked.get(asked)
        if got is None or got[0] is not request:
            ctx = complete(request.principal, lowered(request.context)) if ctx is None else ctx
            got = compiled_mod.keep(cs.asked, asked, (request, _applies(cs, request, ctx, reading)))
        kind = got[1]
        if kind is not None:
            hits["Deny" if cs.st.effect == "Deny" else kind].append(label)
    return decide(tuple(hits["Deny"]), tuple(hits["direct"]), tuple(hits["delegated"]), same)


def evaluate_readings(
    policy: iam.Policy, request: Request, key_account: str | None = None
) -> dict[Reading, Decision]:
    """The decision of `request` under each reading AWS leaves open for it (`principals.
    READINGS`, a reading being the flags taken to hold); just `PLAIN` when none is open."""
    cp = compiled_policy(policy)
    if not cp.open(request.principal):
        return {PLAIN: _plain(cp, request, key_account)}
    return dict(_outcome(cp, request, key_account)[0])


def _plain(cp: CompiledPolicy, request: Request, key_account: str | None) -> Decision:
    """The decision of a request no reading is open for: its action's view decides it
    (remembered by the view, which equal views of other policies share)."""
    view = cp.view(request.action)
    memo_key = (request_key(request), key_account)
    got: Decision | None = view.recall(memo_key)
    if got is None:
        same = same_account(request.principal, key_account)
        got = _evaluate(view.entries, request, same, PLAIN)
        view.remember(memo_key, got)
    return got


# What `evaluate` found: the decision under each reading left open, and the decision, or why
# the readings disagree (`AmbiguousRequestError`'s message).
_Outcome = tuple[dict[Reading, Decision], "Decision | str"]


def _outcome(cp: CompiledPolicy, request: Request, key_account: str | None) -> _Outcome:
    """`evaluate_readings` and `evaluate`, remembered by the policy (do not mutate)."""
    memo_key = (request_key(request), key_account)
    got: _Outcome | None = cp.recall(memo_key)
    if got is None:
        same = same_account(request.principal, key_account)
        each = {
            r: _evaluate(cp.labelled, request, same, r)
            for r in readings(cp.open(request.principal))
        }
        got = (each, _agreed(each, request.principal))
        cp.remember(memo_key, got)
    return got


def _agreed(each: dict[Reading, Decision], who: str) -> Decision | str:
    """The plain reading's decision, or why another reading AWS leaves open ranks it apart."""
    plain = each[PLAIN]
    for reading, other in each.items():
        if other.rank != plain.rank:
            why = "; ".join(READINGS[f] for f in sorted(reading))
            return (
                f"AWS does not document {why}: `{who}` is {says(plain)} read "
                f"one way, {says(other)} read the other"
            )
    return plain


def evaluate_under(
    policy: iam.Policy, request: Request, reading: Reading, key_account: str | None = None
) -> Decision:
    """The decision of `request` with the flags of `reading` taken to hold (differential
    tests judge the comparer under each reading AWS leaves open)."""
    entries = compiled_policy(policy).labelled
    return _evaluate(entries, request, same_account(request.principal, key_account), reading)


def evaluate(policy: iam.Policy, request: Request, key_account: str | None = None) -> Decision:
    """Decide `request` against `policy` for a key in `key_account`: explicit deny, else
    allow (`allow` or `allow_if_iam`, see the module docstring), else implicit deny. Raises
    `AmbiguousRequestError` when the decision depends on a reading AWS does not document."""
    cp = compiled_policy(policy)
    if not cp.open(request.principal):
        return _plain(cp, request, key_account)
    found = _outcome(cp, request, key_account)[1]
    if isinstance(found, str):
        raise AmbiguousRequestError(found)
    return found


def evaluate_all(
    policy: iam.Policy, requests: tuple[Request, ...], key_account: str | None = None
) -> tuple[Decision, ...]:
    """`evaluate` of each request in turn (raising as the first that raises would). The
    verifier asks every key the same guard requests: pass one tuple for them (interned), and
    when no reading is open for their principals, their decisions, which then depend only on
    the policy's views of their actions (`_plain`), are shared by every policy with the same
    views."""
    cp = compiled_policy(policy)
    asked = batch(requests)
    if any(cp.open(who) for who in asked.whos):
        return tuple(evaluate(policy, r, key_account) for r in requests)
    memo_key = (key_account, tuple(cp.view(a) for a in asked.actions))
    got: tuple[Decision, ...] | None = asked.recall(memo_key)
    if got is None:
        got = tuple(_plain(cp, r, key_account) for r in requests)
        asked.remember(memo_key, got)
    return got

"""Stage 5, verify: lints and proofs over each compiled key policy.

Each check is a small function `(CompiledKey) -> Iterator[Diagnostic]` in `CHECKS`. They run
independently and fail closed: an exception inside a check becomes an `E511` error, never a
pass. Semantic checks use the evaluator (concrete requests) and the comparer (all requests).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from pydantic import BaseModel, ConfigDict

from ..compile.guards import suspended_principals
from ..compile.keys import CONTEXT_PREFIX, POLICY_LIMIT, CompiledKey
from ..diagnostics import Diagnostic
from ..policy import catalog
from ..policy.compare import compare
from ..policy.context import DERIVED_LOWER
from ..policy.evaluate import Request, evaluate, evaluate_each
from .guards import (
    grants_only_for_aws,
    no_lockout,
    only_break_glass_disables,
    replicas_only_where_declared,
)
from .replacements import decrypt_only

Check = Callable[[CompiledKey], Iterator[Diagnostic]]


class Proof(BaseModel):
    """What verification established for one key (reported by `byok generate`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    relation: str
    revocations_checked: int


def _actions(ck: CompiledKey) -> Iterator[Diagnostic]:
    for s in ck.policy.statements:
        for a in (s.action or ()) + (s.not_action or ()):
            if a not in ("*", "kms:*") and not catalog.expand_actions(a):
                yield Diagnostic.make(
                    "E501",
                    f"key `{ck.key.name}` statement `{s.sid}`: unknown action `{a}`",
                    ck.origins.get(s.sid or ""),
                )


def _condition_keys(ck: CompiledKey) -> Iterator[Diagnostic]:
    for s in ck.policy.statements:
        where = ck.origins.get(s.sid or "")
        for c in s.conditions:
            if catalog.is_forbidden_in_key_policy(c.key):
                yield Diagnostic.make(
                    "E503",
                    f"key `{ck.key.name}` statement `{s.sid}`: `{c.key}` "
                    "is rejected in key policies",
                    where,
                )
            elif not catalog.is_known_condition_key(c.key):
                yield Diagnostic.make(
                    "E502",
                    f"key `{ck.key.name}` statement `{s.sid}`: unknown condition key `{c.key}`",
                    where,
                )
            if c.operator.startswith("ForAllValues:") and c.key.lower().startswith(
                "kms:encryptioncontext:"
            ):
                yield Diagnostic.make(
                    "E504",
                    f"key `{ck.key.name}` statement `{s.sid}`: `ForAllValues` on `{c.key}`",
                    where,
                )


def _public_allow(ck: CompiledKey) -> Iterator[Diagnostic]:
    for s in ck.policy.statements:
        p = s.principal
        if s.effect == "Allow" and p is not None and (p.star or "*" in p.aws) and not s.conditions:
            yield Diagnostic.make(
                "E505",
                f"key `{ck.key.name}` statement `{s.sid}` allows everyone",
                ck.origins.get(s.sid or ""),
            )


def _full_control_outside(ck: CompiledKey) -> Iterator[Diagnostic]:
    account = ck.key.org.account_id
    for s in ck.policy.statements:
        if s.effect != "Allow" or s.principal is None:
            continue
        granted = set().union(*(catalog.expand_actions(a) for a in s.action or ()))
        if granted >= catalog.KMS_ACTIONS:
            outside = [a for a in s.principal.aws if f":{account}:" not in a and a != account]
            for arn in outside:
                yield Diagnostic.make(
                    "E506",
                    f"key `{ck.key.name}` statement `{s.sid}` grants "
                    f"kms:* to `{arn}` outside account {account}",
                    ck.origins.get(s.sid or ""),
                )


def _admins_cannot_use(ck: CompiledKey) -> Iterator[Diagnostic]:
    for s in ck.policy.statements:
        if s.sid == "KeyAdministration":
            granted = set().union(*(catalog.expand_actions(a) for a in s.action or ()))
            for a in sorted(granted & catalog.USE_ACTIONS):
                yield Diagnostic.make(
                    "E512",
                    f"key `{ck.key.name}`: administrators may call `{a}`",
                    ck.origins.get("KeyAdministration"),
                )


def _revocations_effective(ck: CompiledKey) -> Iterator[Diagnostic]:
    """Every revoked value is denied (E508), and the revocations change no decision for a
    context outside them or without one (E509), each proved through the evaluator.

    `evaluate_each` decides the value-independent part of the policy once per principal and
    action, then every revoked value (and the outside probe) in the same pass."""
    k = ck.key
    actions = sorted(set().union(*(catalog.expand_actions(a) for a in k.vendor.revocation.actions)))
    collateral = k.suspension is None  # a suspension denies every context by design
    for principal in k.principals:
        for action in actions:
            req = Request(principal=principal, action=action)
            if collateral and k.revocations:
                yield from _changed(ck, req, {})
            for rev in k.revocations:
                ctx_key = f"kms:EncryptionContext:{rev.scope.context_key}"
                other = next(v for v in ("other-value", "x", "0" * 40) if v not in rev.values)
                probes = rev.values + ((other,) if collateral else ())
                decisions = evaluate_each(ck.policy, req, ctx_key, probes, k.org.account_id)
                for value, d in zip(rev.values, decisions, strict=False):
                    # Denied by the revocation itself, not merely by a missing Allow.
                    if d.reason != "explicit_deny":
                        yield Diagnostic.make(
                            "E508",
                            f"key `{k.name}`: `{principal}` may still "
                            f"call `{action}` with {ctx_key} = `{value}`",
                            rev.entries[0].where.loc,
                        )
                if collateral:
                    base = evaluate_each(ck.base_policy, req, ctx_key, (other,), k.org.account_id)[
                        0
                    ]
                    if decisions[-1].decision != base.decision:
                        yield _collateral(ck, action, {ctx_key: other})


def _changed(ck: CompiledKey, req: Request, ctx: dict[str, str]) -> Iterator[Diagnostic]:
    probe = req.model_copy(update={"context": ctx})
    ka = ck.key.org.account_id
    if evaluate(ck.policy, probe, ka).decision != evaluate(ck.base_policy, probe, ka).decision:
        yield _collateral(ck, req.action, ctx)


def _collateral(ck: CompiledKey, action: str, ctx: dict[str, str]) -> Diagnostic:
    return Diagnostic.make(
        "E509",
        f"key `{ck.key.name}`: revocation changes the decision "
        f"for `{action}` with context {ctx or 'absent'}",
        ck.origins.get(""),
    )


def vendor_grants(ck: CompiledKey) -> list[tuple[str, tuple[str, ...]]]:
    """(name, actions) of the grants to the vendor's own principals: `party: customer` grants
    name the organization's principals, which a revocation does not deny."""
    parties = [w.party for w in ck.key.grant_who] or ["vendor"] * len(ck.key.grants)
    return [
        (name, actions)
        for (name, actions, _), party in zip(ck.key.grants, parties, strict=True)
        if party == "vendor"
    ]


def granted_data_actions(ck: CompiledKey) -> list[str]:
    """Every data action the vendor file's grants give on this key (wildcards expanded), the
    `party: customer` grants' included: a suspension denies them all."""
    return sorted(catalog.data_actions(a for _, actions, _ in ck.key.grants for a in actions))


def _suspension_complete(ck: CompiledKey) -> Iterator[Diagnostic]:
    """A suspended vendor is explicitly denied every granted data action (E517), whatever the
    request's context, and so is every principal of the organization its `party: customer`
    grants name (the roles the vendor assumes): the Suspend statement has no condition, so the
    empty context decides."""
    k = ck.key
    if k.suspension is None:
        return
    aws, services = suspended_principals(k)
    for principal in (*aws, *services):
        for action in granted_data_actions(ck):
            d = evaluate(ck.policy, Request(principal=principal, action=action), k.org.account_id)
            if d.reason != "explicit_deny":
                yield Diagnostic.make(
                    "E517",
                    f"key `{k.name}`: suspended `{principal}` may still call `{action}` "
                    f"({d.reason})",
                    k.suspension.where.loc,
                )


def _probe_context(ck: CompiledKey) -> dict[str, str]:
    """A context that satisfies the vendor grants' positive string conditions and carries every
    required context key, so a probe without one key reaches the Allow it would otherwise meet
    (the E518 proof is then not vacuous)."""
    ctx = {CONTEXT_PREFIX + key: "probe" for key in ck.key.required_context_keys}
    for _, _, conds in ck.key.grants:
        for c in conds:
            if c.key.lower() in DERIVED_LOWER:
                continue  # AWS sets it from the principal: a probe cannot choose it
            if c.operator in ("StringEquals", "StringLike", "ArnEquals", "ArnLike") and c.values:
                ctx[c.key] = c.values[0].replace("*", "x").replace("?", "x")
    return ctx


def _context_required(ck: CompiledKey) -> Iterator[Diagnostic]:
    """A vendor request that lacks a context key its vendor file declares always present is
    denied, for every granted operation that takes an encryption context (E518), even before
    any revocation or suspension (so in the full policy too: it only adds Deny statements)."""
    k = ck.key
    actions = sorted(
        catalog.expand_all(a for _, acts, _ in k.grants for a in acts)
        & catalog.ENCRYPTION_CONTEXT_ACTIONS
    )
    full = _probe_context(ck)
    declared = {
        s.context_key: s.always_present for s in k.vendor.revocation.scopes if s.always_present
    }
    for key in k.required_context_keys:
        fact = declared.get(key)
        ctx = {n: v for n, v in full.items() if n != CONTEXT_PREFIX + key}
        for principal in k.principals:
            for action in actions:
                req = Request(principal=principal, action=action, context=ctx)
                # The base policy (no Revoke/Suspend) has the same Allows and no Deny, so a
                # suspension or revocation cannot make this proof pass vacuously.
                if evaluate(ck.base_policy, req, k.org.account_id).decision != "deny":
                    yield Diagnostic.make(
                        "E518",
                        f"key `{k.name}`: `{principal}` may call `{action}` without "
                        f"{CONTEXT_PREFIX}{key}",
                        fact.where.loc if fact else k.app.where.loc,
                    )


def _allows_unchanged(ck: CompiledKey) -> Iterator[Diagnostic]:
    with_revs = [s for s in ck.policy.statements if s.effect == "Allow"]
    without = [s for s in ck.base_policy.statements if s.effect == "Allow"]
    if with_revs != without:
        yield Diagnostic.make(
            "E513", f"key `{ck.key.name}`: revocations changed an Allow statement"
        )


def _near_limit(ck: CompiledKey) -> Iterator[Diagnostic]:
    if ck.size > 0.9 * POLICY_LIMIT:
        yield Diagnostic.make(
            "W103",
            f"key `{ck.key.name}` policy uses {ck.size} of {POLICY_LIMIT} bytes",
            ck.key.app.where.loc,
        )


CHECKS: tuple[Check, ...] = (
    _actions,
    _condition_keys,
    _public_allow,
    _full_control_outside,
    _admins_cannot_use,
    no_lockout,
    only_break_glass_disables,
    grants_only_for_aws,
    replicas_only_where_declared,
    _revocations_effective,
    _suspension_complete,
    decrypt_only,
    _context_required,
    _allows_unchanged,
    _near_limit,
)


def _only_narrows(ck: CompiledKey) -> tuple[str, list[Diagnostic]]:
    result = compare(ck.base_policy, ck.policy, ck.key.org.account_id)
    if result.relation in ("equivalent", "narrower"):
        return result.relation, []
    witness = result.new_access.to_json() if result.new_access else None
    why = result.reason or (
        "allowed now; denied before, or allowed only if IAM also allowed: "
        + json.dumps(witness, sort_keys=True)
    )
    return result.relation, [
        Diagnostic.make(
            "E510",
            f"key `{ck.key.name}`: cannot prove revocations only narrow access "
            f"({result.relation}: {why})",
            ck.key.app.where.loc,
        )
    ]


def _guarded(ck: CompiledKey, name: str, fn: Callable[[], list[Diagnostic]]) -> list[Diagnostic]:
    try:
        return fn()
    except Exception as exc:
        return [
            Diagnostic.make(
                "E511",
                f"key `{ck.key.name}`: check `{name.strip('_')}` failed: "
                f"{type(exc).__name__}: {exc}",
                ck.key.app.where.loc,
            )
        ]


def verify_key(
    ck: CompiledKey, checks: tuple[Check, ...] = CHECKS
) -> tuple[list[Diagnostic], Proof]:
    """Run every check on one key; the proof records the comparer's relation."""
    out: list[Diagnostic] = []
    for check in checks:
        out += _guarded(ck, check.__name__, lambda c=check: list(c(ck)))  # type: ignore[misc]
    relation = ["unknown"]

    def narrows() -> list[Diagnostic]:
        relation[0], diags = _only_narrows(ck)
        return diags

    out += _guarded(ck, "only_narrows", narrows)
    revoked = sum(len(r.values) for r in ck.key.revocations)
    return out, Proof(key=ck.key.name, relation=relation[0], revocations_checked=revoked)

"""The plain-language lines `byok diff` prints for each statement of a key policy that changed.

Each line says what holds, in the direction the change goes: the verdict (`compare` on the
whole policy) decides the exit code, and a line never calls a narrowing new access or the
reverse.

- A revocation (`Revoke*`): the values added (the vendor loses the actions when the request
  carries one) or lifted (regains them); a revocation on a context key the vendor has not
  confirmed says, as `generate` does, that it may deny nothing.
- A suspension or a replaced key's decrypt-only period (`Suspend*`, `DecryptOnly*`): imposed or
  lifted.
- Any other Deny (the guard rails, the organization's own Denies): what it now denies that it
  did not, or no longer denies, judged by comparing the statement alone, each side with an
  Allow of everything before it, with a confirmed request naming who and what.
- An Allow (a vendor grant, administrators, break-glass, the organization's Allows): which of
  the statement's own principals gain or lose which actions, under which conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..compile import CompiledKey
from ..policy import catalog, iam
from ..policy.compare import Comparison, compare

_REVOCATION_SIDS = ("Revoke", "Suspend", "DecryptOnly")
_ALLOW_ALL = iam.Statement(
    sid="AllowAll",
    effect="Allow",
    principal=iam.Principals(star=True),
    action=("*",),
    resource=("*",),
)


@dataclass(frozen=True)
class Context:
    """What the lines of one key need: the vendor's label (`Slack (152659312504)`), the
    compiled key of the working tree (None: words only from the policies), the key's
    account, and the tickets of the base's revocations (value -> tickets)."""

    who: str
    ck: CompiledKey | None
    account: str | None
    lifted: Mapping[str, tuple[str, ...]]
    # the key's policy as a whole grants more (`compare`): only then is a line NEW ACCESS
    widens: bool = True


def statement_lines(
    name: str, sid: str, old: iam.Statement | None, new: iam.Statement | None, ctx: Context
) -> list[str]:
    """The lines for one statement that differs between OLD and NEW (None: absent there)."""
    stmt = new or old
    assert stmt is not None
    if stmt.effect == "Allow":
        return _allow_lines(name, sid, old, new, ctx)
    if sid.startswith(_REVOCATION_SIDS):
        return _revocation_lines(name, sid, old, new, ctx)
    return _deny_lines(name, sid, old, new, ctx)


def _codes(items: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def _when(conds: Sequence[iam.Condition]) -> str:
    if not conds:
        return ""
    return " when " + " and ".join(f"`{c.key}` {c.operator} {_codes(c.values)}" for c in conds)


def _principals(s: iam.Statement) -> list[str]:
    p = s.principal
    if p is None:
        return ["every principal but those of NotPrincipal"] if s.not_principal else []
    return ["every principal"] if p.star else sorted({*p.aws, *p.service, *p.federated})


def _actions(s: iam.Statement) -> list[str]:
    return sorted(s.action) if s.action is not None else [f"all but {_codes(s.not_action or ())}"]


def _allow_lines(
    name: str, sid: str, old: iam.Statement | None, new: iam.Statement | None, ctx: Context
) -> list[str]:
    """What the Allow grants, and to whom, now and no longer. `NEW ACCESS` marks what it
    newly grants only when the key's policy as a whole grants more (`Context.widens`)."""
    new_access = "NEW ACCESS: " if ctx.widens else ""
    if old is None or new is None:
        s = new or old
        assert s is not None
        what = f"{_codes(_principals(s))} {_codes(_actions(s))}{_when(s.conditions)}"
        if old is None:
            return [f"{name}: {new_access}`{sid}` added: grants {what}"]
        return [f"{name}: `{sid}` removed: no longer grants {what}"]
    out: list[str] = []
    before, after = set(_principals(old)), set(_principals(new))
    both = sorted(after & before)
    gained = sorted(catalog.expand_all(new.action or ()) - catalog.expand_all(old.action or ()))
    lost = sorted(catalog.expand_all(old.action or ()) - catalog.expand_all(new.action or ()))
    when = _when(new.conditions)
    if after - before:
        out.append(
            f"{name}: {new_access}`{sid}` now also grants {_codes(sorted(after - before))} "
            f"{_codes(_actions(new))}{when}"
        )
    if gained and both:
        out.append(
            f"{name}: {new_access}`{sid}` now also grants {_codes(both)} {_codes(gained)}{when}"
        )
    if set(old.conditions) != set(new.conditions):
        out += _condition_lines(name, sid, (old, new), both, ctx)
    if before - after:
        out.append(
            f"{name}: `{sid}` no longer grants {_codes(sorted(before - after))} "
            f"{_codes(_actions(old))}"
        )
    if lost and both:
        out.append(f"{name}: `{sid}` no longer grants {_codes(both)} {_codes(lost)}")
    return out or _by_witness(name, sid, (old, new), ctx)


def _by_witness(
    name: str, sid: str, pair: tuple[iam.Statement, iam.Statement], ctx: Context
) -> list[str]:
    """A change the lines above do not spell out (actions AWS has not defined yet, a
    resource): what the statement alone grants now and did not, or no longer, by example."""
    alone = (iam.Policy(statements=(pair[0],)), iam.Policy(statements=(pair[1],)))
    c = compare(*alone, ctx.account)
    out = []
    if c.new_access is not None:
        tag = "NEW ACCESS: " * ctx.widens
        out.append(f"{name}: {tag}`{sid}` now also grants {_who(c, False, '')}")
    if c.lost_access is not None:
        out.append(f"{name}: `{sid}` no longer grants {_who(c, True, '')}")
    return out or [f"{name}: `{sid}` rewritten with the same effect"]


def _condition_lines(
    name: str,
    sid: str,
    pair: tuple[iam.Statement, iam.Statement],
    who: list[str],
    ctx: Context,
) -> list[str]:
    """The statement's conditions changed: whether they now admit more or less."""
    old, new = pair
    was = _when(old.conditions) or " always"
    now = _when(new.conditions) or " always"
    alone = (iam.Policy(statements=(old,)), iam.Policy(statements=(new,)))
    relation = compare(*alone, ctx.account).relation
    grants = f"grants {_codes(who)} {_codes(_actions(new))}"
    if relation in ("wider", "incomparable", "unknown"):
        tag = ("NEW ACCESS: " if relation != "unknown" else "MAY BE NEW ACCESS: ") * ctx.widens
        return [f"{name}: {tag}`{sid}` now {grants}{now} (before:{was})"]
    if relation == "narrower":
        return [f"{name}: `{sid}` now {grants} only{now} (before:{was})"]
    return [f"{name}: `{sid}`: conditions rewritten with the same effect"]


def _cond_values(s: iam.Statement) -> tuple[str, set[str]]:
    for c in s.conditions:
        return c.key, set(c.values)
    return "", set()


def _tickets(ck: CompiledKey | None, values: set[str]) -> str:
    if ck is None:
        return ""
    tickets = sorted(
        {e.ticket for r in ck.key.revocations for e in r.entries if values & set(e.values)}
    )
    return f" (revocation {', '.join(tickets)})" if tickets else ""


def _lifted_ticket(base: Mapping[str, tuple[str, ...]], values: list[str]) -> str:
    """The ticket(s) under which the base's org.yaml revoked `values` (the working tree's no
    longer holds the entry), or nothing when the base's org.yaml cannot tell."""
    tickets = sorted({t for v in values for t in base.get(v, ())})
    return f" {', '.join(tickets)}" if tickets else ""


def _unconfirmed(ck: CompiledKey | None, key: str) -> str:
    """`generate`'s caveat for a revocation on a context key the vendor has not confirmed."""
    if ck is None:
        return ""
    for rev in ck.key.revocations:
        if rev.unconfirmed and f"kms:EncryptionContext:{rev.scope.context_key}" == key:
            return (
                f"; unconfirmed: may deny nothing: {ck.key.vendor.name} has not confirmed it "
                f"sends `{rev.scope.context_key}`"
            )
    return ""


def _revocation_lines(
    name: str, sid: str, old: iam.Statement | None, new: iam.Statement | None, ctx: Context
) -> list[str]:
    stmt = new or old
    assert stmt is not None
    actions = ", ".join(stmt.action or stmt.not_action or ())
    key, new_vals = _cond_values(new) if new else ("", set())
    okey, old_vals = _cond_values(old) if old else ("", set())
    key = key or okey
    if not key:  # a suspension, or a replaced key's decrypt-only grace period
        why = "decrypt-only" if sid.startswith("DecryptOnly") else "suspended"
        own = _own_principals(stmt, ctx.account)
        who, s = ctx.who + own, "" if own else "s"
        if new and not old:
            return [f"{name}: {who} lose{s} {actions} entirely ({why})"]
        if old and not new:
            lifted = "decrypt-only lifted" if why == "decrypt-only" else "suspension lifted"
            return [f"{name}: {'NEW ACCESS: ' * ctx.widens}{who} regain{s} {actions} ({lifted})"]
        return [f"{name}: Deny statement `{sid}` changed"]
    out = []
    added, removed = sorted(new_vals - old_vals), sorted(old_vals - new_vals)
    if added:
        out.append(
            f"{name}: {ctx.who} loses {actions} when {key} = {', '.join(added)}"
            f"{_tickets(ctx.ck, set(added))}{_unconfirmed(ctx.ck, key)}"
        )
    if removed:
        out.append(
            f"{name}: {'NEW ACCESS: ' * ctx.widens}{ctx.who} regains {actions} when {key} = "
            f"{', '.join(removed)} (revocation{_lifted_ticket(ctx.lifted, removed)} lifted)"
        )
    return out or [f"{name}: Deny statement `{sid}` changed"]


def _own_principals(stmt: iam.Statement, account: str | None) -> str:
    """A suspension also denies the organization's own principals the vendor uses (`party:
    customer` grants, compile/guards.py `suspended_principals`): name them after the vendor."""
    own = sorted(
        a for a in (stmt.principal.aws if stmt.principal else ()) if a.split(":")[4:5] == [account]
    )
    return f" and the organization's own {_codes(own)}" if own else ""


def _alone(deny: iam.Statement | None) -> iam.Policy:
    """The Deny with an Allow of everything before it: what the Deny alone takes away."""
    return iam.Policy(statements=(_ALLOW_ALL, *((deny,) if deny else ())))


def _who(c: Comparison, lost: bool, calling: str = "calling ") -> str:
    """The principal and action of a witness (a future action's class in words)."""
    w = c.lost_access if lost else c.new_access
    assert w is not None
    note = c.lost_action_note if lost else c.new_action_note
    return f"`{w.principal}` {calling}{note or f'`{w.action}`'}"


def _deny_lines(
    name: str, sid: str, old: iam.Statement | None, new: iam.Statement | None, ctx: Context
) -> list[str]:
    """A guard rail or the organization's Deny: what it now denies more, or less, with a
    request the evaluator confirms."""
    s = new or old
    assert s is not None
    c = compare(_alone(old), _alone(new), ctx.account)
    denied = _codes(_actions(s))
    out = []
    if c.lost_access is not None:
        kind = "added" if old is None else "now denies more"
        what = f"{denied}{_when(s.conditions)}"
        out.append(f"{name}: Deny `{sid}` {kind} ({what}): e.g. {_who(c, True)} is denied")
    if c.new_access is not None:
        kind = "removed" if new is None else "now denies less"
        who = _who(c, False)
        out.append(
            f"{name}: NEW ACCESS: Deny `{sid}` {kind} ({denied}): e.g. {who} is no longer denied"
        )
    if c.relation == "unknown" and not out:
        out.append(f"{name}: MAY BE NEW ACCESS: Deny `{sid}` changed ({c.reason})")
    return out or [f"{name}: Deny `{sid}` rewritten with the same effect"]

"""`byok diff`: what a change does to access, per key, in plain language, with every widening
proved by a concrete request.

The verdict is computed on the files Terraform applies: the working tree's
`generated/policies/*.json` against the same files committed at the base ref (`gitbase.py`).
The compiled inputs only supply words (vendor names, tickets), never a verdict; `byok diff`
refuses a `generated/` that is not what the inputs compile to (E323) before reviewing it.

Classes of change: a new key, a removed revocation value and a lifted suspension are
widenings, and so is any comparison the comparer cannot decide (`unknown`): the review fails
closed. A key that leaves `generated/` is destructive (deleting it makes the vendor's data
under it unreadable; `modules/kms-key` makes Terraform refuse) unless org.yaml declares its
decommission.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..compile import CompiledKey
from ..model.inputs import Decommission, Org, Vendor
from ..policy import iam
from ..policy.compare import compare
from ..policy.evaluate import Request
from ..resolve.lifecycle import Place, vendor_label
from .lines import Context, statement_lines


@dataclass(frozen=True)
class KeyChange:
    key: str
    status: str  # added | removed | decommissioned | changed | unchanged
    relation: str  # equivalent | narrower | wider | incomparable | unknown
    lines: tuple[str, ...]
    new_access: Request | None = None
    lost_access: Request | None = None
    reason: str | None = None

    @property
    def widens(self) -> bool:
        return self.relation in ("wider", "incomparable", "unknown")

    @property
    def destroys(self) -> bool:
        """The key leaves Terraform without a reviewed decommission."""
        return self.status == "removed"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status,
            "relation": self.relation,
            "widens": self.widens,
            "destroys": self.destroys,
            "changes": list(self.lines),
            "reason": self.reason,
            "new_access": _req(self.new_access),
            "lost_access": _req(self.lost_access),
        }


def _req(r: Request | None) -> dict[str, Any] | None:
    return None if r is None else r.to_json()


@dataclass(frozen=True)
class Move:
    """A key whose name stays but whose account or Region changes: for Terraform a destroy in
    one root and a create in another, so the old key (and what it encrypted) is removed."""

    old: Place
    new: Place
    # a root of the working tree still manages `old` (it plans to destroy the key); otherwise
    # no root applies there any more and the old key is left as it is, unmanaged
    old_root_kept: bool

    def phrase(self) -> str:
        (a, r), (b, s) = self.old, self.new
        return f"moved from account {a}/Region {r} to account {b}/Region {s}"


@dataclass(frozen=True)
class Words:
    """What the compiled inputs say about the keys: for the plain-language lines only."""

    compiled: Mapping[str, CompiledKey] = field(default_factory=dict)
    decommissions: Sequence[Decommission] = ()
    # key name -> its move, from the base's generated Terraform to the working tree's
    moves: Mapping[str, Move] = field(default_factory=dict)
    vendors: Mapping[str, Vendor] = field(default_factory=dict)
    # the account the keys live in: same-account principals named directly need no IAM policy,
    # others only through the account-root delegation (byok.policy.evaluate)
    account: str | None = None
    # key name -> revoked value -> tickets, from org.yaml at the base ref (`lifted_tickets`)
    base_tickets: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def decommission(self, name: str) -> Decommission | None:
        """The decommission of the base's key `name`: for a moved key, the one naming where
        the key was (`account_id`/`region`, each defaulting to where it is now)."""
        move = self.moves.get(name)
        for d in self.decommissions:
            left = None if move is None else (d.account_id or move.new[0], d.region or move.new[1])
            if d.key == name and (move is None or left == move.old):
                return d
        return None

    def account_of(self, name: str) -> str | None:
        """The account key `name` lives in: its stack's (several accounts) or org.yaml's."""
        ck = self.compiled.get(name)
        return ck.key.org.account_id if ck is not None else self.account

    def label(self, name: str, policy: iam.Policy) -> str:
        """`Slack (152659312504)`: the vendor and the accounts of its principals."""
        ck = self.compiled.get(name)
        if ck is not None:
            accounts = sorted({p.split(":")[4] for p in ck.key.principals})
            return f"{ck.key.vendor.display_name} ({', '.join(accounts)})"
        arns = {
            arn
            for s in policy.statements
            if (s.sid or "").startswith("Vendor") and s.principal is not None
            for arn in s.principal.aws
        }
        accounts = sorted({a.split(":")[4] for a in arns if a.count(":") >= 5})
        return (
            f"{vendor_label(name, self.vendors)} ({', '.join(accounts) or 'no vendor principal'})"
        )


def _by_sid(policy: iam.Policy | None) -> dict[str, iam.Statement]:
    return {s.sid or f"#{i}": s for i, s in enumerate(policy.statements)} if policy else {}


class _KeyTickets(Mapping[str, tuple[str, ...]]):
    """One key's lifted tickets (`Words.base_tickets`), looked up when a line first asks: only
    a lifted revocation does, and the base's org.yaml is modelled only then (cli/diff.py)."""

    def __init__(self, tickets: Mapping[str, Mapping[str, tuple[str, ...]]], name: str) -> None:
        self._tickets, self._name = tickets, name
        self._got: Mapping[str, tuple[str, ...]] | None = None

    def _of(self) -> Mapping[str, tuple[str, ...]]:
        if self._got is None:
            self._got = self._tickets.get(self._name, {})
        return self._got

    def __getitem__(self, value: str) -> tuple[str, ...]:
        return self._of()[value]

    def __iter__(self) -> Iterator[str]:
        return iter(self._of())

    def __len__(self) -> int:
        return len(self._of())


def describe(
    name: str, new: iam.Policy, old: iam.Policy | None, words: Words, relation: str = "wider"
) -> list[str]:
    """Plain-language lines for the statement-level changes of one key (`lines`: each says
    what holds, in the direction the change goes; the verdict is `compare`'s `relation`)."""
    before, after = _by_sid(old), _by_sid(new)
    ctx = Context(
        who=words.label(name, new),
        ck=words.compiled.get(name),
        account=words.account_of(name),
        lifted=_KeyTickets(words.base_tickets, name),
        widens=relation in ("wider", "incomparable", "unknown"),
    )
    lines: list[str] = []
    for sid in sorted(set(before) | set(after)):
        o, n = before.get(sid), after.get(sid)
        if o != n:
            lines += statement_lines(name, sid, o, n, ctx)
    return lines


def _vendor_witness(new: iam.Policy, account: str | None) -> Request | None:
    """For a new key, a request of the *vendor*: what the same policy without its `Vendor*`
    statements denies and the new policy allows. Against an empty policy the first witness is
    any principal at all (typically our own root managing the key), which says nothing about
    what the change gives the vendor."""
    own = tuple(s for s in new.statements if not (s.sid or "").startswith("Vendor"))
    if len(own) == len(new.statements):
        return None
    return compare(iam.Policy(statements=own), new, account).new_access


def lifted_tickets(org: Org) -> dict[str, dict[str, tuple[str, ...]]]:
    """Key name (`<vendor>-<environment>`) -> revoked value -> tickets, from one org.yaml."""
    out: dict[str, dict[str, set[str]]] = {}
    for app in org.apps:
        for env in app.environments:
            for e in app.revocations:
                if e.environments is None or env in e.environments:
                    for v in e.values:
                        out.setdefault(f"{app.vendor}-{env}", {}).setdefault(v, set()).add(e.ticket)
    return {k: {v: tuple(sorted(t)) for v, t in m.items()} for k, m in out.items()}


def key_change(name: str, new: iam.Policy, old: iam.Policy | None, words: Words) -> KeyChange:
    """The change of one key that the working tree's `generated/` holds."""
    if old is None:
        ck = words.compiled.get(name)
        env = f", {ck.key.environment}" if ck is not None else ""
        line = f"{name}: NEW ACCESS: new key for {words.label(name, new)}{env}"
        witness = _vendor_witness(new, words.account_of(name))
        if witness is None:
            witness = compare(iam.Policy(statements=()), new, words.account_of(name)).new_access
        return KeyChange(name, "added", "wider", (line,), witness, None, None)
    if old is new or old == new:  # `is`: the same text, parsed once (gitbase._parser)
        return KeyChange(name, "unchanged", "equivalent", ())
    result = compare(old, new, words.account_of(name))
    return KeyChange(
        name,
        "changed",
        result.relation,
        tuple(describe(name, new, old, words, result.relation)),
        result.new_access,
        result.lost_access,
        result.reason,
    )


def _moved(name: str, who: str, move: Move, d: Decommission | None) -> KeyChange:
    (a, r), (b, s) = move.old, move.new
    if move.old_root_kept:
        fate = (
            f"Terraform destroys the old key (the root of account {a}/Region {r} no longer lists "
            f"it) and creates a new one in account {b}/Region {s}"
        )
    else:
        fate = (
            f"no root of generated/ manages account {a}/Region {r} any more, so Terraform "
            f"leaves the old key there unmanaged and creates a new one in account {b}/Region {s}"
        )
    if d is not None:
        return _decommissioned(name, who, d, f"{move.phrase()}: {fate}; delete the old key")
    line = (
        f"{name}: KEY DELETION: {move.phrase()}: {fate}; everything {who} encrypted under the "
        "old key needs the old key, which leaves generated/ without a decommission in org.yaml"
        + (" (Terraform's plan refuses: prevent_destroy)" if move.old_root_kept else "")
    )
    return KeyChange(name, "removed", "narrower", (line,))


def _decommissioned(name: str, who: str, d: Decommission, what: str) -> KeyChange:
    line = (
        f"{name}: decommissioned ({d.ticket}: {d.reason}; {who} confirmed re-encryption or "
        f"deletion on {d.vendor_confirmed.isoformat()}): {what} with the break-glass runbook "
        '(README, "Decommissioning a key")'
    )
    return KeyChange(name, "decommissioned", "narrower", (line,))


def removal(name: str, old: iam.Policy, words: Words) -> KeyChange:
    """A key the base has and the working tree does not (or has elsewhere: `Move`): it leaves
    Terraform's configuration."""
    who = words.label(name, old)
    d = words.decommission(name)
    if name in words.moves:
        return _moved(name, who, words.moves[name], d)
    if d is not None:
        return _decommissioned(name, who, d, "the key leaves Terraform; delete it")
    line = (
        f"{name}: KEY DELETION: the key leaves generated/ without a decommission in org.yaml; "
        f"deleting it would make everything {who} encrypted under it unreadable "
        "(Terraform's plan refuses: prevent_destroy)"
    )
    return KeyChange(name, "removed", "narrower", (line,))


def review(
    current: Mapping[str, iam.Policy],
    base: Mapping[str, iam.Policy],
    words: Words,
    same: Collection[str] = (),
) -> list[KeyChange]:
    """Every key of either side: `current` is what Terraform will apply, `base` what it did.
    `same`: keys whose policy file is byte-identical on both sides (`gitbase.same_text`),
    unchanged without parsing either (`key_change` would find the one object of their text)."""
    changes: list[KeyChange] = []
    for n in sorted(current):
        if n in words.moves and n in base:  # the old key goes, a new one comes
            changes += [removal(n, base[n], words), key_change(n, current[n], None, words)]
        elif n in same:
            changes.append(KeyChange(n, "unchanged", "equivalent", ()))
        else:
            changes.append(key_change(n, current[n], base.get(n), words))
    changes += [removal(n, base[n], words) for n in sorted(set(base) - set(current))]
    return changes


@dataclass
class Report:
    changes: list[KeyChange] = field(default_factory=list)
    moves: Mapping[str, Move] = field(default_factory=dict)

    @property
    def widens(self) -> bool:
        return any(c.widens for c in self.changes)

    @property
    def destroys(self) -> bool:
        return any(c.destroys for c in self.changes)

    def _restore(self, key: str) -> str:
        move = self.moves.get(key)
        if move is None:
            return (
                f"KEY DELETION of {key}: restore its app or environment, or declare "
                f"`decommissions: [{{key: {key}, reason: ..., ticket: ..., "
                "vendor_confirmed: YYYY-MM-DD}]` in org.yaml once the vendor has confirmed"
            )
        (a, r) = move.old
        return (
            f"KEY DELETION of {key}: keep its environment in account {a}/Region {r}, or declare "
            f'`decommissions: [{{key: {key}, account_id: "{a}", region: {r}, reason: ..., '
            "ticket: ..., vendor_confirmed: YYYY-MM-DD}]` in org.yaml once the vendor has "
            "confirmed"
        )

    def text(self) -> str:
        changed = [c for c in self.changes if c.status != "unchanged"]
        out: list[str] = [] if changed else ["no access changes in the key policies"]
        for c in changed:
            out += list(c.lines) or [f"{c.key}: policy changed ({c.relation})"]
        for c in (c for c in changed if c.widens):
            out += [
                "",
                f"NEW ACCESS in {c.key} ({c.relation}"
                + (f": {c.reason}" if c.reason else "")
                + ")",
            ]
            if c.new_access is not None:
                out.append(
                    "  witness request (allowed now; denied before, or allowed only if IAM "
                    "also allowed): " + json.dumps(c.new_access.to_json(), sort_keys=True)
                )
        for c in (c for c in changed if c.destroys):
            out += ["", self._restore(c.key)]
        return "\n".join(out) + "\n"

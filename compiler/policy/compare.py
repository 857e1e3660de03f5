"""Zelkova-style comparison of two key policies, with a concrete request for each difference.

`compare(old, new)` tells how NEW relates to OLD over every request: `equivalent`, `narrower`
(NEW allows a strict subset), `wider` (a strict superset), `incomparable`, or `unknown` with a
reason. `new_access` is a request NEW allows and OLD denies, `lost_access` the reverse; each
is replayed through the concrete evaluator before it is reported.

Actions range over every action name: the KMS action catalog, plus one representative of each
way the policies' action patterns can treat a name outside it (found exactly by
`strsolve.realize` over the case-folded patterns, so `kms:*` against a Deny of a not-yet
catalogued action is decided). A witness for such a `kms:` name is marked `future_action`
(the evaluator accepts it as an action AWS may add) and `action_note` words the whole class it
stands for: "any future action matching `kms:ReEncrypt*`". Actions are split into classes
every statement of both policies treats alike, and a class whose statements are identical in
both policies is skipped.

Access is three-valued as in the evaluator (`allow`, `allow_if_iam`, `deny`, given the key's
account `key_account`): NEW grants new access when some request ranks higher under NEW than
under OLD, so delegated (root-only) access becoming direct access is new access.

Each remaining class is one exact finite problem (`byok.policy.symbolic`) that z3 decides
in both directions. Principals, resources and condition values range over all strings.
Soundness: `equivalent`/`narrower` are reported only when the solver proved that no class has
a widening request; anything the encoding refuses, any solver give-up, and a witness whose
decision depends on a reading AWS leaves open (`principals.READINGS`) yields `unknown` for its
direction.

Before the solver, `fastpath.monotone` tries a proof from the structure alone: a change that
only adds (or only takes away) access statement by statement, with a witness the evaluator
confirms. It answers only what it proves; everything else goes to the solver.

>>> from byok.policy.iam import Policy
>>> def pol(*values):
...     deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
...             "Condition": {"StringEquals": {"kms:EncryptionContext:ch": list(values)}}}
...     allow = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*",
...              "Resource": "*"}
...     return Policy.from_json({"Statement": [allow, deny] if values else [allow]})
>>> c = compare(pol("C1", "C2"), pol("C1"))
>>> c.relation, c.new_access.context, c.lost_access
('wider', {'kms:EncryptionContext:ch': 'C2'}, None)
>>> compare(pol("C1"), pol("C1", "C2")).relation
'narrower'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from . import iam
from .actions import ActionClass, action_classes, action_note
from .condops import UnsupportedPolicyError
from .evaluate import Request, check_statement, evaluate
from .fastpath import monotone
from .request import future_action

if TYPE_CHECKING:
    from .symbolic import Encoder

Relation = Literal["equivalent", "narrower", "wider", "incomparable", "unknown"]
SOLVER_TIMEOUT_MS = 60_000
_ACCOUNT = re.compile(r"\d{12}", re.ASCII)


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    relation: Relation
    new_access: Request | None = None
    lost_access: Request | None = None
    reason: str | None = None
    # for a witness of a future action: the class of names it stands for, in words
    new_action_note: str | None = None
    lost_action_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "relation": self.relation,
            "new_access": None if self.new_access is None else self.new_access.to_json(),
            "lost_access": None if self.lost_access is None else self.lost_access.to_json(),
        }
        if self.reason is not None:
            out["reason"] = self.reason
        for name, note in (("new", self.new_action_note), ("lost", self.lost_action_note)):
            if note is not None:
                out[f"{name}_access_action"] = note
        return out


class _Undecided(Exception):
    """One direction of one class could not be decided (the message says why)."""


def _solve(solver: Any, enc: Encoder, goal: Any, action: str) -> Request | None:
    import z3

    solver.push()
    try:
        solver.add(goal)
        result = solver.check()
        if result == z3.unsat:
            return None
        if result != z3.sat:
            raise _Undecided(f"solver gave up: {solver.reason_unknown()}")
        model = solver.model()
        # A principal other than a role session reads more plainly: look for one too.
        if (
            z3.is_true(model.eval(enc.is_session))
            and solver.check(z3.Not(enc.is_session)) == z3.sat
        ):
            model = solver.model()
        try:
            return enc.witness(model, action, future_action(action))
        except ValueError as exc:  # a request AWS could not receive: the encoding's fault
            raise _Undecided(f"witness is no request AWS receives: {exc}") from None
    finally:
        solver.pop()


class _Problem:
    """One action class as a solver problem: witnesses of new and of lost access."""

    def __init__(self, cls: ActionClass, key_account: str | None) -> None:
        # z3 is imported where a class needs the solver: most comparisons are decided by the
        # structural fast path, and importing z3 is a tenth of a second of every start (#16).
        import z3

        from .symbolic import Encoder

        self.cls = cls
        self.enc = Encoder((*cls.old, *cls.new), key_account)
        (old1, old2), (new1, new2) = self.enc.levels(cls.old), self.enc.levels(cls.new)
        self.levels = (old1, old2, new1, new2)
        self.solver = z3.Solver()
        self.solver.set("timeout", SOLVER_TIMEOUT_MS)
        self.solver.add(self.enc.finish())
        self.goals = (
            z3.Or(z3.And(new1, z3.Not(old1)), z3.And(new2, z3.Not(old2))),
            z3.Or(z3.And(old1, z3.Not(new1)), z3.And(old2, z3.Not(new2))),
        )

    def witness(self, i: int, stable: bool = False) -> Request | None:
        """A request of direction `i` (0 new, 1 lost access), or None if there is none;
        `stable`: one both policies decide alike under every reading AWS leaves open."""
        import z3

        goal = self.goals[i]
        if stable:
            goal = z3.And(goal, self.enc.stable(self.levels))
        return _solve(self.solver, self.enc, goal, self.cls.action)


@dataclass(frozen=True)
class _Side:
    """A witness of `higher` granting more than `lower` for a key in `key_account`."""

    higher: iam.Policy
    lower: iam.Policy
    key_account: str | None

    def confirmed(self, w: Request) -> bool:
        return self.why_not(w) is None

    def why_not(self, w: Request) -> str | None:
        """None if the evaluator confirms `w`, else why not (a decision AWS leaves open, or
        a request AWS could not receive, the encoding's fault)."""
        ka = self.key_account
        try:
            higher, lower = evaluate(self.higher, w, ka), evaluate(self.lower, w, ka)
        except UnsupportedPolicyError as exc:
            return str(exc)
        return None if higher.rank > lower.rank else "the evaluator does not confirm it"


def _named(p: iam.Policy) -> list[str]:
    """The principals the policy's statements name themselves (an account as its root)."""
    out: set[str] = set()
    for s in p.statements:
        if s.principal is not None and not s.principal.star:
            out |= {
                f"arn:aws:iam::{v}:root" if _ACCOUNT.fullmatch(v) else v for v in s.principal.aws
            }
            out |= set(s.principal.service)
    return sorted(out)


def _as_named(w: Request, side: _Side) -> Request:
    """The witness made by a principal the policy granting more names itself (a vendor's
    root rather than some role of its account), when one shows the same difference."""
    named = _named(side.higher)
    if w.principal in named:
        return w
    for who in named:
        try:
            candidate = Request(
                principal=who,
                action=w.action,
                resource=w.resource,
                context=w.context,
                future_action=w.future_action,
            )
        except ValueError:  # not a request principal, or the context contradicts it
            continue
        if side.confirmed(candidate):
            return candidate
    return w


def _simplified(w: Request, side: _Side) -> Request:
    """Drop the resource, context keys and extra values the witness does not need, re-checking
    each step with the evaluator (the solver's model is any request, not the simplest), and
    prefer a principal the policy names."""
    w = _as_named(w, side)
    trials: list[dict[str, Any]] = [{"resource": None}, {"context": {}}]
    trials += [{"context": {k: v for k, v in w.context.items() if k != drop}} for drop in w.context]
    for update in trials:
        candidate = w.model_copy(update=update)
        if candidate != w and side.confirmed(candidate):
            w = candidate
    for key, values in list(w.context.items()):
        for one in values if isinstance(values, tuple) else ():
            candidate = w.model_copy(update={"context": {**w.context, key: one}})
            if side.confirmed(candidate):
                w = candidate
                break
    return w


@dataclass
class _Search:
    found: list[Request | None]
    undecided: tuple[list[str], list[str]]  # why new / lost access is undecided

    def relation(self) -> Comparison:
        """`unknown` while a direction without a witness is undecided: it may have one."""
        (new_w, lost_w), why = self.found, self.undecided
        if (why[0] and new_w is None) or (why[1] and lost_w is None):
            reason = "; ".join(dict.fromkeys([*why[0], *why[1]]))
            return Comparison(
                relation="unknown", new_access=new_w, lost_access=lost_w, reason=reason
            )
        return Comparison(relation=_relation(new_w, lost_w), new_access=new_w, lost_access=lost_w)


def _search(old: iam.Policy, new: iam.Policy, key_account: str | None) -> _Search:
    state = _Search([None, None], ([], []))
    sides = (_Side(new, old, key_account), _Side(old, new, key_account))  # new, lost access
    for cls in action_classes(old, new):
        want = (state.found[0] is None, state.found[1] is None)
        if cls.unchanged() or not any(want):
            continue
        try:
            problem = _Problem(cls, key_account)
            for i in (i for i in (0, 1) if want[i]):
                _direction(problem, i, sides[i], state)
        except (UnsupportedPolicyError, _Undecided) as exc:
            for i in (0, 1):
                state.undecided[i].append(f"{cls.action}: {exc}")
    return state


def _direction(problem: _Problem, i: int, side: _Side, state: _Search) -> None:
    """Direction `i` of one class: a confirmed witness, or why there is none to give. A
    witness whose decision depends on a reading AWS leaves open is replaced by one that does
    not, if there is one; if not, the difference exists only under a reading: undecided."""
    w = problem.witness(i)
    if w is None:
        return
    why = side.why_not(w)
    if why is not None:
        steady = problem.witness(i, stable=True)
        if steady is not None and side.why_not(steady) is None:
            w, why = steady, None
    if why is not None:
        state.undecided[i].append(f"{problem.cls.action}: witness {w.to_json()}: {why}")
    else:
        state.found[i] = _simplified(w, side)


def _relation(new_w: Request | None, lost_w: Request | None) -> Relation:
    if new_w is not None:
        return "incomparable" if lost_w is not None else "wider"
    return "narrower" if lost_w is not None else "equivalent"


def _from_structure(
    old: iam.Policy,
    new: iam.Policy,
    key_account: str | None,
    fast: tuple[str, Request | None, Request | None],
) -> Comparison:
    """The fast path's answer (`fastpath.monotone`), its witness simplified like the solver's."""
    _, gained, lost = fast
    if gained is not None:
        gained = _simplified(gained, _Side(new, old, key_account))
    if lost is not None:
        lost = _simplified(lost, _Side(old, new, key_account))
    return Comparison(relation=_relation(gained, lost), new_access=gained, lost_access=lost)


def compare(
    old: iam.Policy, new: iam.Policy, key_account: str | None = None, *, structural: bool = True
) -> Comparison:
    """How NEW relates to OLD for a key in `key_account` (None: every principal counts as
    one of the key's account, see `principals.same_account`), with evaluator-confirmed
    witness requests. Policies with a construct AWS does not document compare as `unknown`.
    `structural=False` skips the fast path (the differential test compares the two)."""
    try:
        for st in (*old.statements, *new.statements):
            check_statement(st)
    except UnsupportedPolicyError as exc:
        return Comparison(relation="unknown", reason=str(exc))
    if old == new:
        return Comparison(relation="equivalent")
    fast = monotone(old, new, key_account) if structural else None
    if fast is not None:
        return _noted(_from_structure(old, new, key_account, fast), old, new)
    return _noted(_search(old, new, key_account).relation(), old, new)


def _noted(c: Comparison, old: iam.Policy, new: iam.Policy) -> Comparison:
    """`c` with the class of each future-action witness in words (`action_note`)."""
    notes = {
        f"{name}_action_note": action_note(w.action, (old, new))
        for name, w in (("new", c.new_access), ("lost", c.lost_access))
        if w is not None and w.future_action
    }
    return c.model_copy(update=notes) if notes else c

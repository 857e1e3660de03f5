"""Key policies as z3 formulas over a finite, exact abstraction of the request.

One `Encoder` covers one class of actions (actions every statement treats alike), so actions
vanish from the formulas. What is left of a request:

- each string part (the principal, the resource, each element of a string-valued condition key)
  becomes an integer choosing one of the signatures `strsolve.realize` proved realizable, so the
  solver never sees string theory;
- numeric and date keys become (parses, real) pairs, IP keys (parses, is-IPv6, integer);
- each condition key gets a `present` flag and K elements, K being the number of distinct
  "some element satisfies P" facts the policies test on it: a set of at most K values realizes
  every combination of those facts, so multi-valued contexts are covered without a bound guess
  (K is 1 for a key the catalog lists as single-valued: no request carries a list for it);
- `resource` may be absent (a request on this key, named only by `"*"`).

Principals carry the three-valued access of `byok.policy.evaluate`: each statement's
principal element gives two atoms (names the principal directly; names it only through an
account), and two more say whether the principal is an ARN with an account and whether that
account is the key's. `levels` gives "allowed at least if IAM allows" and "allowed by the key
policy alone", so a change from delegated to direct access is a difference like any other.

A key compared both as a string and as a number (or date, or IP) is refused: its string and
its numeric reading would have to be tied together, which this encoding does not do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import z3

from . import iam
from .catalog import is_single_valued
from .condops import (
    IpPred,
    NumPred,
    Operator,
    UnsupportedPolicyError,
    View,
    element_predicate,
    null_wants_absent,
    parse_operator,
)
from .evaluate import ContextValue, Request, is_all_star, resource_pred
from .matching import Glob, StrPred
from .principals import ACCOUNT_ARN, account_pred, principal_preds
from .strsolve import realize

Expr = Any  # z3 expressions (z3 ships no type information)
FALLBACK = {
    "principal": "arn:aws:iam::444455556666:role/Other",
    "resource": "arn:aws:kms:us-east-1:444455556666:key/other",
}
_TYPED_MISSING = {"numeric": "not-a-number", "date": "not-a-date", "ip": "not-an-ip"}


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
        count = 1 if _single_valued(key) else max(1, len(facts[key]))
        plans[key] = KeyPlan(names[key], next(iter(vs), "null"), count)
    return plans


def _single_valued(key: str) -> bool:
    """A key the catalog lists as single-valued carries one value in every real request."""
    try:
        return is_single_valued(key)
    except KeyError:  # unknown cardinality: allow lists
        return False


def _any(xs: Sequence[Expr]) -> Expr:
    return z3.Or(list(xs)) if xs else z3.BoolVal(False)


def _all(xs: Sequence[Expr]) -> Expr:
    return z3.And(list(xs)) if xs else z3.BoolVal(True)


def _q(d: Decimal) -> Expr:
    n, den = d.as_integer_ratio()
    return z3.Q(n, den)


def _decimal(num: int, den: int) -> str:
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


def _hints(part: str, preds: tuple[StrPred, ...], key_account: str | None) -> tuple[str, ...]:
    """Readable witness candidates: for a principal, the root and a role of each account a
    pattern names (`arn:aws:iam::111122223333:*` suggests `...:root`), and a role of the key's
    account."""
    base = FALLBACK.get(part, "value")
    if part != "principal":
        return (base,)
    stems = [t for p in preds for g in p.globs if (t := _prefix_text(g)) and t.endswith(":")]
    own = (f"arn:aws:iam::{key_account}:role/Other",) if key_account else ()
    return (base, *own, *(f"{t}{leaf}" for t in stems for leaf in ("root", "role/Other")))


class Encoder:
    """Builds `allowed(policy)` for the statements of one action class, then reads witnesses."""

    def __init__(self, statements: Sequence[iam.Statement], key_account: str | None) -> None:
        self.keys = plan_keys(statements)
        self.key_account = key_account
        self.has_resource = z3.Bool("has_resource")
        self._n = 0
        self._preds: dict[str, dict[StrPred, int]] = {}  # family -> predicate -> index
        self._atoms: dict[tuple[str, str, int], dict[int, Expr]] = {}  # part -> index -> atom
        self._choice: dict[tuple[str, str, int], tuple[Expr, tuple[str, ...]]] = {}
        self._present: dict[str, Expr] = {}
        self._typed: dict[tuple[str, int], tuple[Expr, ...]] = {}
        self.constraints: list[Expr] = []

    def _fresh(self, sort: str) -> Expr:
        self._n += 1
        return {"bool": z3.Bool, "int": z3.Int, "real": z3.Real}[sort](f"{sort}{self._n}")

    def _atom(self, family: str, inst: tuple[str, str, int], pred: StrPred) -> Expr:
        if pred.empty:
            return z3.BoolVal(False)
        index = self._preds.setdefault(family, {}).setdefault(pred, len(self._preds[family]))
        atoms = self._atoms.setdefault(inst, {})
        if index not in atoms:
            atoms[index] = self._fresh("bool")
        return atoms[index]

    def levels(self, statements: Sequence[iam.Statement]) -> tuple[Expr, Expr]:
        """(allowed at least if an IAM policy also allows, allowed by the key policy alone):
        the evaluator's `rank >= 1` and `rank == 2`."""
        allows = [s for s in statements if s.effect == "Allow"]
        no_deny = z3.Not(_any([self._body(s, "any") for s in statements if s.effect == "Deny"]))
        direct = _any([self._body(s, "direct") for s in allows])
        delegated = _any([self._body(s, "delegated") for s in allows])
        return z3.And(no_deny, z3.Or(direct, delegated)), z3.And(no_deny, direct, self._same())

    def _same(self) -> Expr:
        """The principal counts as one of the key's account (`principals.same_account`)."""
        if self.key_account is None:
            return z3.BoolVal(True)
        inst = ("principal", "", 0)
        has_account = self._atom("principal", inst, ACCOUNT_ARN)
        return z3.Or(
            z3.Not(has_account), self._atom("principal", inst, account_pred(self.key_account))
        )

    def _body(self, st: iam.Statement, mode: str) -> Expr:
        return _all(
            [self._principal(st, mode), self._resource(st)]
            + [self._condition(c) for c in st.conditions]
        )

    def _principal(self, st: iam.Statement, mode: str) -> Expr:
        """The statement names the principal: `any` way, `direct`ly, or only `delegated`."""
        inst = ("principal", "", 0)
        if st.principal is not None:
            if st.principal.star:
                return z3.BoolVal(mode != "delegated")
            preds = principal_preds(st.principal, False)
            direct = self._atom("principal", inst, preds.direct)
            deleg = self._atom("principal", inst, preds.delegated)
            return {"any": z3.Or(direct, deleg), "direct": direct}.get(
                mode, z3.And(deleg, z3.Not(direct))
            )
        if st.not_principal is None or mode == "delegated":
            return z3.BoolVal(False)
        if st.not_principal.star:
            return z3.BoolVal(False)
        return z3.Not(self._atom("principal", inst, principal_preds(st.not_principal, True).any))

    def _resource(self, st: iam.Statement) -> Expr:
        listed = st.resource if st.resource is not None else st.not_resource
        if listed is None:
            return z3.BoolVal(False)
        if any(is_all_star(r) for r in listed):
            hit = z3.BoolVal(True)
        else:
            pred = resource_pred(listed)
            hit = z3.And(self.has_resource, self._atom("resource", ("resource", "", 0), pred))
        return hit if st.resource is not None else z3.Not(hit)

    def _present_flag(self, key: str) -> Expr:
        if key not in self._present:
            self._present[key] = self._fresh("bool")
        return self._present[key]

    def _condition(self, c: iam.Condition) -> Expr:
        op, key = parse_operator(c.operator), c.key.lower()
        present = self._present_flag(key)
        if op.view == "null":
            wants = null_wants_absent(op, c.values)
            return _any([z3.Not(present) if absent else present for absent in wants])
        pred = element_predicate(op, c.values)
        hits = [self._element(key, j, pred) for j in range(self.keys[key].elements)]
        if op.set_op:
            hits = [z3.Not(h) for h in hits] if op.negated else hits
            body = _all(hits) if op.set_op == "ForAllValues" else _any(hits)
        else:
            body = z3.Not(_any(hits)) if op.negated else _any(hits)
        missing = op.if_exists or op.set_op == "ForAllValues" or (op.negated and not op.set_op)
        return z3.If(present, body, z3.BoolVal(missing))

    def _element(self, key: str, j: int, pred: StrPred | NumPred | IpPred) -> Expr:
        if isinstance(pred, StrPred):
            return self._atom(f"key:{key}", ("key", key, j), pred)
        if isinstance(pred, NumPred):
            ok, val = self._typed_vars(key, j, "real")
            ops = {
                "eq": val.__eq__,
                "lt": val.__lt__,
                "le": val.__le__,
                "gt": val.__gt__,
                "ge": val.__ge__,
            }
            return _any([z3.And(ok, ops[pred.cmp](_q(c))) for c in pred.consts])
        ok, v6, addr = self._typed_vars(key, j, "ip")
        return _any(
            [
                z3.And(
                    ok,
                    v6 == (n.version == 6),
                    addr >= int(n.network_address),
                    addr <= int(n.broadcast_address),
                )
                for n in pred.nets
            ]
        )

    def _typed_vars(self, key: str, j: int, kind: str) -> tuple[Expr, ...]:
        if (key, j) not in self._typed:
            if kind == "real":
                self._typed[key, j] = (self._fresh("bool"), self._fresh("real"))
            else:
                ok, v6, addr = self._fresh("bool"), self._fresh("bool"), self._fresh("int")
                top = z3.If(v6, z3.IntVal(2**128 - 1), z3.IntVal(2**32 - 1))
                self.constraints += [addr >= 0, addr <= top]
                self._typed[key, j] = (ok, v6, addr)
        return self._typed[key, j]

    def finish(self) -> list[Expr]:
        """Tie every string atom to a choice among its part's realizable signatures."""
        for inst, atoms in self._atoms.items():
            family = inst[0] if inst[0] != "key" else f"key:{inst[1]}"
            preds = tuple(self._preds[family])
            real = realize(preds, _hints(inst[0], preds, self.key_account))
            choice = self._fresh("int")
            self._choice[inst] = (choice, real.strings)
            self.constraints += [choice >= 0, choice < len(real.sigs)]
            for index, atom in atoms.items():
                picks = [choice == n for n, sig in enumerate(real.sigs) if sig[index]]
                self.constraints.append(atom == _any(picks))
        return self.constraints

    def _string(self, model: Any, inst: tuple[str, str, int]) -> str:
        if inst not in self._choice:
            return FALLBACK.get(inst[0], "value")
        choice, strings = self._choice[inst]
        return str(strings[model.eval(choice, model_completion=True).as_long()])

    def _value(self, model: Any, key: str, j: int) -> str:
        view = self.keys[key].view
        if view in ("string", "null"):
            return self._string(model, ("key", key, j))
        if (key, j) not in self._typed:
            return "value"
        parts = [model.eval(v, model_completion=True) for v in self._typed[key, j]]
        if not z3.is_true(parts[0]):
            return _TYPED_MISSING[view]
        if view == "ip":
            make = ipaddress.IPv6Address if z3.is_true(parts[1]) else ipaddress.IPv4Address
            return str(make(parts[2].as_long()))
        return _decimal(parts[1].numerator_as_long(), parts[1].denominator_as_long())

    def witness(self, model: Any, action: str) -> Request:
        has_res = z3.is_true(model.eval(self.has_resource, model_completion=True))
        resource = self._string(model, ("resource", "", 0)) if has_res else None
        context: dict[str, ContextValue] = {}
        for key, plan in self.keys.items():
            if key in self._present and z3.is_true(
                model.eval(self._present[key], model_completion=True)
            ):
                values = tuple(
                    dict.fromkeys(self._value(model, key, j) for j in range(plan.elements))
                )
                context[plan.name] = values[0] if len(values) == 1 else values
        return Request(
            principal=self._string(model, ("principal", "", 0)),
            action=action,
            resource=resource,
            context=context,
        )

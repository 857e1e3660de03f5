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

The principal is a request principal (`principals.SHAPES`): either a string of one of the
non-session shapes, or an assumed-role session, chosen as its session form
`<role ARN>/<session>` (`principals.Dual`), so the role's path, which the session ARN does
not show, is part of the choice. The keys AWS derives from the principal
(`context.DERIVED_KEYS`) are not free: their conditions become predicates on the principal
(`principals.arn_view`, `account_view`, the shape for `aws:PrincipalType`), exactly, so no
witness pairs a principal with a value AWS would not set. For an AWS service principal AWS
documents only `aws:PrincipalIsAWSService`; the other derived keys are then free. Each reading
AWS leaves open (`principals.READINGS`) is a free flag: a difference under either reading is a
difference (the evaluator then refuses the witness and the comparer answers `unknown`).

A key compared both as a string and as a number (or date, or IP) is refused: its string and
its numeric reading would have to be tied together, which this encoding does not do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import z3

from . import iam
from .condops import (
    IpPred,
    NumPred,
    element_predicate,
    null_wants_absent,
    parse_operator,
)
from .context import DERIVED_LOWER, IS_SERVICE, PRINCIPAL_ARN, PRINCIPAL_TYPES, derived
from .evaluate import ContextValue, Request, is_all_star, resource_pred
from .matching import StrPred
from .plan import FALLBACK, decimal, hints, plan_keys, session_hints
from .principals import (
    ACCOUNT_ARN,
    PLAIN,
    SESSION_FORM,
    SHAPES,
    Dual,
    PrincipalPreds,
    account_pred,
    account_view,
    arn_view,
    from_session_form,
    principal_preds,
)
from .strsolve import realize

Expr = Any  # z3 expressions (z3 ships no type information)
_P, _S = ("principal", "", 0), ("session", "", 0)  # the principal's two string parts
_TYPED_MISSING = {"numeric": "not-a-number", "date": "not-a-date", "ip": "not-an-ip"}


def _any(xs: Sequence[Expr]) -> Expr:
    return z3.Or(list(xs)) if xs else z3.BoolVal(False)


def _all(xs: Sequence[Expr]) -> Expr:
    return z3.And(list(xs)) if xs else z3.BoolVal(True)


def _q(d: Decimal) -> Expr:
    n, den = d.as_integer_ratio()
    return z3.Q(n, den)


class Encoder:
    """Builds `allowed(policy)` for the statements of one action class, then reads witnesses."""

    def __init__(self, statements: Sequence[iam.Statement], key_account: str | None) -> None:
        self.keys = plan_keys(statements)
        self.key_account = key_account
        self.has_resource = z3.Bool("has_resource")
        self.is_session = z3.Bool("is_session")
        self._n = 0
        self._preds: dict[str, dict[StrPred, int]] = {}  # family -> predicate -> index
        self._atoms: dict[tuple[str, str, int], dict[int, Expr]] = {}  # part -> index -> atom
        self._choice: dict[tuple[str, str, int], tuple[Expr, tuple[str, ...]]] = {}
        self._present: dict[str, Expr] = {}
        self._typed: dict[tuple[str, int], tuple[Expr, ...]] = {}
        self._flags: dict[str, Expr] = {}
        self._session_hints = session_hints(statements)
        self.constraints: list[Expr] = [self._valid_principal()]

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

    def _who(self, d: Dual) -> Expr:
        """The principal is one of `d`: as a session (its session form) or as itself."""
        return z3.If(
            self.is_session, self._atom("session", _S, d.s), self._atom("principal", _P, d.p)
        )

    def _shape(self, kind: str) -> Expr:
        return z3.And(z3.Not(self.is_session), self._atom("principal", _P, SHAPES[kind]))

    def _valid_principal(self) -> Expr:
        """Every request comes from a principal of one of `principals.SHAPES`."""
        plain = z3.And(z3.Not(self.is_session), self._atom("principal", _P, PLAIN))
        return z3.Or(z3.And(self.is_session, self._atom("session", _S, SESSION_FORM)), plain)

    def _maybe(self, preds: PrincipalPreds) -> Expr:
        """Named only under a reading AWS leaves open, with that reading taken to hold."""
        return _any([z3.And(self._flag(f), self._who(d)) for f, d in preds.maybe])

    def _flag(self, name: str) -> Expr:
        if name not in self._flags:
            self._flags[name] = z3.Bool(f"reading:{name}")
        return self._flags[name]

    def stable(self, exprs: Sequence[Expr]) -> Expr:
        """Each of `exprs` is the same under every reading of the flags (`_flag`) as under
        none: a request every reading AWS leaves open decides alike."""
        flags = list(self._flags.values())
        if not flags:
            return z3.BoolVal(True)
        plain = [z3.substitute(e, *[(f, z3.BoolVal(False)) for f in flags]) for e in exprs]
        out = []
        for mask in range(1, 1 << len(flags)):
            pairs = [(f, z3.BoolVal(bool(mask >> n & 1))) for n, f in enumerate(flags)]
            out += [z3.substitute(e, *pairs) == p for e, p in zip(exprs, plain, strict=True)]
        return z3.And(out)

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
        return z3.Or(z3.Not(self._who(ACCOUNT_ARN)), self._who(account_pred(self.key_account)))

    def _body(self, st: iam.Statement, mode: str) -> Expr:
        return _all(
            [self._principal(st, mode), self._resource(st)]
            + [self._condition(c) for c in st.conditions]
        )

    def _principal(self, st: iam.Statement, mode: str) -> Expr:
        """The statement names the principal: `any` way, `direct`ly, or only `delegated`."""
        if st.principal is not None:
            if st.principal.star:
                return z3.BoolVal(mode != "delegated")
            preds = principal_preds(st.principal, False)
            direct = z3.Or(self._who(preds.direct), self._maybe(preds))
            deleg = self._who(preds.delegated)
            return {"any": z3.Or(direct, deleg), "direct": direct}.get(
                mode, z3.And(deleg, z3.Not(direct))
            )
        if st.not_principal is None or mode == "delegated" or st.not_principal.star:
            return z3.BoolVal(False)
        preds = principal_preds(st.not_principal, True)
        return z3.Not(z3.Or(self._who(preds.any), self._maybe(preds)))

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
        if key == IS_SERVICE.lower():
            return z3.BoolVal(True)
        if key in DERIVED_LOWER:  # set for every principal but a service, where it is free
            return z3.Or(z3.Not(self._shape("service")), self._present[key])
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

    def _derived(self, key: str, pred: StrPred) -> Expr:
        """`pred` holds of the value AWS derives for `key` from the principal."""
        if key == IS_SERVICE.lower():
            service = self._shape("service")
            return z3.If(
                service, z3.BoolVal(pred.matches("true")), z3.BoolVal(pred.matches("false"))
            )
        if key == PRINCIPAL_ARN.lower():
            own = self._who(arn_view(pred))
        elif key == "aws:principaltype":
            kinds = [
                k for k, t in PRINCIPAL_TYPES.items() if k != "assumed-role" and pred.matches(t)
            ]
            plain = _any([self._atom("principal", _P, SHAPES[k]) for k in kinds])
            own = z3.If(self.is_session, z3.BoolVal(pred.matches("AssumedRole")), plain)
        else:  # aws:PrincipalAccount, kms:CallerAccount
            own = self._who(account_view(pred))
        free = self._atom(f"key:{key}", ("key", key, 0), pred)
        return z3.If(self._shape("service"), free, own)

    def _element(self, key: str, j: int, pred: StrPred | NumPred | IpPred) -> Expr:
        if isinstance(pred, StrPred):
            if key in DERIVED_LOWER:
                return self._derived(key, pred)
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
            wanted = hints(inst[0], preds, self.key_account)
            if inst[0] == "session":
                wanted = (*self._session_hints, *wanted)
            real = realize(preds, wanted)
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
        return decimal(parts[1].numerator_as_long(), parts[1].denominator_as_long())

    def _true(self, model: Any, e: Expr) -> bool:
        return bool(z3.is_true(model.eval(e, model_completion=True)))

    def _principal_of(self, model: Any) -> tuple[str, dict[str, ContextValue]]:
        """The witness principal, and `aws:PrincipalArn` when AWS would set it to something
        the evaluator cannot derive (the role of a session has a path)."""
        if not self._true(model, self.is_session):
            return self._string(model, _P), {}
        who, role = from_session_form(self._string(model, _S))
        if role == dict(derived(who))[PRINCIPAL_ARN]:
            return who, {}
        name = (
            self.keys[PRINCIPAL_ARN.lower()].name
            if PRINCIPAL_ARN.lower() in self.keys
            else PRINCIPAL_ARN
        )
        return who, {name: role}

    def witness(self, model: Any, action: str, future: bool = False) -> Request:
        has_res = self._true(model, self.has_resource)
        resource = self._string(model, ("resource", "", 0)) if has_res else None
        who, context = self._principal_of(model)
        service = self._true(model, self._shape("service"))
        for key, plan in self.keys.items():
            if key in DERIVED_LOWER and not (service and key != IS_SERVICE.lower()):
                continue  # AWS sets it; the evaluator derives it from the principal
            if key in self._present and self._true(model, self._present[key]):
                values = tuple(
                    dict.fromkeys(self._value(model, key, j) for j in range(plan.elements))
                )
                context[plan.name] = values[0] if len(values) == 1 else values
        return Request(
            principal=who,
            action=action,
            resource=resource,
            context=context,
            future_action=future,
        )

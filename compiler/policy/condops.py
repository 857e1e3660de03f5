"""IAM condition operators: parsing, per-value predicates, and AWS's missing-key rules.

`parse_operator` splits `ForAnyValue:StringNotLikeIfExists` into its parts; `element_predicate`
turns an operator's *positive* form and the policy values into one predicate over a single
request value (the values are ORed); `condition_holds` applies negation, `IfExists`, `Null` and
the set prefixes to a request's values. The comparer reuses the same predicates.

Where the IAM documentation is silent the engine refuses rather than guesses (`ambiguity`,
raised as `AmbiguousPolicyError` by the evaluator and reported as `unknown` by the comparer):
- a set prefix together with `IfExists` (`ForAnyValue:StringLikeIfExists`): the condition
  operators page documents each on its own, never what the pair means on a missing key;
- an operator without a set prefix on a key the catalog lists as multi-valued
  (`StringEquals` on `aws:TagKeys`): AWS documents only the set operators for such keys.
`condition_holds` still has an answer for both (a plain operator matches if any element does,
`IfExists` wins on a missing key), used only where a caller opted in. One remaining choice:
an empty list in a request is the same as a missing key.

>>> op = parse_operator("ForAllValues:StringNotLikeIfExists")
>>> op.set_op, op.positive, op.negated, op.if_exists
('ForAllValues', 'StringLike', True, True)
>>> condition_holds(op, ("a*",), None), condition_holds(op, ("a*",), ("b", "c"))
(True, True)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal, cast

from .catalog import is_single_valued
from .iam import PolicyFormatError
from .matching import StrPred, fold, patterns

View = Literal["string", "numeric", "date", "ip", "null"]
Cmp = Literal["eq", "lt", "le", "gt", "ge"]
IpNet = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsupportedPolicyError(ValueError):
    """A well-formed policy using something this implementation refuses to guess about."""


class AmbiguousPolicyError(UnsupportedPolicyError):
    """A condition whose AWS behaviour is undocumented (see `ambiguity`)."""


def ambiguity(operator: str, key: str) -> str | None:
    """Why AWS's behaviour for `operator` on `key` is undocumented, or None if it is documented.

    Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html

    >>> ambiguity("ForAnyValue:StringLikeIfExists", "aws:TagKeys")[:40]
    '`ForAnyValue:StringLikeIfExists` on `aws'
    >>> ambiguity("StringEquals", "aws:TagKeys")[:30], ambiguity("StringEquals", "kms:ViaService")
    ('`StringEquals` on multi-valued', None)
    """
    op = parse_operator(operator)
    if op.set_op and op.if_exists:
        return (
            f"`{operator}` on `{key}`: AWS documents `{op.set_op}:` and `...IfExists` each "
            "on its own, not what they mean together (for a missing key in particular)"
        )
    if not op.set_op and op.view != "null" and multi_valued(key):
        return (
            f"`{operator}` on multi-valued `{key}`: AWS documents only `ForAnyValue:`/"
            "`ForAllValues:` for multi-valued keys, not how a plain operator reads a list"
        )
    return None


def multi_valued(key: str) -> bool:
    """A catalog key documented as multi-valued (unknown keys: no cardinality to go on)."""
    try:
        return not is_single_valued(key)
    except KeyError:  # a key the catalog does not know: no documented cardinality to go on
        return False


# base name -> (view, negated, positive form)
_BASES: dict[str, tuple[View, bool, str]] = {
    "StringEquals": ("string", False, "StringEquals"),
    "StringNotEquals": ("string", True, "StringEquals"),
    "StringEqualsIgnoreCase": ("string", False, "StringEqualsIgnoreCase"),
    "StringNotEqualsIgnoreCase": ("string", True, "StringEqualsIgnoreCase"),
    "StringLike": ("string", False, "StringLike"),
    "StringNotLike": ("string", True, "StringLike"),
    "Bool": ("string", False, "Bool"),
    "BinaryEquals": ("string", False, "BinaryEquals"),
    "ArnEquals": ("string", False, "ArnLike"),
    "ArnLike": ("string", False, "ArnLike"),
    "ArnNotEquals": ("string", True, "ArnLike"),
    "ArnNotLike": ("string", True, "ArnLike"),
    "IpAddress": ("ip", False, "IpAddress"),
    "NotIpAddress": ("ip", True, "IpAddress"),
    "Null": ("null", False, "Null"),
}
_CMP: dict[str, Cmp] = {
    "Equals": "eq",
    "LessThan": "lt",
    "LessThanEquals": "le",
    "GreaterThan": "gt",
    "GreaterThanEquals": "ge",
}
_ORDERED: tuple[tuple[str, View], ...] = (("Numeric", "numeric"), ("Date", "date"))
for _fam, _view in _ORDERED:
    for _suffix in _CMP:
        _BASES[_fam + _suffix] = (_view, False, _fam + _suffix)
    _BASES[_fam + "NotEquals"] = (_view, True, _fam + "Equals")


@dataclass(frozen=True)
class Operator:
    name: str
    view: View
    positive: str
    negated: bool
    if_exists: bool
    set_op: Literal["", "ForAnyValue", "ForAllValues"]


@lru_cache(maxsize=512)
def parse_operator(name: str) -> Operator:
    set_op, _, rest = name.rpartition(":")
    if set_op not in ("", "ForAnyValue", "ForAllValues"):
        raise PolicyFormatError(f"unknown condition operator `{name}`")
    base, if_exists = (
        (rest[: -len("IfExists")], True) if rest.endswith("IfExists") else (rest, False)
    )
    if base not in _BASES:
        raise PolicyFormatError(f"unknown condition operator `{name}`")
    view, negated, positive = _BASES[base]
    if view == "null" and (if_exists or set_op):
        raise PolicyFormatError(f"`{name}`: Null takes neither IfExists nor a set prefix")
    prefix = cast(Literal["", "ForAnyValue", "ForAllValues"], set_op)
    return Operator(name, view, positive, negated, if_exists, prefix)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_EPOCH = re.compile(r"[+-]?\d+(\.\d+)?", re.ASCII)
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)


def parse_number(s: str) -> Decimal | None:
    if not _NUMBER.fullmatch(s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def parse_date(s: str) -> Decimal | None:
    """ISO 8601 (naive means UTC) or epoch seconds, as exact epoch seconds."""
    if _EPOCH.fullmatch(s):
        return Decimal(s)
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    delta = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)) - _EPOCH_START
    whole = Decimal(delta.days * 86400 + delta.seconds)
    return whole + Decimal(delta.microseconds) / Decimal(1_000_000)


def parse_ip(s: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(s)
    except ValueError:
        return None


def _compare(cmp: Cmp, a: Decimal, b: Decimal) -> bool:
    return {"eq": a == b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[cmp]


@dataclass(frozen=True)
class NumPred:
    """Numeric or Date comparison of one request value against any of the constants."""

    view: Literal["numeric", "date"]
    cmp: Cmp
    consts: tuple[Decimal, ...]

    def matches(self, s: str) -> bool:
        v = parse_number(s) if self.view == "numeric" else parse_date(s)
        return v is not None and any(_compare(self.cmp, v, c) for c in self.consts)


@dataclass(frozen=True)
class IpPred:
    nets: tuple[IpNet, ...]

    def matches(self, s: str) -> bool:
        a = parse_ip(s)
        return a is not None and any(a.version == n.version and a in n for n in self.nets)


ElemPred = StrPred | NumPred | IpPred


def _consts(op: Operator, values: tuple[str, ...]) -> tuple[Decimal, ...]:
    parse = parse_number if op.view == "numeric" else parse_date
    out = tuple(parse(v) for v in values)
    bad = [v for v, p in zip(values, out, strict=True) if p is None]
    if bad:
        raise PolicyFormatError(f"`{op.name}`: `{bad[0]}` is not a valid {op.view} value")
    return tuple(p for p in out if p is not None)


def _nets(op: Operator, values: tuple[str, ...]) -> tuple[IpNet, ...]:
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in values)
    except ValueError as exc:
        raise PolicyFormatError(f"`{op.name}`: {exc}") from None


def _no_variables(op: Operator, values: tuple[str, ...]) -> None:
    # Policy variables would need request data we deliberately do not derive.
    if any("${" in v for v in values):
        raise UnsupportedPolicyError(f"`{op.name}`: policy variables (${{...}}) are not supported")


@lru_cache(maxsize=4096)
def element_predicate(op: Operator, values: tuple[str, ...]) -> ElemPred:
    """The positive form of `op` against one request value: true if any policy value matches."""
    pos = op.positive
    if op.view in ("numeric", "date"):
        view: Literal["numeric", "date"] = "numeric" if op.view == "numeric" else "date"
        return NumPred(
            view, _CMP[pos.removeprefix("Numeric").removeprefix("Date")], _consts(op, values)
        )
    if op.view == "ip":
        return IpPred(_nets(op, values))
    if pos in ("Bool", "StringEqualsIgnoreCase"):
        _no_variables(op, values)
        return StrPred(folded=frozenset(fold(v) for v in values))
    if pos == "BinaryEquals":
        return StrPred(lits=frozenset(values))
    _no_variables(op, values)
    if pos == "StringEquals":
        return StrPred(lits=frozenset(values))
    return patterns(values, arn=pos == "ArnLike")


def null_wants_absent(op: Operator, values: tuple[str, ...]) -> tuple[bool, ...]:
    """`Null` values: `true` asks for a missing key, `false` for a present one."""
    out = []
    for v in values:
        if v.lower() not in ("true", "false"):
            raise PolicyFormatError(f"`Null` takes `true` or `false`, not `{v}`")
        out.append(v.lower() == "true")
    return tuple(out)


def condition_holds(op: Operator, values: tuple[str, ...], got: tuple[str, ...] | None) -> bool:
    """One `operator: {key: values}` entry against the request's values for that key."""
    if op.view == "null":
        return any(want == (not got) for want in null_wants_absent(op, values))
    if not got:
        if op.if_exists or op.set_op == "ForAllValues":
            return True
        return op.negated and not op.set_op
    pred = element_predicate(op, values)
    hits = [pred.matches(v) != (op.negated and bool(op.set_op)) for v in got]
    if op.set_op == "ForAllValues":
        return all(hits)
    if op.set_op == "ForAnyValue":
        return any(hits)
    return any(hits) != op.negated


def one_value_test(op: Operator, values: tuple[str, ...]) -> Callable[[str], bool]:
    """`v -> condition_holds(op, values, (v,))`, with the policy values parsed once: the
    revocation proofs test thousands of single values against one condition (issue 29)."""
    if op.view == "null":
        held = condition_holds(op, values, ("",))  # any present value: the same answer
        return lambda _v: held
    matches = element_predicate(op, values).matches
    # One value: with or without a set prefix, a negated operator holds when it misses.
    negated = op.negated
    return lambda v: matches(v) != negated

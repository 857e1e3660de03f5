"""Cross-reference checks of vendor grant actions and conditions against the KMS catalog:
known actions, operators and condition keys, and E318/E319 for operator and key combinations
whose AWS behaviour is undocumented. Split from `checks`."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, did_you_mean
from ..load import show
from ..model.base import Where
from ..model.inputs import OrgCondition, VendorCondition
from ..policy import catalog
from ..policy.condops import multi_valued

BASE_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
)


def known_operator(op: str) -> bool:
    """`ForAnyValue:`/`ForAllValues:` prefix, base operator, optional `IfExists`; or `Null`.

    >>> known_operator("ForAnyValue:StringLikeIfExists"), known_operator("StringEqual")
    (True, False)
    """
    if op == "Null":
        return True
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        op = op.removeprefix(prefix)
    return op.removesuffix("IfExists") in BASE_OPERATORS


def _all_operators() -> list[str]:
    return ["Null", *BASE_OPERATORS, *(o + "IfExists" for o in BASE_OPERATORS)]


def check_actions(where: Where, field: str, actions: tuple[str, ...]) -> Iterator[Diagnostic]:
    for i, action in enumerate(actions):
        if not catalog.expand_actions(action):
            yield Diagnostic.make(
                "E312",
                f"unknown action `{show(action)}`",
                where.at(field, i),
                did_you_mean(action, catalog.KMS_ACTIONS),
            )


def check_condition(where: Where, cond: VendorCondition | OrgCondition) -> Iterator[Diagnostic]:
    if not known_operator(cond.operator):
        yield Diagnostic.make(
            "E316",
            f"unknown condition operator `{cond.operator}`",
            where.at("operator"),
            did_you_mean(cond.operator, _all_operators()),
        )
    key = cond.key
    if catalog.is_forbidden_in_key_policy(key):
        yield Diagnostic.make(
            "E314", f"condition key `{key}` is rejected in key policies", where.at("key")
        )
    elif not catalog.is_known_condition_key(key):
        yield Diagnostic.make("E313", f"unknown condition key `{key}`", where.at("key"))
    if cond.operator.startswith("ForAllValues:") and key.lower().startswith(
        "kms:encryptioncontext:"
    ):
        yield Diagnostic.make(
            "E315",
            f"`ForAllValues` with single-valued `{key}` also matches requests without it",
            where.at("operator"),
            "use `StringEquals` (or `ForAnyValue:` for multi-valued keys)",
        )
    elif known_operator(cond.operator):
        yield from _check_documented(where, cond.operator, key)


def _check_documented(where: Where, op: str, key: str) -> Iterator[Diagnostic]:
    """E318/E319: operator and key combinations whose AWS behaviour is undocumented
    (`byok.policy.condops.ambiguity`, which the evaluator and comparer refuse too)."""
    prefixed = op.startswith(("ForAnyValue:", "ForAllValues:"))
    if prefixed and op.endswith("IfExists"):
        yield Diagnostic.make(
            "E318",
            f"`{op}`: AWS does not document a set operator together with `IfExists`",
            where.at("operator"),
            f"use `{op.removesuffix('IfExists')}` (a missing key is then documented) "
            "or a separate `Null` condition",
        )
    elif not prefixed and op != "Null" and multi_valued(key):
        yield Diagnostic.make(
            "E319",
            f"`{op}` on multi-valued `{key}`: AWS documents only set operators for it",
            where.at("operator"),
            f"use `ForAnyValue:{op}` (some value matches) or `ForAllValues:{op}` (every value)",
        )

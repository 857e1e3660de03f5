"""The action names a comparison ranges over (`action_classes`), and what a witness for an
action AWS has not defined stands for (`action_note`).

Actions are every `kms:` name: the KMS action catalog, plus one representative of each way the
policies' action patterns can treat a name outside it (found exactly by `strsolve.realize`
over the case-folded patterns). A representative reads like the pattern it comes from
(`kms:ReEncrypt*` suggests `kms:ReEncryptFuture`). Actions every statement of both policies
treats alike form one class; the comparer decides each class once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import catalog, iam
from .matching import StrPred, fold, glob, glob_matches, has_wildcard
from .request import future_action
from .statements import action_ok
from .strsolve import realize


def action_note(action: str, policies: Sequence[iam.Policy]) -> str | None:
    """For a future action, the class of names it stands for: every name outside the catalog
    that the policies' action patterns treat alike, in words.

    >>> p = iam.Policy.from_json({"Statement": [{"Effect": "Allow", "Principal": "*",
    ...     "Action": ["kms:ReEncrypt*", "kms:Re*Key"], "Resource": "*"}]})
    >>> action_note("kms:ReEncryptFuture", [p])
    'any future action matching `kms:ReEncrypt*` but not `kms:Re*Key` (e.g. `kms:ReEncryptFuture`)'
    """
    if not future_action(action):
        return None
    listed = {
        a
        for p in policies
        for s in p.statements
        for a in (*(s.action or ()), *(s.not_action or ()))
        if has_wildcard(a) or fold(a) == fold(action)
    }
    yes = sorted(a for a in listed if glob_matches(a, action, fold_case=True))
    no = sorted(a for a in listed if a not in yes)
    if not yes:
        return f"any future `kms:` action that no pattern names (e.g. `{action}`)"
    text = "any future action matching " + " and ".join(f"`{a}`" for a in yes)
    if no:
        text += " but not " + " or ".join(f"`{a}`" for a in no)
    return f"{text} (e.g. `{action}`)"


def _other_actions(statements: Sequence[iam.Statement]) -> list[str]:
    """One action name outside the catalog for each way the statements' action patterns can
    treat such a name (exact: every signature some non-catalog name has is represented)."""
    listed = [s.action if s.action is not None else s.not_action or () for s in statements]
    spelled = {fold(a): a for group in listed for a in group if not has_wildcard(a)}
    # Readable names for the future actions a wildcard covers: `kms:ReEncrypt*` suggests
    # `kms:ReEncryptFuture`.
    suggested = [
        a.replace("*", "Future").replace("?", "X") for g in listed for a in g if has_wildcard(a)
    ]
    spelled |= {fold(h): h for h in suggested}
    # The empty string is no action (requests need one), so it is grouped with the catalog.
    known = StrPred(lits=frozenset({"", *(fold(a) for a in catalog.KMS_ACTIONS)}))
    preds = (known, *(StrPred(globs=tuple(glob(fold(a)) for a in group)) for group in listed))
    hints = tuple(dict.fromkeys(fold(h) for h in suggested))
    real = realize(preds, (*hints, "kms:otheraction"))
    return sorted(
        spelled.get(s, s) for sig, s in zip(real.sigs, real.strings, strict=True) if not sig[0]
    )


@dataclass(frozen=True)
class ActionClass:
    action: str  # the alphabetically first member, used in witnesses
    old: tuple[iam.Statement, ...]
    new: tuple[iam.Statement, ...]

    def unchanged(self) -> bool:
        def bodies(sts: tuple[iam.Statement, ...]) -> frozenset[object]:
            return frozenset(
                (
                    s.effect,
                    s.principal,
                    s.not_principal,
                    s.resource,
                    s.not_resource,
                    frozenset(s.conditions),
                )
                for s in sts
            )

        return bodies(self.old) == bodies(self.new)


def action_classes(old: iam.Policy, new: iam.Policy) -> list[ActionClass]:
    both = (*old.statements, *new.statements)
    groups: dict[tuple[bool, ...], list[str]] = {}
    for a in [*sorted(catalog.KMS_ACTIONS), *_other_actions(both)]:
        groups.setdefault(tuple(action_ok(s, a) for s in both), []).append(a)
    n = len(old.statements)
    return [
        ActionClass(
            actions[0],
            tuple(s for s, hit in zip(old.statements, sig[:n], strict=True) if hit),
            tuple(s for s, hit in zip(new.statements, sig[n:], strict=True) if hit),
        )
        for sig, actions in groups.items()
    ]

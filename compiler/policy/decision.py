"""The evaluator's answer to one request (`Decision`), and how the statements that apply
make it (`decide`): an explicit `Deny` wins; else an `Allow` naming a principal of the key's
account directly allows; else an `Allow` through the account, or for another account's
principal, allows only if an IAM policy also allows; else the request is implicitly denied
(see `evaluate`'s module docstring).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

DecisionName = Literal["allow", "allow_if_iam", "deny"]
RANK: dict[str, int] = {"deny": 0, "allow_if_iam": 1, "allow": 2}


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    decision: DecisionName
    reason: Literal["allow", "delegated", "cross_account", "explicit_deny", "implicit_deny"]
    statements: tuple[str, ...] = ()

    @property
    def rank(self) -> int:
        """0 denied, 1 allowed only if an IAM policy also allows, 2 allowed by the key policy."""
        return RANK[self.decision]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "decision": self.decision,
            "reason": self.reason,
            "statements": list(self.statements),
        }
        if self.reason in _NOTES:
            out["note"] = _NOTES[self.reason]
        return out


_NOTES = {
    "delegated": "only an account statement names this principal: allowed if an IAM policy "
    "of the key's account also allows it (the key policy delegates to IAM)",
    "cross_account": "a principal of another account: allowed if an IAM policy of its own "
    "account also allows it",
}


@lru_cache(maxsize=4096)  # decisions are immutable: equal outcomes share one (issue 16)
def decide(
    denies: tuple[str, ...], direct: tuple[str, ...], delegated: tuple[str, ...], same: bool
) -> Decision:
    if denies:
        return Decision(decision="deny", reason="explicit_deny", statements=denies)
    if direct and same:
        return Decision(decision="allow", reason="allow", statements=direct)
    if direct or delegated:
        reason = "delegated" if same else "cross_account"
        return Decision(decision="allow_if_iam", reason=reason, statements=direct + delegated)
    return Decision(decision="deny", reason="implicit_deny")


def says(d: Decision) -> str:
    named = f" by {', '.join(d.statements)}" if d.statements else ""
    return f"{d.decision} ({d.reason}{named})"

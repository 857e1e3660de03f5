"""A finding of `byok audit` (its exit code is the CLI's: cli/audit.py `exit_code`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["wider", "finding", "ok"]


@dataclass(frozen=True)
class Finding:
    """`subject` is a key name or `trail`; `check` names what was compared."""

    subject: str
    check: str
    severity: Severity
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "subject": self.subject,
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
        }
        if self.detail:
            out["detail"] = self.detail
        return out

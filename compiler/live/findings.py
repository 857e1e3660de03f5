"""A finding of `byok audit`, and the audit's exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# 0 clean; 3 some deployed policy grants access the reviewed one does not; 5 other findings.
# 1 (errors: no credentials, unreadable inputs) is the CLI's.
EXIT_CLEAN, EXIT_WIDER, EXIT_FINDINGS = 0, 3, 5

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


def exit_code(findings: list[Finding]) -> int:
    if any(f.severity == "wider" for f in findings):
        return EXIT_WIDER
    if any(f.severity == "finding" for f in findings):
        return EXIT_FINDINGS
    return EXIT_CLEAN

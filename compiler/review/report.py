"""The whole review of a change: the key policies' (`changes.Report`) and every other finding
(`findings.Finding`: the deployment, hand-written Terraform, what else Terraform loads), as
text, as JSON, and as the classes that decide the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .changes import KeyChange, Report
from .findings import Finding, FindingClass

_LABEL = {"weakening": "WEAKENED: ", "unproved": "NOT PROVED: "}


def key_finding(c: KeyChange) -> Finding | None:
    """A key's change as a finding (the JSON lists every finding in one list)."""
    files = (f"generated/policies/{c.key}.json",)
    line = c.lines[0] if c.lines else f"{c.key}: policy changed ({c.relation})"
    witness = None if c.new_access is None else c.new_access.to_json()
    if c.destroys:
        return Finding("destruction", line, files, f"key {c.key}")
    if c.status == "decommissioned":
        return Finding("destruction", line, files, f"key {c.key}", declared=True)
    if c.widens:
        reason = f" ({c.relation}{': ' + c.reason if c.reason else ''})"
        return Finding("access", line + reason, files, f"key {c.key}", witness=witness)
    if c.status != "unchanged":
        return Finding("change", line, files, f"key {c.key}")
    return None


@dataclass
class Review:
    keys: Report
    findings: list[Finding] = field(default_factory=list)
    notes: Sequence[str] = ()  # how the review was made (e.g. the base's inventory compiled)

    def all_findings(self) -> list[Finding]:
        found = (key_finding(c) for c in self.keys.changes)
        return [f for f in found if f is not None] + self.findings

    def blocking(self, cls: FindingClass) -> bool:
        return any(f.cls == cls and f.blocks for f in self.findings) or (
            (cls == "destruction" and self.keys.destroys) or (cls == "access" and self.keys.widens)
        )

    @property
    def changed(self) -> bool:
        return bool(self.findings) or any(c.status != "unchanged" for c in self.keys.changes)

    def text(self) -> str:
        out = [*self.notes, self.keys.text().rstrip("\n")]
        shown = [f for f in self.findings if f.cls != "change"]
        if shown:
            out += ["", "the deployment (every resource Terraform manages, by AWS identity):"]
            out += [f"{_LABEL.get(f.cls, '')}{f.line}" for f in shown]
        quiet = [f for f in self.findings if f.cls == "change"]
        if quiet:
            out += ["", "other changes (no access, data or monitoring at stake):"]
            out += [f"  {f.line}" for f in quiet]
        fixes = [f"{f.subject}: {f.fix}" for f in self.findings if f.fix and f.blocks]
        if fixes:
            out += ["", *fixes]
        return "\n".join(out) + "\n"

    def to_json(self) -> dict[str, Any]:
        found = self.all_findings()
        return {
            "widens": self.blocking("access") or self.blocking("unproved"),
            "weakens": self.blocking("weakening"),
            "destroys": self.blocking("destruction"),
            "keys": [c.to_json() for c in self.keys.changes],
            "findings": [f.to_json() for f in found],
            "notes": list(self.notes),
        }

"""What `byok diff` reports beyond the words of each key: one `Finding` per thing a change
does, with its class (what it costs to approve it) and the files involved.

Classes and the exit code each forces (`cli/common.EXIT_CODES`):

- `destruction` (4, never waived by a flag): a data-bearing resource (a key, a replica, a log
  group, the trail, its bucket, the audit keys) is destroyed or replaced, and org.yaml does not
  declare it (`decommissions` for a key leaving, `destructions` for the rest). A declared one is
  still reported, with `declared: true`, and exits 0.
- `access` (3, `--allow-widening`): someone gains access: a widened key, trust or permissions
  policy, a new role, a new replica Region.
- `unproved` (3, `--allow-widening`): a change whose effect cannot be proved offline:
  hand-written Terraform (modules/, the root's files), anything else Terraform loads (override
  files, tfvars, CLI config, the provider lock) and the workflows under `.github/`.
- `weakening` (6, `--allow-weakening`): less monitoring or evidence: shorter retention, a shorter
  deletion window, rotation off or slower, the trail stopped or narrowed, log file validation
  off, an alarm removed, alarm recipients removed or replaced.
- `change` (0): anything else that changes (a resource created, renamed or removed that holds
  no data and grants nothing), named so that the report covers every resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FindingClass = Literal["destruction", "access", "unproved", "weakening", "change"]
CLASSES: tuple[FindingClass, ...] = ("destruction", "access", "unproved", "weakening", "change")


@dataclass(frozen=True)
class Finding:
    cls: FindingClass
    line: str  # one plain sentence: who gains what, or what is destroyed or weakened
    files: tuple[str, ...] = ()
    subject: str = ""  # the resource (`kind name (account/Region)`) or file it is about
    declared: bool = False  # a destruction org.yaml declares
    witness: dict[str, Any] | None = None  # an access finding's request, allowed now only
    fix: str | None = None  # what to change, or declare, to make it pass

    @property
    def blocks(self) -> bool:
        """Whether the finding sets the exit code (a declared destruction and a plain
        change do not)."""
        return self.cls != "change" and not (self.cls == "destruction" and self.declared)

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.cls,
            "line": self.line,
            "files": list(self.files),
            "subject": self.subject,
            "declared": self.declared,
            "witness": self.witness,
            "fix": self.fix,
        }

"""Does the trail record every KMS call? Read from its event selectors (`GetEventSelectors`), as
CloudTrail documents them (issue 24: excluding KMS events left `byok audit` silent):

- basic selectors: management events are recorded when `IncludeManagementEvents` is true, for
  `ReadWriteType` (`ReadOnly`, `WriteOnly` or `All`), except the sources listed in
  `ExcludeManagementEventSources` (KMS is one such source, "kms.amazonaws.com");
  https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html
- advanced selectors: a selector whose `eventCategory` equals `Management` records the
  management events its other fields match: `readOnly` (`true`: reads only, `false`: writes
  only) and `eventSource` (`NotEquals` excludes a source);
  https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html
  A field byok does not know restricts, as far as this check is concerned (fail closed).

KMS cryptographic operations (Decrypt, GenerateDataKey, ...) are read-only management events and
the key changes (PutKeyPolicy, ScheduleKeyDeletion, ...) write events: both must be recorded
(https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html).
"""

from __future__ import annotations

from typing import Any

from .findings import Finding

KMS = "kms.amazonaws.com"
KINDS = {"read": "read-only (Decrypt, GenerateDataKey, ...)", "write": "write (PutKeyPolicy, ...)"}


def _basic(selectors: list[dict[str, Any]]) -> set[str]:
    covered: set[str] = set()
    for s in selectors:
        if not s.get("IncludeManagementEvents", True) or KMS in s.get(
            "ExcludeManagementEventSources", []
        ):
            continue
        rw = s.get("ReadWriteType", "All")
        covered |= {"read", "write"} if rw == "All" else {"read" if rw == "ReadOnly" else "write"}
    return covered


def _source_matches(f: dict[str, Any]) -> bool:
    """Whether an `eventSource` field selector lets KMS events through."""
    if KMS in f.get("NotEquals", []) or any(KMS.startswith(p) for p in f.get("NotStartsWith", [])):
        return False
    if any(KMS.endswith(p) for p in f.get("NotEndsWith", [])):
        return False
    positive = [*f.get("Equals", []), *f.get("StartsWith", []), *f.get("EndsWith", [])]
    if not positive:
        return True
    return (
        KMS in f.get("Equals", [])
        or any(KMS.startswith(p) for p in f.get("StartsWith", []))
        or any(KMS.endswith(p) for p in f.get("EndsWith", []))
    )


def _advanced_one(fields: dict[str, dict[str, Any]]) -> set[str]:
    if fields.get("eventCategory", {}).get("Equals") != ["Management"]:
        return set()
    kinds = {"read", "write"}
    for name, f in fields.items():
        if name == "eventCategory":
            continue
        if name == "eventSource":
            if not _source_matches(f):
                return set()
        elif name == "readOnly" and set(f) <= {"Field", "Equals"}:
            wanted = {v.lower() for v in f.get("Equals", [])}
            kinds &= {"read" for v in wanted if v == "true"} | {
                "write" for v in wanted if v == "false"
            }
        else:
            return set()  # a field this check does not model: fail closed
    return kinds


def _advanced(selectors: list[dict[str, Any]]) -> set[str]:
    covered: set[str] = set()
    for s in selectors:
        covered |= _advanced_one({f["Field"]: f for f in s.get("FieldSelectors", [])})
    return covered


def selector_findings(response: dict[str, Any]) -> list[Finding]:
    """One finding: are KMS's read-only and write management events both recorded?"""
    advanced = response.get("AdvancedEventSelectors") or []
    covered = _advanced(advanced) if advanced else _basic(response.get("EventSelectors") or [])
    kind = "advanced" if advanced else "basic"
    missing = sorted(set(KINDS) - covered)
    if not missing:
        return [
            Finding("trail", "event selectors", "ok", f"KMS events recorded ({kind} selectors)")
        ]
    what = " and ".join(KINDS[m] for m in missing)
    return [
        Finding(
            "trail",
            "event selectors",
            "finding",
            f"KMS {what} management events are NOT recorded ({kind} event selectors): no "
            "activity, revocation evidence or alarm on them",
            {"selectors": advanced or response.get("EventSelectors") or []},
        )
    ]

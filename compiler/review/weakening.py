"""What weakens monitoring or evidence (class `weakening`, exit 6), setting by setting: the
deployment review (deployment.py) and `byok check-plan` (plancheck.py) judge a changed
setting of the deployment inventory with the same rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..deployment import Resource

__all__ = ["PROTECTION_GONE", "WEAKER", "lost", "weaker"]


def _never(v: Any) -> float:
    """A retention of null or 0 keeps logs forever."""
    return float("inf") if v in (None, 0) else float(v)


# setting -> (is the new value weaker than the old?, the sentence's verb)
WEAKER: Mapping[str, tuple[Callable[[Any, Any], bool], str]] = {
    "retention_in_days": (lambda o, n: _never(n) < _never(o), "keeps logs for less time"),
    "deletion_window_in_days": (lambda o, n: n < o, "gives less time to stop a deletion"),
    "enable_key_rotation": (lambda o, n: bool(o) and not n, "no longer rotates its key material"),
    "rotation_period_in_days": (
        lambda o, n: o is not None and n is not None and n > o,
        "rotates its key material less often",
    ),
    "enable_logging": (lambda o, n: bool(o) and not n, "stops logging"),
    "enable_log_file_validation": (
        lambda o, n: bool(o) and not n,
        "no longer validates its log files (tampering undetected)",
    ),
    "is_multi_region_trail": (lambda o, n: bool(o) and not n, "records one Region only"),
    "include_global_service_events": (
        lambda o, n: bool(o) and not n,
        "no longer records global service events",
    ),
    "event_selectors": (lambda o, n: o != n, "selects other events (narrowed)"),
    "s3_bucket_name": (lambda o, n: o != n, "delivers its log files elsewhere"),
    "cloud_watch_logs_group": (lambda o, n: o != n, "sends its events to another log group"),
    "alarm_actions": (lambda o, n: not set(o or ()) <= set(n or ()), "no longer notifies"),
    "status": (lambda o, n: o == "Enabled" and n != "Enabled", "is no longer versioned"),
    "expiration_days": (lambda o, n: _never(n) < _never(o), "expires log files sooner"),
    "noncurrent_version_expiration_days": (
        lambda o, n: _never(n) < _never(o),
        "expires overwritten log files sooner",
    ),
    "force_destroy": (lambda o, n: not o and bool(n), "may be deleted with its log files"),
    # issue 24: Insights off or fewer types, access logs elsewhere, shorter or weaker Object
    # Lock, another CIS filter pattern
    "insight_types": (
        lambda o, n: not set(o or ()) <= set(n or ()),
        "records fewer CloudTrail Insights types",
    ),
    "target_bucket": (lambda o, n: o != n, "delivers its access logs elsewhere"),
    "target_prefix": (lambda o, n: o != n, "delivers its access logs elsewhere"),
    "object_lock_days": (lambda o, n: n < o, "locks new log files for less time"),
    "object_lock_mode": (
        lambda o, n: o == "COMPLIANCE" and n != "COMPLIANCE",
        "lets privileged users shorten or remove the lock (GOVERNANCE)",
    ),
    "pattern": (lambda o, n: o != n, "matches other events"),
    "skip_destroy": (lambda o, n: bool(o) and not n, "may be deleted with its events"),
}
# Kinds whose removal, without destroying data, takes protection away
PROTECTION_GONE: Mapping[str, str] = {
    "object-lock": "new log files are no longer locked against deletion",
    "access-logging": "reads and deletions of the log files are no longer logged",
}


def weaker(setting: str, old: Any, new: Any) -> tuple[bool, str]:
    """Whether `new` monitors or keeps less than `old` for `setting`, and the words for it (an
    unknown setting counts as weaker: fail closed)."""
    test, verb = WEAKER.get(setting, (lambda o, n: True, "changes"))
    return bool(test(old, new)), verb


def lost(r: Resource) -> str:
    """What a destruction of `r` loses: a log group with `skip_destroy` stays in AWS."""
    if r.settings.get("skip_destroy"):
        return (
            "AWS keeps it and its events (skip_destroy), but Terraform forgets it and nothing "
            "delivers to it any more"
        )
    return "what it holds is lost"

"""`byok audit`'s checks of the trail and the alarm path: the trail logs, is multi-Region, has
log file validation and a KMS key; every metric filter of the key-alarms module exists with its
pattern verbatim, with an alarm that notifies the topic; every alarm email is subscribed and
confirmed (an unconfirmed email subscription's ARN is `PendingConfirmation`:
https://docs.aws.amazon.com/sns/latest/api/API_Subscription.html).
"""

from __future__ import annotations

from .expected import Expected
from .findings import Finding
from .state import TrailState

T = "trail"


def _ok(check: str, message: str) -> Finding:
    return Finding(T, check, "ok", message)


def _bad(check: str, message: str) -> Finding:
    return Finding(T, check, "finding", message)


def log_group(trail_name: str) -> str:
    """The trail's CloudWatch Logs group, as the cloudtrail module names it."""
    return f"/aws/cloudtrail/{trail_name}"


def _trail(exp: Expected, st: TrailState) -> list[Finding]:
    t = st.trail
    if t is None:
        return [_bad("trail", f"trail `{exp.trail_name}` does not exist")]
    checks = [
        ("logging", bool(st.status.get("IsLogging")), "logging", "NOT logging (StopLogging?)"),
        ("multi-region", bool(t.get("IsMultiRegionTrail")), "multi-Region", "NOT multi-Region"),
        (
            "log validation",
            bool(t.get("LogFileValidationEnabled")),
            "log file validation on",
            "log file validation OFF",
        ),
        ("trail key", bool(t.get("KmsKeyId")), f"encrypted with {t.get('KmsKeyId')}", "no KMS key"),
    ]
    return [_ok(c, good) if passed else _bad(c, bad) for c, passed, good, bad in checks]


def _filters(exp: Expected, st: TrailState) -> list[Finding]:
    out = []
    for control, pattern in sorted(exp.filters.items()):
        name = f"{exp.trail_name}-{control}"
        found = st.filters.get(name)
        if found is None:
            out.append(_bad("metric filter", f"`{name}` is missing"))
        elif found.get("filterPattern") != pattern:
            got = found.get("filterPattern")
            out.append(
                _bad("metric filter", f"`{name}` pattern is {got!r}, module says {pattern!r}")
            )
        else:
            out.append(_ok("metric filter", f"`{name}` pattern verbatim"))
        alarm = st.alarms.get(name)
        if alarm is None:
            out.append(_bad("alarm", f"alarm `{name}` is missing"))
        elif st.topic_arn not in alarm.get("AlarmActions", []):
            out.append(_bad("alarm", f"alarm `{name}` does not notify {st.topic_arn}"))
        else:
            out.append(_ok("alarm", f"alarm `{name}` notifies the topic"))
    return out


def _subscriptions(exp: Expected, st: TrailState) -> list[Finding]:
    if st.topic_arn is None:
        return [_bad("topic", f"topic `{exp.trail_name}-kms-alarms` does not exist")]
    subs = {s.get("Endpoint"): s for s in st.subscriptions if s.get("Protocol") == "email"}
    out = []
    for email in exp.alarm_emails:
        sub = subs.get(email)
        if sub is None:
            out.append(_bad("subscription", f"{email} is not subscribed"))
        elif sub.get("SubscriptionArn") in ("PendingConfirmation", "Deleted"):
            out.append(_bad("subscription", f"{email}: {sub['SubscriptionArn']} (not confirmed)"))
        else:
            out.append(_ok("subscription", f"{email} confirmed"))
    return out


def audit_trail(exp: Expected, st: TrailState) -> list[Finding]:
    return _trail(exp, st) + _filters(exp, st) + _subscriptions(exp, st)

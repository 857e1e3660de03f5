"""`byok audit`'s checks of the trail and the alarm path (issue 24): the trail exists, logs,
delivers without error, is multi-Region, validates its log files, is encrypted, delivers to the
log group the alarms read, records every KMS event (its event selectors), and has the Insights
`generated/` asks for; the alarm topic exists (with the alarm path's key, when it is ours), every
alarm email is subscribed and confirmed (an unconfirmed email subscription's ARN is
`PendingConfirmation`: https://docs.aws.amazon.com/sns/latest/api/API_Subscription.html);
every metric filter of `modules/key-alarms` is on the log group with its pattern verbatim and its
metric, and every alarm watches that metric, has its actions enabled and notifies the topic.
Pure functions of the values read (`chain_state.py`).
"""

from __future__ import annotations

from .alarms import NAMESPACE, Controls, Filter
from .chain import Chain
from .chain_state import ChainState
from .findings import Finding
from .selectors import selector_findings

T = "trail"


def _ok(check: str, message: str) -> Finding:
    return Finding(T, check, "ok", message)


def _bad(check: str, message: str) -> Finding:
    return Finding(T, check, "finding", message)


def log_group(trail_name: str) -> str:
    """The trail's CloudWatch Logs group, as the cloudtrail module names it."""
    return f"/aws/cloudtrail/{trail_name}"


def _status(st: ChainState) -> list[Finding]:
    out = [
        _ok("logging", "logging")
        if st.status.get("IsLogging")
        else _bad("logging", "NOT logging (StopLogging?)")
    ]
    for field in ("LatestDeliveryError", "LatestCloudWatchLogsDeliveryError"):
        if st.status.get(field):
            out.append(_bad("delivery", f"{field}: {st.status[field]}"))
    return out


def _trail(c: Chain, st: ChainState) -> list[Finding]:
    t = st.trail
    if t is None:
        return [_bad("trail", f"trail `{c.existing_trail or c.trail_name}` does not exist")]
    delivers = str(t.get("CloudWatchLogsLogGroupArn") or "")
    group = f":log-group:{c.log_group}:"
    checks = [
        ("multi-region", bool(t.get("IsMultiRegionTrail")), "multi-Region", "NOT multi-Region"),
        (
            "log validation",
            bool(t.get("LogFileValidationEnabled")),
            "log file validation on",
            "log file validation OFF",
        ),
        ("trail key", bool(t.get("KmsKeyId")), f"encrypted with {t.get('KmsKeyId')}", "no KMS key"),
        (
            "log group",
            group in delivers + ":",
            f"delivers to {c.log_group}",
            f"delivers to `{delivers or 'no log group'}`, not {c.log_group} (the alarms read it)",
        ),
    ]
    out = _status(st)
    out += [_ok(ck, good) if passed else _bad(ck, bad) for ck, passed, good, bad in checks]
    return out + selector_findings(st.selectors) + _insights(c, st)


def _insights(c: Chain, st: ChainState) -> list[Finding]:
    if c.existing_trail is not None:
        return []  # the baseline's trail: its Insights are its owner's choice
    want, got = sorted(c.insight_types), st.insights
    if got == want:
        return [_ok("insights", ", ".join(got) or "off, as generated/ says")]
    return [
        _bad(
            "insights",
            f"Insights {', '.join(got) or 'off'}; generated/ says {', '.join(want) or 'off'}",
        )
    ]


def _topic(c: Chain, st: ChainState) -> list[Finding]:
    if st.topic_arn is None:
        return [_bad("topic", f"topic `{c.topic_arn or c.topic_name}` does not exist")]
    out = [_ok("topic", f"alarms notify {st.topic_arn}")]
    key = st.keys.get(c.alarm_key_alias)
    if c.topic_arn is None and key is not None and st.topic.get("KmsMasterKeyId") not in key:
        got = st.topic.get("KmsMasterKeyId") or "no key"
        out.append(_bad("topic", f"encrypted with {got}, not the alarm path's key {key[1]}"))
    return out


def _subscriptions(c: Chain, st: ChainState) -> list[Finding]:
    subs = {s.get("Endpoint"): s for s in st.subscriptions if s.get("Protocol") == "email"}
    out = []
    for email in c.emails:
        sub = subs.get(email)
        if sub is None:
            out.append(_bad("subscription", f"{email} is not subscribed"))
        elif sub.get("SubscriptionArn") in ("PendingConfirmation", "Deleted"):
            out.append(_bad("subscription", f"{email}: {sub['SubscriptionArn']} (not confirmed)"))
        else:
            out.append(_ok("subscription", f"{email} confirmed"))
    return out


def _filter(f: Filter, found: dict[str, object] | None) -> Finding:
    if found is None:
        return _bad("metric filter", f"`{f.name}` is missing")
    got = found.get("filterPattern")
    if got != f.pattern:
        return _bad(
            "metric filter", f"`{f.name}` pattern is {got!r}, the module says {f.pattern!r}"
        )
    transforms = found.get("metricTransformations") or [{}]
    mt = transforms[0] if isinstance(transforms, list) else {}
    if (mt.get("metricName"), mt.get("metricNamespace")) != (f.metric, NAMESPACE):
        return _bad("metric filter", f"`{f.name}` publishes {mt.get('metricName')}, not {f.metric}")
    return _ok("metric filter", f"`{f.name}` pattern verbatim")


def _alarm(name: str, metric: str, st: ChainState) -> Finding:
    alarm = st.alarms.get(name)
    if alarm is None:
        return _bad("alarm", f"alarm `{name}` is missing")
    if (alarm.get("MetricName"), alarm.get("Namespace")) != (metric, NAMESPACE):
        return _bad("alarm", f"alarm `{name}` watches {alarm.get('MetricName')}, not {metric}")
    if alarm.get("ActionsEnabled") is False:
        return _bad("alarm", f"alarm `{name}` has its actions disabled")
    if st.topic_arn not in alarm.get("AlarmActions", []):
        return _bad("alarm", f"alarm `{name}` does not notify {st.topic_arn}")
    return _ok("alarm", f"alarm `{name}` notifies the topic")


def _filters(
    c: Chain, st: ChainState, controls: Controls, key_ids: dict[str, str]
) -> list[Finding]:
    wanted = controls.cis_filters(c.trail_name, c.cis)
    missing = sorted((set(c.key_names) | {":trail", ":alarms"}) - set(key_ids))
    if missing:
        msg = f"key alarms not checked: no key id for {', '.join(missing)} (alias missing)"
        out = [_bad("metric filter", msg)]
    else:
        out = []
        wanted += controls.key_filters(c.trail_name, key_ids)
    out += [_filter(f, st.filters.get(f.name)) for f in wanted]
    metrics = {f"{c.trail_name}-{f.metric}": f.metric for f in wanted}
    return out + [_alarm(name, metrics[name], st) for name in sorted(metrics)]


def audit_trail(
    c: Chain, st: ChainState, controls: Controls | None, key_ids: dict[str, str]
) -> list[Finding]:
    """`key_ids`: the root's key names (and `:trail`, `:alarms`) -> key id, as var.key_ids."""
    out = _trail(c, st) + _topic(c, st) + _subscriptions(c, st)
    return out + (_filters(c, st, controls, key_ids) if controls is not None else [])

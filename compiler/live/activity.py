"""`byok activity`: who used each key, from the trail's CloudWatch Logs group.

Each log event is one CloudTrail record (JSON). Fields used, as documented in
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
and for KMS https://docs.aws.amazon.com/kms/latest/developerguide/ct-decrypt.html:
`eventSource` (kms.amazonaws.com), `eventName`, `userIdentity` (`arn`, or `accountId` for a
caller of another account), `errorCode` (AccessDenied / AccessDeniedException on a denied
call), `resources[].ARN` (the key), `requestParameters.keyId`,
`requestParameters.encryptionContext`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .aws import Clients
from .expected import KeySpec

DENIED = {"AccessDenied", "AccessDeniedException"}
KMS_FILTER = '{ $.eventSource = "kms.amazonaws.com" }'
_SINCE = re.compile(r"^([1-9][0-9]*)([mhd])$")
_UNIT = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> timedelta:
    """`30m`, `24h`, `7d` -> a timedelta; ValueError otherwise."""
    m = _SINCE.match(text)
    if not m:
        raise ValueError(f"`{text}` is not a duration like 30m, 24h or 7d")
    return timedelta(**{_UNIT[m.group(2)]: int(m.group(1))})


@dataclass
class KeyActivity:
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (caller, event) -> n
    denied: Counter[tuple[str, str]] = field(default_factory=Counter)
    # context key, value, ticket of the revocation it matches (None: no revocation) -> n
    denied_context: Counter[tuple[str, str, str | None]] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": [
                {"caller": c, "event": e, "count": n, "denied": self.denied[(c, e)]}
                for (c, e), n in sorted(self.calls.items())
            ],
            "denied_context": [
                {"context_key": k, "value": v, "ticket": t, "count": n}
                for (k, v, t), n in sorted(self.denied_context.items(), key=str)
            ],
        }


def caller(record: dict[str, Any]) -> str:
    ident = record.get("userIdentity") or {}
    if ident.get("arn"):
        return str(ident["arn"])
    if ident.get("accountId"):
        return f"account {ident['accountId']}"
    return str(ident.get("invokedBy") or ident.get("type") or "?")


def key_of(record: dict[str, Any], ids: dict[str, str]) -> str | None:
    """The byok key name a record is about (`ids`: key id, key ARN or alias -> name)."""
    for res in record.get("resources") or []:
        name = ids.get(str(res.get("ARN", "")))
        if name:
            return name
    key_id = (record.get("requestParameters") or {}).get("keyId")
    if isinstance(key_id, str):
        return ids.get(key_id) or ids.get(key_id.rsplit("/", 1)[-1])
    return None


def _ticket(spec: KeySpec, ctx_key: str, value: str) -> str | None:
    for r in spec.revoked:
        if r.context_key == "" or (r.context_key == ctx_key and r.value == value):
            return r.ticket
    return None


def summarize(
    records: Iterable[dict[str, Any]], ids: dict[str, str], specs: dict[str, KeySpec]
) -> dict[str, KeyActivity]:
    out: dict[str, KeyActivity] = {}
    for rec in records:
        if rec.get("eventSource") != "kms.amazonaws.com":
            continue
        name = key_of(rec, ids)
        if name is None or name not in specs:
            continue
        act = out.setdefault(name, KeyActivity())
        who, event = caller(rec), str(rec.get("eventName", "?"))
        act.calls[(who, event)] += 1
        if rec.get("errorCode") in DENIED:
            act.denied[(who, event)] += 1
            ctx = (rec.get("requestParameters") or {}).get("encryptionContext") or {}
            for k, v in sorted(ctx.items()):
                act.denied_context[(str(k), str(v), _ticket(specs[name], str(k), str(v)))] += 1
    return out


def scan(
    clients: Clients, group: str, start_ms: int, progress: Callable[[int], None] | None = None
) -> Iterator[dict[str, Any]]:
    """CloudTrail records of KMS calls in `group` since `start_ms` (FilterLogEvents)."""
    pages = clients.client("logs").get_paginator("filter_log_events")
    seen = 0
    for page in pages.paginate(logGroupName=group, startTime=start_ms, filterPattern=KMS_FILTER):
        for event in page.get("events", []):
            try:
                yield json.loads(event["message"])
            except (ValueError, KeyError):
                continue  # not a CloudTrail record: CloudTrail writes only JSON records here
            seen += 1
        if progress is not None:
            progress(seen)


EMULATOR_NOTE = (
    "  note: {endpoint} is not AWS (AWS_ENDPOINT_URL): an emulator such as moto (`make "
    "sandbox`) delivers no CloudTrail events to CloudWatch Logs, so there is nothing to read "
    "there; against AWS the trail delivers them within minutes"
)


def text(acts: dict[str, KeyActivity], since: str, emulator: str | None = None) -> str:
    """`emulator`: the endpoint, when it is not AWS (`aws.not_aws_endpoint`)."""
    if not acts:
        note = "" if emulator is None else EMULATOR_NOTE.format(endpoint=emulator) + "\n"
        return f"no KMS calls on these keys in the last {since}\n{note}"
    lines = []
    for name in sorted(acts):
        a = acts[name]
        lines.append(f"{name}: {sum(a.calls.values())} call(s), {sum(a.denied.values())} denied")
        for (who, event), n in sorted(a.calls.items()):
            d = a.denied[(who, event)]
            lines.append(f"  {who} {event}: {n}" + (f" ({d} denied)" if d else ""))
        for (k, v, ticket), n in sorted(a.denied_context.items(), key=str):
            label = f"revoked by {ticket}" if ticket else "no revocation matches"
            lines.append(f"  denied with context {k}={v}: {n} ({label})")
    return "\n".join(lines) + "\n"

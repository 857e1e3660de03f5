"""A monthly cost estimate of what `generated/` creates, from stated assumptions and the list
prices in `data/prices.json` (one file, with its date and sources). Deterministic: no clock,
no network; `byok cost` and ACCESS.md print the same numbers for the same inputs.

What is counted (us-east-1 list prices), in every Terraform root `generated/` holds (the
repository root and each stack, `stacks.roots`): every customer managed key (vendor keys,
each root's trail key and alarm path key; each replica is billed as a key), the extra backing-
key versions of automatic rotation (AWS bills the first two rotations, so a rotating key costs
$1 more per month after its first rotation and $2 more from its second on: the estimate takes
the steady state), KMS requests beyond the free tier, the trail (the first copy of management
events is free: the estimate assumes this trail is the account's first), CloudTrail Insights
(call rate on write management events, error rate on all of them), CloudWatch Logs ingestion and
storage of the trail's log group, S3 storage of log files, metric alarms (each root's controls:
its CIS set and key events, modules/key-alarms/controls.json; and one material-expiry alarm per
key with imported material) and alarm emails. With `trail.existing` the trail and its logs are
the account baseline's and not counted; `trail.insights: false` counts no Insights. Each root has
its own multi-Region trail (README, "Several accounts"); the first in an account records
management events for free. Another root in the same account (a stack in another Region) records
the same events again: a paid copy, with its own Insights, CloudWatch Logs and S3 log files:
named, not estimated (how the assumed events divide between accounts is not known).

The vendors' own log groups (`vendor-log-role`) are counted too: their CloudWatch Logs
ingestion and storage, at an assumed volume per vendor. Each line names the AWS service it is
billed under, so the budget (`budget_limit`) counts exactly the services it filters on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .controls import shipped_controls
from .replicas import replica_regions

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..compile import Compiled

INSIGHT_TYPES = 2  # ApiCallRateInsight and ApiErrorRateInsight (modules/cloudtrail)
ALARM_PATH_KEYS = 2  # the trail's key and the alarm path's key (modules/cloudtrail)
ALARMS = 14  # the key-alarms module's default controls: 7 CIS (default set) + 7 key events


def alarm_count(cis: str) -> int:
    """Alarms of one root's key-alarms module: its CIS controls of the `cis` set (`default` or
    `all`) and its key events, as modules/key-alarms/controls.json lists them."""
    controls = shipped_controls()
    return len(controls.cis_filters("", cis)) + len(controls.events)


@dataclass(frozen=True)
class Assumptions:
    requests_per_month: int = 1_000_000  # KMS requests on all keys together
    log_gb_per_month: float = 1.0  # CloudTrail events into the log group (and S3)
    write_events_per_month: int = 10_000  # write management events Insights analyzes
    alarm_emails_per_month: int = 10
    vendor_log_gb_per_month: float = 0.5  # each vendor's own log group (vendor-log-role)


@dataclass(frozen=True)
class Resources:
    """What `generated/` creates that is billed by the month, over all its Terraform roots."""

    vendor_keys: int
    rotating_keys: int  # with automatic rotation, the trail and alarm path keys included
    replicas: int
    expiring_keys: int = 0  # imported material: one material-expiry alarm each (key-alarms)
    roots: int = 1  # each: a trail, ALARM_PATH_KEYS keys and its alarms
    accounts: int = 1  # the accounts of the roots (a trail beyond an account's first is billed)
    alarms: int = ALARMS  # over every root (key-alarms: CIS set + key events), not expiry ones
    insights: bool = True  # org.yaml trail.insights
    own_trails: int = 1  # roots whose trail byok creates (not `trail.existing`)
    vendor_log_groups: int = 0  # one per vendor with logging, in each root that has its keys


def resources(roots: Sequence[Compiled]) -> Resources:
    """Counted from what the renderers generate: the Terraform roots (`stacks.roots`, which
    `tree.render_all` has already divided) and, in each, the replicas of
    `replicas.replica_regions`."""
    keys = [ck.key for r in roots for ck in r.keys]
    org = roots[0].resolved.org if roots else None
    existing = org is not None and org.trail.existing is not None  # the repository root's
    return Resources(
        vendor_keys=len(keys),
        rotating_keys=sum(k.options.automatic_rotation for k in keys)
        + ALARM_PATH_KEYS * len(roots),
        replicas=sum(len(names) for r in roots for names in replica_regions(r).values()),
        expiring_keys=sum(k.options.imported_key_material for k in keys),
        roots=len(roots),
        accounts=len({r.resolved.org.account_id for r in roots}),
        alarms=alarm_count(org.alarms.cis if org else "default") * len(roots),
        insights=org.trail.insights if org else True,
        own_trails=len(roots) - existing,
        vendor_log_groups=sum(len(r.resolved.logging) for r in roots),
    )


@dataclass(frozen=True)
class Line:
    item: str
    quantity: str
    monthly: float
    # The service AWS bills it under (Cost Explorer's SERVICE dimension value).
    service: str = ""


KMS = "AWS Key Management Service"
CLOUDTRAIL = "AWS CloudTrail"
CLOUDWATCH = "AmazonCloudWatch"


def prices() -> dict[str, Any]:
    # The package's shared data/, not render/'s: ACCESS.md names the file by that path.
    raw = (Path(__file__).parents[1] / "data" / "prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _kms(p: dict[str, Any], keys: int, replicas: int, rotating: int, a: Assumptions) -> list[Line]:
    kms = p["kms"]
    billed_requests = max(0, a.requests_per_month - kms["free_requests_month"])
    versions = rotating * kms["rotation_versions_billed"]
    return [
        Line("KMS keys", f"{keys} keys ({replicas} replicas)", keys * kms["key_month"], KMS),
        Line(
            "KMS rotation",
            f"{versions} key versions (steady state: 2 per rotating key)",
            versions * kms["rotation_version_month"],
            KMS,
        ),
        Line(
            "KMS requests",
            f"{a.requests_per_month:,} / month",
            billed_requests / 10_000 * kms["requests_per_10k"],
            KMS,
        ),
    ]


def _trails(p: dict[str, Any], roots: int, accounts: int) -> list[Line]:
    ct = p["cloudtrail"]
    first = "first copy of management events"
    per = first if roots == 1 else f"{roots} trails: the {first} in {accounts} account(s)"
    lines = [Line("CloudTrail trail", per, accounts * ct["first_management_copy"], CLOUDTRAIL)]
    if roots > accounts:  # two roots in one account: the second trail is a paid copy
        extra = roots - accounts
        price = ct["extra_management_copy_per_100k"]
        lines.append(
            Line(
                "CloudTrail extra copies",
                f"{extra} trail(s) beyond their account's first, each recording that account's "
                f"events again: ${price:.2f} per 100,000 management events, plus its Insights, "
                "CloudWatch Logs and S3 log files (not estimated)",
                0.0,
                CLOUDTRAIL,
            )
        )
    return lines


def _trail(p: dict[str, Any], retention_days: int, r: Resources, a: Assumptions) -> list[Line]:
    ct, cw = p["cloudtrail"], p["cloudwatch"]
    if not r.own_trails:  # `trail.existing`: the account's baseline pays for its trail
        return [
            Line("CloudTrail", "an existing trail (trail.existing): not counted", 0.0, CLOUDTRAIL)
        ]
    stored_gb = a.log_gb_per_month * min(retention_days, 3653) / 30
    # Call rate analyzes write events, error rate every event: writes twice, reads (KMS
    # cryptographic calls are read-only management events) once.
    # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/insights-events-costs.html
    analyzed = (a.write_events_per_month * INSIGHT_TYPES + a.requests_per_month) * r.insights
    return [
        Line(
            "CloudTrail Insights",
            f"{analyzed:,} events analyzed" if r.insights else "off (trail.insights: false)",
            analyzed / 100_000 * ct["insights_per_100k_analyzed"],
            CLOUDTRAIL,
        ),
        Line(
            "CloudWatch Logs ingestion",
            f"{a.log_gb_per_month:g} GB / month",
            a.log_gb_per_month * cw["logs_ingest_gb"],
            CLOUDWATCH,
        ),
        Line(
            "CloudWatch Logs storage",
            f"{stored_gb:.1f} GB kept {retention_days} days (uncompressed: upper bound)",
            stored_gb * cw["logs_storage_gb_month"],
            CLOUDWATCH,
        ),
        Line(
            "S3 log files",
            f"{stored_gb:.1f} GB in Standard (upper bound)",
            stored_gb * p["s3"]["standard_gb_month"],
            "Amazon Simple Storage Service",
        ),
    ]


def _vendor_logs(p: dict[str, Any], groups: int, retention_days: int, a: Assumptions) -> list[Line]:
    """The vendors' own log groups: what they ingest and keep (the runbook's warning that
    "CloudWatch specifically can add up quickly based on how often the vendor is sending logs")."""
    if not groups:
        return []
    cw = p["cloudwatch"]
    gb = groups * a.vendor_log_gb_per_month
    stored_gb = gb * min(retention_days, 3653) / 30
    return [
        Line(
            "Vendor log ingestion",
            f"{groups} vendor log group(s) x {a.vendor_log_gb_per_month:g} GB / month",
            gb * cw["logs_ingest_gb"],
            CLOUDWATCH,
        ),
        Line(
            "Vendor log storage",
            f"{stored_gb:.1f} GB kept {retention_days} days (uncompressed: upper bound)",
            stored_gb * cw["logs_storage_gb_month"],
            CLOUDWATCH,
        ),
    ]


def estimate(r: Resources, retention_days: int, emails: int, a: Assumptions) -> list[Line]:
    p = prices()
    cw, sns = p["cloudwatch"], p["sns"]
    keys = r.vendor_keys + ALARM_PATH_KEYS * r.roots + r.replicas
    alarms = r.alarms + r.expiring_keys
    email_msgs = a.alarm_emails_per_month * emails
    return [
        *_kms(p, keys, r.replicas, r.rotating_keys, a),
        *(_trails(p, r.roots, r.accounts) if r.own_trails else []),
        *_trail(p, retention_days, r, a),
        *_vendor_logs(p, r.vendor_log_groups, retention_days, a),
        Line("CloudWatch alarms", f"{alarms} alarms", alarms * cw["alarm_month"], CLOUDWATCH),
        Line(
            "SNS email",
            f"{email_msgs} emails",
            max(0, email_msgs - sns["free_email_month"]) / 100_000 * sns["email_per_100k"],
            "Amazon Simple Notification Service",
        ),
    ]


def budget_limit(lines: list[Line], services: tuple[str, ...]) -> int:
    """The budget's default monthly limit: the estimate of the lines billed under `services`,
    rounded up to whole dollars (at least 1: AWS Budgets needs a positive limit)."""
    return max(1, math.ceil(round(sum(x.monthly for x in lines if x.service in services), 6)))


def markdown(lines: list[Line], a: Assumptions) -> str:
    p = prices()
    total = sum(line.monthly for line in lines)
    out = [
        f"Assumptions: {a.requests_per_month:,} KMS requests / month, {a.log_gb_per_month:g} GB "
        f"of trail events / month, {a.write_events_per_month:,} write management events / "
        f"month, {a.vendor_log_gb_per_month:g} GB of logs per vendor log group / month; the "
        "trail is the account's first (its management events are free); free "
        f"tiers not counted except KMS's and SNS's. List prices ({p['region']}, {p['currency']}) "
        f"as of {p['as_of']} from `compiler/data/prices.json`; `byok cost` recomputes with "
        "other assumptions.",
        "",
        "| item | quantity | USD / month |",
        "| --- | --- | ---: |",
        *(f"| {x.item} | {x.quantity} | {x.monthly:.2f} |" for x in lines),
        f"| **total** | | **{total:.2f}** |",
    ]
    return "\n".join(out) + "\n"

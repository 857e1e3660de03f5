"""`byok iam-policy deployer|auditor`: least-privilege IAM policies for the role that runs
`terraform apply` on what `generated/` declares, and for the one that runs `byok audit` and
`byok activity`. Derived from the compiled roots (their accounts, Regions, replica Regions and
names: render/tree.py, render/features.py and the modules' naming) and from the calls the AWS
provider and byok make, which tests/e2e/test_apply.py records against moto and checks against
these policies (tests/e2e/calls.py).

Deliberately not granted (README, "Permissions"): `kms:ScheduleKeyDeletion`, `kms:DisableKey`
(every key policy denies them to all but break-glass: destroying a key is a break-glass step),
`kms:CreateGrant` and cryptographic use of the keys. `sts:GetCallerIdentity` needs no
permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).

Per service, the actions each Terraform resource type needs are from the AWS provider's
create/read/update/delete of that type (what the e2e recording shows) and the Service
Authorization Reference for their names and resource types
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
Actions that take no resource ARN (CreateKey, ListAliases, DescribeTrails, ...) get `*`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..compile import Compiled
from ..model import Org
from ..resolve.stacks import log_role_name, name_suffix, trail_name
from .features import features
from .iam_actions import (
    ALARMS,
    ANALYZER,
    ANALYZER_CHECKS,
    ANALYZER_FINDINGS,
    ARCHIVE_RULES,
    AUDIT_POLICIES,
    AUDIT_ROLES,
    BUCKET,
    BUDGETS,
    CONFIG,
    KMS_ALIASES,
    KMS_KEYS,
    KMS_NO_RESOURCE,
    LAMBDA,
    LOG_GROUPS,
    READ_KEYS,
    ROLES,
    SUBSCRIPTIONS,
    TOPICS,
    TRAIL,
)
from .replicas import replica_regions

POLICY_VERSION = "2012-10-17"


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (operator, key, values)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": sorted(set(self.actions)),
            "Resource": sorted(set(self.resources)),
        }
        if self.conditions:
            cond: dict[str, dict[str, list[str]]] = {}
            for op, key, values in self.conditions:
                cond.setdefault(op, {})[key] = sorted(values)
            out["Condition"] = cond
        return out


@dataclass(frozen=True)
class Root:
    """What one Terraform root creates, by name."""

    account: str
    region: str
    regions: tuple[str, ...]  # its Region and its keys' replica Regions
    org: str
    prefix: str  # trail name: prefix of the bucket, roles, topics, alarms, budget, analyzer
    vendor_roles: tuple[str, ...]
    vendor_log_groups: tuple[str, ...]
    analyzer: str | None
    creates_analyzer: bool
    budget: str | None
    config: bool
    siem_role: str | None
    siem_destination: str | None
    # the trail, its log group and the alarm topic the audit reads: ours, or the existing ones
    # org.yaml names for the repository root (`trail.existing`, `alarms.topic_arn`)
    trail_arn: str
    trail_log_group: str
    alarm_topic_arn: str


def _root(org_yaml: Org, compiled: Compiled) -> Root:
    org = compiled.resolved.org
    suffix = name_suffix(org_yaml, org.account_id, org.region)
    prefix = trail_name(org.organization, suffix)
    f = features(compiled, suffix)
    siem = f.siem
    firehose = siem is not None and ":firehose:" in siem.destination_arn
    apps = [lg.app for lg in compiled.resolved.logging]
    return Root(
        account=org.account_id,
        region=org.region,
        regions=tuple(sorted({org.region, *replica_regions(compiled)})),
        org=org.organization,
        prefix=prefix,
        vendor_roles=tuple(log_role_name(org.organization, a, suffix) for a in apps),
        vendor_log_groups=tuple(f"/byok/{org.organization}/{a}" for a in apps),
        analyzer=f.analyzer.name if f.analyzer else None,
        creates_analyzer=bool(f.analyzer and f.analyzer.create),
        budget=f.budget.name if f.budget else None,
        config=f.config is not None,
        siem_role=f"{prefix}-siem" if siem is not None and firehose else None,
        siem_destination=siem.destination_arn if siem is not None else None,
        **_audited(org_yaml, org.account_id, org.region, prefix),
    )


def _audited(org_yaml: Org, account: str, region: str, prefix: str) -> dict[str, str]:
    """The repository root's (org.yaml's account and Region: E369 puts an existing trail and
    topic there) may be existing ones; every stack creates its own (render/locals.py)."""
    mine = (account, region) == (org_yaml.account_id, org_yaml.region)
    existing = org_yaml.trail.existing if mine else None
    topic = org_yaml.alarms.topic_arn if mine else None
    return {
        "trail_arn": existing.arn
        if existing
        else f"arn:aws:cloudtrail:{region}:{account}:trail/{prefix}",
        "trail_log_group": existing.log_group_name if existing else f"/aws/cloudtrail/{prefix}",
        "alarm_topic_arn": topic or f"arn:aws:sns:{region}:{account}:{prefix}-kms-alarms",
    }


def roots_of(compiled: Compiled, roots: Iterable[Compiled]) -> list[Root]:
    return [_root(compiled.resolved.org, r) for r in roots]


# --------------------------------------------------------------------------- ARNs


def _kms(r: Root, what: str) -> list[str]:
    return [f"arn:aws:kms:{region}:{r.account}:{what}" for region in r.regions]


def _log_groups(r: Root) -> list[str]:
    groups = [f"/aws/cloudtrail/{r.prefix}", *r.vendor_log_groups]
    base = f"arn:aws:logs:{r.region}:{r.account}:log-group:"
    return [f"{base}{g}{tail}" for g in groups for tail in ("", ":*")]


def _roles(r: Root) -> list[str]:
    names = [f"{r.prefix}-cloudtrail-cloudwatch-logs", *r.vendor_roles]
    names += [r.siem_role] if r.siem_role else []
    return [f"arn:aws:iam::{r.account}:role/{n}" for n in names]


# --------------------------------------------------------------------------- deployer


def _deployer_root(r: Root) -> list[Statement]:
    a, reg = r.account, r.region
    out = [
        Statement("KmsCreateAndList", KMS_NO_RESOURCE, ("*",)),
        Statement("KmsKeys", KMS_KEYS, (*_kms(r, "key/*"),)),
        Statement("KmsAliases", KMS_ALIASES, (*_kms(r, f"alias/{r.org}-*"),)),
        Statement("CloudTrailDescribe", ("cloudtrail:DescribeTrails",), ("*",)),
        Statement("CloudTrail", TRAIL, (f"arn:aws:cloudtrail:{reg}:{a}:trail/{r.prefix}",)),
        # the trail bucket and the bucket of its server access logs (modules/cloudtrail)
        Statement(
            "TrailBucket",
            BUCKET,
            (
                f"arn:aws:s3:::{r.prefix}-cloudtrail-{a}",
                f"arn:aws:s3:::{r.prefix}-cloudtrail-access-{a}",
            ),
        ),
        # DescribeLogGroups authorizes on every log group of the account and Region.
        Statement(
            "LogGroupsDescribe",
            ("logs:DescribeLogGroups",),
            (f"arn:aws:logs:{reg}:{a}:log-group:*",),
        ),
        Statement("LogGroups", LOG_GROUPS, tuple(_log_groups(r))),
        Statement("Roles", ROLES, tuple(_roles(r))),
        Statement("Topics", TOPICS, (f"arn:aws:sns:{reg}:{a}:{r.prefix}-*",)),
        Statement("Alarms", ALARMS, (f"arn:aws:cloudwatch:{reg}:{a}:alarm:{r.prefix}-*",)),
    ]
    out += _pass_roles(r) + _optional(r)
    return out


def _pass_roles(r: Root) -> list[Statement]:
    """CreateTrail hands its CloudWatch Logs role to CloudTrail; a Firehose subscription hands
    its role to CloudWatch Logs (iam:PassedToService)."""
    trail_role = f"arn:aws:iam::{r.account}:role/{r.prefix}-cloudtrail-cloudwatch-logs"
    out = [
        Statement(
            "PassTrailRole",
            ("iam:PassRole",),
            (trail_role,),
            (("StringEquals", "iam:PassedToService", ("cloudtrail.amazonaws.com",)),),
        )
    ]
    if r.siem_role:
        out.append(
            Statement(
                "PassSiemRole",
                ("iam:PassRole",),
                (f"arn:aws:iam::{r.account}:role/{r.siem_role}",),
                (("StringEquals", "iam:PassedToService", ("logs.amazonaws.com",)),),
            )
        )
    return out


def _optional(r: Root) -> list[Statement]:
    a, reg = r.account, r.region
    out: list[Statement] = []
    if r.budget:
        out.append(Statement("Budget", BUDGETS, (f"arn:aws:budgets::{a}:budget/{r.budget}",)))
    if r.analyzer:
        analyzer = f"arn:aws:access-analyzer:{reg}:{a}:analyzer/{r.analyzer}"
        actions = ANALYZER if r.creates_analyzer else ("access-analyzer:GetAnalyzer",)
        out += [
            Statement("AccessAnalyzer", actions, (analyzer,)),
            Statement("ArchiveRules", ARCHIVE_RULES, (f"{analyzer}/archive-rule/*",)),
        ]
        if r.creates_analyzer:  # CreateAnalyzer creates the service-linked role once
            out.append(_service_linked_role(r))
    if r.config:  # rule ARNs carry an id AWS assigns: config-rule/config-rule-<id>
        out.append(Statement("ConfigRules", CONFIG, (f"arn:aws:config:{reg}:{a}:config-rule/*",)))
    if r.siem_destination:
        groups = tuple(g for g in _log_groups(r) if not g.endswith(":*"))
        out.append(Statement("SiemSubscriptions", SUBSCRIPTIONS, groups))
        if ":lambda:" in r.siem_destination:
            out.append(Statement("SiemLambda", LAMBDA, (r.siem_destination,)))
    return out


def _service_linked_role(r: Root) -> Statement:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-using-service-linked-roles.html"""
    name = "aws-service-role/access-analyzer.amazonaws.com/AWSServiceRoleForAccessAnalyzer"
    return Statement(
        "AccessAnalyzerServiceLinkedRole",
        ("iam:CreateServiceLinkedRole",),
        (f"arn:aws:iam::{r.account}:role/{name}",),
        (("StringEquals", "iam:AWSServiceName", ("access-analyzer.amazonaws.com",)),),
    )


# --------------------------------------------------------------------------- auditor


def _auditor_root(r: Root) -> list[Statement]:
    """What `byok audit` (and `--access-analyzer`) and `byok activity` read (live/state.py,
    live/chain_state.py, live/analyzer.py, live/activity.py): reads only."""
    a, reg = r.account, r.region
    trail_group = f"arn:aws:logs:{reg}:{a}:log-group:{r.trail_log_group}"
    trail_reads = ("cloudtrail:GetEventSelectors", "cloudtrail:GetInsightSelectors")
    out = [
        Statement("ListAliases", ("kms:ListAliases",), ("*",)),
        Statement("ReadKeys", READ_KEYS, (*_kms(r, "key/*"),)),
        Statement("DescribeTrails", ("cloudtrail:DescribeTrails", "sns:ListTopics"), ("*",)),
        Statement("TrailStatus", ("cloudtrail:GetTrailStatus", *trail_reads), (r.trail_arn,)),
        Statement(
            "TrailLogGroup",
            ("logs:DescribeMetricFilters", "logs:FilterLogEvents"),
            (trail_group, f"{trail_group}:*"),
        ),
        # the log groups generated/ declares, found by name prefix (DescribeLogGroups
        # authorizes on every log group of the account and Region)
        Statement(
            "LogGroupsDescribe",
            ("logs:DescribeLogGroups",),
            (f"arn:aws:logs:{reg}:{a}:log-group:*",),
        ),
        Statement("Roles", AUDIT_ROLES, tuple(_roles(r))),
        # a policy attached to one of those roles (none is: one attached out of band)
        Statement("AttachedPolicies", AUDIT_POLICIES, ("arn:aws:iam::*:policy/*",)),
        Statement(
            "Alarms", ("cloudwatch:DescribeAlarms",), (f"arn:aws:cloudwatch:{reg}:{a}:alarm:*",)
        ),
        Statement(
            "AlarmTopic",
            ("sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"),
            (r.alarm_topic_arn,),
        ),
    ]
    return out + _auditor_analyzer(r)


def _auditor_analyzer(r: Root) -> list[Statement]:
    """--access-analyzer: ValidatePolicy and CheckNoNewAccess take no resource; the findings
    are read from this root's analyzer."""
    out = [Statement("AccessAnalyzerChecks", ANALYZER_CHECKS, ("*",))]
    if r.analyzer:
        analyzer = f"arn:aws:access-analyzer:{r.region}:{r.account}:analyzer/{r.analyzer}"
        out.append(Statement("AccessAnalyzerFindings", ANALYZER_FINDINGS, (analyzer,)))
    return out


# --------------------------------------------------------------------------- policies


def _merge(statements: Iterable[Statement]) -> list[Statement]:
    """One statement per Sid over every root: actions and resources unioned."""
    by_sid: dict[str, Statement] = {}
    for st in statements:
        old = by_sid.get(st.sid)
        if old is None:
            by_sid[st.sid] = st
        else:
            by_sid[st.sid] = Statement(
                st.sid,
                tuple(sorted({*old.actions, *st.actions})),
                tuple(sorted({*old.resources, *st.resources})),
                old.conditions,
            )
    return [by_sid[s] for s in sorted(by_sid)]


def policy(role: str, roots: list[Root]) -> dict[str, Any]:
    """The IAM identity policy of `role` (`deployer` or `auditor`) for `roots`."""
    make = _deployer_root if role == "deployer" else _auditor_root
    statements = _merge(st for r in roots for st in make(r))
    return {"Version": POLICY_VERSION, "Statement": [st.to_json() for st in statements]}

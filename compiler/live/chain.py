"""What one Terraform root's chain is, by `generated/`: the trail, its log group, the alarm
topic, the vendors' log roles and log groups (issue 24: `byok audit` sees the whole chain).

Built from the root's compiled `locals` (`render.tree.locals_block`, the very values its
`main.tf` passes to the modules), and, for the IAM documents, from what the modules make of
them: `modules/vendor-log-role` (trust: the vendor's principals with `sts:ExternalId`; inline
policy: `var.actions` on the log group and its streams) and `modules/cloudtrail/logs.tf` (trust:
CloudTrail with `aws:SourceArn` and `aws:SourceAccount`; inline policy: CreateLogStream and
PutLogEvents on the trail's log group's streams). The e2e audit against an applied root
(tests/e2e) fails if these drift from the modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Role:
    name: str
    trust: dict[str, Any]
    policy: dict[str, Any]  # every inline and attached policy together must equal this


@dataclass(frozen=True)
class LogGroup:
    name: str
    retention: int
    key: str  # the alias of the KMS key that encrypts it


@dataclass(frozen=True)
class Chain:
    account: str
    region: str
    trail_name: str
    log_group: str
    existing_trail: str | None  # an existing trail's ARN (org.yaml trail.existing)
    topic_arn: str | None  # an existing topic (org.yaml alarms.topic_arn)
    emails: tuple[str, ...]
    cis: str
    insight_types: tuple[str, ...]
    key_names: tuple[str, ...]
    roles: tuple[Role, ...] = ()
    log_groups: tuple[LogGroup, ...] = field(default_factory=tuple)

    @property
    def trail_arn(self) -> str:
        own = f"arn:aws:cloudtrail:{self.region}:{self.account}:trail/{self.trail_name}"
        return self.existing_trail or own

    @property
    def trail_key_alias(self) -> str:
        return f"alias/{self.trail_name}-cloudtrail"  # modules/cloudtrail aws_kms_alias.this

    @property
    def alarm_key_alias(self) -> str:
        return f"alias/{self.trail_name}-alarms"  # modules/cloudtrail aws_kms_alias.alarms

    @property
    def topic_name(self) -> str:
        return f"{self.trail_name}-kms-alarms"  # modules/key-alarms aws_sns_topic.this


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _group_arn(c: Chain, name: str) -> str:
    return f"arn:aws:logs:{c.region}:{c.account}:log-group:{name}"


def _vendor_role(c: Chain, spec: dict[str, Any]) -> Role:
    trust = _doc(
        {
            "Sid": "VendorAssumeRoleWithExternalId",
            "Effect": "Allow",
            "Principal": {"AWS": list(spec["trusted_principal_arns"])},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": spec["external_id"]}},
        }
    )
    arn = _group_arn(c, spec["log_group_name"])
    policy = _doc(
        {
            "Sid": "WriteVendorLogGroup",
            "Effect": "Allow",
            "Action": sorted(set(spec["actions"])),
            "Resource": [arn, f"{arn}:log-stream:*"],
        }
    )
    return Role(str(spec["role_name"]), trust, policy)


def _delivery_role(c: Chain) -> Role:
    trust = _doc(
        {
            "Sid": "CloudTrailAssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceArn": c.trail_arn, "aws:SourceAccount": c.account}
            },
        }
    )
    policy = _doc(
        {
            "Sid": "AWSCloudTrailCreateLogStreamAndPutLogEvents",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{_group_arn(c, c.log_group)}:log-stream:*",
        }
    )
    return Role(f"{c.trail_name}-cloudtrail-cloudwatch-logs", trust, policy)


def chain_from_locals(loc: dict[str, Any]) -> Chain:
    """The chain `locals` (render.tree.locals_block of one root) describe."""
    existing = loc.get("existing_trail")
    trail = str(loc["trail_name"])
    c = Chain(
        account=str(loc["account_id"]),
        region=str(loc["region"]),
        trail_name=trail,
        log_group=existing["log_group_name"] if existing else f"/aws/cloudtrail/{trail}",
        existing_trail=existing["arn"] if existing else None,
        topic_arn=loc.get("alarm_topic_arn"),
        emails=tuple(loc["alarm_emails"]),
        cis=str(loc["cis_controls"]),
        insight_types=tuple(loc["insight_types"]),
        key_names=tuple(sorted(loc["keys"])),
    )
    logging = [loc["logging"][app] for app in sorted(loc["logging"])]
    roles = [_vendor_role(c, spec) for spec in logging]
    retention = int(loc["log_retention_days"])
    groups = [LogGroup(str(s["log_group_name"]), retention, c.trail_key_alias) for s in logging]
    if existing is None:
        roles.append(_delivery_role(c))
        groups.append(LogGroup(c.log_group, retention, c.alarm_key_alias))
    return _with(c, roles=tuple(roles), log_groups=tuple(groups))


def _with(c: Chain, **kw: Any) -> Chain:
    import dataclasses

    return dataclasses.replace(c, **kw)

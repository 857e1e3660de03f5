"""The policies modules/cloudtrail sets, as the module builds them (kms.tf, alarm_key.tf,
logs.tf): the trail key's and the alarm key's key policies, and the trust and permissions
policies of the role CloudTrail delivers to CloudWatch Logs with. They go into the deployment
inventory (`access`), so `byok check-plan` compares a plan's policies with what was reviewed
exactly, like the vendor keys' files; `byok check-plan` of the first plan after apply in
tests/e2e/test_check_plan.py fails if the module and this file disagree.

Every value here is known at plan time in the module (built from the account, Region and
partition data sources and the names, never from a resource attribute).
"""

from __future__ import annotations

from typing import Any


def partition(region: str) -> str:
    """The partition of a Region (data.aws_partition in the modules)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _guards(break_glass: str | None) -> list[dict[str, Any]]:
    """kms.tf local.guard_statements (both audit keys)."""
    life: dict[str, Any] = {
        "Sid": "OnlyBreakGlassDisablesOrDeletes",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": [
            "kms:DeleteImportedKeyMaterial",
            "kms:DisableKey",
            "kms:ImportKeyMaterial",
            "kms:ScheduleKeyDeletion",
            "kms:UpdatePrimaryRegion",
        ],
        "Resource": "*",
    }
    if break_glass is not None:
        life["Condition"] = {"ArnNotEquals": {"aws:PrincipalArn": break_glass}}
    grants = {
        "Sid": "GrantsOnlyForAwsResources",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
    }
    replicas = {
        "Sid": "ReplicasOnlyInDeclaredRegions",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:ReplicateKey",
        "Resource": "*",
    }
    return [life, grants, replicas]


def _service(sid: str, service: str, actions: Any, condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": actions,
        "Resource": "*",
        "Condition": condition,
    }


_LOGS_ACTIONS = [
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
]


def _root(p: str, account: str) -> dict[str, Any]:
    return {
        "Sid": "AccountRoot",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{p}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def _trail_statements(p: str, account: str, region: str, trail: str) -> list[dict[str, Any]]:
    """kms.tf local.cloudtrail_statements (only for the trail the module creates)."""
    arn = {"aws:SourceArn": f"arn:{p}:cloudtrail:{region}:{account}:trail/{trail}"}
    context = {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{p}:cloudtrail:*:{account}:trail/*"
    }
    svc = "cloudtrail.amazonaws.com"
    return [
        _service(
            "CloudTrailEncryptLogs",
            svc,
            "kms:GenerateDataKey*",
            {"StringLike": context, "StringEquals": arn},
        ),
        _service("CloudTrailDescribeKey", svc, "kms:DescribeKey", {"StringEquals": arn}),
        _service(
            "CloudTrailEncryptedTopic",
            svc,
            ["kms:Decrypt", "kms:GenerateDataKey*"],
            {"StringEquals": arn},
        ),
    ]


def trail_key_policy(
    account: str,
    region: str,
    trail: str,
    break_glass: str | None,
    own_trail: bool,
    log_groups: list[str],
) -> dict[str, Any]:
    """modules/cloudtrail/kms.tf aws_kms_key.this policy: CloudTrail's statements for the
    trail it creates (`own_trail`), CloudWatch Logs for the named (vendor) log groups only."""
    p = partition(region)
    statements = [_root(p, account)]
    if own_trail:
        statements += _trail_statements(p, account, region, trail)
    if log_groups:
        arns = sorted(f"arn:{p}:logs:{region}:{account}:log-group:{n}" for n in log_groups)
        statements.append(
            _service(
                "CloudWatchLogsEncryptLogGroups",
                f"logs.{region}.amazonaws.com",
                _LOGS_ACTIONS,
                {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": arns}},
            )
        )
    return {"Version": "2012-10-17", "Statement": [*statements, *_guards(break_glass)]}


def alarm_key_policy(
    account: str, region: str, trail: str, break_glass: str | None, own_trail: bool
) -> dict[str, Any]:
    """modules/cloudtrail/alarm_key.tf aws_kms_key.alarms policy (the trail's log group
    statement only for the trail the module creates)."""
    p = partition(region)
    group = f"arn:{p}:logs:{region}:{account}:log-group:/aws/cloudtrail/{trail}"
    statements = [_root(p, account)]
    if own_trail:
        statements.append(
            _service(
                "CloudWatchLogsEncryptTrailLogGroup",
                f"logs.{region}.amazonaws.com",
                _LOGS_ACTIONS,
                {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group}},
            )
        )
    statements += [
        _service(
            "CloudWatchAlarmsEncryptedTopic",
            "cloudwatch.amazonaws.com",
            ["kms:Decrypt", "kms:GenerateDataKey*"],
            {"StringEquals": {"aws:SourceAccount": account}},
        ),
        *_guards(break_glass),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def delivery_trust_policy(account: str, region: str, trail: str) -> dict[str, Any]:
    """modules/cloudtrail/logs.tf aws_iam_role.this assume_role_policy."""
    arn = f"arn:{partition(region)}:cloudtrail:{region}:{account}:trail/{trail}"
    statement = {
        "Sid": "CloudTrailAssumeRole",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceArn": arn, "aws:SourceAccount": account}},
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def delivery_permissions_policy(account: str, region: str, trail: str) -> dict[str, Any]:
    """modules/cloudtrail/logs.tf aws_iam_role_policy.this policy."""
    group = f"arn:{partition(region)}:logs:{region}:{account}:log-group:/aws/cloudtrail/{trail}"
    statement = {
        "Sid": "AWSCloudTrailCreateLogStreamAndPutLogEvents",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{group}:log-stream:*",
    }
    return {"Version": "2012-10-17", "Statement": [statement]}

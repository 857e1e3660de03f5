"""Helpers of the live e2e tests (`byok audit`, `byok activity` against the applied moto
deployment): run byok, tamper with the deployment and undo it, write CloudTrail records.

Tampering is undone by the test that made it (and checked: `byok audit` is clean again), so the
later steps of the shared deployment (re-plan, revocation apply, destroy) see what was applied.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.tfhelpers import REPO_ROOT

OUTSIDER = "arn:aws:iam::999988887777:root"
INTRUDER_ROLE = "arn:aws:iam::999988887777:role/Intruder"
NARROW_VALUE = "C0555TAMPR"  # a Slack channel revoked in the console, out of band


# The access key id `byok audit` and `byok activity` sign with: moto's recording tells their
# calls apart by it (tests/e2e/calls.py checks them against `byok iam-policy auditor`).
AUDITOR = "auditor"


def byok(root: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    who = {"AWS_ACCESS_KEY_ID": AUDITOR} if args and args[0] in ("audit", "activity") else {}
    return subprocess.run(
        [sys.executable, "-m", "byok", "-C", str(root), *args],
        cwd=REPO_ROOT,
        env={**env, "BYOK_TODAY": "2026-11-23", **who},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def audit_json(root: Path, env: Mapping[str, str]) -> tuple[int, list[dict[str, Any]]]:
    proc = byok(root, env, "audit", "--format", "json")
    assert proc.stderr == "", proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["exit_code"] == proc.returncode
    return proc.returncode, doc["findings"]


def problems(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["severity"] != "ok"]


def widen(kms: Any, key_id: str) -> None:
    """An Allow for another account's principal, added to the deployed policy by hand."""
    doc = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    doc["Statement"].append(
        {
            "Sid": "ConsoleEdit",
            "Effect": "Allow",
            "Principal": {"AWS": OUTSIDER},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(doc))


def narrow(kms: Any, key_id: str) -> None:
    """Seed 000's emergency revocation: one more channel in the channel Deny, in the console."""
    doc = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    (st,) = [s for s in doc["Statement"] if s.get("Sid") == "RevokeSlackChannel"]
    values = st["Condition"]["StringEquals"]["kms:EncryptionContext:channel_id"]
    st["Condition"]["StringEquals"]["kms:EncryptionContext:channel_id"] = [*values, NARROW_VALUE]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(doc))


def restore_policy(kms: Any, key_id: str, policy: Mapping[str, Any]) -> None:
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))


def cloudtrail_record(
    key_arn: str,
    account: str,
    caller_account: str,
    context: Mapping[str, str],
    *,
    denied: bool,
) -> dict[str, Any]:
    """A KMS Decrypt record as CloudTrail writes it for a caller of another account
    (https://docs.aws.amazon.com/kms/latest/developerguide/ct-decrypt.html,
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html:
    `AWSAccount` identities carry `accountId` and no `arn`)."""
    rec: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AWSAccount",
            "principalId": "AIDAEXAMPLE",
            "accountId": caller_account,
        },
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "eventSource": "kms.amazonaws.com",
        "eventName": "Decrypt",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "kms.amazonaws.com",
        "requestParameters": {
            "encryptionContext": dict(context),
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        },
        "responseElements": None,
        "resources": [{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}],
        "eventType": "AwsApiCall",
        "readOnly": True,
        "recipientAccountId": account,
    }
    if denied:
        rec["errorCode"] = "AccessDenied"
        rec["errorMessage"] = "User is not authorized to perform: kms:Decrypt with an explicit deny"
    return rec


def put_records(logs: Any, group: str, records: list[dict[str, Any]]) -> None:
    stream = "111122223333_CloudTrail_us-east-1"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": json.dumps(r)} for i, r in enumerate(records)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


# --------------------------------------------------------------------------------------------
# The whole chain (issue 24): tampered with and put back by hand, as an operator would
# --------------------------------------------------------------------------------------------


class Saved:
    """What `restore_chain` puts back: read before the tampering."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    trail_arn: str
    selectors: list[dict[str, Any]]
    role: str
    trust: dict[str, Any]
    group: dict[str, Any]
    trail_group: str
    metric_filter: dict[str, Any]
    alarm: str


def save_chain(
    ct: Any,
    iam: Any,
    logs: Any,
    cw: Any,
    trail_arn: str,
    role: str,
    group: str,
    trail_group: str,
    prefix: str,
) -> Saved:
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    (found,) = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    (mf,) = logs.describe_metric_filters(
        logGroupName=trail_group, filterNamePrefix=f"{prefix}-GrantCreated"
    )["metricFilters"]
    return Saved(
        trail_arn=trail_arn,
        selectors=ct.get_event_selectors(TrailName=trail_arn)["EventSelectors"],
        role=role,
        trust=json.loads(trust) if isinstance(trust, str) else trust,
        group=found,
        trail_group=trail_group,
        metric_filter=mf,
        alarm=f"{prefix}-CIS-4.4-IAMPolicyChanges",
    )


def restore_chain(ct: Any, iam: Any, logs: Any, cw: Any, saved: Saved) -> None:
    ct.put_event_selectors(TrailName=saved.trail_arn, EventSelectors=saved.selectors)
    iam.update_assume_role_policy(RoleName=saved.role, PolicyDocument=json.dumps(saved.trust))
    name = saved.group["logGroupName"]
    if not logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]:
        logs.create_log_group(logGroupName=name, kmsKeyId=saved.group["kmsKeyId"])
        logs.put_retention_policy(logGroupName=name, retentionInDays=saved.group["retentionInDays"])
    mf = saved.metric_filter
    logs.put_metric_filter(
        logGroupName=saved.trail_group,
        filterName=mf["filterName"],
        filterPattern=mf["filterPattern"],
        metricTransformations=mf["metricTransformations"],
    )
    cw.enable_alarm_actions(AlarmNames=[saved.alarm])

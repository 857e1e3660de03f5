"""The AWS calls an e2e run made, as IAM sees them: moto's recorder (MOTO_ENABLE_RECORDING, set by
`support.MotoServer.recording`) keeps every request it served; each is turned into the IAM
request it is authorized as: `(action, resource, context)` for the caller's identity policy.

Who called is told by the access key id in the request's signature: the e2e test gives
Terraform `deployer`, `byok audit`/`activity` `auditor`, the break-glass steps `breakglass`, and
reads its own checks with `test` (support.py). Service, Region and operation come from the
signature's credential scope and the request (`X-Amz-Target`, a query `Action`, or for S3 the
method and sub-resource); the IAM action and resource from the tables below, which follow the
Service Authorization Reference:
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
S3 operations and their permissions:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html

An operation this module does not know fails the test (`UnknownCall`): a new call the AWS
provider or byok starts making must be mapped, and so reach the policy check.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_CREDENTIAL = re.compile(r"Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request")

# credential-scope service -> IAM service prefix
PREFIX = {
    "kms": "kms",
    "iam": "iam",
    "logs": "logs",
    "monitoring": "cloudwatch",
    "sns": "sns",
    "cloudtrail": "cloudtrail",
    "budgets": "budgets",
    "s3": "s3",
    "sts": "sts",
    "config": "config",
    "firehose": "firehose",
    "lambda": "lambda",
    "access-analyzer": "access-analyzer",
}
# Operations that need no permission.
FREE = {("sts", "GetCallerIdentity")}


class UnknownCall(AssertionError):
    """A recorded operation these tables cannot turn into an IAM request."""


@dataclass(frozen=True)
class Call:
    caller: str  # the access key id
    service: str  # credential-scope service name
    region: str
    operation: str
    params: dict[str, Any] = field(hash=False, compare=False)
    path: str = ""  # S3: the URL path


@dataclass(frozen=True)
class IamRequest:
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def _body(entry: dict[str, Any]) -> str:
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        return base64.b64decode(body).decode("utf-8", "replace")
    return str(body)


def _s3_operation(method: str, query: dict[str, list[str]], path: str) -> str:
    sub = next(iter(sorted(k for k in query if k not in ("x-id",))), "")
    return f"{method} {'bucket' if path.count('/') <= 1 else 'object'}{'?' + sub if sub else ''}"


def parse(entry: dict[str, Any]) -> Call | None:
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    m = _CREDENTIAL.search(headers.get("authorization", ""))
    if m is None:  # moto's own API (reset), unsigned
        return None
    caller, region, service = m.groups()
    body = _body(entry)
    url = urllib.parse.urlsplit(entry["url"])
    if service == "s3":
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        op = _s3_operation(entry["method"], query, url.path)
        return Call(caller, service, region, op, {}, url.path)
    target = headers.get("x-amz-target")
    if target:
        return Call(caller, service, region, target.rsplit(".", 1)[1], json.loads(body or "{}"))
    if "Action=" in body:
        params = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        return Call(caller, service, region, params.pop("Action"), params)
    raise UnknownCall(f"cannot tell the operation of {entry['method']} {entry['url']}")


def recorded(path: Path) -> Iterator[Call]:
    for line in path.read_text().splitlines():
        call = parse(json.loads(line))
        if call is not None:
            yield call


# --------------------------------------------------------------------------- S3

# (method, bucket sub-resource) -> IAM action, for requests on the bucket itself.
S3 = {
    ("HEAD", ""): "s3:ListBucket",
    ("GET", ""): "s3:ListBucket",
    ("PUT", ""): "s3:CreateBucket",
    ("DELETE", ""): "s3:DeleteBucket",
    ("GET", "accelerate"): "s3:GetAccelerateConfiguration",
    ("GET", "acl"): "s3:GetBucketAcl",
    ("GET", "cors"): "s3:GetBucketCORS",
    ("GET", "encryption"): "s3:GetEncryptionConfiguration",
    ("PUT", "encryption"): "s3:PutEncryptionConfiguration",
    ("DELETE", "encryption"): "s3:PutEncryptionConfiguration",
    ("GET", "lifecycle"): "s3:GetLifecycleConfiguration",
    ("PUT", "lifecycle"): "s3:PutLifecycleConfiguration",
    ("DELETE", "lifecycle"): "s3:PutLifecycleConfiguration",
    ("GET", "logging"): "s3:GetBucketLogging",
    ("PUT", "logging"): "s3:PutBucketLogging",
    ("GET", "object-lock"): "s3:GetBucketObjectLockConfiguration",
    ("PUT", "object-lock"): "s3:PutBucketObjectLockConfiguration",
    ("GET", "ownershipControls"): "s3:GetBucketOwnershipControls",
    ("PUT", "ownershipControls"): "s3:PutBucketOwnershipControls",
    ("DELETE", "ownershipControls"): "s3:PutBucketOwnershipControls",
    ("GET", "policy"): "s3:GetBucketPolicy",
    ("PUT", "policy"): "s3:PutBucketPolicy",
    ("DELETE", "policy"): "s3:DeleteBucketPolicy",
    ("GET", "publicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("PUT", "publicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("DELETE", "publicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("GET", "replication"): "s3:GetReplicationConfiguration",
    ("GET", "requestPayment"): "s3:GetBucketRequestPayment",
    ("GET", "tagging"): "s3:GetBucketTagging",
    ("PUT", "tagging"): "s3:PutBucketTagging",
    ("DELETE", "tagging"): "s3:PutBucketTagging",
    ("GET", "versioning"): "s3:GetBucketVersioning",
    ("PUT", "versioning"): "s3:PutBucketVersioning",
    ("GET", "versions"): "s3:ListBucketVersions",
    ("GET", "website"): "s3:GetBucketWebsite",
}


def _s3(call: Call, account: str) -> list[IamRequest]:
    method, _, rest = call.operation.partition(" ")
    kind, _, sub = rest.partition("?")
    bucket = call.path.strip("/").split("/")[0]
    if kind == "object":  # objects of the trail bucket: only a force-destroy would touch them
        action = {"DELETE": "s3:DeleteObjectVersion", "GET": "s3:GetObject"}.get(method)
        if action is None:
            raise UnknownCall(f"s3 {call.operation} {call.path}")
        return [IamRequest(action, f"arn:aws:s3:::{call.path.strip('/')}")]
    action = S3.get((method, sub))
    if action is None:
        raise UnknownCall(f"s3 {call.operation} on {bucket}")
    return [IamRequest(action, f"arn:aws:s3:::{bucket}")]


# --------------------------------------------------------------------------- KMS


def _key_arn(call: Call, account: str, key: str, aliases: dict[str, str]) -> str:
    if key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        if key not in aliases:
            raise UnknownCall(f"kms {call.operation} by an alias never created: {key}")
        key = aliases[key]
    return f"arn:aws:kms:{call.region}:{account}:key/{key}"


def _kms(call: Call, account: str, aliases: dict[str, str]) -> list[IamRequest]:
    p, op = call.params, call.operation
    action = f"kms:{op}"
    alias_arn = f"arn:aws:kms:{call.region}:{account}:"
    out = []
    if op in ("CreateKey", "ListAliases"):
        out.append(IamRequest(action, "*"))
        if op == "CreateKey" and p.get("Tags"):  # tags on create need kms:TagResource too
            out.append(IamRequest("kms:TagResource", "*"))
        return out
    if op in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        out.append(IamRequest(action, alias_arn + p["AliasName"]))
        if "TargetKeyId" in p:  # permission on the key the alias points to, too
            out.append(IamRequest(action, _key_arn(call, account, p["TargetKeyId"], aliases)))
            aliases[p["AliasName"]] = p["TargetKeyId"]
        return out
    if "KeyId" not in p:
        raise UnknownCall(f"kms {op} without KeyId")
    out.append(IamRequest(action, _key_arn(call, account, p["KeyId"], aliases)))
    if op == "ReplicateKey":  # and kms:CreateKey in the replica's Region (IAM policy only)
        out.append(IamRequest("kms:CreateKey", "*"))
        if p.get("Tags"):
            out.append(IamRequest("kms:TagResource", "*"))
    return out


# --------------------------------------------------------------------------- the others


def _members(p: dict[str, Any], name: str) -> list[str]:
    """Query-protocol list members `<name>.member.N`, in order."""
    found = sorted(
        (int(k.rsplit(".", 1)[1]), v) for k, v in p.items() if k.startswith(f"{name}.member.")
    )
    return [v for _, v in found]


def _iam(call: Call, account: str) -> list[IamRequest]:
    p = call.params
    if "RoleName" in p:
        return [IamRequest(f"iam:{call.operation}", f"arn:aws:iam::{account}:role/{p['RoleName']}")]
    if "PolicyArn" in p:  # GetPolicy, GetPolicyVersion: on the policy
        return [IamRequest(f"iam:{call.operation}", p["PolicyArn"])]
    if call.operation == "CreateServiceLinkedRole":
        service = p["AWSServiceName"]
        role = f"role/aws-service-role/{service}/"
        return [
            IamRequest(
                "iam:CreateServiceLinkedRole",
                f"arn:aws:iam::{account}:{role}*",
                (("iam:AWSServiceName", service),),
            )
        ]
    if call.operation.startswith("List"):  # ListRoles, ListPolicies: no resource
        return [IamRequest(f"iam:{call.operation}", "*")]
    raise UnknownCall(f"iam {call.operation}")


def _pass_role(role_arn: str, service: str) -> IamRequest:
    return IamRequest("iam:PassRole", role_arn, (("iam:PassedToService", service),))


def _logs(call: Call, account: str) -> list[IamRequest]:
    p, op = call.params, call.operation
    base = f"arn:aws:logs:{call.region}:{account}:log-group:"
    if "resourceArn" in p:
        return [IamRequest(f"logs:{op}", str(p["resourceArn"]).removesuffix(":*"))]
    group = p.get("logGroupName")
    out = [IamRequest(f"logs:{op}", base + (group if group else "*"))]
    if op == "PutSubscriptionFilter" and p.get("roleArn"):
        out.append(_pass_role(p["roleArn"], "logs.amazonaws.com"))
    return out


def _cloudwatch(call: Call, account: str) -> list[IamRequest]:
    p, op = call.params, call.operation
    base = f"arn:aws:cloudwatch:{call.region}:{account}:alarm:"
    if "ResourceARN" in p:
        return [IamRequest(f"cloudwatch:{op}", p["ResourceARN"])]
    names = _members(p, "AlarmNames") or ([p["AlarmName"]] if "AlarmName" in p else [])
    if not names:  # DescribeAlarms by prefix or of every alarm
        return [IamRequest(f"cloudwatch:{op}", base + "*")]
    return [IamRequest(f"cloudwatch:{op}", base + n) for n in names]


def _sns(call: Call, account: str) -> list[IamRequest]:
    p, op = call.params, call.operation
    if op == "CreateTopic":
        topic = f"arn:aws:sns:{call.region}:{account}:{p['Name']}"
    elif op == "ListTopics":
        topic = "*"
    else:
        topic = p.get("TopicArn") or p.get("ResourceArn") or ""
        if not topic and "SubscriptionArn" in p:  # authorized on its topic
            topic = p["SubscriptionArn"].rsplit(":", 1)[0]
    if not topic:
        raise UnknownCall(f"sns {op}")
    return [IamRequest(f"sns:{op}", topic)]


def _trail_arn(call: Call, account: str, name: str) -> str:
    return (
        name
        if name.startswith("arn:")
        else (f"arn:aws:cloudtrail:{call.region}:{account}:trail/{name}")
    )


def _cloudtrail(call: Call, account: str) -> list[IamRequest]:
    p, op = call.params, call.operation
    action = f"cloudtrail:{op}"
    if op == "DescribeTrails":
        return [IamRequest(action, "*")]
    names = p.get("ResourceIdList") or [
        p.get("Name") or p.get("TrailName") or p.get("ResourceId") or ""
    ]
    if not all(names):
        raise UnknownCall(f"cloudtrail {op}")
    out = [IamRequest(action, _trail_arn(call, account, n)) for n in names]
    if op in ("CreateTrail", "UpdateTrail") and p.get("CloudWatchLogsRoleArn"):
        out.append(_pass_role(p["CloudWatchLogsRoleArn"], "cloudtrail.amazonaws.com"))
    return out


BUDGET_ACTIONS = {
    "CreateBudget": "budgets:ModifyBudget",
    "UpdateBudget": "budgets:ModifyBudget",
    "DeleteBudget": "budgets:ModifyBudget",
    "CreateNotification": "budgets:ModifyBudget",
    "UpdateNotification": "budgets:ModifyBudget",
    "DeleteNotification": "budgets:ModifyBudget",
    "CreateSubscriber": "budgets:ModifyBudget",
    "DeleteSubscriber": "budgets:ModifyBudget",
    "DescribeBudget": "budgets:ViewBudget",
    "DescribeNotificationsForBudget": "budgets:ViewBudget",
    "DescribeSubscribersForNotification": "budgets:ViewBudget",
}


def _budgets(call: Call, account: str) -> list[IamRequest]:
    p, op = call.params, call.operation
    if "ResourceARN" in p:
        return [IamRequest(f"budgets:{op}", p["ResourceARN"])]
    name = p.get("BudgetName") or p.get("Budget", {}).get("BudgetName")
    if op not in BUDGET_ACTIONS or not name:
        raise UnknownCall(f"budgets {op}")
    return [IamRequest(BUDGET_ACTIONS[op], f"arn:aws:budgets::{p['AccountId']}:budget/{name}")]


def _config(call: Call, account: str) -> list[IamRequest]:
    """A rule's ARN carries an id AWS assigns (config-rule/config-rule-<id>), not its name: a
    request names the rule by name, so it is checked as `config-rule/<name>`, which any policy
    that allows the rule's ARN pattern `config-rule/*` allows too."""
    p, op = call.params, call.operation
    if "ResourceArn" in p:
        return [IamRequest(f"config:{op}", p["ResourceArn"])]
    base = f"arn:aws:config:{call.region}:{account}:config-rule/"
    names = p.get("ConfigRuleNames") or [
        p.get("ConfigRuleName") or p.get("ConfigRule", {}).get("ConfigRuleName") or ""
    ]
    if not all(names):
        raise UnknownCall(f"config {op}")
    return [IamRequest(f"config:{op}", base + n) for n in names]


_Mapper = Callable[[Call, str], list[IamRequest]]
MAPPERS: dict[str, _Mapper] = {
    "iam": _iam,
    "logs": _logs,
    "monitoring": _cloudwatch,
    "sns": _sns,
    "cloudtrail": _cloudtrail,
    "budgets": _budgets,
    "s3": _s3,
    "config": _config,
}


def iam_requests(call: Call, account: str, aliases: dict[str, str]) -> list[IamRequest]:
    """What IAM authorizes `call` as (empty: it needs no permission). `aliases` maps the
    aliases created so far to their keys, and learns from CreateAlias."""
    if (call.service, call.operation) in FREE:
        return []
    if call.service == "kms":
        return _kms(call, account, aliases)
    mapper = MAPPERS.get(call.service)
    if mapper is None:
        raise UnknownCall(f"{call.service} {call.operation}: no mapping for the service")
    return mapper(call, account)


# --------------------------------------------------------------------------- the check

# Actions `byok iam-policy` grants for the shipped org.yaml that the e2e run does not exercise,
# and why each is there anyway. The check fails on an action the shipped policy grants that is
# neither exercised nor listed here, on an entry here that policy no longer grants, and on an
# entry the run did exercise.
NOT_EXERCISED: dict[str, dict[str, str]] = {
    "deployer": {
        # moto 5.2.6 has no IAM Access Analyzer: the e2e copy turns it off.
        **dict.fromkeys(
            (
                "access-analyzer:CreateAnalyzer",
                "access-analyzer:DeleteAnalyzer",
                "access-analyzer:GetAnalyzer",
                "access-analyzer:ListTagsForResource",
                "access-analyzer:TagResource",
                "access-analyzer:UntagResource",
                "access-analyzer:CreateArchiveRule",
                "access-analyzer:DeleteArchiveRule",
                "access-analyzer:GetArchiveRule",
                "access-analyzer:UpdateArchiveRule",
                "iam:CreateServiceLinkedRole",
            ),
            "IAM Access Analyzer (moto has none)",
        ),
        # Updates the e2e changes do not make (it changes a key policy and adds a replica).
        **dict.fromkeys(
            (
                "budgets:TagResource",
                "budgets:UntagResource",
                "cloudtrail:AddTags",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:GetInsightSelectors",
                "cloudtrail:RemoveTags",
                "cloudtrail:UpdateTrail",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "kms:UntagResource",
                "kms:UpdateAlias",
                "kms:UpdateKeyDescription",
                "logs:AssociateKmsKey",
                "logs:DeleteRetentionPolicy",
                "logs:DisassociateKmsKey",
                "logs:TagResource",
                "logs:UntagResource",
                "sns:TagResource",
                "sns:UntagResource",
            ),
            "update of an attribute the e2e run does not change",
        ),
        # Removing a vendor's logging, an alarm or a feature: the e2e run removes everything
        # at once, as break-glass (the audit keys' deletion needs it).
        **dict.fromkeys(
            (
                "cloudtrail:DeleteTrail",
                "cloudwatch:DeleteAlarms",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:ListInstanceProfilesForRole",
                "kms:DeleteAlias",
                "logs:DeleteLogGroup",
                "logs:DeleteMetricFilter",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "sns:DeleteTopic",
                "sns:Unsubscribe",
            ),
            "deletion, done by the break-glass destroy in the e2e run",
        ),
        "s3:PutBucketObjectLockConfiguration": "Object Lock (trail.object_lock): the shipped "
        "organization sets none",
    },
    "auditor": {
        "access-analyzer:CheckNoNewAccess": "--access-analyzer (moto has no Access Analyzer)",
        "access-analyzer:GetAnalyzer": "--access-analyzer (moto has no Access Analyzer)",
        "access-analyzer:ListFindings": "--access-analyzer (moto has no Access Analyzer)",
        "access-analyzer:ValidatePolicy": "--access-analyzer (moto has no Access Analyzer)",
        "iam:GetPolicy": "a policy attached to a role out of band (none is in the e2e run)",
        "iam:GetPolicyVersion": "a policy attached to a role out of band (none is in the e2e run)",
    },
}


def as_key_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """An identity policy as the evaluator reads policies: every statement applies to the
    principal it is attached to, i.e. `Principal: *`."""
    return {**policy, "Statement": [{**st, "Principal": "*"} for st in policy["Statement"]]}


def policy_actions(policy: dict[str, Any]) -> set[str]:
    return {a for st in policy["Statement"] for a in st["Action"]}

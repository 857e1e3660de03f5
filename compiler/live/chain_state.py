"""Read one root's chain as deployed (`chain.Chain` says what to read), with boto3, into plain
values the checks (`trail.py`, `roles.py`) compare. Each read is one documented API call; a
resource that does not exist is recorded as absent (None), never guessed:

- CloudTrail `DescribeTrails`, `GetTrailStatus`, `GetEventSelectors`, `GetInsightSelectors`
  (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/);
- CloudWatch Logs `DescribeMetricFilters`, `DescribeLogGroups`; CloudWatch `DescribeAlarms`;
- SNS `ListTopics`, `GetTopicAttributes`, `ListSubscriptionsByTopic`;
- IAM `GetRole`, `ListRolePolicies`/`GetRolePolicy`, `ListAttachedRolePolicies`/`GetPolicy`/
  `GetPolicyVersion` (an attached managed policy counts as the role's permissions too);
- KMS `ListAliases` (the audit keys' ids and ARNs).
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .aws import Clients, error_code
from .chain import Chain

ABSENT = {"NoSuchEntity", "NoSuchEntityException", "ResourceNotFoundException", "NotFound"}
NO_INSIGHTS = {"InsightNotEnabledException"}


@dataclass
class RoleState:
    trust: dict[str, Any]
    policies: list[dict[str, Any]]  # inline and attached, as documents
    attached: list[str]  # the ARNs of attached managed policies


@dataclass
class ChainState:
    trail: dict[str, Any] | None = None
    status: dict[str, Any] = field(default_factory=dict)
    selectors: dict[str, Any] = field(default_factory=dict)  # GetEventSelectors
    insights: list[str] = field(default_factory=list)  # InsightType of each selector
    filters: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> filter
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> alarm
    topic_arn: str | None = None
    topic: dict[str, Any] = field(default_factory=dict)  # GetTopicAttributes Attributes
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    roles: dict[str, RoleState | None] = field(default_factory=dict)
    log_groups: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (key id, ARN)


def _doc(value: Any) -> dict[str, Any]:
    """IAM answers policy documents URL-encoded; botocore usually decodes them already."""
    if isinstance(value, dict):
        return value
    doc: dict[str, Any] = json.loads(urllib.parse.unquote(str(value)))
    return doc


def _trail(clients: Clients, c: Chain, st: ChainState) -> None:
    ct = clients.client("cloudtrail")
    wanted = c.existing_trail or c.trail_name
    found = [
        t
        for t in ct.describe_trails(trailNameList=[wanted])["trailList"]
        if wanted in (t.get("Name"), t.get("TrailARN"))
    ]
    if not found:
        return
    st.trail = found[0]
    arn = found[0]["TrailARN"]
    st.status = ct.get_trail_status(Name=arn)
    st.selectors = ct.get_event_selectors(TrailName=arn)
    try:
        got = ct.get_insight_selectors(TrailName=arn).get("InsightSelectors", [])
        st.insights = sorted(str(i.get("InsightType")) for i in got)
    except Exception as exc:
        if error_code(exc) not in NO_INSIGHTS:
            raise


def _alarm_path(clients: Clients, c: Chain, st: ChainState) -> None:
    logs = clients.client("logs")
    for page in logs.get_paginator("describe_metric_filters").paginate(logGroupName=c.log_group):
        st.filters.update({f["filterName"]: f for f in page["metricFilters"]})
    cw = clients.client("cloudwatch")
    for page in cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"{c.trail_name}-"):
        st.alarms.update({a["AlarmName"]: a for a in page["MetricAlarms"]})
    sns = clients.client("sns")
    if c.topic_arn is None:
        for page in sns.get_paginator("list_topics").paginate():
            for t in page["Topics"]:
                if t["TopicArn"].rsplit(":", 1)[-1] == c.topic_name:
                    st.topic_arn = t["TopicArn"]
    else:
        st.topic_arn = c.topic_arn
    if st.topic_arn:
        try:
            st.topic = sns.get_topic_attributes(TopicArn=st.topic_arn)["Attributes"]
        except Exception as exc:
            if error_code(exc) not in ABSENT:
                raise
            st.topic_arn = None
            return
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=st.topic_arn)
        for page in pages:
            st.subscriptions.extend(page["Subscriptions"])


def _role(clients: Clients, name: str) -> RoleState | None:
    iam = clients.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except Exception as exc:
        if error_code(exc) in ABSENT:
            return None
        raise
    docs = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for pname in page["PolicyNames"]:
            got = iam.get_role_policy(RoleName=name, PolicyName=pname)
            docs.append(_doc(got["PolicyDocument"]))
    attached = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for a in page["AttachedPolicies"]:
            attached.append(a["PolicyArn"])
            version = iam.get_policy(PolicyArn=a["PolicyArn"])["Policy"]["DefaultVersionId"]
            got = iam.get_policy_version(PolicyArn=a["PolicyArn"], VersionId=version)
            docs.append(_doc(got["PolicyVersion"]["Document"]))
    return RoleState(_doc(role["AssumeRolePolicyDocument"]), docs, attached)


def _log_group(clients: Clients, name: str) -> dict[str, Any] | None:
    pages = clients.client("logs").get_paginator("describe_log_groups")
    for page in pages.paginate(logGroupNamePrefix=name):
        for g in page["logGroups"]:
            if g["logGroupName"] == name:
                found: dict[str, Any] = g
                return found
    return None


def _audit_keys(clients: Clients, c: Chain, found: dict[str, str], st: ChainState) -> None:
    kms = clients.client("kms")
    for alias in (c.trail_key_alias, c.alarm_key_alias):
        if alias in found:
            meta = kms.describe_key(KeyId=found[alias])["KeyMetadata"]
            st.keys[alias] = (str(meta["KeyId"]), str(meta["Arn"]))


def read_chain(clients: Clients, c: Chain, aliases: dict[str, str]) -> ChainState:
    """`aliases`: alias name -> target key id (state.aliases), read once per Region."""
    st = ChainState()
    _trail(clients, c, st)
    _alarm_path(clients, c, st)
    st.roles = {r.name: _role(clients, r.name) for r in c.roles}
    st.log_groups = {g.name: _log_group(clients, g.name) for g in c.log_groups}
    _audit_keys(clients, c, aliases, st)
    return st

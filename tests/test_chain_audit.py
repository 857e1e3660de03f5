"""`byok audit` sees the whole chain (issue 24): the trail's event selectors, Insights, status
and delivery; the alarm path (topic, subscriptions, metric filters, alarms); every role and log
group a root declares, the roles' documents judged with the policy engine (wider: exit 3).
Pure checks on values shaped like AWS's answers; tests/e2e/test_apply.py tampers with a moto
deployment and reads them back for real."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from byok.cli.audit import exit_code
from byok.live.chain import Chain
from byok.live.chain_state import ChainState, RoleState
from byok.live.expected import Expected, load_expected
from byok.live.findings import Finding
from byok.live.roles import audit_roles
from byok.live.selectors import selector_findings
from byok.live.trail import audit_trail
from tests.conftest import REPO

ACCOUNT = "111122223333"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:acme-byok-kms-alarms"
TRAIL_KEY = ("00000000-0000-0000-0000-0000000000aa", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/aa")
ALARM_KEY = ("00000000-0000-0000-0000-0000000000bb", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/bb")


@pytest.fixture(scope="module")
def exp() -> Expected:
    return load_expected(REPO, date(2026, 11, 23))


@pytest.fixture()
def chain(exp: Expected) -> Chain:
    return exp.chains[(ACCOUNT, "us-east-1")]


def _key_ids(c: Chain) -> dict[str, str]:
    ids = {n: f"{i:08d}-0000-0000-0000-000000000000" for i, n in enumerate(c.key_names)}
    return {**ids, ":trail": TRAIL_KEY[0], ":alarms": ALARM_KEY[0]}


def _good(exp: Expected, c: Chain) -> ChainState:
    """What a clean apply of the root answers."""
    assert exp.controls is not None
    filters = exp.controls.cis_filters(c.trail_name, c.cis)
    filters += exp.controls.key_filters(c.trail_name, _key_ids(c))
    metric = {"metricNamespace": "CISBenchmark"}
    return ChainState(
        trail={
            "IsMultiRegionTrail": True,
            "LogFileValidationEnabled": True,
            "KmsKeyId": TRAIL_KEY[1],
            "CloudWatchLogsLogGroupArn": (
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{c.log_group}:*"
            ),
        },
        status={"IsLogging": True},
        selectors={"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]},
        insights=["ApiCallRateInsight", "ApiErrorRateInsight"],
        filters={
            f.name: {
                "filterPattern": f.pattern,
                "metricTransformations": [{**metric, "metricName": f.metric}],
            }
            for f in filters
        },
        alarms={
            f"{c.trail_name}-{f.metric}": {
                "MetricName": f.metric,
                "Namespace": "CISBenchmark",
                "ActionsEnabled": True,
                "AlarmActions": [TOPIC],
            }
            for f in filters
        },
        topic_arn=TOPIC,
        topic={"KmsMasterKeyId": ALARM_KEY[1]},
        subscriptions=[
            {"Protocol": "email", "Endpoint": e, "SubscriptionArn": f"{TOPIC}:1"} for e in c.emails
        ],
        roles={
            r.name: RoleState(copy.deepcopy(r.trust), [copy.deepcopy(r.policy)], [])
            for r in c.roles
        },
        log_groups={
            g.name: {
                "logGroupName": g.name,
                "retentionInDays": g.retention,
                "kmsKeyId": (TRAIL_KEY if g.key == c.trail_key_alias else ALARM_KEY)[1],
            }
            for g in c.log_groups
        },
        keys={c.trail_key_alias: TRAIL_KEY, c.alarm_key_alias: ALARM_KEY},
    )


def _audit(exp: Expected, c: Chain, st: ChainState) -> list[Finding]:
    return audit_trail(c, st, exp.controls, _key_ids(c)) + audit_roles(c, st)


def _problems(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.subject, f.check, f.message) for f in findings if f.severity != "ok"]


def test_the_chain_a_root_declares(chain: Chain) -> None:
    assert (chain.trail_name, chain.log_group, chain.cis) == (
        "acme-byok",
        "/aws/cloudtrail/acme-byok",
        "default",
    )
    assert [r.name for r in chain.roles] == [
        "acme-slack-byok-logs",
        "acme-byok-cloudtrail-cloudwatch-logs",
    ]
    assert [(g.name, g.key) for g in chain.log_groups] == [
        ("/byok/acme/slack", "alias/acme-byok-cloudtrail"),
        ("/aws/cloudtrail/acme-byok", "alias/acme-byok-alarms"),
    ]


def test_a_clean_chain_has_no_finding(exp: Expected, chain: Chain) -> None:
    findings = _audit(exp, chain, _good(exp, chain))
    assert _problems(findings) == []
    assert exit_code(findings) == 0
    # every filter and alarm was looked at: 7 CIS + 7 key events (one chunk: 7 keys)
    assert sum(f.check == "metric filter" for f in findings) == 14
    assert sum(f.check == "alarm" for f in findings) == 14


@pytest.mark.parametrize(
    ("selectors", "missing"),
    [
        (
            {
                "EventSelectors": [
                    {"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}
                ]
            },
            "read-only (Decrypt, GenerateDataKey, ...) and write (PutKeyPolicy, ...)",
        ),
        (
            {"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]},
            "read-only (Decrypt, GenerateDataKey, ...)",
        ),
        (
            {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]},
            "read-only (Decrypt, GenerateDataKey, ...) and write (PutKeyPolicy, ...)",
        ),
        (
            {"EventSelectors": []},
            "read-only (Decrypt, GenerateDataKey, ...) and write (PutKeyPolicy, ...)",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
                        ]
                    }
                ]
            },
            "read-only (Decrypt, GenerateDataKey, ...) and write (PutKeyPolicy, ...)",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["false"]},
                        ]
                    }
                ]
            },
            "read-only (Decrypt, GenerateDataKey, ...)",
        ),
    ],
)
def test_kms_events_excluded_from_the_trail_are_a_finding(
    exp: Expected, chain: Chain, selectors: dict[str, Any], missing: str
) -> None:
    st = _good(exp, chain)
    st.selectors = selectors
    (f,) = [f for f in _audit(exp, chain, st) if f.check == "event selectors"]
    assert f.severity == "finding"
    assert f.message.startswith(f"KMS {missing} management events are NOT recorded"), f.message


@pytest.mark.parametrize(
    "selectors",
    [
        {
            "AdvancedEventSelectors": [
                {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
            ]
        },
        {
            "AdvancedEventSelectors": [
                {
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "readOnly", "Equals": ["true"]},
                    ]
                },
                {
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "eventSource", "NotEquals": ["s3.amazonaws.com"]},
                    ]
                },
            ]
        },
        {"EventSelectors": [{"ReadWriteType": "ReadOnly"}, {"ReadWriteType": "WriteOnly"}]},
    ],
)
def test_selectors_that_keep_every_kms_event(selectors: dict[str, Any]) -> None:
    (f,) = selector_findings(selectors)
    assert f.severity == "ok", f.message


def test_vendor_log_role_trusting_everyone_is_wider(exp: Expected, chain: Chain) -> None:
    """Issue 24: `"*"` in the vendor log role's trust: exit 3, with who may now assume it."""
    st = _good(exp, chain)
    role = st.roles["acme-slack-byok-logs"]
    assert role is not None
    role.trust["Statement"][0]["Principal"] = {"AWS": "*"}
    findings = _audit(exp, chain, st)
    (f,) = [f for f in findings if f.severity != "ok"]
    assert (f.subject, f.check, f.severity) == ("role acme-slack-byok-logs", "trust", "wider")
    assert f.message.startswith("WIDER than generated/: `arn:aws:iam::"), f.message
    assert f.detail["new_access"]["action"] == "sts:AssumeRole"
    assert exit_code(findings) == 3


def test_role_permissions_judged_with_the_engine(exp: Expected, chain: Chain) -> None:
    st = _good(exp, chain)
    role = st.roles["acme-slack-byok-logs"]
    assert role is not None
    # same access written another way: no finding
    stmt = role.policies[0]["Statement"][0]
    stmt["Action"] = list(reversed(stmt["Action"]))
    assert _problems(_audit(exp, chain, st)) == []
    # a managed policy attached out of band gives logs:* everywhere: wider
    role.attached.append(f"arn:aws:iam::{ACCOUNT}:policy/Extra")
    role.policies.append({"Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})
    got = {(f.check, f.severity) for f in _audit(exp, chain, st) if f.severity != "ok"}
    assert got == {("permissions", "wider"), ("permissions", "finding")}
    # a narrower inline policy: a finding, not a pass
    st = _good(exp, chain)
    role = st.roles["acme-slack-byok-logs"]
    assert role is not None
    role.policies[0]["Statement"][0]["Action"] = ["logs:PutLogEvents"]
    (f,) = [f for f in _audit(exp, chain, st) if f.severity != "ok"]
    assert (f.check, f.severity, f.message) == (
        "permissions",
        "finding",
        "narrower than generated/ declares",
    )


def test_deleted_role_and_log_group_are_findings(exp: Expected, chain: Chain) -> None:
    """Issue 24: a deleted vendor log group was silent."""
    st = _good(exp, chain)
    st.log_groups["/byok/acme/slack"] = None
    st.roles["acme-byok-cloudtrail-cloudwatch-logs"] = None
    group = st.log_groups["/aws/cloudtrail/acme-byok"]
    assert group is not None
    group["retentionInDays"] = 1
    assert _problems(_audit(exp, chain, st)) == [
        ("role acme-byok-cloudtrail-cloudwatch-logs", "role", "does not exist"),
        ("log group /byok/acme/slack", "log group", "does not exist (deleted?): its logs are gone"),
        (
            "log group /aws/cloudtrail/acme-byok",
            "retention",
            "keeps events 1 days, generated/ says 365",
        ),
    ]


def test_alarm_path_findings(exp: Expected, chain: Chain) -> None:
    st = _good(exp, chain)
    st.status = {"IsLogging": True, "LatestCloudWatchLogsDeliveryError": "AccessDenied"}
    st.insights = []
    st.filters["acme-byok-GrantCreated"]["filterPattern"] = (
        "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = CreateGrant) }"
    )
    del st.filters["acme-byok-CIS-4.4-IAMPolicyChanges"]
    st.alarms["acme-byok-CIS-4.7-DisableOrDeleteCMK"]["ActionsEnabled"] = False
    st.alarms["acme-byok-KeyPolicyChanges"]["AlarmActions"] = []
    st.topic = {"KmsMasterKeyId": TRAIL_KEY[1]}
    st.subscriptions[0]["SubscriptionArn"] = "PendingConfirmation"
    got = [m for _, _, m in _problems(_audit(exp, chain, st))]
    assert got == [
        "LatestCloudWatchLogsDeliveryError: AccessDenied",
        "Insights off; generated/ says ApiCallRateInsight, ApiErrorRateInsight",
        f"encrypted with {TRAIL_KEY[1]}, not the alarm path's key {ALARM_KEY[1]}",
        "kms-oncall@acme.example: PendingConfirmation (not confirmed)",
        "`acme-byok-CIS-4.4-IAMPolicyChanges` is missing",
        "`acme-byok-GrantCreated` pattern is '{ ($.eventSource = kms.amazonaws.com) && "
        "($.eventName = CreateGrant) }', the module says '"
        + next(
            f.pattern
            for f in exp.controls.key_filters("acme-byok", _key_ids(chain))
            if f.metric == "GrantCreated"  # type: ignore[union-attr]
        )
        + "'",
        "alarm `acme-byok-CIS-4.7-DisableOrDeleteCMK` has its actions disabled",
        f"alarm `acme-byok-KeyPolicyChanges` does not notify {TOPIC}",
    ]
    assert exit_code(_audit(exp, chain, st)) == 5


def test_key_filters_scope_and_chunk(exp: Expected) -> None:
    assert exp.controls is not None
    ids = {f"k{i:02d}": f"id-{i:02d}" for i in range(12)}
    got = [f for f in exp.controls.key_filters("p", ids) if f.metric == "KeyReplicated"]
    assert [f.name for f in got] == ["p-KeyReplicated", "p-KeyReplicated-2"]
    assert got[1].pattern == (
        "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = ReplicateKey) && "
        '(($.resources[0].ARN = "*:key/id-10") || ($.resources[0].ARN = "*:key/id-11")) }'
    )

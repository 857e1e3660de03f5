"""`byok audit` / `byok activity` / `byok cost` without AWS: the checks, the mapping of an
out-of-band revocation back to org.yaml, the formats, and the AWS calls moto lacks
(GetKeyLastUsage, IAM Access Analyzer) through botocore's Stubber with responses shaped like the
documented ones. The e2e run (tests/e2e/test_apply.py) covers the same against moto."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from byok.cli.audit import exit_code
from byok.cli.main import main
from byok.live import activity, report
from byok.live.adopt import adoption
from byok.live.alarms import load_controls
from byok.live.analyzer import second_opinion
from byok.live.audit import audit_key, policy_finding
from byok.live.aws import Clients, LiveError
from byok.live.expected import Expected, load_expected
from byok.live.findings import Finding
from byok.live.state import KeyState, read_key
from byok.policy import iam
from byok.render import cost

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
SLACK = "arn:aws:iam::152659312504:root"


@pytest.fixture(scope="module")
def exp() -> Expected:
    return load_expected(REPO, date(2026, 11, 23))


def _doc(exp: Expected, key: str) -> dict[str, Any]:
    return copy.deepcopy(exp.keys[key].policy.to_json())


def _channel_deny(doc: dict[str, Any]) -> dict[str, Any]:
    (stmt,) = [s for s in doc["Statement"] if s.get("Sid") == "RevokeSlackChannel"]
    return stmt


def test_expected_reads_generated_and_the_alarm_module(exp: Expected) -> None:
    assert (exp.account, exp.region, exp.trail_name) == (ACCOUNT, "us-east-1", "acme-byok")
    assert sorted(exp.keys) == [
        "databricks-prod",
        "databricks-staging",
        "slack-prod",
        "slack-sandbox",
        "zoom-prod",
    ]
    # One source of truth: the module's controls.json, CIS v3.0.0 4.7 pattern verbatim.
    assert exp.controls is not None
    cis = {f.metric: f.pattern for f in exp.controls.cis_filters("acme-byok", "default")}
    assert cis["CIS-4.7-DisableOrDeleteCMK"] == (
        "{($.eventSource = kms.amazonaws.com) && "
        "(($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
    )
    assert len(cis) == 7
    assert exp.controls == load_controls(REPO)


def test_policy_equivalent_wider_narrower(exp: Expected) -> None:
    spec = exp.keys["slack-prod"]
    same = policy_finding(spec, _doc(exp, "slack-prod"), ACCOUNT)
    assert (same.severity, same.message) == (
        "ok",
        "equivalent to generated/policies/slack-prod.json",
    )

    wide = _doc(exp, "slack-prod")
    outsider = "arn:aws:iam::999988887777:root"
    wide["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": outsider},
            "Action": "kms:Encrypt",
            "Resource": "*",
        }
    )
    f = policy_finding(spec, wide, ACCOUNT)
    # the witness is any principal of that account (the comparer may pick the root itself);
    # the message names the statement's principal, and the witness only when it differs
    assert f.severity == "wider"
    assert f.message.startswith(f"WIDER than reviewed: `{outsider}` gained `kms:Encrypt`")
    assert f.detail["new_access"]["principal"].startswith("arn:aws:iam::999988887777:")
    assert f.detail["principals"] == [outsider]
    assert f.detail["new_access"]["action"] == "kms:Encrypt"
    assert exit_code([same, f]) == 3

    narrow = _doc(exp, "slack-prod")
    _channel_deny(narrow)["Condition"]["StringEquals"]["kms:EncryptionContext:channel_id"] = [
        "C0123ABCD",
        "C07QX4M2PLR",
        "C0NEW0001",
    ]
    f = policy_finding(spec, narrow, ACCOUNT)
    assert f.severity == "finding"
    assert f.message == (
        "narrower than reviewed: an out-of-band revocation: the next `terraform apply` reverts "
        "it unless org.yaml adopts it"
    )
    assert f.detail["lost_access"]["context"] == {"kms:EncryptionContext:channel_id": "C0NEW0001"}
    # Indented as org.yaml's slack revocations are; the channel scope is unconfirmed, so the
    # acknowledgement E325 asks for is in the entry (tests/test_adopt.py pastes it and compiles).
    reason = '"emergency change adopted from the live key policy by byok audit: say why"'
    assert f.detail["adopt"] == (
        "# org.yaml, under the app `vendor: slack`, in `revocations:`\n"
        "      - scope: channel\n"
        '        values: ["C0NEW0001"]\n'
        f"        reason: {reason}\n"
        "        ticket: TODO-1\n"
        "        environments: [prod]\n"
        f"        unconfirmed_context_key: {{reason: {reason}, ticket: TODO-1}}"
    )
    assert exit_code([f]) == 5


def test_narrower_without_a_revocation_shape_says_what_to_do(exp: Expected) -> None:
    doc = _doc(exp, "zoom-prod")
    doc["Statement"] = [s for s in doc["Statement"] if not s.get("Sid", "").startswith("Vendor")]
    f = policy_finding(exp.keys["zoom-prod"], doc, ACCOUNT)
    assert f.severity == "finding" and "adopt" not in f.detail
    assert f.message.endswith("(no org.yaml revocation expresses it: edit org.yaml or re-apply)")


@settings(max_examples=20)
@given(st.sets(st.from_regex(r"C[A-Z0-9]{8}", fullmatch=True), min_size=1, max_size=4))
def test_adoption_lists_exactly_the_values_added_out_of_band(exp: Expected, new: set[str]) -> None:
    spec = exp.keys["slack-prod"]
    doc = _doc(exp, "slack-prod")
    cond = _channel_deny(doc)["Condition"]["StringEquals"]
    old = set(cond["kms:EncryptionContext:channel_id"])
    cond["kms:EncryptionContext:channel_id"] = sorted(old | new)
    entry = adoption(spec.policy, iam.Policy.from_json(doc), spec)
    added = sorted(new - old)
    if not added:
        assert entry is None
    else:
        values = ", ".join(f'"{v}"' for v in added)
        assert entry is not None and f"        values: [{values}]" in entry.splitlines()


def _state(exp: Expected, key: str, **kw: Any) -> KeyState:
    base: dict[str, Any] = {
        "alias": exp.keys[key].alias,
        "key_id": "k-1",
        "meta": {"KeyState": "Enabled", "Origin": "AWS_KMS", "MultiRegion": key == "zoom-prod"},
        "policy": _doc(exp, key),
        "rotation": {"KeyRotationEnabled": True, "RotationPeriodInDays": 180},
    }
    base.update(kw)
    return KeyState(**base)


def test_key_checks(exp: Expected) -> None:
    spec = exp.keys["databricks-prod"]
    clean = audit_key(spec, _state(exp, "databricks-prod"), ACCOUNT)
    assert [f for f in clean if f.severity != "ok"] == []
    bad = _state(
        exp,
        "databricks-prod",
        meta={"KeyState": "PendingImport", "Origin": "AWS_KMS"},
        rotation={"KeyRotationEnabled": True, "RotationPeriodInDays": 365},
        grants=[
            {
                "GrantId": "g1",
                "GranteePrincipal": "arn:aws:iam::414351767826:root",
                "Operations": ["Decrypt"],
            },
            {
                "GrantId": "g2",
                "GranteePrincipal": "arn:aws:iam::999988887777:role/X",
                "Operations": ["Encrypt"],
            },
        ],
    )
    got = [(f.check, f.message) for f in audit_key(spec, bad, ACCOUNT) if f.severity != "ok"]
    assert got == [
        ("state", "key state is PendingImport, not Enabled"),
        ("rotation", "rotation period is 365 days, generated/ says 180"),
        (
            "grant",
            "grant g2 to `arn:aws:iam::999988887777:role/X`, a principal the policy does not "
            "name (Encrypt)",
        ),
    ]
    missing = audit_key(spec, KeyState(alias=spec.alias), ACCOUNT)
    assert [(f.severity, f.message) for f in missing] == [
        ("finding", "alias `alias/acme-databricks-prod` does not exist: key not deployed")
    ]


FINDINGS = [
    Finding("k", "alias", "ok", "`alias/a` -> 1"),
    Finding(
        "k",
        "policy",
        "wider",
        "WIDER than reviewed: `p` gained `kms:Decrypt`",
        {"new_access": {"action": "kms:Decrypt", "principal": "p"}, "lost_access": None},
    ),
    Finding("trail", "logging", "finding", "NOT logging (StopLogging?)"),
]


def test_report_formats() -> None:
    assert report.text(FINDINGS, verbose=False) == (
        "k:\n"
        "  WIDER   policy: WIDER than reviewed: `p` gained `kms:Decrypt`\n"
        '          new_access: {"action": "kms:Decrypt", "principal": "p"}\n'
        "trail:\n"
        "  FINDING logging: NOT logging (StopLogging?)\n"
        "audit: 1 wider than reviewed, 1 other finding(s)\n"
    )
    doc = json.loads(report.to_json(FINDINGS, exit_code(FINDINGS)))
    assert doc["exit_code"] == 3 and [f["severity"] for f in doc["findings"]] == [
        "ok",
        "wider",
        "finding",
    ]
    md = report.markdown(FINDINGS).splitlines()
    assert md[2] == "**audit: 1 wider than reviewed, 1 other finding(s)**"
    assert md[-2] == (
        "| k | policy | WIDER | WIDER than reviewed: `p` gained `kms:Decrypt`; new_access: "
        '`{"action": "kms:Decrypt", "principal": "p"}` |'
    )
    assert report.text([FINDINGS[0]]).endswith("audit clean: the deployment matches generated/\n")


def _stubbed(service: str) -> tuple[Clients, Stubber]:
    clients = Clients("us-east-1")
    client = clients._session.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    clients._clients[service] = client
    return clients, Stubber(client)


def test_last_use_from_get_key_last_usage(exp: Expected) -> None:
    """moto lacks GetKeyLastUsage: Stubber, response shaped as documented in
    https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html"""
    clients, stub = _stubbed("kms")
    when = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    meta = {"KeyId": "k-1", "KeyState": "Enabled", "Origin": "AWS_KMS"}
    stub.add_response("describe_key", {"KeyMetadata": meta}, {"KeyId": "k-1"})
    stub.add_response("get_key_policy", {"Policy": json.dumps(_doc(exp, "zoom-prod"))})
    stub.add_response(
        "get_key_rotation_status", {"KeyRotationEnabled": True, "RotationPeriodInDays": 365}
    )
    stub.add_response("list_grants", {"Grants": [], "Truncated": False})
    usage = {
        "KeyId": "k-1",
        "KeyLastUsage": {"Operation": "Decrypt", "Timestamp": when, "CloudTrailEventId": "e-1"},
        "TrackingStartDate": datetime(2026, 1, 1, tzinfo=UTC),
        "KeyCreationDate": datetime(2026, 2, 1, tzinfo=UTC),
    }
    stub.add_response("get_key_last_usage", usage, {"KeyId": "k-1"})
    with stub:
        state = read_key(clients, "alias/acme-zoom-prod", "k-1")
    (last,) = [f for f in audit_key(exp.keys["zoom-prod"], state, ACCOUNT) if f.check == "last use"]
    assert last.message == "last used 2026-11-20 08:30:00+00:00 (Decrypt)"


def test_access_analyzer_disagreement_is_shown_side_by_side(exp: Expected) -> None:
    """moto lacks IAM Access Analyzer: Stubber, shapes as documented in
    https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoNewAccess.html"""
    clients, stub = _stubbed("accessanalyzer")
    spec = exp.keys["zoom-prod"]
    stub.add_response("validate_policy", {"findings": []})
    stub.add_response(
        "check_no_new_access",
        {"result": "FAIL", "message": "The modified permissions grant new access", "reasons": []},
    )
    ours = [Finding("zoom-prod", "policy", "ok", "equivalent to generated/policies/zoom-prod.json")]
    with stub:
        (f,) = second_opinion(clients, spec, _doc(exp, "zoom-prod"), ours)
    assert (f.severity, f.message) == ("finding", "CheckNoNewAccess disagrees with byok")
    assert f.detail == {
        "aws": "FAIL: The modified permissions grant new access",
        "byok": "no new access",
    }


def test_activity_summary_labels_revoked_values(exp: Expected) -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/k-1"

    def rec(ctx: dict[str, str], error: str | None) -> dict[str, Any]:
        r: dict[str, Any] = {
            "eventSource": "kms.amazonaws.com",
            "eventName": "Decrypt",
            "userIdentity": {"type": "AWSAccount", "accountId": "152659312504"},
            "requestParameters": {"encryptionContext": ctx},
            "resources": [{"ARN": arn}],
        }
        if error:
            r["errorCode"] = error
        return r

    records = [
        rec({"channel_id": "C0123ABCD"}, "AccessDenied"),
        rec({"channel_id": "C0999XXXX"}, "AccessDenied"),
        rec({"workspace_id": "T1"}, None),
        {"eventSource": "s3.amazonaws.com", "eventName": "GetObject"},
    ]
    acts = activity.summarize(records, {arn: "slack-prod"}, {"slack-prod": exp.keys["slack-prod"]})
    assert activity.text(acts, "24h") == (
        "slack-prod: 3 call(s), 2 denied\n"
        "  account 152659312504 Decrypt: 3 (2 denied)\n"
        "  denied with context channel_id=C0123ABCD: 1 (revoked by SEC-123)\n"
        "  denied with context channel_id=C0999XXXX: 1 (no revocation matches)\n"
    )
    assert activity.text({}, "1h") == "no KMS calls on these keys in the last 1h\n"
    assert activity.parse_since("7d").days == 7
    with pytest.raises(ValueError, match="is not a duration"):
        activity.parse_since("yesterday")


def test_cost_estimate_arithmetic() -> None:
    p = cost.prices()
    assert (
        p["as_of"] == "2026-03-01" and p["kms"]["source"] == "https://aws.amazon.com/kms/pricing/"
    )
    a = cost.Assumptions(requests_per_month=120_000, log_gb_per_month=2.0, write_events_per_month=0)
    lines = {x.item: x.monthly for x in cost.estimate(cost.Resources(5, 7, 1), 60, 2, a)}
    assert lines["KMS keys"] == 8.0  # 5 vendor keys + trail and alarm keys + 1 replica
    assert lines["KMS rotation"] == 14.0
    assert lines["KMS requests"] == pytest.approx(100_000 / 10_000 * 0.03)
    assert lines["CloudTrail Insights"] == pytest.approx(120_000 / 100_000 * 0.35)
    assert lines["CloudWatch Logs storage"] == pytest.approx(4.0 * 0.03)


def test_cli_without_credentials_or_boto3(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    shutil.copytree(REPO / "modules" / "key-alarms", project / "modules" / "key-alarms")
    assert main(["-C", str(project), "audit"]) == 1
    assert capsys.readouterr().err == (
        "byok: error: no AWS credentials: set them through the standard chain (AWS_PROFILE, "
        "environment variables, SSO or an instance role)\n"
    )
    monkeypatch.setitem(__import__("sys").modules, "boto3", None)
    with pytest.raises(
        LiveError,
        match=r"boto3 is not installed: install the aws extra: pip install '<the byok wheel>\[aws",
    ):
        Clients("us-east-1")
    assert main(["-C", str(project), "activity", "--since", "1h"]) == 1
    assert capsys.readouterr().err == (
        "byok: error: boto3 is not installed: install the aws extra: "
        "pip install '<the byok wheel>[aws]' (or boto3 and cryptography)\n"
    )


def test_cost_cli_matches_access_md(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Under the default assumptions `byok cost` prints the table ACCESS.md carries."""
    assert main(["-C", str(project), "cost"]) == 0
    table = capsys.readouterr().out
    access = (project / "generated" / "ACCESS.md").read_text()
    assert "\n## Estimated monthly cost\n\n" + table in access
    assert (
        main(["-C", str(project), "cost", "--requests-per-month", "20000", "--format", "json"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    lines = {x["item"]: x["monthly"] for x in doc["lines"]}
    assert lines["KMS requests"] == 0.0  # within the free tier
    assert doc["total"] == round(sum(lines.values()), 2)
    assert doc["prices"] == {"as_of": "2026-03-01", "region": "us-east-1", "currency": "USD"}

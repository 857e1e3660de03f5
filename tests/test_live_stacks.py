"""`byok audit` and `byok activity` with stacks, against moto in-process: each key is read in
its own Region, each root's trail where that root applies it, and a key or trail of another
account than the credentials' is named per key instead of being reported missing."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from byok.cli.main import main
from byok.live import state
from tests.conftest import REPO
from tests.test_stacks import STACK, _with_stack

ROOT = "111122223333"
SAME_ACCOUNT = STACK.replace("444455556666", ROOT)
STAGING = "databricks-staging"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ROOT)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # in-process moto raises on GetKeyLastUsage (the server answers 500: state._last_use)
    monkeypatch.setattr(state, "_last_use", lambda clients, key_id: "unavailable (moto)")
    with mock_aws():
        yield


def _stacked(project: Path, stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(REPO / "modules" / "key-alarms", project / "modules" / "key-alarms")
    _with_stack(project, stack)
    assert main(["-C", str(project), "generate"]) == 0
    capsys.readouterr()


def _audit(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[Any]]:
    code = main(["-C", str(project), "audit", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["findings"]


def _of(findings: list[dict[str, Any]], subject: str) -> list[tuple[str, str, str]]:
    return [(f["check"], f["severity"], f["message"]) for f in findings if f["subject"] == subject]


def _deploy_staging(project: Path, region: str) -> tuple[str, str]:
    """The staging key as Terraform creates it in `region`: key, policy, alias."""
    kms = boto3.client("kms", region_name=region)
    policy = (project / "generated" / "policies" / f"{STAGING}.json").read_text()
    key = kms.create_key(Policy=policy)["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/acme-{STAGING}", TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])
    return str(key["KeyId"]), str(key["Arn"])


def test_audit_names_each_key_of_another_account(
    project: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _stacked(project, STACK, capsys)
    code, findings = _audit(project, capsys)
    assert code == 5
    elsewhere = (
        "account",
        "finding",
        f"in account 444455556666, Region eu-west-1; the credentials are for account {ROOT}: "
        "not audited (run `byok audit` with credentials of account 444455556666)",
    )
    assert _of(findings, STAGING) == [elsewhere]
    assert _of(findings, "trail 444455556666-eu-west-1") == [elsewhere]
    # the root's keys are read (none is deployed in this empty account)
    assert _of(findings, "databricks-prod") == [
        ("alias", "finding", "alias `alias/acme-databricks-prod` does not exist: key not deployed")
    ]
    assert [f["subject"] for f in findings][-2:] == [STAGING, "trail 444455556666-eu-west-1"]


def test_audit_reads_a_stack_key_in_its_own_region(
    project: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _stacked(project, SAME_ACCOUNT, capsys)
    key_id, _ = _deploy_staging(project, "eu-west-1")
    code, findings = _audit(project, capsys)
    assert code == 5  # the rest of the deployment is missing
    assert _of(findings, STAGING) == [
        ("alias", "ok", f"`alias/acme-{STAGING}` -> {key_id}"),
        ("policy", "ok", f"equivalent to generated/policies/{STAGING}.json"),
        ("state", "ok", "enabled"),
        ("rotation", "ok", "on (the endpoint did not report the period)"),
        ("last use", "ok", "unavailable (moto)"),
    ]
    # a stack in the root's account has its own trail name (its Region), not the root's trail's
    assert _of(findings, "trail 111122223333-eu-west-1")[0] == (
        "trail",
        "finding",
        "trail `acme-byok-eu-west-1` does not exist",
    )


def _log(region: str, records: list[dict[str, Any]], trail: str = "acme-byok") -> None:
    logs = boto3.client("logs", region_name=region)
    group = f"/aws/cloudtrail/{trail}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": json.dumps(r)} for r in records]
    if events:
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)


def test_activity_reads_each_key_from_its_own_regions_trail(
    project: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _stacked(project, SAME_ACCOUNT, capsys)
    _, arn = _deploy_staging(project, "eu-west-1")
    _log("us-east-1", [])
    record = {
        "eventSource": "kms.amazonaws.com",
        "eventName": "Decrypt",
        "userIdentity": {"accountId": "414351767826"},
        "resources": [{"ARN": arn}],
    }
    _log("eu-west-1", [record], trail="acme-byok-eu-west-1")  # the stack's own trail
    assert main(["-C", str(project), "activity", "--since", "1h"]) == 0
    out = capsys.readouterr()
    assert (out.out, out.err) == (
        f"{STAGING}: 1 call(s), 0 denied\n  account 414351767826 Decrypt: 1\n",
        "",
    )


def test_activity_names_each_key_of_another_account(
    project: Path, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _stacked(project, STACK, capsys)
    _log("us-east-1", [])
    assert main(["-C", str(project), "activity", "--since", "1h"]) == 1
    out = capsys.readouterr()
    assert (out.out, out.err) == (
        "no KMS calls on these keys in the last 1h\n",
        f"byok: error: {STAGING} is in account 444455556666, Region eu-west-1; the credentials "
        f"are for account {ROOT}: its activity was not read\n",
    )

"""End to end against moto: org.yaml's optional features that moto can apply, in a root of
their own: the SIEM subscription to a Firehose stream (its role, its subscription filters on
the trail's and the vendor's log groups) and the AWS Config rules (with the shipped budget).
IAM Access Analyzer is off (moto 5.2.6 has none; tests/e2e/README.md).

moto's recorder keeps this server's requests too: every call Terraform makes here as the
deployer is checked against `byok iam-policy deployer` for this org.yaml (calls.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import calls
from tests.e2e.plans import only_rotation_quirk, plan_changes
from tests.e2e.support import (
    MotoServer,
    byok_generate,
    env_without_aws,
    note,
    step,
    without_access_analyzer,
)
from tests.tfhelpers import REPO_ROOT, copy_root, init, run_tf, tf_env

pytestmark = pytest.mark.e2e

ACCOUNT, REGION = "111122223333", "us-east-1"
STREAM = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/siem"
FEATURES = f"\nsiem:\n  destination_arn: {STREAM}\nconfig_rules: {{}}\n"


def _siem_stream(moto: MotoServer) -> None:
    """The organization's SIEM entry point, which byok does not create: a Firehose stream."""
    moto.client("s3").create_bucket(Bucket="acme-siem-sink")
    role = moto.client("iam").create_role(
        RoleName="siem-firehose", AssumeRolePolicyDocument=json.dumps({"Statement": []})
    )["Role"]["Arn"]
    moto.client("firehose").create_delivery_stream(
        DeliveryStreamName="siem",
        ExtendedS3DestinationConfiguration={
            "RoleARN": role,
            "BucketARN": "arn:aws:s3:::acme-siem-sink",
        },
    )


@pytest.fixture(scope="module")
def applied(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("e2e-features")
    root = copy_root(base / "project", REPO_ROOT / "generated")
    shutil.copy2(REPO_ROOT / "org.yaml", root / "org.yaml")
    shutil.copytree(REPO_ROOT / "vendors", root / "vendors")
    org = root / "org.yaml"
    org.write_text(org.read_text() + FEATURES)
    without_access_analyzer(org)
    with step("byok generate (SIEM, Config rules; no Access Analyzer)"):
        byok_generate(root)
    env = env_without_aws(tf_env(data_dir=base / "tfdata"))
    env.update(moto_server.terraform_env(base))
    env["AWS_ACCESS_KEY_ID"] = "deployer"
    try:
        _siem_stream(moto_server)
        init(root, env)
        with step("terraform apply (SIEM, Config rules)"):
            proc = run_tf(
                ["apply", "-auto-approve", "-input=false", "-no-color"], root, 600, env=env
            )
        assert "Apply complete!" in proc.stdout
        with step("terraform plan (SIEM, Config rules)"):
            run_tf(
                ["plan", "-input=false", "-no-color", f"-out={base / 'plan'}"], root, 600, env=env
            )
        (root / "plan.json").write_text(
            run_tf(["show", "-json", "-no-color", str(base / "plan")], root, 120, env=env).stdout
        )
        yield root
    finally:
        try:
            moto_server.reset()  # Terraform's state is thrown away with the scratch copy
        except OSError as exc:
            note(f"moto reset failed: {exc}")


def test_siem_subscription_with_its_least_privilege_role(
    applied: Path, moto_server: MotoServer
) -> None:
    logs, iam = moto_server.client("logs"), moto_server.client("iam")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/acme-byok-siem"
    for group in ("/aws/cloudtrail/acme-byok", "/byok/acme/slack"):
        (f,) = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
        assert (f["filterName"], f["destinationArn"], f["roleArn"], f["filterPattern"]) == (
            "acme-byok-siem",
            STREAM,
            role_arn,
            "",
        ), group
    trust = iam.get_role(RoleName="acme-byok-siem")["Role"]["AssumeRolePolicyDocument"]
    (st,) = trust["Statement"]
    assert st["Principal"] == {"Service": "logs.amazonaws.com"}
    assert st["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    doc = iam.get_role_policy(RoleName="acme-byok-siem", PolicyName="put-records-into-siem-stream")
    (allow,) = doc["PolicyDocument"]["Statement"]
    assert (allow["Action"], allow["Resource"]) == (
        ["firehose:PutRecord", "firehose:PutRecordBatch"],
        [STREAM],
    )


def test_config_rules_name_the_keys_and_the_trail(applied: Path, moto_server: MotoServer) -> None:
    rules = {
        r["ConfigRuleName"]: r
        for r in moto_server.client("config").describe_config_rules()["ConfigRules"]
    }
    assert {n: r["Source"]["SourceIdentifier"] for n, r in rules.items()} == {
        "acme-byok-key-rotation-enabled": "CMK_BACKING_KEY_ROTATION_ENABLED",
        "acme-byok-key-not-scheduled-for-deletion": "KMS_CMK_NOT_SCHEDULED_FOR_DELETION",
        "acme-byok-multi-region-trail": "MULTI_REGION_CLOUD_TRAIL_ENABLED",
        "acme-byok-security-trail": "CLOUDTRAIL_SECURITY_TRAIL_ENABLED",
    }
    kms = moto_server.client("kms")
    ours = {
        a["TargetKeyId"]
        for a in kms.list_aliases()["Aliases"]
        if a["AliasName"].startswith("alias/acme-") and "TargetKeyId" in a
    }
    params = json.loads(rules["acme-byok-key-not-scheduled-for-deletion"]["InputParameters"])
    assert set(params["kmsKeyIds"].split(",")) == ours  # vendor keys and both audit keys
    trail = json.loads(rules["acme-byok-multi-region-trail"]["InputParameters"])
    assert trail["s3BucketName"] == f"acme-byok-cloudtrail-{ACCOUNT}"
    budgets = moto_server.client("budgets").describe_budgets(AccountId=ACCOUNT)["Budgets"]
    assert [b["BudgetName"] for b in budgets] == ["acme-byok"]


def test_replan_is_empty_but_for_the_rotation_quirk(applied: Path) -> None:
    changes = plan_changes(json.loads((applied / "plan.json").read_text()))
    assert [c for c in changes if not only_rotation_quirk(c)] == []


def test_deployer_calls_are_allowed_by_the_printed_policy(
    applied: Path, moto_server: MotoServer
) -> None:
    from byok.policy import iam
    from byok.policy.evaluate import Request, evaluate

    proc = subprocess.run(
        [sys.executable, "-m", "byok", "-C", str(applied), "iam-policy", "deployer"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    doc: dict[str, Any] = json.loads(proc.stdout)
    policy = iam.Policy.from_json(calls.as_key_policy(doc))
    assert moto_server.recording is not None
    aliases: dict[str, str] = {}
    denied, seen = [], set()
    for call in calls.recorded(moto_server.recording):
        if call.caller != "deployer":
            continue
        for req in calls.iam_requests(call, ACCOUNT, aliases):
            seen.add(req.action)
            who = f"arn:aws:iam::{ACCOUNT}:role/deployer"
            request = Request(
                principal=who, action=req.action, resource=req.resource, context=dict(req.context)
            )
            if evaluate(policy, request).decision != "allow":
                denied.append(f"{call.service} {call.operation} -> {req}")
    assert denied == []
    # what this run adds to test_apply's: the subscription, its role and the Config rules
    assert {"logs:PutSubscriptionFilter", "config:PutConfigRule", "iam:PassRole"} <= seen


def test_the_inventory_lists_exactly_what_terraform_manages(applied: Path) -> None:
    """generated/deployment.json (what `byok diff` and `byok check-plan` judge the deployment
    by) lists every resource the re-plan manages, the features' included, and nothing else."""
    plan = json.loads((applied / "plan.json").read_text())
    planned = {
        rc["address"]
        for rc in plan["resource_changes"]
        if rc["mode"] == "managed" and rc["change"]["actions"] != ["delete"]
    }
    doc = json.loads((applied / "generated" / "deployment.json").read_text())
    listed = {r["address"] for r in doc["resources"] if r["root"] == "."}
    assert planned == listed
    kinds = {r["kind"] for r in doc["resources"]}
    assert {"budget", "log-subscription", "config-rule", "role"} <= kinds


# The features' rows of deployment.FORCES_REPLACEMENT that this root's plan can show; the
# analyzer's (moto has no Access Analyzer) and the Lambda permission's (this root subscribes a
# Firehose stream) are exercised nowhere against moto: tests/e2e/test_inventory.py names them.
FEATURE_TYPES = (
    "aws_budgets_budget",
    "aws_cloudwatch_log_subscription_filter",
    "aws_config_config_rule",
)


def test_renamed_features_are_replaced_on_the_modelled_arguments(
    applied: Path, moto_server: MotoServer
) -> None:
    """Renaming the organization renames every feature resource: the plan replaces exactly the
    resources whose modelled forces-replacement arguments change, on exactly those arguments.
    Last in this file: it regenerates the applied project."""
    from byok.deployment import FORCES_REPLACEMENT, loads
    from tests.e2e.test_inventory import _expected_replacements

    gen = applied / "generated"
    old = loads((gen / "deployment.json").read_bytes())
    org = applied / "org.yaml"
    org.write_text(org.read_text().replace("organization: acme\n", "organization: acme2\n", 1))
    byok_generate(applied)
    new = loads((gen / "deployment.json").read_bytes())
    env = env_without_aws(tf_env(data_dir=applied.parent / "tfdata"))
    env.update(moto_server.terraform_env(applied.parent))
    env["AWS_ACCESS_KEY_ID"] = "deployer"
    for path in [*applied.glob("modules/*/*.tf"), *applied.glob("generated/**/*.tf")]:
        text = path.read_text()
        if "prevent_destroy = true" in text:  # show the replacements instead of refusing them
            path.write_text(text.replace("prevent_destroy = true", "prevent_destroy = false"))
    with step("terraform plan (organization renamed)"):
        proc = run_tf(
            ["plan", "-input=false", "-no-color", "-out=renamed.tfplan"], applied, 600, env=env
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = run_tf(["show", "-json", "-no-color", "renamed.tfplan"], applied, 120, env=env)
    plan = {rc["address"]: rc for rc in json.loads(shown.stdout)["resource_changes"]}
    replaced = {
        a: {p[0] for p in rc["change"].get("replace_paths") or []}
        for a, rc in plan.items()
        if rc["type"] in FEATURE_TYPES and set(rc["change"]["actions"]) == {"delete", "create"}
    }
    expected = {
        a: c
        for a, c in _expected_replacements(old, new).items()
        if a.startswith("module.byok.") and plan[a]["type"] in FEATURE_TYPES
    }
    assert replaced == expected
    exercised = {(plan[a]["type"], p) for a, paths in replaced.items() for p in paths}
    table = {(t, attr) for t in FEATURE_TYPES for attr in FORCES_REPLACEMENT[t]}
    assert sorted(table - exercised) == []

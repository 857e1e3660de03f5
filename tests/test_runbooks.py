"""Issue 28, the rest of the runbooks: what stays with the vendor (`not_covered`) and how
revocation behaves on its side, with sources; W109 (rotation over three years); IAM Access
Analyzer's archive rules per key and `byok audit --access-analyzer`'s active findings; the
budget and its default limit; the SIEM subscription and AWS Config rules; `byok iam-policy`.

moto has no IAM Access Analyzer: its findings are read through botocore's Stubber with
responses shaped as the API reference documents them."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from botocore.stub import Stubber

from byok.cli.main import main
from byok.diagnostics import CompileError
from byok.live.analyzer import active_findings
from byok.live.aws import Clients
from byok.live.expected import load_expected
from byok.pipeline import build_tree
from byok.render import cost
from byok.render.features import features
from byok.render.stacks import roots
from tests.test_stacks import _with_stack

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
VENDORS = sorted(p.stem for p in (REPO / "vendors").glob("*.yaml"))


def _org(project: Path, extra: str) -> None:
    org = project / "org.yaml"
    org.write_text(org.read_text() + extra)


def _warnings(project: Path) -> list[str]:
    return [f"{d.loc}: {d.code} {d.message}" for d in build_tree(project, TODAY).warnings]


# --------------------------------------------------------------------------- vendor facts


@pytest.mark.parametrize("name", VENDORS)
def test_every_vendor_states_its_revocation_behaviour_with_sources(name: str) -> None:
    doc = yaml.safe_load((REPO / "vendors" / f"{name}.yaml").read_text())
    rev = doc["revocation"]
    for field in ("takes_effect", "data_key_caching", "restore"):
        fact = rev[field]
        assert fact["description"] and fact["source"].startswith("https://"), field
        assert isinstance(fact["verified"], bool)
    for item in doc.get("not_covered", []):
        assert item["data"] and item["source"].startswith("https://")


@pytest.mark.parametrize("name", ["asana", "mural"])
def test_new_vendors_invent_no_account_and_verify_only_their_own_docs(name: str) -> None:
    """Asana and Mural (named by the runbooks): the principal is a parameter the organization
    fills in, and a fact is verified only when its source is the vendor's own site."""
    doc = yaml.safe_load((REPO / "vendors" / f"{name}.yaml").read_text())
    assert [set(p) & {"arn", "parameter"} for p in doc["principals"]] == [{"parameter"}]
    assert not re.search(r"\b[0-9]{12}\b", (REPO / "vendors" / f"{name}.yaml").read_text())
    own = {"asana": "asana.com", "mural": "mural.co"}[name]

    def facts(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            found = [node] if "verified" in node else []
            return found + [f for v in node.values() for f in facts(v)]
        if isinstance(node, list):
            return [f for v in node for f in facts(v)]
        return []

    for fact in facts(doc):
        host = urlsplit(fact["source"]).hostname or ""
        if fact["verified"]:
            assert host == own or host.endswith("." + own), fact


def test_access_md_shows_what_stays_with_each_shipped_vendor_and_revocation_timing() -> None:
    text = (REPO / "generated" / "ACCESS.md").read_text()
    section = text[text.index("## What stays with the vendor") : text.index("## Around the keys")]
    assert "### Slack\n" in section and "### Zoom\n" in section and "### Databricks\n" in section
    assert (
        "- member profiles, channel names and topics, file names and channel membership "
        "([source](<https://slack.com/help/articles/360019110974-Slack-Enterprise-Key-Management>))\n"
    ) in section
    assert (
        "- How soon a revocation bites: At the end of Databricks' cache interval: reads and "
        "writes of the protected data fail once the cached data encryption key is evicted; the "
        "interval's length is not stated. ([source](<https://docs.databricks.com/en/security/"
        "keys/customer-managed-keys-managed-services-aws.html>))\n"
    ) in section
    assert section.count("- How soon a revocation bites: ") == 3
    handoff = (REPO / "generated" / "handoff" / "zoom-prod.md").read_text()
    assert "Not under this key (kept under the vendor's own keys; confirm with Zoom):" in handoff
    assert "- How soon a revocation bites: Not stated." in handoff


def test_a_vendor_without_behaviour_facts_says_so(project: Path) -> None:
    path = project / "vendors" / "zoom.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("  # How revocation behaves")].rstrip() + "\n")
    path.write_text(path.read_text().split("\n# What stays")[0])
    files = build_tree(project, TODAY).files
    handoff = files["handoff/zoom-prod.md"].decode()
    assert (
        "- How soon a revocation bites: not stated in `vendors/zoom.yaml`; assume a delay and "
        "ask the vendor\n"
    ) in handoff
    assert "- not documented publicly (`vendors/zoom.yaml` lists nothing)" in handoff


# --------------------------------------------------------------------------- W109


def test_rotation_over_three_years_warns_with_the_source(project: Path) -> None:
    org = project / "org.yaml"
    org.write_text(
        org.read_text().replace("rotation_period_days: 180", "rotation_period_days: 1460")
    )
    found = [w for w in _warnings(project) if " W109 " in w]
    assert found == [
        "org.yaml:64:29: W109 rotation period over three years: app `databricks` rotates every "
        "1460 days"
    ]
    diag = next(d for d in build_tree(project, TODAY).warnings if d.code == "W109")
    assert diag.help == (
        "NIST SP 800-57 Part 1 (https://doi.org/10.6028/NIST.SP.800-57pt1r5), as the BYOK "
        "runbook cites it: change keys at least every three years; set rotation_period_days to "
        "1095 or less"
    )


def test_rotation_of_exactly_three_years_or_set_in_defaults(project: Path) -> None:
    org = project / "org.yaml"
    text = org.read_text().replace("rotation_period_days: 180", "rotation_period_days: 1095")
    org.write_text(text.replace("  rotation_period_days: 365\n", "  rotation_period_days: 2000\n"))
    found = [w for w in _warnings(project) if " W109 " in w]
    # slack and zoom use the defaults (once, at the defaults' line); databricks its own 1095
    assert found == [
        "org.yaml:24:25: W109 rotation period over three years: `defaults` rotates every 2000 days"
    ]


# --------------------------------------------------------------------------- Access Analyzer


def test_archive_rules_name_exactly_each_keys_vendor_principals() -> None:
    compiled = build_tree(REPO, TODAY).compiled
    plan = features(compiled).analyzer
    assert plan is not None and (plan.name, plan.create, plan.type) == (
        "acme-byok",
        True,
        "ACCOUNT",
    )
    rules = {r.key: (r.name, r.principals) for r in plan.rules}
    assert rules == {
        "databricks-prod": (
            "acme-byok-databricks-prod",
            ("414351767826", "arn:aws:iam::414351767826:root"),
        ),
        "databricks-staging": (
            "acme-byok-databricks-staging",
            ("414351767826", "arn:aws:iam::414351767826:root"),
        ),
        "slack-prod": ("acme-byok-slack-prod", ("152659312504", "arn:aws:iam::152659312504:root")),
        "slack-sandbox": (
            "acme-byok-slack-sandbox",
            ("152659312504", "arn:aws:iam::152659312504:root"),
        ),
        "zoom-prod": ("acme-byok-zoom-prod", ("409910850980", "arn:aws:iam::409910850980:root")),
    }
    # the organization's own principals (Databricks' cross-account roles, break-glass) are not
    # external: no rule names them
    tf = (REPO / "generated" / "features.tf").read_text()
    assert "databricks-cross-account" not in tf and "BreakGlass" not in tf
    assert "resource_arn = module.key[r.key].key_arn" in tf


def test_existing_analyzer_organization_type_or_off(project: Path) -> None:
    org = project / "org.yaml"
    base = org.read_text()
    org.write_text(
        base.replace("  type: ACCOUNT\n", "  type: ORGANIZATION\n  existing_analyzer: org-wide\n")
    )
    plan = features(build_tree(project, TODAY).compiled).analyzer
    assert plan is not None and (plan.name, plan.create, plan.type) == (
        "org-wide",
        False,
        "ORGANIZATION",
    )
    assert plan.rules[0].name == "acme-byok-databricks-prod"
    org.write_text(
        base.replace("  type: ACCOUNT\n", "  enabled: false\n").replace("budget: {}\n", "")
    )
    files = build_tree(project, TODAY).files
    assert "features.tf" not in files
    assert "## Around the keys" not in files["ACCESS.md"].decode()


def test_many_principals_are_split_over_rules_of_twenty_values(project: Path) -> None:
    """A criterion takes 20 values (quota): 20 roles and Databricks' root (2 spellings) are 22
    values, two rules."""
    params = "".join(
        f"        - arn:aws:iam::{111111111100 + i:012d}:role/db-{i}\n" for i in range(20)
    )
    org = project / "org.yaml"
    text = org.read_text()
    old = (
        "      cross_account_role_arn:\n"
        "        - arn:aws:iam::111122223333:role/databricks-cross-account-prod\n"
        "        - arn:aws:iam::111122223333:role/databricks-cross-account-staging\n"
    )
    assert old in text
    vendor = project / "vendors" / "databricks.yaml"
    vendor.write_text(vendor.read_text().replace("    party: customer\n", "    party: vendor\n"))
    org.write_text(text.replace(old, "      cross_account_role_arn:\n" + params))
    plan = features(build_tree(project, TODAY).compiled).analyzer
    assert plan is not None
    prod = [r for r in plan.rules if r.key == "databricks-prod"]
    assert [(r.name, len(r.principals)) for r in prod] == [
        ("acme-byok-databricks-prod", 20),
        ("acme-byok-databricks-prod-2", 2),
    ]


def _stubbed() -> tuple[Clients, Stubber]:
    clients = Clients("us-east-1")
    client = clients._session.client(
        "accessanalyzer", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    clients._clients["accessanalyzer"] = client
    return clients, Stubber(client)


KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1111-zoom"
OTHER_KEY = "arn:aws:kms:us-east-1:111122223333:key/9999-not-ours"


def _finding(fid: str, resource: str, principal: dict[str, str], **more: Any) -> dict[str, Any]:
    """A ListFindings FindingSummary as documented:
    https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_FindingSummary.html"""
    now = "2026-11-20T08:30:00Z"
    return {
        "id": fid,
        "resource": resource,
        "resourceType": "AWS::KMS::Key",
        "resourceOwnerAccount": "111122223333",
        "principal": principal,
        "action": ["kms:Decrypt"],
        "isPublic": False,
        "status": "ACTIVE",
        "condition": {},
        "analyzedAt": now,
        "createdAt": now,
        "updatedAt": now,
        **more,
    }


def test_active_findings_on_our_keys_are_reported_with_the_key_name() -> None:
    exp = load_expected(REPO, TODAY)
    spec = exp.keys["zoom-prod"]
    assert spec.expected_external == ("409910850980", "arn:aws:iam::409910850980:root")
    assert exp.analyzers == {("111122223333", "us-east-1"): "acme-byok"}
    clients, stub = _stubbed()
    arn = "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/acme-byok"
    stub.add_response(
        "get_analyzer",
        {
            "analyzer": {
                "arn": arn,
                "name": "acme-byok",
                "type": "ACCOUNT",
                "createdAt": "2026-11-01T00:00:00Z",
                "status": "ACTIVE",
            }
        },
        {"analyzerName": "acme-byok"},
    )
    stub.add_response(
        "list_findings",
        {
            "findings": [
                _finding("f-1", KEY_ARN, {"AWS": "999988887777"}),
                _finding("f-2", KEY_ARN, {"AWS": "409910850980"}),
                _finding("f-3", OTHER_KEY, {"AWS": "999988887777"}),
            ]
        },
        {
            "analyzerArn": arn,
            "filter": {"resourceType": {"eq": ["AWS::KMS::Key"]}, "status": {"eq": ["ACTIVE"]}},
        },
    )
    with stub:
        found = active_findings(clients, "acme-byok", {KEY_ARN: spec})
    assert [(f.subject, f.severity, f.message) for f in found] == [
        (
            "zoom-prod",
            "finding",
            "active finding f-1: `999988887777` outside the zone of trust may call kms:Decrypt "
            "on this key; the vendor catalog grants no such principal",
        ),
        (
            "zoom-prod",
            "finding",
            "active finding f-2 for the vendor's own principal `409910850980`: not archived "
            "(archive rules archive new findings only: `aws accessanalyzer apply-archive-rule "
            "--analyzer-arn <acme-byok ARN> --rule-name <rule>`)",
        ),
    ]


def test_no_active_finding_is_a_pass_and_a_missing_analyzer_a_finding() -> None:
    spec = load_expected(REPO, TODAY).keys["zoom-prod"]
    clients, stub = _stubbed()
    stub.add_client_error("get_analyzer", "ResourceNotFoundException", "Analyzer not found", 404)
    with stub:
        (missing,) = active_findings(clients, "acme-byok", {KEY_ARN: spec})
    assert (missing.severity, missing.message) == (
        "finding",
        "analyzer `acme-byok` does not exist",
    )
    clients, stub = _stubbed()
    arn = "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/acme-byok"
    stub.add_response(
        "get_analyzer",
        {
            "analyzer": {
                "arn": arn,
                "name": "acme-byok",
                "type": "ACCOUNT",
                "createdAt": "2026-11-01T00:00:00Z",
                "status": "ACTIVE",
            }
        },
    )
    stub.add_response("list_findings", {"findings": []})
    with stub:
        (ok,) = active_findings(clients, "acme-byok", {KEY_ARN: spec})
    assert (ok.severity, ok.message) == ("ok", "no active external-access finding (acme-byok)")


# --------------------------------------------------------------------------- budget, cost


def test_budget_limit_defaults_to_the_estimate_of_its_services(project: Path) -> None:
    compiled = build_tree(project, TODAY).compiled
    plan = features(compiled).budget
    assert plan is not None
    lines = cost.estimate(cost.resources([compiled]), 365, 2, cost.Assumptions())
    kms_trail_logs = sum(
        x.monthly
        for x in lines
        if x.service in ("AWS Key Management Service", "AWS CloudTrail", "AmazonCloudWatch")
    )
    assert plan.limit_usd == 31 == -(-kms_trail_logs // 1)  # rounded up
    assert (plan.estimated, plan.actual_threshold_percent, plan.forecast_threshold_percent) == (
        True,
        100,
        100,
    )
    tf = build_tree(project, TODAY).files["features.tf"].decode()
    assert '"limit_usd"                  = 31' in tf
    assert "alert_emails               = local.alarm_emails" in tf
    _org(project, "")
    org = project / "org.yaml"
    org.write_text(
        org.read_text().replace(
            "budget: {}\n", "budget: {limit_usd: 75, actual_threshold_percent: 80}\n"
        )
    )
    plan = features(build_tree(project, TODAY).compiled).budget
    assert plan is not None and (plan.limit_usd, plan.estimated, plan.actual_threshold_percent) == (
        75,
        False,
        80,
    )


def test_cost_counts_the_vendors_log_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["-C", str(REPO), "cost", "--vendor-log-gb-per-month", "4", "--format", "json"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    lines = {x["item"]: x for x in doc["lines"]}
    assert lines["Vendor log ingestion"]["quantity"] == "1 vendor log group(s) x 4 GB / month"
    assert lines["Vendor log ingestion"]["monthly"] == pytest.approx(2.0)  # 4 GB at $0.50
    assert lines["Vendor log storage"]["monthly"] == pytest.approx(4 * 365 / 30 * 0.03)
    assert lines["Vendor log ingestion"]["service"] == "AmazonCloudWatch"


# --------------------------------------------------------------------------- SIEM, Config

SIEM = "\nsiem:\n  destination_arn: arn:aws:firehose:us-east-1:111122223333:deliverystream/siem\n"


def test_siem_subscribes_the_trail_and_vendor_log_groups(project: Path) -> None:
    _org(project, SIEM + "config_rules: {}\n")
    files = build_tree(project, TODAY).files
    f = features(build_tree(project, TODAY).compiled)
    assert f.siem is not None and f.siem.log_groups == (
        ("trail", "/aws/cloudtrail/acme-byok"),
        ("vendor-slack", "/byok/acme/slack"),
    )
    tf = files["features.tf"].decode()
    assert (
        'module "siem" {' in tf and "{ trail = module.cloudtrail.cloudwatch_log_group_name }" in tf
    )
    assert 'module "config_rules" {' in tf
    assert "    [for k, m in module.key : m.key_id],\n" in tf


def test_a_siem_destination_elsewhere_is_refused(project: Path) -> None:
    _org(project, SIEM.replace("111122223333", "444455556666"))
    with pytest.raises(CompileError) as err:
        build_tree(project, TODAY)
    (d,) = err.value.diagnostics
    assert (d.code, d.message) == (
        "E381",
        "siem destination is in account 444455556666, Region us-east-1; the log groups are in "
        "org.yaml's account 111122223333, Region us-east-1",
    )


def test_a_stack_gets_its_own_analyzer_and_budget_but_no_siem(project: Path) -> None:
    _with_stack(project)
    _org(project, SIEM)
    compiled = build_tree(project, TODAY).compiled
    root, stack = roots(compiled)
    assert features(root).siem is not None and features(stack).siem is None
    stack_plan = features(stack)
    assert stack_plan.analyzer is not None and [r.key for r in stack_plan.analyzer.rules] == [
        "databricks-staging"
    ]
    assert stack_plan.budget is not None and stack_plan.budget.name == "acme-byok"


# --------------------------------------------------------------------------- iam-policy


def _policy(capsys: pytest.CaptureFixture[str], role: str, root: Path = REPO) -> dict[str, Any]:
    assert main(["-C", str(root), "iam-policy", role]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def test_deployer_policy_is_scoped_and_withholds_break_glass(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _policy(capsys, "deployer")
    actions = {a for st in doc["Statement"] for a in st["Action"]}
    for never in ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:Decrypt"):
        assert never not in actions
    assert not any("*" in a for a in actions)  # no action wildcard
    unscoped = {a for st in doc["Statement"] if st["Resource"] == ["*"] for a in st["Action"]}
    assert unscoped == {
        "cloudtrail:DescribeTrails",
        "kms:CreateKey",
        "kms:ListAliases",
        "kms:TagResource",
    }
    by_sid = {st["Sid"]: st for st in doc["Statement"]}
    assert by_sid["TrailBucket"]["Resource"] == [
        "arn:aws:s3:::acme-byok-cloudtrail-111122223333",
        "arn:aws:s3:::acme-byok-cloudtrail-access-111122223333",
    ]
    assert by_sid["Budget"]["Resource"] == ["arn:aws:budgets::111122223333:budget/acme-byok"]
    assert by_sid["PassTrailRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["cloudtrail.amazonaws.com"]}
    }
    assert by_sid["Roles"]["Resource"] == [
        "arn:aws:iam::111122223333:role/acme-byok-cloudtrail-cloudwatch-logs",
        "arn:aws:iam::111122223333:role/acme-slack-byok-logs",
    ]


def test_auditor_policy_only_reads(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _policy(capsys, "auditor")
    actions = {a for st in doc["Statement"] for a in st["Action"]}
    verbs = ("Describe", "Get", "List", "Filter", "Validate", "Check")
    assert all(a.split(":", 1)[1].startswith(verbs) for a in actions), sorted(actions)


def test_policies_cover_every_root_and_replica_region(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_stack(project)
    org = project / "org.yaml"
    org.write_text(
        org.read_text().replace(
            "      deletion_window_days: 30\n",
            "      deletion_window_days: 30\n      replica_regions: [us-west-2]\n",
        )
    )
    doc = _policy(capsys, "deployer", project)
    keys = next(st for st in doc["Statement"] if st["Sid"] == "KmsKeys")["Resource"]
    assert keys == [
        "arn:aws:kms:eu-west-1:444455556666:key/*",
        "arn:aws:kms:us-east-1:111122223333:key/*",
        "arn:aws:kms:us-west-2:111122223333:key/*",
    ]


@pytest.mark.terraform
def test_every_feature_on_validates_and_is_formatted(project: Path, tmp_path: Path) -> None:
    """All four features, a Lambda SIEM and an existing analyzer: the rendered features.tf is
    `terraform fmt` clean and the root validates with it (offline, the provider mirror)."""
    from tests.tfhelpers import copy_root, init, run_tf, tf_env

    lam = "arn:aws:lambda:us-east-1:111122223333:function:siem-forwarder"
    org = project / "org.yaml"
    text = org.read_text().replace("  type: ACCOUNT\n", "  existing_analyzer: org-wide\n")
    org.write_text(text + f"\nsiem:\n  destination_arn: {lam}\nconfig_rules: {{}}\n")
    assert main(["-C", str(project), "generate"]) == 0
    tf = (project / "generated" / "features.tf").read_text()
    for block in ("access_analyzer", "budget", "siem", "config_rules"):
        assert f'module "{block}" {{' in tf
    root = copy_root(tmp_path / "root", project / "generated")
    env = tf_env(data_dir=tmp_path / "tfdata")
    run_tf(["fmt", "-check", "-diff", "-no-color", "generated"], root, 60, env=env)
    init(root, env)
    proc = run_tf(["validate", "-json", "-no-color"], root, 120, env=env)
    assert json.loads(proc.stdout)["valid"], proc.stdout

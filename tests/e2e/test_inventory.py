"""End to end against moto: the deployment inventory (`generated/deployment.json`) is what
Terraform plans, and its forces-replacement table is what the AWS provider replaces on.

1. The shipped organization, with a replica (Zoom, us-west-2) and a stack in org.yaml's account
   (eu-west-1: its names carry the Region), is applied: the root and the stack. A re-plan of
   each lists every resource (no-op entries carry their values): every managed resource of the
   plan is in the inventory of its root with the same address and type, its AWS identity
   (account, Region, name, read from the planned values: ARNs, names) and the modelled values
   (forces-replacement arguments, monitoring settings, trust and permissions policies), and
   the inventory holds nothing else.
2. Each modelled forces-replacement input is then changed: the organization renamed (trail,
   bucket, log groups, roles, topics, subscriptions, metric filters, alarms, aliases), Slack's
   keys made multi-Region, Zoom's key spec and usage changed in the compiled locals (its replica
   follows its primary), Databricks' keys given imported material (a new resource type). The
   plan's replacements are exactly the resources whose modelled values changed, and each
   resource's `replace_paths` are exactly its arguments that changed, all in
   `deployment.FORCES_REPLACEMENT`. The scratch copy's `prevent_destroy` is turned off so that
   the plan shows the replacements instead of refusing them.

moto is reset at the end (the session's server is shared with the other e2e tests of a worker).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from byok.deployment import FORCES_REPLACEMENT, Inventory, Resource, loads
from byok.review.planaccess import ENABLED_ATTR
from tests.e2e.support import (
    MotoServer,
    add_replica_region,
    byok_generate,
    env_without_aws,
    note,
    step,
    without_access_analyzer,
)
from tests.tfhelpers import REPO_ROOT, copy_root, init, run_tf, tf_env

pytestmark = pytest.mark.e2e

ACCOUNT = str(yaml.safe_load((REPO_ROOT / "org.yaml").read_text())["account_id"])
STACK_REGION = "eu-west-1"
STACK = f"""stacks:
  - account_id: "{ACCOUNT}"
    region: {STACK_REGION}
    environments: [sandbox]
    key_administrators: [arn:aws:iam::{ACCOUNT}:role/KmsKeyAdministrators]

"""
STACK_DIR = f"generated/stacks/{ACCOUNT}-{STACK_REGION}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Terraform"
APPLIED = re.compile(r"Apply complete! Resources: \d+ added, 0 changed, 0 destroyed")


@dataclass
class Project:
    dir: Path
    base: Path
    moto: MotoServer

    def env(self, name: str) -> dict[str, str]:
        env = env_without_aws(tf_env(data_dir=self.base / f"tfdata-{name}"))
        env.update(self.moto.terraform_env(self.base / f"tfdata-{name}"))
        return env

    def workdir(self, root: str) -> Path:
        return self.dir if root == "." else self.dir / root

    def tf(self, root: str, *args: str) -> subprocess.CompletedProcess[str]:
        name = "root" if root == "." else "stack"
        extra = [] if root == "." or args[0] == "show" else [f"-var=role_arn={ROLE_ARN}"]
        command = [args[0], "-no-color", *extra, *args[1:]]
        return run_tf(command, self.workdir(root), 600, env=self.env(name), check=False)

    def plan(self, root: str, label: str) -> dict[str, Any]:
        with step(f"terraform plan ({label}, {root})"):
            proc = self.tf(root, "plan", "-input=false", f"-out={label}.tfplan")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        shown = self.tf(root, "show", "-json", f"{label}.tfplan")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        plan: dict[str, Any] = json.loads(shown.stdout)
        return plan

    def inventory(self) -> Inventory:
        return loads((self.dir / "generated" / "deployment.json").read_bytes())


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def project(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    base = tmp_path_factory.mktemp("e2e-inventory")
    root = copy_root(base / "project", REPO_ROOT / "generated")
    shutil.copy2(REPO_ROOT / "org.yaml", root / "org.yaml")
    shutil.copytree(REPO_ROOT / "vendors", root / "vendors")
    _edit(root / "org.yaml", "apps:\n", STACK + "apps:\n")
    add_replica_region(root / "org.yaml", "zoom", "us-west-2")
    without_access_analyzer(root / "org.yaml")  # moto has none (tests/e2e/README.md)
    with step("byok generate (a stack, a replica)"):
        byok_generate(root)
    project = Project(root, base, moto_server)
    for name in ("root", "stack"):
        init(project.workdir("." if name == "root" else STACK_DIR), project.env(name))
    with ThreadPoolExecutor(2) as pool, step("terraform apply (root and stack)"):
        done = [
            pool.submit(project.tf, r, "apply", "-auto-approve", "-input=false")
            for r in (".", STACK_DIR)
        ]
        for proc in (d.result() for d in done):
            assert APPLIED.search(proc.stdout), proc.stdout + proc.stderr
    try:
        yield project
    finally:
        try:
            moto_server.reset()
        except OSError as exc:
            note(f"moto reset failed: {exc}")


# ------------------------------------------------------------------ what the plan says


def _arn_place(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[4], parts[3]


def _identity(rc: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(account, Region, name) of a planned resource, from its values (None: not read here)."""
    t, v = rc["type"], rc["change"]["after"]
    arn = v.get("arn") or ""
    acct, region = _arn_place(arn) if arn.count(":") >= 5 else (None, None)
    tags = v.get("tags") or {}
    vendor_key = f"{tags.get('byok:vendor')}-{tags.get('byok:environment')}"
    name = {
        "aws_kms_key": vendor_key if "byok:vendor" in tags else None,
        "aws_kms_external_key": vendor_key,
        "aws_kms_replica_key": vendor_key,
        "aws_kms_alias": v.get("name"),
        "aws_cloudwatch_log_group": v.get("name"),
        "aws_cloudtrail": v.get("name"),
        "aws_s3_bucket": v.get("bucket"),
        "aws_iam_role": v.get("name"),
        "aws_iam_role_policy": f"{v.get('role')}:{v.get('name')}",
        "aws_sns_topic": v.get("name"),
        "aws_sns_topic_policy": (v.get("arn") or "").rsplit(":", 1)[-1],
        "aws_sns_topic_subscription": (
            f"{(v.get('topic_arn') or '').rsplit(':', 1)[-1]} {v.get('endpoint')}"
        ),
        "aws_cloudwatch_log_metric_filter": f"{v.get('log_group_name')}:{v.get('name')}",
        "aws_cloudwatch_metric_alarm": v.get("alarm_name"),
        "aws_budgets_budget": v.get("name"),
        "aws_accessanalyzer_analyzer": v.get("analyzer_name"),
        "aws_accessanalyzer_archive_rule": f"{v.get('analyzer_name')}/{v.get('rule_name')}",
        "aws_cloudwatch_log_subscription_filter": f"{v.get('log_group_name')}:{v.get('name')}",
        "aws_config_config_rule": v.get("name"),
    }.get(t)
    named_by = {
        "aws_iam_role_policy": "role",
        "aws_sns_topic_subscription": "topic_arn",
        "aws_sns_topic_policy": "arn",
    }.get(t)
    if named_by and _unknown((rc["change"].get("after_unknown") or {}).get(named_by)):
        name = None  # a first plan: named after a value AWS assigns at apply
    if t == "aws_s3_bucket":
        acct, region = None, v.get("region")  # a bucket's ARN names no account
    if t.startswith("aws_iam_"):
        region = ""
    if t == "aws_iam_role_policy":
        acct = None
    return acct, region, name


def _setting(rc: Mapping[str, Any], key: str) -> Any:
    """The planned value of a modelled setting."""
    v = rc["change"]["after"]
    if key == "event_selectors":  # the selectors' non-empty values; no advanced selector
        assert v.get("advanced_event_selector") in ([], None)
        return [{k: x for k, x in s.items() if x not in ([], None)} for s in v["event_selector"]]
    if key == "insight_types":
        return sorted(s["insight_type"] for s in v.get("insight_selector") or [])
    if key in ("object_lock_mode", "object_lock_days"):
        return v["rule"][0]["default_retention"][0][key.removeprefix("object_lock_")]
    if key == "cloud_watch_logs_group":
        return v["cloud_watch_logs_group_arn"].split(":log-group:", 1)[1].removesuffix(":*")
    if key == "recipient":
        return v["endpoint"]
    if key == "enabled":  # one setting name, the attribute of each key type (check-plan's)
        return v.get(ENABLED_ATTR[rc["type"]])
    if key == "status":
        return v["versioning_configuration"][0]["status"]
    if key in ("expiration_days", "noncurrent_version_expiration_days"):
        rule = v["rule"][0]
        if key == "expiration_days":
            return rule["expiration"][0]["days"] if rule.get("expiration") else None
        return rule["noncurrent_version_expiration"][0]["noncurrent_days"]
    return v.get(key)


def _unknown(flags: Any) -> bool:
    """Whether a value's `after_unknown` flags say any part of it is known after apply only."""
    if isinstance(flags, list):
        return any(_unknown(f) for f in flags)
    if isinstance(flags, dict):
        return any(_unknown(f) for f in flags.values())
    return flags is True


# The planned attribute a setting is read from, where the names differ
_ATTRIBUTE = {"cloud_watch_logs_group": "cloud_watch_logs_group_arn", "recipient": "endpoint"}


def _check_resource(r: Resource, rc: Mapping[str, Any]) -> list[str]:
    """Every way the planned resource differs from the inventory's word for it."""
    out: list[str] = []
    if rc["type"] != r.type:
        out.append(f"type {rc['type']} != {r.type}")
    acct, region, name = _identity(rc)
    for what, planned, modelled in (
        ("account", acct, r.account),
        ("Region", region, r.region),
        ("name", name, r.name),
    ):
        if planned is not None and planned != modelled:
            out.append(f"{what} {planned!r} != {modelled!r}")
    after = rc["change"]["after"]
    unknown = rc["change"].get("after_unknown") or {}
    for k, modelled in r.replace_on.items():
        planned = after.get(k)
        if (isinstance(modelled, str) and modelled.startswith("${")) or _unknown(unknown.get(k)):
            continue  # a reference (checked by the replacement test), or known after apply
        if planned != modelled:
            out.append(f"replace_on {k}: planned {planned!r} != {modelled!r}")
    for k, modelled in r.settings.items():
        if _unknown(unknown.get(_ATTRIBUTE.get(k, k))):
            continue  # known after apply only (a first plan: the ARN or id AWS assigns)
        planned = _setting(rc, k)
        if planned != modelled:
            out.append(f"setting {k}: planned {planned!r} != {modelled!r}")
    for k, attr in (("trust_policy", "assume_role_policy"), ("permissions_policy", "policy")):
        if k in r.access and _aws_json(json.loads(after[attr])) != _aws_json(r.access[k]):
            out.append(f"{k}: planned {after[attr]} != {r.access[k]}")
    return out


def _aws_json(doc: Any) -> Any:
    """A policy document up to what IAM treats alike: a one-element list is its element, and
    list order does not matter (IAM may return either form)."""
    if isinstance(doc, dict):
        return {k: _aws_json(v) for k, v in doc.items()}
    if isinstance(doc, list):
        items = [_aws_json(v) for v in doc]
        return items[0] if len(items) == 1 else sorted(items, key=json.dumps)
    return doc


def _managed(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {rc["address"]: rc for rc in plan["resource_changes"] if rc["mode"] == "managed"}


@pytest.mark.parametrize("root", [".", STACK_DIR], ids=["root", "stack"])
def test_every_planned_resource_is_in_the_inventory(project: Project, root: str) -> None:
    planned = _managed(project.plan(root, "replan"))
    modelled = {r.address: r for r in project.inventory().resources if r.root == root}
    assert sorted(planned.keys() - modelled.keys()) == [], "planned, not in the inventory"
    assert sorted(modelled.keys() - planned.keys()) == [], "in the inventory, not planned"
    wrong = {a: _check_resource(r, planned[a]) for a, r in sorted(modelled.items())}
    assert {a: w for a, w in wrong.items() if w} == {}
    note(f"inventory: {len(modelled)} resources of {root} match the plan")


# ------------------------------------------------------------------ forces replacement


def _change_every_input(project: Project) -> None:
    path = project.dir / "org.yaml"
    org = yaml.safe_load(path.read_text())  # add_replica_region rewrote it: edit the data
    org["organization"] = "acme2"
    for app in org["apps"]:
        key = app.setdefault("key", {})
        if app["vendor"] == "slack":
            key["multi_region"] = True
        if app["vendor"] == "databricks":
            key["origin"] = "EXTERNAL"
    path.write_text(yaml.safe_dump(org, sort_keys=False))
    byok_generate(project.dir)
    main = project.dir / "generated" / "main.tf"
    text = main.read_text()
    zoom = text.index('    "zoom-prod" = {')
    block = text[zoom:].replace('"SYMMETRIC_DEFAULT"', '"HMAC_256"', 1)
    block = block.replace('"ENCRYPT_DECRYPT"', '"GENERATE_VERIFY_MAC"', 1)
    main.write_text(text[:zoom] + block)
    for path in [*project.dir.glob("modules/*/*.tf"), *project.dir.glob("generated/**/*.tf")]:
        path.write_text(
            path.read_text().replace("prevent_destroy = true", "prevent_destroy = false")
        )


def _zoom_locals_edit(before: Inventory) -> Inventory:
    """The inventory of the edited locals (Zoom's spec and usage), as render would state it."""
    out = []
    for r in before.resources:
        if r.type == "aws_kms_key" and r.name == "zoom-prod":
            vals = {
                **r.replace_on,
                "customer_master_key_spec": "HMAC_256",
                "key_usage": "GENERATE_VERIFY_MAC",
            }
            r = Resource(**{**r.__dict__, "replace_on": vals})
        out.append(r)
    return Inventory(before.roots, tuple(out))


def _expected_replacements(old: Inventory, new: Inventory) -> dict[str, set[str]]:
    """Address -> the forces-replacement arguments that change (references: when the resource
    they name is replaced)."""
    before = {(r.root, r.address): r for r in old.resources}
    out: dict[str, set[str]] = {}
    for r in new.resources:
        o = before.get((r.root, r.address))
        if o is None or o.type != r.type:
            continue
        changed = {k for k in r.replace_on if r.replace_on[k] != o.replace_on.get(k)}
        out[r.address] = changed
    for r in new.resources:  # references follow the resource they name
        for k, v in r.replace_on.items():
            if isinstance(v, str) and v.startswith("${") and r.address in out:
                target = v[2:].rsplit(".", 1)[0]
                if out.get(target) or target not in {x.address for x in old.resources}:
                    out[r.address].add(k)
    return {a: c for a, c in out.items() if c}


# Arguments of the table this test cannot change through the compiler, and why; every other one
# must be exercised, so an entry added to the table without a plan that shows it fails here.
NOT_EXERCISED = {
    ("aws_iam_role", "path"): "always `/` (no input sets it)",
    ("aws_iam_role_policy", "name"): "a constant of each module",
    ("aws_sns_topic_subscription", "protocol"): "always `email`",
    ("aws_sns_topic_subscription", "endpoint"): "each e-mail is its own for_each instance",
    ("aws_kms_external_key", "multi_region"): "the shipped organization imports no material",
    ("aws_s3_bucket_object_lock_configuration", "bucket"): "the shipped organization sets no "
    "Object Lock: tests/test_gate_deployment.py judges its removal",
    ("aws_s3_bucket_object_lock_configuration", "object_lock_enabled"): "always `Enabled`",
    # org.yaml's features: this root has Access Analyzer off (moto has none) and no SIEM or
    # Config rules; test_features.py renames the budget, subscription filters and Config rules
    **{
        (t, attr): "a feature resource: tests/e2e/test_features.py, or not applied (moto)"
        for t in (
            "aws_accessanalyzer_analyzer",
            "aws_accessanalyzer_archive_rule",
            "aws_budgets_budget",
            "aws_cloudwatch_log_subscription_filter",
            "aws_config_config_rule",
            "aws_lambda_permission",
        )
        for attr in FORCES_REPLACEMENT[t]
    },
}


def test_forces_replacement_is_what_the_provider_replaces_on(project: Project) -> None:
    old = project.inventory()
    _change_every_input(project)
    new = _zoom_locals_edit(project.inventory())
    expected = _expected_replacements(old, new)
    plan = _managed(project.plan(".", "renamed"))
    replaced = {
        a: {p[0] for p in rc["change"].get("replace_paths") or []}
        for a, rc in plan.items()
        if set(rc["change"]["actions"]) == {"delete", "create"}
    }
    moved_type = {r.address for r in old.resources if r.root == "."} - {
        r.address for r in new.resources if r.root == "."
    }
    replaced = {a: p for a, p in replaced.items() if a not in moved_type}
    expected = {a: p for a, p in expected.items() if a.startswith("module.byok.")}
    assert replaced == expected
    for address, paths in replaced.items():
        assert paths <= set(FORCES_REPLACEMENT[plan[address]["type"]]), (address, paths)
    # a new resource type (imported material) is a delete of the old address, not an update
    for address in moved_type:
        assert plan[address]["change"]["actions"] == ["delete"], address
    exercised = {(plan[a]["type"], path) for a, paths in replaced.items() for path in paths}
    table = {(t, attr) for t, attrs in FORCES_REPLACEMENT.items() for attr in attrs}
    assert sorted(table - exercised - NOT_EXERCISED.keys()) == []
    kinds = sorted({plan[a]["type"] for a in replaced})
    note(f"forces replacement: {len(replaced)} replacements over {len(kinds)} types match")
    assert {
        "aws_kms_key",
        "aws_kms_replica_key",
        "aws_cloudtrail",
        "aws_s3_bucket",
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_iam_role_policy",
    } <= set(kinds)


# ------------------------------------------------------------------ issue 24's options

ACCOUNT_REGION = f"us-east-1:{ACCOUNT}"
OPTIONS = {
    "baseline-reused": {
        "alarms": {"topic_arn": f"arn:aws:sns:{ACCOUNT_REGION}:baseline-alarms"},
        "trail": {
            "existing": {
                "arn": f"arn:aws:cloudtrail:{ACCOUNT_REGION}:trail/org-trail",
                "log_group_name": "aws-controltower/CloudTrailLogs",
            }
        },
    },
    "all-options": {
        "alarms": {"cis": "all"},
        "trail": {
            "insights": False,
            "object_lock": {"mode": "GOVERNANCE", "days": 400},
            "access_log_bucket": "acme-baseline-access-logs",
        },
    },
}


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_a_first_plan_with_the_options_is_the_inventory(
    moto_server: MotoServer, tmp_path: Path, option: str
) -> None:
    """trail.existing and alarms.topic_arn (no trail, bucket, log group, delivery role or
    topic; the alarms on the existing log group and topic), or every CIS control, Insights
    off, Object Lock and an existing access-log bucket: the first plan of the root is the
    inventory (values known before apply)."""
    root = copy_root(tmp_path / "project", REPO_ROOT / "generated")
    shutil.copy2(REPO_ROOT / "org.yaml", root / "org.yaml")
    shutil.copytree(REPO_ROOT / "vendors", root / "vendors")
    without_access_analyzer(root / "org.yaml")
    org = yaml.safe_load((root / "org.yaml").read_text())
    for section, values in OPTIONS[option].items():
        org[section] = {**org.get(section, {}), **values}
    (root / "org.yaml").write_text(yaml.safe_dump(org, sort_keys=False))
    byok_generate(root)
    project = Project(root, tmp_path, moto_server)
    init(root, project.env("root"))
    planned = _managed(project.plan(".", option))
    modelled = {r.address: r for r in project.inventory().resources if r.root == "."}
    assert sorted(planned.keys() - modelled.keys()) == [], "planned, not in the inventory"
    assert sorted(modelled.keys() - planned.keys()) == [], "in the inventory, not planned"
    wrong = {a: _check_resource(r, planned[a]) for a, r in sorted(modelled.items())}
    assert {a: w for a, w in wrong.items() if w} == {}
    types = {r.type for r in modelled.values()}
    if option == "baseline-reused":
        assert not types & {"aws_cloudtrail", "aws_s3_bucket", "aws_sns_topic"}
    else:
        assert "aws_s3_bucket_object_lock_configuration" in types
    note(f"inventory ({option}): {len(modelled)} planned resources match")

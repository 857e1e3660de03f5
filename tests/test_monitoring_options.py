"""org.yaml's `alarms:` and `trail:` options (issue 24): an existing SNS topic and trail of the
account's baseline, Insights off, every CIS v3.0.0 section 4 control, Object Lock and an existing
access-log bucket. Each reaches the generated Terraform (which `terraform validate` accepts with
the modules), the audit's expectations, and the cost estimate; stacks keep their own."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from byok.live.expected import load_expected
from byok.pipeline import build_tree
from byok.render import cost, stacks
from tests.conftest import copy_inputs
from tests.test_stacks import STACK, _with_stack
from tests.tfhelpers import copy_root, init, run_tf, tf_env

TODAY = date(2026, 11, 23)
TRAIL = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"
TOPIC = "arn:aws:sns:us-east-1:111122223333:baseline-alarms"
OPTIONS = f"""alarms:
  emails:
    - secops@acme.example
  topic_arn: {TOPIC}
  cis: all

trail:
  log_retention_days: 365
  insights: false
  object_lock: {{mode: GOVERNANCE, days: 400}}
  access_log_bucket: acme-baseline-access-logs
  existing:
    arn: {TRAIL}
    log_group_name: aws-controltower/CloudTrailLogs
"""


def _project(tmp_path: Path) -> Path:
    project = copy_inputs(tmp_path / "p", with_generated=False)
    org = project / "org.yaml"
    text = org.read_text()
    start, end = text.index("alarms:\n"), text.index("defaults:\n")
    org.write_text(text[:start] + OPTIONS + "\n" + text[end:])
    return project


def _locals(main: bytes) -> str:
    text = main.decode()
    return text[text.index("locals {") : text.index("  tags = {")]


def test_options_reach_the_generated_module(tmp_path: Path) -> None:
    files = build_tree(_project(tmp_path), TODAY).files
    assert _locals(files["main.tf"]).splitlines()[-12:] == [
        '  cis_controls       = "all"',
        f'  alarm_topic_arn    = "{TOPIC}"',
        "  insight_types      = []",
        "  existing_trail = {",
        f'    "arn"            = "{TRAIL}"',
        '    "log_group_name" = "aws-controltower/CloudTrailLogs"',
        "  }",
        "  object_lock = {",
        '    "mode" = "GOVERNANCE"',
        '    "days" = 400',
        "  }",
        '  access_log_bucket = "acme-baseline-access-logs"',
    ]


def test_the_diagram_names_the_existing_trail_and_topic(tmp_path: Path) -> None:
    access = build_tree(_project(tmp_path), TODAY).files["ACCESS.md"].decode()
    tag = "111122223333_us_east_1"
    assert [
        line
        for line in access.splitlines()
        if line.startswith(("  trail_", "  topic_")) and "[" in line
    ] == [
        f'  trail_{tag}["existing trail org-trail (byok audit checks its selectors)"]',
        f'  topic_{tag}["existing SNS topic baseline-alarms: 1 email(s) added"]',
    ]


@pytest.mark.terraform
def test_the_generated_root_validates(tmp_path: Path) -> None:
    project = _project(tmp_path)
    files = build_tree(project, TODAY).files
    generated = tmp_path / "generated"
    for name, body in files.items():
        (generated / name).parent.mkdir(parents=True, exist_ok=True)
        (generated / name).write_bytes(body)
    root = copy_root(tmp_path / "root", generated)
    env = tf_env(data_dir=tmp_path / "tfdata")
    init(root, env)
    proc = run_tf(["validate", "-json", "-no-color"], root, 120, env=env)
    assert json.loads(proc.stdout)["valid"], proc.stdout


def test_the_audit_expects_the_existing_trail_and_topic(tmp_path: Path) -> None:
    project = _project(tmp_path)
    build = build_tree(project, TODAY)
    (project / "generated").mkdir()
    for name, body in build.files.items():
        (project / "generated" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "generated" / name).write_bytes(body)
    exp = load_expected(project, TODAY, patterns=False)
    chain = exp.chains[("111122223333", "us-east-1")]
    assert (chain.trail_arn, chain.log_group, chain.topic_arn) == (
        TRAIL,
        "aws-controltower/CloudTrailLogs",
        TOPIC,
    )
    assert (chain.cis, chain.insight_types) == ("all", ())
    # no delivery role or trail log group of ours: the baseline's
    assert [r.name for r in chain.roles] == ["acme-slack-byok-logs"]
    assert [g.name for g in chain.log_groups] == ["/byok/acme/slack"]


def test_cost_counts_what_is_created(tmp_path: Path) -> None:
    roots = stacks.roots(build_tree(_project(tmp_path), TODAY).compiled)
    counted = cost.resources(roots)
    assert (counted.alarms, counted.insights, counted.own_trails) == (15 + 7, False, 0)
    lines = {x.item: x for x in cost.estimate(counted, 365, 1, cost.Assumptions())}
    assert lines["CloudTrail"].quantity == "an existing trail (trail.existing): not counted"
    assert "CloudTrail Insights" not in lines and "CloudTrail trail" not in lines


def test_stacks_create_their_own(tmp_path: Path) -> None:
    """An existing trail, topic or access-log bucket is the repository root's; a stack (another
    account) creates its own, and notifies `alarms.emails`."""
    project = _project(tmp_path)
    _with_stack(project, STACK)
    files = build_tree(project, TODAY).files
    stack = _locals(files["stacks/444455556666-eu-west-1/main.tf"]).splitlines()[-9:]
    assert stack == [
        '  cis_controls       = "all"',
        "  alarm_topic_arn    = null",
        "  insight_types      = []",
        "  existing_trail     = null",
        "  object_lock = {",
        '    "mode" = "GOVERNANCE"',
        '    "days" = 400',
        "  }",
        "  access_log_bucket = null",
    ]

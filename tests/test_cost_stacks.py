"""`byok cost` and ACCESS.md with stacks: each Terraform root (the repository root and every
stack) has its own trail, trail key, alarm path key and alarms, and the replicas and
material-expiry alarms of its keys. The counts come from what the renderers generate, and are
checked here against the generated files themselves."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from byok.cli.main import main
from byok.pipeline import build_tree
from byok.render import cost, stacks
from tests.conftest import REPO
from tests.test_stacks import STACK, _with_stack

ENTERPRISE = REPO / "examples" / "enterprise"
DAY = date(2026, 11, 23)


def _roots(generated: Path) -> list[Path]:
    return [generated, *sorted((generated / "stacks").glob("*"))]


def test_enterprise_counts_every_root_from_the_generated_files() -> None:
    counted = cost.resources(stacks.roots(build_tree(ENTERPRISE, DAY).compiled))
    assert counted == cost.Resources(
        vendor_keys=4,
        rotating_keys=6,
        replicas=4,
        expiring_keys=2,
        roots=2,
        accounts=2,
        alarms=28,  # each root: 7 CIS v3.0.0 (default set) + 7 key events (controls.json)
        own_trails=2,
        vendor_log_groups=2,  # Slack's, in each of the two roots that hold a Slack key
    )
    roots = _roots(ENTERPRISE / "generated")
    mains = [(r / "main.tf").read_text() for r in roots]
    assert counted.roots == len(roots) == sum(m.count('module "cloudtrail" {') for m in mains)
    assert counted.vendor_keys == sum(
        len(re.findall(r'(?m)^    "[a-z0-9-]+" = \{\n      "alias_name"', m)) for m in mains
    )
    assert counted.expiring_keys == sum(
        m.count('"imported_key_material"     = true') for m in mains
    )
    replicas = [r / "replicas.tf" for r in roots if (r / "replicas.tf").exists()]
    sets = [s for f in replicas for s in re.findall(r"toset\(\[(.*)\]\)", f.read_text())]
    assert counted.replicas == sum(len(s.split(", ")) for s in sets)


def test_enterprise_cost_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(ENTERPRISE), "cost", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(x["item"], x["quantity"], x["monthly"]) for x in doc["lines"]] == [
        ("KMS keys", "12 keys (4 replicas)", 12.0),  # 4 vendor, 2 x 2 trail/alarm, 4 replicas
        ("KMS rotation", "12 key versions (steady state: 2 per rotating key)", 12.0),
        ("KMS requests", "1,000,000 / month", pytest.approx(2.94)),
        ("CloudTrail trail", "2 trails: the first copy of management events in 2 account(s)", 0.0),
        ("CloudTrail Insights", "1,020,000 events analyzed", pytest.approx(3.57)),
        ("CloudWatch Logs ingestion", "1 GB / month", 0.5),
        (
            "CloudWatch Logs storage",
            "12.2 GB kept 365 days (uncompressed: upper bound)",
            pytest.approx(365 / 30 * 0.03),
        ),
        ("S3 log files", "12.2 GB in Standard (upper bound)", pytest.approx(365 / 30 * 0.023)),
        # the vendors' own log groups: 2 x 0.5 GB at $0.50, kept a year at $0.03
        ("Vendor log ingestion", "2 vendor log group(s) x 0.5 GB / month", 0.5),
        (
            "Vendor log storage",
            "12.2 GB kept 365 days (uncompressed: upper bound)",
            pytest.approx(365 / 30 * 0.03),
        ),
        # 2 roots x (7 CIS + 7 key events) + 2 material expiry
        ("CloudWatch alarms", "30 alarms", pytest.approx(3.0)),
        ("SNS email", "10 emails", 0.0),
    ]
    access = (ENTERPRISE / "generated" / "ACCESS.md").read_text()
    assert "| CloudWatch alarms | 30 alarms | 3.00 |\n" in access


def test_a_second_root_in_one_account_is_an_extra_trail_copy(project: Path) -> None:
    _with_stack(project, STACK.replace("444455556666", "111122223333"))
    counted = cost.resources(stacks.roots(build_tree(project, DAY, guard=False).compiled))
    assert (counted.roots, counted.accounts) == (2, 1)
    lines = cost.estimate(counted, 365, 1, cost.Assumptions())
    assert [(x.item, x.quantity, x.monthly) for x in lines if "CloudTrail" in x.item][:2] == [
        ("CloudTrail trail", "2 trails: the first copy of management events in 1 account(s)", 0.0),
        (
            "CloudTrail extra copies",
            "1 trail(s) beyond their account's first, each recording that account's events "
            "again: $2.00 per 100,000 management events, plus its Insights, CloudWatch Logs and "
            "S3 log files (not estimated)",
            0.0,
        ),
    ]


def test_a_render_divides_the_keys_into_roots_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """ACCESS.md's cost section counts the roots `render_all` has divided: `split` runs once."""
    from byok.render import tree

    built = build_tree(ENTERPRISE, DAY)
    real, calls = stacks.split, []

    def counted(c: Any) -> Any:
        calls.append(c)
        return real(c)

    monkeypatch.setattr(stacks, "split", counted)
    monkeypatch.setattr(tree, "split", counted)
    assert tree.render_all(built.compiled) == built.files
    assert len(calls) == 1

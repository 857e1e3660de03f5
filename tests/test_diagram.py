"""The Mermaid diagram at the top of ACCESS.md (issue 25): the keys of each account and Region
in one box with their state (suspended, decrypt-only, replaced, revocations, replicas,
imported material), the organization's principals with one edge each to the box (IAM
delegation, administrators, break-glass), each vendor principal's edge to its keys (dashed
when denied), and the trail/alarms/topic that watch the box. Readable at 20 keys: the edges
grow with the vendor edges only."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bench.synth import make_project
from byok.pipeline import build_tree
from byok.render.diagram import render_diagram
from tests.conftest import REPO

ENTERPRISE = REPO / "examples" / "enterprise"


def _block(text: str) -> list[str]:
    assert text.startswith("# Key access\n\n```mermaid\nflowchart LR\n")
    return text.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()


def test_diagram_of_the_shipped_example() -> None:
    lines = _block((REPO / "generated" / "ACCESS.md").read_text())
    keys = sorted(p.stem for p in (REPO / "generated" / "policies").glob("*.json"))
    nodes = [m.group(1) for line in lines if (m := re.match(r"    k_(\w+)\[", line))]
    assert nodes == [k.replace("-", "_") for k in keys]
    box = "keys_111122223333_us_east_1"
    assert lines[1] == f'  subgraph {box}["keys in account 111122223333, us-east-1"]'
    suspended = '    k_databricks_staging["databricks-staging<br/>SUSPENDED (SEC-140)"]:::suspended'
    assert suspended in lines
    assert (
        '    k_slack_prod["slack-prod<br/>2 channel value(s) revoked (SEC-123)<br/>'
        '1 workspace value(s) revoked (SEC-131)"]:::revoked'
    ) in lines
    # the organization's own principals: one edge each, to the box of keys
    assert (
        '  root_111122223333_us_east_1["account 111122223333: IAM policies"]',
        f'  root_111122223333_us_east_1 -.->|"IAM delegation: what IAM policies allow"| {box}',
        "  admins_111122223333_us_east_1"
        '["key administrators: role/KmsKeyAdministrators, role/SecurityEngineering"]',
        f'  admins_111122223333_us_east_1 -->|"manage, no cryptographic use"| {box}',
        '  bg_111122223333_us_east_1["break-glass: role/BreakGlassKms"]',
        '  bg_111122223333_us_east_1 ==>|"all but grants not for AWS resources and replicas '
        "outside the declared Regions; the only one that disables, deletes, imports material or "
        f'moves the primary Region"| {box}',
    ) == tuple(line for line in lines if re.match(r"  (root|admins|bg)_", line))
    assert '    p_slack_0["arn:aws:iam::152659312504:root"]' in lines
    assert '  p_slack_0 -->|"data-keys"| k_slack_prod' in lines
    assert (
        '  p_databricks_0 -.->|"suspended: managed-services, workspace-storage-grants, '
        'workspace-storage"| k_databricks_staging'
    ) in lines
    # the customer's own EBS roles (`party: customer`) are the organization's, but Databricks
    # assumes them: a suspension denies them too (issue 24), so their edges to the suspended key
    # are dashed and labelled, to the other key solid
    assert '  subgraph cv_databricks["your principals for Databricks"]' in lines
    assert '  c_databricks_0 -.->|"suspended: workspace-storage-ebs"| k_databricks_staging' in lines
    assert '  c_databricks_0 -->|"workspace-storage-ebs"| k_databricks_prod' in lines
    assert not any(line.startswith("  p_databricks") and "ebs" in line for line in lines)
    assert [line for line in lines if "trail" in line or "alarms" in line or "topic" in line] == [
        '  trail_111122223333_us_east_1["CloudTrail trail (every KMS API call)"]',
        '  alarms_111122223333_us_east_1["CloudWatch alarms (modules/key-alarms)"]',
        '  topic_111122223333_us_east_1["SNS topic: 2 email(s)"]',
        f"  {box} -.->|logged| trail_111122223333_us_east_1",
        "  trail_111122223333_us_east_1 --> alarms_111122223333_us_east_1",
        "  alarms_111122223333_us_east_1 --> topic_111122223333_us_east_1",
    ]


def test_diagram_shows_replicas_replacement_material_and_each_account() -> None:
    lines = _block((ENTERPRISE / "generated" / "ACCESS.md").read_text())
    assert (
        '    k_zoom_prod["zoom-prod<br/>DECRYPT-ONLY until 2027-02-28<br/>'
        'replaced by zoom-prod-g2 (SEC-310)<br/>replicas: eu-west-1, us-west-2"]:::decryptonly'
    ) in lines
    assert (
        '    k_zoom_prod_g2["zoom-prod-g2<br/>replaces zoom-prod<br/>'
        'replicas: eu-west-1, us-west-2"]'
    ) in lines
    assert '    k_slack_prod["slack-prod<br/>imported key material"]' in lines
    # the decrypt-only grace period denies Zoom all but kms:Decrypt: a dashed edge
    assert '  p_zoom_0 -.->|"decrypt only: key-usage"| k_zoom_prod' in lines
    assert '  p_zoom_0 -->|"key-usage"| k_zoom_prod_g2' in lines
    # the staging stack is another account and Region: a box of its own, with its own
    # administrators, break-glass and trail
    boxes = [line for line in lines if line.startswith("  subgraph keys_")]
    assert boxes == [
        '  subgraph keys_210987654321_us_east_1["keys in account 210987654321, us-east-1"]',
        '  subgraph keys_444455556666_eu_west_1["keys in account 444455556666, eu-west-1"]',
    ]
    assert "  keys_444455556666_eu_west_1 -.->|logged| trail_444455556666_eu_west_1" in lines


def test_diagram_stays_readable_at_twenty_keys(tmp_path: Path) -> None:
    make_project(tmp_path, keys=20, values=10)
    compiled = build_tree(tmp_path, date(2026, 11, 23)).compiled
    assert len(compiled.keys) == 20
    lines = render_diagram(compiled).splitlines()
    edges = [line for line in lines if re.search(r" (-->|-\.->|==>)", line)]
    vendor_edges = [line for line in edges if re.match(r"  [pc]_", line)]
    # besides one edge per vendor principal and key: 3 org edges and 3 watching edges
    assert len(edges) - len(vendor_edges) == 6
    assert len(vendor_edges) <= sum(len(ck.key.principals) + 1 for ck in compiled.keys)
    assert sum(1 for line in lines if re.match(r"    k_", line)) == 20
    assert max(len(line) for line in lines) < 400  # no label runs away


def test_diagram_without_break_glass_says_so(tmp_path: Path) -> None:
    compiled = build_tree(REPO, date(2026, 11, 23)).compiled
    org = compiled.resolved.org.model_copy(update={"break_glass": None})
    keys = tuple(
        ck.model_copy(update={"key": ck.key.model_copy(update={"org": org})})
        for ck in compiled.keys
    )
    lines = render_diagram(compiled.model_copy(update={"keys": keys})).splitlines()
    assert lines[2] == (
        '  subgraph keys_111122223333_us_east_1["keys in account 111122223333, us-east-1 '
        '(no break-glass: nobody may disable or delete)"]'
    )
    assert not any(line.startswith("  bg_") for line in lines)


def test_diagram_is_deterministic_and_escapes_labels(tmp_path: Path) -> None:
    compiled = build_tree(REPO, date(2026, 1, 1)).compiled
    assert render_diagram(compiled) == render_diagram(compiled)
    from byok.render.diagram import _label

    assert _label('a"b<c>&') == '"a#quot;b#lt;c#gt;#amp;"'


def test_a_disabled_key_is_marked_and_every_edge_to_it_dashed() -> None:
    """org.yaml `key_states` `enabled: false`: KMS refuses cryptographic use to everyone, so
    the key says DISABLED with its ticket and each principal's edge to it is dashed."""
    from byok.model.lifecycle import KeyState

    compiled = build_tree(REPO, date(2026, 11, 23)).compiled
    off = KeyState(environment="prod", enabled=False, reason="incident", ticket="SEC-300")
    keys = tuple(
        ck.model_copy(update={"key": ck.key.model_copy(update={"key_state": off})})
        if ck.key.name == "zoom-prod"
        else ck
        for ck in compiled.keys
    )
    lines = render_diagram(compiled.model_copy(update={"keys": keys})).splitlines()
    (node,) = [line for line in lines if line.startswith("    k_zoom_prod[")]
    assert node == '    k_zoom_prod["zoom-prod<br/>DISABLED (SEC-300)"]:::suspended'
    assert [line for line in lines if line.endswith(" k_zoom_prod")] == [
        '  p_zoom_0 -.->|"disabled: key-usage"| k_zoom_prod'
    ]

"""The Mermaid diagram at the top of ACCESS.md: every key, each vendor principal's edge to its
keys, suspensions and revocations marked, and the trail/alarms/topic that watch every key."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from byok.pipeline import build_tree
from byok.render.diagram import render_diagram
from tests.conftest import REPO


def _block(text: str) -> list[str]:
    assert text.startswith("# Key access\n\n```mermaid\nflowchart LR\n")
    return text.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()


def test_diagram_of_the_shipped_example() -> None:
    lines = _block((REPO / "generated" / "ACCESS.md").read_text())
    keys = sorted(p.stem for p in (REPO / "generated" / "policies").glob("*.json"))
    nodes = [m.group(1) for line in lines if (m := re.match(r"  k_(\w+)\[", line))]
    assert nodes == [k.replace("-", "_") for k in keys]
    assert (
        '  k_databricks_staging["databricks-staging<br/>SUSPENDED (SEC-140)"]:::suspended' in lines
    )
    assert (
        '  k_slack_prod["slack-prod<br/>2 channel value(s) revoked (SEC-123)<br/>'
        '1 workspace value(s) revoked (SEC-131)"]:::revoked'
    ) in lines
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
    for k in keys:
        assert f"  k_{k.replace('-', '_')} -.->|logged| trail" in lines
    assert lines[-4:-2] == ["  trail --> alarms", "  alarms --> topic"]
    assert '  topic["SNS topic: 2 email(s)"]' in lines


def test_diagram_is_deterministic_and_escapes_labels(tmp_path: Path) -> None:
    compiled = build_tree(REPO, date(2026, 1, 1)).compiled
    assert render_diagram(compiled) == render_diagram(compiled)
    from byok.render.diagram import _label

    assert _label('a"b<c>&') == '"a#quot;b#lt;c#gt;#amp;"'

"""`byok vendors`: every vendor available to a project (shipped and local), with each fact's
verified status, and a local file replacing a shipped one of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest

from byok.cli import main as cli


def test_vendors_lists_facts_and_local_overrides(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zoom = project / "vendors" / "zoom.yaml"
    zoom.write_text(zoom.read_text().replace("display_name: Zoom", "display_name: Zoom (ours)"))
    (project / "vendors" / "slack.yaml").unlink()  # the shipped slack remains available
    assert cli.main(["vendors", "-C", str(project)]) == 0
    out = capsys.readouterr().out.splitlines()
    zoom_line = next(line for line in out if line.startswith("zoom: "))
    assert zoom_line.startswith("zoom: Zoom (ours) (") and zoom_line.endswith(
        ", local vendors/zoom.yaml"
    )
    slack = out.index(next(line for line in out if line.startswith("slack: ")))
    assert " shipped " in out[slack]
    assert out[slack + 1 : slack + 17] == [
        "  4/15 facts verified",
        "    UNVERIFIED principal `arn:aws:iam::152659312504:root`",
        "    UNVERIFIED grant `data-keys`",
        "    UNVERIFIED key requirements",
        "    UNVERIFIED kill switch",
        "    UNVERIFIED revocation scope `organization` (org_id)",
        "    UNVERIFIED revocation scope `workspace` (workspace_id)",
        "    UNVERIFIED revocation scope `channel` (channel_id)",
        "    UNVERIFIED revocation scope `file` (file_id)",
        "    UNVERIFIED revocation scope `time` (hour)",
        "    UNVERIFIED logging role",
        "    verified   revocation takes effect",
        "    verified   data-key caching",
        "    UNVERIFIED restore after revocation",
        "    verified   not covered: member profiles, channel names and topics, file names and "
        "channel membership",
        "    verified   not covered: Slackbot messages, analytics, and IDs (of workspaces, "
        "channels, users, files)",
    ]

"""The "adopt it" snippet of `byok audit` compiles when pasted (issue 24: it dropped
`unconfirmed_context_key`, so the pasted revocation failed E325, and its `<TICKET>` placeholder
failed the ticket pattern). Pasted where its first line says, into a copy of the project, then
`byok generate` must pass and the key policy must deny the adopted value."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from byok.cli.main import main
from byok.live.audit import policy_finding
from byok.live.expected import load_expected
from byok.policy import iam
from byok.policy.evaluate import Request, evaluate
from tests.conftest import copy_inputs

TODAY = date(2026, 11, 23)
ACCOUNT = "111122223333"
SLACK = "arn:aws:iam::152659312504:root"


def _narrowed(project: Path, key: str, value: str) -> tuple[str, dict[str, Any]]:
    """The snippet for `value` revoked out of band on `key`'s live policy (a Deny as the console
    edit of seed 000 adds it), and the deployed policy."""
    exp = load_expected(project, TODAY, patterns=False)
    spec = exp.keys[key]
    doc = copy.deepcopy(spec.policy.to_json())
    doc["Statement"].append(
        {
            "Sid": "EmergencyRevoke",
            "Effect": "Deny",
            "Principal": {"AWS": SLACK},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:channel_id": value}},
        }
    )
    finding = policy_finding(spec, doc, ACCOUNT)
    assert finding.severity == "finding", finding
    snippet: str = finding.detail["adopt"]
    return snippet, doc


def _paste(org: Path, snippet: str, after: str) -> None:
    """Paste the snippet's lines right after the first line of org.yaml that is `after`."""
    lines = org.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.rstrip("\n") == after) + 1
    org.write_text("".join([*lines[:at], snippet + "\n", *lines[at:]]))


def _generate(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["-C", str(project), "generate"])
    return code, capsys.readouterr().err


def _denied(project: Path, key: str, value: str) -> bool:
    doc = json.loads((project / "generated" / "policies" / f"{key}.json").read_text())
    req = Request(
        principal=SLACK,
        action="kms:Decrypt",
        context={"kms:EncryptionContext:channel_id": value},
    )
    return evaluate(iam.Policy.from_json(doc), req, ACCOUNT).reason == "explicit_deny"


def test_snippet_pasted_under_revocations_compiles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYOK_TODAY", TODAY.isoformat())
    project = copy_inputs(tmp_path / "p")
    snippet, _ = _narrowed(project, "slack-prod", "C0555TAMPR")
    assert snippet.splitlines()[0] == "# org.yaml, under the app `vendor: slack`, in `revocations:`"
    assert not _denied(project, "slack-prod", "C0555TAMPR")
    _paste(project / "org.yaml", snippet, "    revocations:")
    code, err = _generate(project, capsys)
    assert code == 0, err
    assert _denied(project, "slack-prod", "C0555TAMPR")
    # adopted: the live policy is now what generated/ says (nothing for the next apply to revert)
    assert not _denied(project, "slack-sandbox", "C0555TAMPR")


def test_snippet_for_an_app_without_revocations_brings_its_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app with no `revocations:` yet: the snippet starts with the key, at the app's indent."""
    monkeypatch.setenv("BYOK_TODAY", TODAY.isoformat())
    project = copy_inputs(tmp_path / "p")
    org = project / "org.yaml"
    text = org.read_text()
    head, tail = text.split("    revocations:\n", 1)
    tail = tail[tail.index("\n  - vendor: zoom") :]
    org.write_text(head + "\n" + tail[1:])
    assert _generate(project, capsys)[0] == 0, "the project without Slack revocations compiles"
    snippet, _ = _narrowed(project, "slack-prod", "C0555TAMPR")
    assert snippet.splitlines()[:2] == [
        "# org.yaml, under the app `vendor: slack`, among its keys",
        "    revocations:",
    ]
    _paste(org, snippet, "      external_id: acme-slack-ekm-7Q2W9")
    code, err = _generate(project, capsys)
    assert code == 0, err
    assert _denied(project, "slack-prod", "C0555TAMPR")

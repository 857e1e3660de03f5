"""Rough edges a first-hour user hits (issue 15): each with the exact message."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from byok.cli import main as cli


def test_eval_refuses_a_misspelt_kms_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kms:Decrpyt` is no KMS action (https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html):
    deciding it would print `implicit_deny` as if the policy denied Decrypt."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*",
             "Resource": "*"}
        ],
    }  # fmt: skip
    (tmp_path / "p.json").write_text(json.dumps(policy))
    req = tmp_path / "r.json"
    req.write_text(json.dumps({"principal": "arn:aws:iam::111122223333:root",
                               "action": "kms:Decrpyt"}))  # fmt: skip
    assert cli.main(["eval", str(tmp_path / "p.json"), str(req)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        f"byok: error: {req}: `kms:Decrpyt` is not a KMS action; did you mean `kms:Decrypt`? "
        '(for an action AWS may add later, set `"future_action": true`)\n'
    )
    # a real action in any case is judged; an action of another service is judged too
    for action in ("kms:decrypt", "s3:GetObject"):
        req.write_text(json.dumps({"principal": "arn:aws:iam::111122223333:root",
                                   "action": action}))  # fmt: skip
        assert cli.main(["eval", str(tmp_path / "p.json"), str(req)]) == 0
        capsys.readouterr()


def _scaffold(tmp_path: Path) -> Path:
    org = tmp_path / "org"
    assert cli.main(["init", str(org)]) == 0
    assert cli.main(["-C", str(org), "generate"]) == 0
    return org


def test_diff_outside_git_and_before_the_first_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = _scaffold(tmp_path)
    capsys.readouterr()
    assert cli.main(["-C", str(org), "diff"]) == 1
    assert capsys.readouterr().err == (
        f"byok: error: cannot read the base at `HEAD`: `{org.resolve()}` is not in a git "
        "repository: `byok diff` compares the working tree with a commit (git init, then "
        "commit the reviewed state)\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=org, check=True)
    assert cli.main(["-C", str(org), "diff"]) == 1
    assert capsys.readouterr().err == (
        "byok: error: cannot read the base at `HEAD`: the repository has no commits yet, so "
        "there is nothing to compare with: commit the reviewed state first "
        "(git add -A && git commit)\n"
    )


def test_access_md_keeps_code_spans_in_the_unverified_facts_line() -> None:
    access = (Path(__file__).parent.parent / "generated" / "ACCESS.md").read_text()
    assert (
        "**Unverified vendor facts in use** (confirm with the vendor): principal "
        "`arn:aws:iam::152659312504:root`; grant `data-keys`; revocation scope `channel` "
        "(context key `channel_id`); revocation scope `workspace` (context key `workspace_id`)."
    ) in access
    assert "\\`" not in access


def test_handoff_gives_runnable_commands_and_does_not_send_the_external_id() -> None:
    """The ExternalId is what the vendor presents in sts:AssumeRole, checked by the role's trust
    policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html)."""
    text = (Path(__file__).parent.parent / "generated" / "handoff" / "slack-prod.md").read_text()
    assert "- key ARN: `terraform output -json handoff | jq -r '.[\"slack-prod\"].key_arn'`" in text
    assert "Do not send the ExternalId: Slack presents it when it assumes the logging role" in text
    assert 'handoff["slack-prod"]' not in text

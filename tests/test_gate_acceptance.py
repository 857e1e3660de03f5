"""Acceptance tests for the review gate and safety issues (11, 12), written from the issues'
"Done when" alone, independently of the implementation: every bypass is tried through the
command line, as a careless or malicious contributor would.

AWS references:
- same-account principals named in a key policy need no IAM policy, account-root delegation
  does: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
- role ARNs match their sessions:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import byok, edit


@pytest.mark.parametrize(
    ("old", "new", "who"),
    [
        (  # the break-glass role swapped
            "break_glass: arn:aws:iam::111122223333:role/BreakGlassKms",
            "break_glass: arn:aws:iam::111122223333:role/Attacker",
            "role/Attacker",
        ),
        (  # a key administrator added
            "  - arn:aws:iam::111122223333:role/SecurityEngineering\n",
            "  - arn:aws:iam::111122223333:role/SecurityEngineering\n"
            "  - arn:aws:iam::111122223333:role/NewAdmin\n",
            "role/NewAdmin",
        ),
    ],
)
def test_a_new_principal_is_new_access(repo: Path, old: str, new: str, who: str) -> None:
    edit(repo / "org.yaml", old, new)
    assert byok(repo, "generate").returncode == 0
    res = byok(repo, "diff")
    assert res.returncode == 3, res.stdout + res.stderr
    assert who in res.stdout


def test_hand_edit_of_generated_policy_never_passes(repo: Path) -> None:
    path = repo / "generated" / "policies" / "slack-prod.json"
    doc = json.loads(path.read_text())
    doc["Statement"] = [s for s in doc["Statement"] if not s["Sid"].startswith("Revoke")]
    path.write_text(json.dumps(doc, indent=2) + "\n")
    res = byok(repo, "diff")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "no access changes" not in res.stdout
    assert "E323" in res.stderr and "generated/policies/slack-prod.json" in res.stderr


def test_removing_an_app_is_refused_without_decommission(repo: Path) -> None:
    text = (repo / "org.yaml").read_text()
    start, end = text.index("  - vendor: zoom"), text.index("  - vendor: databricks")
    (repo / "org.yaml").write_text(text[:start] + text[end:])
    before = {p.name: p.read_bytes() for p in (repo / "generated").rglob("*") if p.is_file()}
    gen = byok(repo, "generate")
    assert gen.returncode == 1, gen.stdout + gen.stderr
    assert gen.stderr.startswith("org.yaml:") and "zoom-prod" in gen.stderr
    after = {p.name: p.read_bytes() for p in (repo / "generated").rglob("*") if p.is_file()}
    assert before == after
    res = byok(repo, "diff")
    assert res.returncode not in (0, 3), res.stdout + res.stderr


def _policy(tmp_path: Path, name: str, statements: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return path


def _statement(sid: str, effect: str, principal: object, action: str) -> dict[str, object]:
    return {"Sid": sid, "Effect": effect, "Principal": principal, "Action": action, "Resource": "*"}


ROOT = _statement("Root", "Allow", {"AWS": "arn:aws:iam::111122223333:root"}, "kms:*")


def test_actions_outside_the_catalog_are_compared(tmp_path: Path) -> None:
    deny = _statement("D", "Deny", "*", "kms:SynchronizeMultiRegionKey")
    old = _policy(tmp_path, "old.json", [ROOT, deny])
    new = _policy(tmp_path, "new.json", [ROOT])
    res = byok(tmp_path, "compare", str(old), str(new), "--fail-on-wider")
    assert res.returncode == 3, res.stdout + res.stderr
    assert json.loads(res.stdout)["relation"] != "equivalent"


def test_undocumented_construct_makes_compare_unknown(tmp_path: Path) -> None:
    allow = {
        **_statement("V", "Allow", {"AWS": "arn:aws:iam::152659312504:root"}, "kms:Decrypt"),
        "Condition": {"ForAnyValue:StringEqualsIfExists": {"aws:PrincipalTag/team": ["a"]}},
    }
    old = _policy(tmp_path, "old.json", [ROOT])
    new = _policy(tmp_path, "new.json", [ROOT, allow])
    res = byok(tmp_path, "compare", str(old), str(new))
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert doc["relation"] == "unknown" and "IfExists" in doc["reason"], doc
    # a gate that cannot rule out new access fails closed
    assert byok(tmp_path, "compare", str(old), str(new), "--fail-on-wider").returncode == 3


def test_role_arn_matches_its_sessions(tmp_path: Path) -> None:
    box = {"AWS": "arn:aws:iam::999988887777:role/path/BoxKeySafe"}
    allow = _statement("V", "Allow", box, "kms:Decrypt")
    policy = _policy(tmp_path, "p.json", [ROOT, allow])
    req = tmp_path / "r.json"
    req.write_text(
        json.dumps(
            {
                "principal": "arn:aws:sts::999988887777:assumed-role/BoxKeySafe/s1",
                "action": "kms:Decrypt",
            }
        )
    )
    res = byok(tmp_path, "eval", str(policy), str(req))
    assert json.loads(res.stdout)["decision"] == "allow", res.stdout + res.stderr

"""Key replacement (`replacements:`), one org.yaml change per step, each reviewed with
`byok diff` against the previous commit: new key beside the old one (new access, exit 3),
the old key decrypt-only for a grace period (narrower, exit 0), then its decommission (exit 0).

A key policy Deny overrides any Allow, so the DecryptOnly statement removes every other data
action: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from byok.compile.keys import decrypt_only_denied
from byok.diagnostics import CompileError
from byok.pipeline import build_tree
from byok.policy.evaluate import Request, evaluate
from byok.verify.replacements import decrypt_only
from tests.conftest import byok, default_base, edit, git
from tests.test_golden import TODAY

ZOOM = "arn:aws:iam::409910850980:root"
ANCHOR = "      deletion_window_days: 30\n"  # the end of the Zoom app's key options
STEP1 = (
    ANCHOR + "    replacements:\n      - environment: prod\n        generation: 2\n"
    "        reason: manual rotation of the Zoom key\n        ticket: SEC-210\n"
)
GRACE = "        ticket: SEC-210\n"
STEP2 = GRACE + "        decrypt_only_until: 2027-01-31\n"
STEP3 = (
    "\ndecommissions:\n  - key: zoom-prod\n    reason: replaced by zoom-prod-g2\n"
    "    ticket: SEC-211\n    vendor_confirmed: 2026-11-20\n"
)


def review(project: Path) -> subprocess.CompletedProcess[str]:
    """`byok generate`, then `byok diff` against the last commit."""
    gen = byok(project, "generate")
    assert gen.returncode == 0, gen.stderr
    proc = byok(project, "diff")
    assert proc.stdout.startswith(default_base(project)), proc.stdout  # the previous commit
    return proc


def commit(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-qm", message)


def test_each_step_is_one_reviewable_change(repo: Path) -> None:
    org = repo / "org.yaml"
    edit(org, ANCHOR, STEP1)
    proc = review(repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[1] == (
        "zoom-prod-g2: NEW ACCESS: new key for Zoom (409910850980), prod"
    )
    assert "zoom-prod:" not in proc.stdout  # the old key is unchanged
    commit(repo, "step 1")
    handoff = (repo / "generated/handoff/zoom-prod-g2.md").read_text()
    assert "- key alias: `alias/acme-zoom-prod-g2`\n" in handoff
    assert "- replaces `zoom-prod`: register this new key ARN with the vendor" in handoff
    old = (repo / "generated/handoff/zoom-prod.md").read_text()
    assert "- being replaced by `zoom-prod-g2` (SEC-210): full access until the grace" in old

    edit(org, GRACE, STEP2)
    proc = review(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[1:] == [
        "zoom-prod: Zoom (409910850980) loses kms:Encrypt, kms:GenerateDataKey, "
        "kms:GenerateDataKeyPair, kms:GenerateDataKeyPairWithoutPlaintext, "
        "kms:GenerateDataKeyWithoutPlaintext entirely (decrypt-only)"
    ]
    commit(repo, "step 2")
    old = (repo / "generated/handoff/zoom-prod.md").read_text()
    assert "(SEC-210): decrypt-only until 2027-01-31, then decommissioned" in old

    org.write_text(org.read_text() + STEP3)
    proc = review(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[1].startswith(
        "zoom-prod: decommissioned (SEC-211: replaced by zoom-prod-g2; "
    )
    commit(repo, "step 3")
    assert sorted(p.stem for p in (repo / "generated/policies").glob("zoom-*")) == ["zoom-prod-g2"]


def _project(project: Path, *steps: tuple[str, str]) -> Path:
    org = project / "org.yaml"
    for old, new in steps:
        edit(org, old, new)
    return project


def test_decrypt_only_key_keeps_decrypt_and_loses_the_rest(project: Path) -> None:
    result = build_tree(_project(project, (ANCHOR, STEP1), (GRACE, STEP2)), TODAY)
    (old,) = [ck for ck in result.compiled.keys if ck.key.name == "zoom-prod"]
    (new,) = [ck for ck in result.compiled.keys if ck.key.name == "zoom-prod-g2"]
    account = old.key.org.account_id
    for action in ("kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"):
        req = Request(principal=ZOOM, action=action)
        assert evaluate(old.policy, req, account).reason == "explicit_deny"
        assert evaluate(new.policy, req, account).decision == "allow_if_iam"  # cross-account
    dec = Request(principal=ZOOM, action="kms:Decrypt")
    assert evaluate(old.policy, dec, account).decision == "allow_if_iam"
    assert list(decrypt_only(old)) == []
    summary = result.files["ACCESS.md"].decode()
    assert "zoom-prod-g2" in summary
    policy = json.loads(result.files["policies/zoom-prod.json"])
    (stmt,) = [s for s in policy["Statement"] if s["Sid"] == "DecryptOnlyZoom"]
    assert stmt["Effect"] == "Deny" and "kms:Decrypt" not in stmt["Action"]


def test_decrypt_only_check_fails_closed_on_a_missing_deny(project: Path) -> None:
    result = build_tree(_project(project, (ANCHOR, STEP1), (GRACE, STEP2)), TODAY)
    (old,) = [ck for ck in result.compiled.keys if ck.key.name == "zoom-prod"]
    weakened = old.model_copy(update={"policy": old.base_policy})
    found = [d.render().split(": E531 ")[1] for d in decrypt_only(weakened)]
    assert found[0] == (
        f"key `zoom-prod` is decrypt-only but `{ZOOM}` may call `kms:Encrypt` (cross_account)"
    )
    assert len(found) == 5


def test_denied_actions_are_the_revocation_actions_but_decrypt() -> None:
    assert decrypt_only_denied(["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*"]) == (
        "kms:Encrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    )


def _errors(project: Path) -> list[str]:
    with pytest.raises(CompileError) as err:
        build_tree(project, TODAY)
    return [d.render() for d in err.value.diagnostics]


def _line(project: Path, needle: str) -> int:
    text = (project / "org.yaml").read_text()
    return text[: text.index(needle)].count("\n") + 1


def test_unknown_environment_is_refused(project: Path) -> None:
    _project(project, (ANCHOR, STEP1.replace("environment: prod", "environment: dev")))
    line = _line(project, "environment: dev")
    assert _errors(project) == [
        f"org.yaml:{line}:22: E345 replacement of environment `dev`, which the app does not list"
    ]


def test_generations_must_start_at_two(project: Path) -> None:
    _project(project, (ANCHOR, STEP1.replace("generation: 2", "generation: 3")))
    line = _line(project, "generation: 3")
    assert _errors(project) == [
        f"org.yaml:{line}:21: E346 replacement generations of `prod` must be 2, 3, ... each "
        "once; got 3"
    ]


def test_grace_period_over_warns_until_decommissioned(project: Path) -> None:
    _project(project, (ANCHOR, STEP1), (GRACE, GRACE + "        decrypt_only_until: 2026-11-01\n"))
    line = _line(project, "decrypt_only_until")
    (warning,) = [w.render() for w in build_tree(project, TODAY).warnings if w.code == "W110"]
    assert warning == (
        f"org.yaml:{line}:29: W110 grace period of `zoom-prod` ended on 2026-11-01: decommission "
        "it\n  help: once the vendor confirms re-encryption, add it under `decommissions:` "
        '(README, "Replacing a key")'
    )
    (project / "org.yaml").write_text((project / "org.yaml").read_text() + STEP3)
    assert [w for w in build_tree(project, TODAY).warnings if w.code == "W110"] == []

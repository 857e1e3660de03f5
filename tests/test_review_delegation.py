"""Delegated → direct access is new access: the review gate sees a principal of the key's own
account become named in the key policy (issue 11, item 1).

AWS: a key-policy statement naming the account root only enables IAM policies; a principal of
the account it alone lets in still needs an IAM policy, while one the key policy names directly
needs none
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html).
So swapping `break_glass` to another role of the account, or adding a key administrator,
hands that role access it did not have.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from byok.policy.compare import compare
from byok.policy.evaluate import Request, evaluate
from byok.policy.iam import Policy
from tests.conftest import byok
from tests.test_review import _edit

ACCT = "111122223333"
ATTACKER = f"arn:aws:iam::{ACCT}:role/Attacker"
BREAK_GLASS = f"break_glass: arn:aws:iam::{ACCT}:role/BreakGlassKms"
ADMINS = f"key_administrators:\n  - arn:aws:iam::{ACCT}:role/KmsKeyAdministrators\n"


def _policies(project: Path, key: str) -> tuple[Policy, Policy]:
    """(committed policy at HEAD, freshly generated policy) for one key."""
    old = subprocess.run(
        ["git", "-C", str(project), "show", f"HEAD:generated/policies/{key}.json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    res = byok(project, "generate")
    assert res.returncode == 0, res.stderr
    new = (project / "generated" / "policies" / f"{key}.json").read_text()
    return Policy.from_json(json.loads(old)), Policy.from_json(json.loads(new))


def _assert_new_direct_access(old: Policy, new: Policy, principal: str) -> None:
    result = compare(old, new, ACCT)
    assert result.relation in ("wider", "incomparable"), result
    w = result.new_access
    assert w is not None and w.principal == principal, result
    assert evaluate(old, w, ACCT).decision == "allow_if_iam"
    assert evaluate(new, w, ACCT).decision == "allow"
    # Without the key account every principal counts as the key's own: still new access.
    assert compare(old, new).new_access is not None


def test_break_glass_swap_is_new_access(repo: Path) -> None:
    _edit(repo, BREAK_GLASS, f"break_glass: {ATTACKER}")
    res = byok(repo, "diff", "--format", "json")
    assert res.returncode == 3, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    changed = [k for k in doc["keys"] if k["status"] != "unchanged"]
    assert changed and all(k["widens"] for k in changed)
    assert {k["new_access"]["principal"] for k in changed} == {ATTACKER}
    _assert_new_direct_access(*_policies(repo, "slack-prod"), ATTACKER)


def test_new_key_administrator_is_new_access(repo: Path) -> None:
    _edit(repo, ADMINS, ADMINS + f"  - {ATTACKER}\n")
    res = byok(repo, "diff")
    assert res.returncode == 3, res.stdout + res.stderr
    assert "NEW ACCESS in slack-prod" in res.stdout
    old, new = _policies(repo, "slack-prod")
    _assert_new_direct_access(old, new, ATTACKER)
    # What the administrator gains is management, by the key policy alone.
    w = compare(old, new, ACCT).new_access
    assert w is not None and w.action != "kms:Decrypt"


def test_break_glass_session_is_named_directly(repo: Path) -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-role-session
    _, policy = _policies(repo, "slack-prod")
    session = Request(
        principal=f"arn:aws:sts::{ACCT}:assumed-role/BreakGlassKms/oncall", action="kms:Decrypt"
    )
    assert evaluate(policy, session, ACCT).decision == "allow"
    other = session.model_copy(update={"principal": f"arn:aws:sts::{ACCT}:assumed-role/X/s"})
    assert evaluate(policy, other, ACCT).reason == "delegated"

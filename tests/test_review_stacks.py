"""`byok diff` with stacks: a key's identity is its account, Region and name. Moving an
environment to another stack destroys the key in one Terraform root and creates a new one in
another, so it passes the removal gate like a removed key (exit 4 unless decommissioned)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import GIT_ENV, default_base
from tests.conftest import byok as _run
from tests.test_review import _edit

STACK = """stacks:
  - account_id: "444455556666"
    region: eu-west-1
    environments: [staging]
    key_administrators: [arn:aws:iam::444455556666:role/KmsAdmins]

apps:
"""
WHO = "Databricks (414351767826)"
NEW_KEY = f"databricks-staging: NEW ACCESS: new key for {WHO}, staging"


def _commit(project: Path) -> None:
    env = {**os.environ, **GIT_ENV}
    for cmd in (["add", "-A"], ["commit", "-qm", "stack"]):
        subprocess.run(["git", "-C", str(project), *cmd], check=True, env=env)


def _witness_free(stdout: str) -> list[str]:
    """The lines after the base line and before the first block of explanations (witnesses
    are tested elsewhere)."""
    assert stdout.startswith("base: "), stdout
    return stdout.split("\n\n", 1)[0].splitlines()[1:]


def test_moving_an_environment_to_a_stack_is_a_key_deletion(repo: Path) -> None:
    _edit(repo, "apps:\n", STACK)
    res = _run(repo, "diff")
    assert res.returncode == 4, res.stdout + res.stderr
    assert _witness_free(res.stdout) == [
        "databricks-staging: KEY DELETION: moved from account 111122223333/Region us-east-1 to "
        "account 444455556666/Region eu-west-1: Terraform destroys the old key (the root of "
        "account 111122223333/Region us-east-1 no longer lists it) and creates a new one in "
        f"account 444455556666/Region eu-west-1; everything {WHO} encrypted under the old key "
        "needs the old key, which leaves generated/ without a decommission in org.yaml "
        "(Terraform's plan refuses: prevent_destroy)",
        NEW_KEY,
    ]
    assert (
        "\n\nKEY DELETION of databricks-staging: keep its environment in account "
        "111122223333/Region us-east-1, or declare `decommissions: [{key: databricks-staging, "
        'account_id: "111122223333", region: us-east-1, reason: ..., ticket: ..., '
        "vendor_confirmed: YYYY-MM-DD}]` in org.yaml once the vendor has confirmed\n"
    ) in res.stdout
    # the stack's own CloudTrail delivery role is new access, worded by its trust policy
    assert (
        "NEW ACCESS: new IAM role `acme-byok-cloudtrail-cloudwatch-logs` (assumed by "
        "cloudtrail.amazonaws.com) may logs:"
    ) in res.stdout
    # the new root's roles are new access (the deployment block), then the other changes
    assert "\nother changes (no access, data or monitoring at stake):\n" in res.stdout
    # the stack's own root: its trail (and all it needs) is new, nothing of the root's goes
    assert (
        "  created: CloudTrail trail `acme-byok` (account 444455556666/Region eu-west-1)\n"
    ) in res.stdout
    assert "DESTROYED" not in res.stdout
    assert _run(repo, "diff", "--allow-widening").returncode == 4  # never waived


DECOMMISSION = """decommissions:
  - key: databricks-staging
    account_id: "111122223333"
    region: us-east-1
    reason: moved to the staging account
    ticket: SEC-400
    vendor_confirmed: 2026-11-20

"""


def test_a_decommission_naming_the_old_account_covers_the_move(repo: Path) -> None:
    _edit(repo, "apps:\n", DECOMMISSION + STACK)
    res = _run(repo, "diff", "--allow-widening")
    assert res.returncode == 0, res.stdout + res.stderr
    assert _witness_free(res.stdout) == [
        "databricks-staging: decommissioned (SEC-400: moved to the staging account; "
        f"{WHO} confirmed re-encryption or deletion on 2026-11-20): moved from account "
        "111122223333/Region us-east-1 to account 444455556666/Region eu-west-1: Terraform "
        "destroys the old key (the root of account 111122223333/Region us-east-1 no longer "
        "lists it) and creates a new one in account 444455556666/Region eu-west-1; delete the "
        'old key with the break-glass runbook (README, "Decommissioning a key")',
        NEW_KEY,
    ]
    assert _run(repo, "diff").returncode == 3  # the new key is new access
    access = (repo / "generated" / "ACCESS.md").read_text()
    assert access.endswith(
        "- `databricks-staging` (left behind in account 111122223333, Region us-east-1 when it "
        "moved): SEC-400: moved to the staging account; the vendor confirmed re-encryption or "
        "deletion on 2026-11-20\n"
    )


def test_a_decommission_of_another_place_does_not_cover_the_move(repo: Path) -> None:
    _edit(repo, "apps:\n", DECOMMISSION.replace("us-east-1", "us-west-2") + STACK)
    res = _run(repo, "diff", "--allow-widening")
    assert res.returncode == 4, res.stdout + res.stderr
    assert _witness_free(res.stdout)[0].startswith("databricks-staging: KEY DELETION: moved")


def test_a_stack_that_changes_region_leaves_its_old_key_unmanaged(repo: Path) -> None:
    _edit(repo, "apps:\n", STACK)
    _commit(repo)
    assert _run(repo, "diff", "--base", "HEAD").returncode == 0
    _edit(repo, "region: eu-west-1", "region: eu-central-1")
    res = _run(repo, "diff")
    assert res.returncode == 4, res.stdout + res.stderr
    assert _witness_free(res.stdout) == [
        "databricks-staging: KEY DELETION: moved from account 444455556666/Region eu-west-1 to "
        "account 444455556666/Region eu-central-1: no root of generated/ manages account "
        "444455556666/Region eu-west-1 any more, so Terraform leaves the old key there "
        "unmanaged and creates a new one in account 444455556666/Region eu-central-1; "
        f"everything {WHO} encrypted under the old key needs the old key, which leaves "
        "generated/ without a decommission in org.yaml",
        NEW_KEY,
    ]


def test_a_move_is_destructive_before_generate_too(repo: Path) -> None:
    org = repo / "org.yaml"
    org.write_text(org.read_text().replace("apps:\n", STACK, 1))
    res = _run(repo, "diff")
    assert (res.returncode, res.stderr) == (4, "byok: generated/ is also stale (`byok generate`)\n")
    assert res.stdout.startswith(
        default_base(repo) + "databricks-staging: KEY DELETION: moved from account "
    )


def test_a_decommission_naming_where_the_key_still_is_is_refused(repo: Path) -> None:
    org = repo / "org.yaml"
    text = org.read_text()
    org.write_text(text.replace("apps:\n", DECOMMISSION + "apps:\n", 1))
    line = text[: text.index("apps:\n")].count("\n") + 2  # the decommission's `key`
    res = _run(repo, "generate")
    assert (res.returncode, res.stderr) == (
        1,
        f"org.yaml:{line}:10: E321 key `databricks-staging` is decommissioned but an app still "
        "produces it\n  help: remove the environment (or the app) that produces it, or drop the "
        "decommission\n",
    )


def test_a_new_key_in_a_stack_is_new_not_moved(repo: Path) -> None:
    """A key the base never had has no old place: a new environment in a stack is a new key
    (before `generate`, the stale tree is the finding; no crash)."""
    _edit(repo, "apps:\n", STACK)
    _commit(repo)
    org = repo / "org.yaml"
    text = org.read_text().replace("environments: [staging]", "environments: [staging, dev]", 1)
    org.write_text(
        text.replace("environments: [prod, staging]", "environments: [prod, staging, dev]", 1)
    )
    res = _run(repo, "diff", "--base", "HEAD")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.endswith("byok: generated/ is stale: run `byok generate`, then review\n")
    assert _run(repo, "generate").returncode == 0
    res = _run(repo, "diff", "--base", "HEAD")
    assert res.returncode == 3, res.stdout + res.stderr
    assert "databricks-dev: NEW ACCESS: new key for" in res.stdout
    assert "KEY DELETION" not in res.stdout

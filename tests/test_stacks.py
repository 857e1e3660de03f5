"""Several accounts (`stacks:`): an environment's keys move to their own Terraform root under
`generated/stacks/<account>-<region>/`, with that account in their key policy (AccountRoot),
while the shipped single-account layout is unchanged (test_golden.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from byok.diagnostics import CompileError
from byok.pipeline import build_tree
from tests.test_golden import TODAY

STACK = """stacks:
  - account_id: "444455556666"
    region: eu-west-1
    environments: [staging]
    key_administrators: [arn:aws:iam::444455556666:role/KmsAdmins]
"""


def _with_stack(project: Path, stack: str = STACK) -> None:
    org = project / "org.yaml"
    org.write_text(org.read_text().replace("apps:\n", stack + "\napps:\n", 1))


def test_staging_moves_to_its_own_stack(project: Path) -> None:
    _with_stack(project)
    files = build_tree(project, TODAY).files
    sid = "stacks/444455556666-eu-west-1/"
    main = files[f"{sid}main.tf"].decode()
    assert '"databricks-staging" = {' in main and '"databricks-prod" = {' not in main
    assert '  account_id         = "444455556666"\n  region             = "eu-west-1"\n' in main
    assert '"databricks-staging" = {' not in files["main.tf"].decode()
    policy = json.loads(files["policies/databricks-staging.json"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert (
        files["organization.json"]
        == b'{\n  "account_id": "111122223333",\n  "region": "us-east-1"\n}\n'
    )
    assert b"name: 444455556666-eu-west-1" in files["atlantis.yaml"]


def _errors(project: Path) -> list[str]:
    with pytest.raises(CompileError) as err:
        build_tree(project, TODAY)
    return [d.render() for d in err.value.diagnostics]


def _stacks_line(project: Path) -> int:
    text = (project / "org.yaml").read_text()
    return text[: text.index("stacks:")].count("\n") + 2


def test_the_org_account_and_region_is_not_a_stack(project: Path) -> None:
    _with_stack(
        project, STACK.replace("444455556666", "111122223333").replace("eu-west-1", "us-east-1")
    )
    line = _stacks_line(project)
    assert _errors(project) == [
        f"org.yaml:{line}:5: E347 stack `111122223333-us-east-1` is declared twice "
        "(or is org.yaml's own account and Region)\n"
        "  help: list each environment once, in the stack of its account and Region"
    ]


def test_stack_admins_are_of_the_stack_account(project: Path) -> None:
    _with_stack(
        project,
        STACK.replace("role/KmsAdmins", "role/KmsAdmins").replace(
            "arn:aws:iam::444455556666:role/KmsAdmins", "arn:aws:iam::111122223333:role/KmsAdmins"
        ),
    )
    line = _stacks_line(project)
    assert _errors(project) == [
        f"org.yaml:{line}:5: E349 stack `444455556666-eu-west-1`: "
        "`arn:aws:iam::111122223333:role/KmsAdmins` is not in the stack's account 444455556666\n"
        "  help: a key's administrators and break-glass role are roles of its account"
    ]


def test_environment_in_two_stacks(project: Path) -> None:
    second = STACK.replace("stacks:\n", "").replace("eu-west-1", "eu-central-1")
    _with_stack(project, STACK + second)
    line = _stacks_line(project) + 6  # the second stack's `environments`
    assert _errors(project) == [f"org.yaml:{line}:20: E348 environment `staging` is in two stacks"]

"""The deployment inventory and its review, below the command line: the shipped modules hold
every literal the inventory relies on, each kind of file Terraform loads is decided, `moved`
blocks keep a resource, and the inventory is deterministic and round-trips."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from byok.deployment import (
    DATA_BEARING,
    FORCES_REPLACEMENT,
    INVENTORY_FILE,
    Inventory,
    InventoryError,
    dumps,
    loads,
)
from byok.review.deployment import Context, as_engine_policy, compare_inventories
from byok.review.literals import MODULE_LITERALS, block_lines, weakened
from byok.review.loaded import why_loaded
from tests.conftest import REPO

SHIPPED = loads((REPO / "generated" / INVENTORY_FILE).read_bytes())


def test_the_shipped_modules_hold_every_literal() -> None:
    assert weakened(REPO, {rule.file for rule in MODULE_LITERALS}) == []
    for rule in MODULE_LITERALS:
        assert block_lines((REPO / rule.file).read_text(), rule.block) is not None, rule


def test_a_literal_rule_fails_on_any_other_text(tmp_path: Path) -> None:
    rule = MODULE_LITERALS[1]  # log file validation
    (tmp_path / rule.file).parent.mkdir(parents=True)
    text = (REPO / rule.file).read_text()
    for edit in ("= false", "= var.validate", "= true && false"):
        (tmp_path / rule.file).write_text(
            text.replace(
                "enable_log_file_validation    = true", f"enable_log_file_validation {edit}"
            )
        )
        found = weakened(tmp_path, {rule.file})
        assert [f.line.split(": ", 1)[1].split(" (")[0] for f in found] == [
            "log file validation off"
        ], edit


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("modules/kms-key/main.tf", "a hand-written module"),
        ("modules/kms-key/main.tofu", "a hand-written module"),
        ("modules/kms-key/x.tofu.json", "a hand-written module"),
        ("main.tf", "the hand-owned root module"),
        ("override.tf", "an override file"),
        ("main_override.tofu.json", "an override file"),
        ("modules/cloudtrail/a_override.tf", "an override file"),
        ("terraform.tfvars", "a variable file"),
        ("terraform.tfvars.json", "a variable file"),
        ("x.auto.tfvars", "a variable file"),
        ("x.auto.tfvars.json", "a variable file"),
        ("terraform.rc", "Terraform CLI configuration"),
        (".terraformrc", "Terraform CLI configuration"),
        ("sub/.terraformrc", "Terraform CLI configuration"),
        (".terraform.lock.hcl", "the provider lock"),
        (".terraform/modules/modules.json", "a committed `.terraform/` file"),
        (".github/workflows/byok-review.yml", "a CI workflow"),
        ("atlantis.yaml", "the orchestrator configuration"),
        ("generated/main.tf", None),  # E323 and the inventory
        ("org.yaml", None),
        ("vendors/slack.yaml", None),
        ("docs/notes.tf", None),  # no root this repository applies
        ("README.md", None),
    ],
)
def test_every_kind_of_file_is_decided(path: str, why: str | None) -> None:
    got = why_loaded(path)
    assert (got is None) if why is None else (got or "").startswith(why), got


def _moved(inv: Inventory, old: str, new: str) -> Inventory:
    res = tuple(
        dataclasses.replace(r, address=new) if r.address == old else r for r in inv.resources
    )
    return Inventory(inv.roots, res)


def test_a_moved_block_keeps_a_log_group_and_its_absence_destroys_it() -> None:
    old = next(r for r in SHIPPED.resources if r.kind == "log-group" and "/byok/" in r.name)
    new_address = old.address.replace('["slack"]', '["slack-logs"]')
    head = _moved(SHIPPED, old.address, new_address)
    without = compare_inventories(SHIPPED, head, Context())
    assert [f.cls for f in without if f.subject == old.where()] == ["destruction"]
    with_moved = compare_inventories(SHIPPED, head, Context(moved={old.address: new_address}))
    assert [f.cls for f in with_moved if f.subject == old.where()] == ["change"]


def test_the_inventory_round_trips_and_is_sorted() -> None:
    data = (REPO / "generated" / INVENTORY_FILE).read_bytes()
    assert dumps(loads(data)) == data
    rows = [r.address for r in SHIPPED.resources]
    assert rows == sorted(rows)
    enterprise = loads((REPO / "examples/enterprise/generated" / INVENTORY_FILE).read_bytes())
    for inv in (SHIPPED, enterprise):  # one resource per AWS identity, and per address
        assert len({r.identity for r in inv.resources}) == len(inv.resources)
        assert len({(r.root, r.address) for r in inv.resources}) == len(inv.resources)
    assert {r.type for r in SHIPPED.resources} <= set(FORCES_REPLACEMENT)
    assert {r.kind for r in SHIPPED.resources} >= DATA_BEARING - {"replica"}
    with pytest.raises(InventoryError):
        loads(b'{"format": "byok-deployment/0", "roots": [], "resources": []}')


def test_changed_only_parses_only_the_resources_that_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`byok diff` of a change to one resource parses that resource's two lines (issue 29), and
    keeps what org.yaml declares; the result is `loads` without the identical resources."""
    from byok import deployment

    old = next(r for r in SHIPPED.resources if r.kind == "log-group")
    changed = dataclasses.replace(old, settings={**old.settings, "retention_in_days": 1})
    head = Inventory(
        SHIPPED.roots,
        tuple(changed if r is old else r for r in SHIPPED.resources),
        {**SHIPPED.declared, "key_states": [{"key": "k", "enabled": False, "ticket": "T-1"}]},
    )
    parsed: list[str] = []
    from_json = deployment.Resource.from_json

    def spy(doc: dict[str, object]) -> deployment.Resource:
        parsed.append(str(doc["address"]))
        return from_json(doc)

    monkeypatch.setattr(deployment.Resource, "from_json", spy)
    before, after = deployment.changed_only(dumps(SHIPPED), dumps(head))
    assert parsed == [old.address, old.address]
    assert (before.resources, after.resources) == ((old,), (changed,))
    assert (before.declared, after.declared) == (SHIPPED.declared, head.declared)
    assert before.roots == after.roots == SHIPPED.roots


def test_the_inventory_is_the_same_under_any_hash_seed(tmp_path: Path) -> None:
    code = (
        "import sys; from datetime import date; from pathlib import Path;"
        "from byok.pipeline import build_tree;"
        "sys.stdout.buffer.write(build_tree(Path(sys.argv[1]), date(2026, 11, 23)).files"
        "['deployment.json'])"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, str(REPO / "examples" / "enterprise")],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            timeout=300,
        ).stdout
        for seed in ("0", "4242")
    }
    assert len(outs) == 1
    assert outs == {(REPO / "examples/enterprise/generated" / INVENTORY_FILE).read_bytes()}


def test_a_trust_policy_is_judged_on_the_role() -> None:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    policy = as_engine_policy(trust, None, "arn:aws:iam::111122223333:role/r")
    assert policy.statements[0].resource == ("arn:aws:iam::111122223333:role/r",)
    perms = {"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}
    policy = as_engine_policy(perms, "arn:aws:iam::111122223333:role/r", "x")
    assert policy.statements[0].principal is not None
    assert policy.statements[0].principal.aws == ("arn:aws:iam::111122223333:role/r",)


def test_the_key_event_filters_are_chunked_as_the_module_chunks_them() -> None:
    """modules/key-alarms/tests `many_keys_are_chunked_under_the_pattern_limit`: 23 keys in
    chunks of 10 make three filters per key event, `<event>/2` named `<prefix>-<event>-3`;
    every event keeps one alarm."""
    from byok.render.inventory_alarms import alarms
    from byok.render.inventory_root import RootResources

    root = RootResources(".", "111122223333", "us-east-1", "generated")
    values = {
        "trail_name": "acme-byok",
        "alarm_topic_arn": None,
        "alarm_emails": [],
        "cis_controls": "default",
        "keys": {},
    }
    alarms(root, values, "/aws/cloudtrail/acme-byok", [f"key-{i:02d}" for i in range(23)])
    grants = {
        r.address.split("this", 1)[1]: r.name for r in root.out if "GrantCreated" in r.address
    }
    assert grants == {
        '["GrantCreated/0"]': "/aws/cloudtrail/acme-byok:acme-byok-GrantCreated",
        '["GrantCreated/1"]': "/aws/cloudtrail/acme-byok:acme-byok-GrantCreated-2",
        '["GrantCreated/2"]': "/aws/cloudtrail/acme-byok:acme-byok-GrantCreated-3",
        '["GrantCreated"]': "acme-byok-GrantCreated",
    }

"""Issue 29: each key's pieces of the organization-wide files (render/pieces.py) are cut from a
full build's files exactly as rendering them gives them, in the repository root and in a stack,
and a cut that does not match what was recorded is a miss."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from byok.compile import Compiled, CompiledKey
from byok.deployment import Line, dumps
from byok.pipeline import compile_verified
from byok.render import render_all
from byok.render.access import key_section
from byok.render.features import features, features_locals
from byok.render.hcl import attributes
from byok.render.inventory import inventory, inventory_json
from byok.render.locals import locals_block
from byok.render.pieces import (
    Pieces,
    access_sections,
    digest,
    entry_of,
    features_entries,
    inventory_lines,
    key_entry,
    locals_entries,
    rule_entry,
)
from byok.render.stacks import split
from byok.resolve.stacks import name_suffix
from tests.conftest import REPO

DAY = date(2026, 11, 23)
ENTERPRISE = REPO / "examples" / "enterprise"


@pytest.fixture(scope="module", params=["root", "enterprise"])
def built(request: pytest.FixtureRequest) -> tuple[Compiled, dict[str, bytes]]:
    where = REPO if request.param == "root" else ENTERPRISE
    compiled = compile_verified(where, DAY)
    return compiled, render_all(compiled)


def _main_tf(compiled: Compiled, name: str) -> str:
    """The main.tf of `generated/` that holds key `name`'s entry."""
    _, stacks = split(compiled)
    sid = next((s for s, part in stacks.items() if name in {c.key.name for c in part.keys}), None)
    return "main.tf" if sid is None else f"stacks/{sid}/main.tf"


def test_every_key_s_pieces_are_cut_as_they_are_rendered(
    built: tuple[Compiled, dict[str, bytes]],
) -> None:
    compiled, files = built
    lines = inventory_lines(files["deployment.json"])
    sections = access_sections(files["ACCESS.md"])
    for ck in compiled.keys:
        name = ck.key.name
        entries = locals_entries(files[_main_tf(compiled, name)])
        assert entry_of(entries, name) == key_entry(ck)
        assert sections[name] == key_section(ck)
    root, stacks = split(compiled)
    parts = [("", root), *((f"stacks/{sid}/", part) for sid, part in stacks.items())]
    rules = 0
    for where, part in parts:
        analyzer = features(part, _suffix(compiled, part)).analyzer
        cut = features_entries(files.get(f"{where}features.tf"))
        for r in analyzer.rules if analyzer else ():
            assert entry_of(cut, r.name) == rule_entry(r)
            rules += 1
    assert rules >= len(compiled.keys)
    # every resource line is cut, by the digest of its text
    body = files["deployment.json"].decode().split("\n")
    assert sum(line.startswith("    {") for line in body) == len(lines)
    assert all(digest(text) == d for d, text in lines.items())


def test_the_entry_depth_is_the_one_main_tf_writes_entries_at(
    built: tuple[Compiled, dict[str, bytes]],
) -> None:
    """The locals written with each key's entry pre-rendered are the locals written whole, in
    the root and in every stack (`pieces.ENTRY_DEPTH`)."""
    compiled, _ = built
    root, stacks = split(compiled)
    for part in [root, *stacks.values()]:
        whole = attributes(locals_block(part), 1)
        assert attributes(locals_block(part, entry=key_entry), 1) == whole
        plans = features(part, _suffix(compiled, part))
        whole = attributes(features_locals(plans), 1)
        assert attributes(features_locals(plans, rule_entry), 1) == whole


def _suffix(compiled: Compiled, part: Compiled) -> str:
    """The name suffix of root `part` of `compiled` (render_all)."""
    org, place = compiled.resolved.org, part.resolved.org
    if part.resolved.org == org:
        return ""
    return name_suffix(org, place.account_id, place.region)


def test_the_inventory_from_pieces_is_the_inventory(
    built: tuple[Compiled, dict[str, bytes]],
) -> None:
    """Each key's own resources (key, alias, archive rules) written apart and merged by `dumps`
    give the inventory's bytes; the lines cut from them are what a `Pieces` puts in."""
    compiled, files = built
    assert inventory_json(compiled) == dumps(inventory(compiled)) == files["deployment.json"]
    cut = inventory_lines(files["deployment.json"])
    seen: list[str] = []

    class Spy(Pieces):
        def lines(self, ck: CompiledKey, fresh: Callable[[], list[Line]]) -> list[Line]:
            got = fresh()
            seen.extend(text for _, _, text in got)
            return got

    assert inventory_json(compiled, Spy()) == files["deployment.json"]
    assert len(seen) >= 3 * len(compiled.keys)
    assert all(digest(text) in cut for text in seen)


def test_a_cut_that_is_not_the_rendered_entry_is_a_miss() -> None:
    """Text that only looks like a boundary, an entry edited by hand, a missing close: what is
    cut differs from the rendered entry (and so from its digest), or is not cut at all."""
    entry = '{\n      "a" = 1\n    }'
    text = f'locals {{\n  keys = {{\n    "k" = {entry}\n    "j" = {entry}\n  }}\n}}\n'
    assert locals_entries(text.encode()) == {'"k"': entry, '"j"': entry}
    edited = text.replace('"a" = 1', '"a" = 2', 1)
    assert locals_entries(edited.encode())['"k"'] != entry
    assert '"k"' not in locals_entries(text[: text.index("    }")].encode())
    assert locals_entries(b"\xff") == {} and locals_entries(None) == {}
    assert inventory_lines(b'  "resources": [\n    {"a": 1},\n    {"b": 2}\n  ]\n') == {
        digest('{"a": 1}'): '{"a": 1}',
        digest('{"b": 2}'): '{"b": 2}',
    }


def test_a_stack_key_s_entry_is_cut_from_its_stack_s_main_tf() -> None:
    compiled = compile_verified(ENTERPRISE, DAY)
    _, stacks = split(compiled)
    assert stacks, "examples/enterprise has a stack"
    files = render_all(compiled)
    sid, part = next(iter(stacks.items()))
    ck = part.keys[0]
    assert entry_of(locals_entries(files["main.tf"]), ck.key.name) is None
    assert entry_of(locals_entries(files[f"stacks/{sid}/main.tf"]), ck.key.name) == key_entry(ck)

"""Each key's pieces of the organization-wide files (issue 29): its section of ACCESS.md, its
entry of the `keys` map in its root's main.tf `locals`, its archive rules' entries in its root's
features.tf, and its own resources' lines of the deployment inventory (its key, alias and
archive rules). `render_all` asks a `Pieces` for them and assembles each file with the same
function whatever gave them (`hcl.attributes` writes a `Rendered` value as it is,
`deployment.dumps` sorts written lines with the others), so the bytes are those of a full build
as long as each piece is what rendering it now gives.

The `Pieces` here renders every piece now. incremental.Plan takes a reused app's pieces from
`generated/` instead, where each still has the SHA-256 recorded (in the sealed index) when it
was rendered; the cutters below find them there. A wrong cut (a hand edit, text that looks like
a boundary) only misses: a piece is used only when its digest is the recorded one, so no text
reaches a file that this byok did not write from the same inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ..compile import CompiledKey
from ..deployment import Line
from .access import key_section
from .features import ArchiveRule, rule_value
from .hcl import Rendered, hcl_key, hcl_value
from .locals import key_inputs

# Where a key's entry is written: `locals` at depth 1, its `keys` object's entries at depth 2
# (`locals.locals_block`, tree.render_module); tests/test_pieces.py checks the two agree.
ENTRY_DEPTH = 2
# features.tf's `access_analyzer` at depth 1, its `archive_rules` entries at depth 3
RULE_DEPTH = 3


def key_entry(ck: CompiledKey) -> Rendered:
    """Key `ck`'s value in main.tf's `keys` map, as `attributes` writes it at its depth."""
    return Rendered(hcl_value(key_inputs(ck), ENTRY_DEPTH))


def rule_entry(r: ArchiveRule) -> Rendered:
    """Archive rule `r`'s value in features.tf's `archive_rules` (a piece of key `r.key`)."""
    return Rendered(hcl_value(rule_value(r), RULE_DEPTH))


class Pieces:
    """Every piece rendered now (a full build)."""

    def section(self, ck: CompiledKey) -> str:
        return key_section(ck)

    def entry(self, ck: CompiledKey, path: str) -> Rendered:
        """`path`: the main.tf of `generated/` the entry is written in."""
        return key_entry(ck)

    def rule(self, r: ArchiveRule, path: str) -> Rendered:
        """`path`: the features.tf of `generated/` the rule is written in."""
        return rule_entry(r)

    def lines(self, ck: CompiledKey, fresh: Callable[[], list[Line]]) -> list[Line]:
        """`fresh`: the key's resources (its key, alias and archive rules) rendered now, as
        `deployment.dumps` writes them."""
        return fresh()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def access_sections(data: bytes | None) -> dict[str, str]:
    """ACCESS.md cut into its keys' sections (`render_access`): key name -> the text from its
    heading, "## `name` — ...", to the line break that joins it to the next heading."""
    try:
        text = "" if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    out: dict[str, str] = {}
    at = text.find("\n## `")
    while at >= 0:
        start = at + 1
        end = text.find("\n## ", start)
        name = text[start + 4 : text.find("`", start + 4)]
        out.setdefault(name, text[start : end if end >= 0 else len(text)])
        at = text.find("\n## `", start)
    return out


def locals_entries(data: bytes | None, depth: int = ENTRY_DEPTH) -> dict[str, str]:
    """A Terraform file cut into the object entries at `depth` (main.tf's `keys`, features.tf's
    `archive_rules`): `hcl_key(name)` -> the value's text, from its `{` to the `}` that closes
    it on a line of its own at that depth (deeper lines are indented more, so the first such
    line closes it). Other maps' entries at that depth are cut too (the first of a name is
    kept): only a matching digest uses one."""
    try:
        text = "" if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    out: dict[str, str] = {}
    pad = "  " * depth
    start, close = f'\n{pad}"', f"\n{pad}}}"
    at = text.find(start)
    while at >= 0:
        eol = text.find("\n", at + 1)
        if eol < 0:
            break
        head = text[at + 1 + len(pad) : eol]
        if head.endswith(" = {"):
            end = text.find(close, eol)
            if end < 0:
                break
            out.setdefault(head[: -len(" = {")], text[eol - 1 : end + len(close)])
            eol = end
        at = text.find(start, eol)
    return out


def features_entries(data: bytes | None) -> dict[str, str]:
    """A features.tf cut into its archive rules' entries (`locals_entries`)."""
    return locals_entries(data, RULE_DEPTH)


def entry_of(entries: dict[str, str], name: str) -> str | None:
    """Key `name`'s entry among `locals_entries`."""
    return entries.get(hcl_key(name))


def inventory_lines(data: bytes | None) -> dict[str, str]:
    """The deployment inventory's lines (`deployment.dumps`: one resource a line, indented,
    each but the last followed by a comma) by the digest of the resource's JSON text."""
    try:
        text = "" if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    out: dict[str, str] = {}
    for line in text.split("\n"):
        if line.startswith("    {"):
            body = line[4:].removesuffix(",")
            out[digest(body)] = body
    return out

"""org.yaml cut into the pieces a build can reuse: each top-level entry, and each item of `apps`.

`byok generate` and `byok diff` fingerprint an app by its own lines (issue 29: a one-key edit
re-proves that app's keys, not the organization's), so they must find where each app starts
and ends without loading the whole file. `segment` does it line by line, for the plain block
layout every example and `byok init` use, and returns None for anything else (the caller then
loads the file whole):

- a top-level entry starts at column 1 with a plain name and a colon (`region: us-east-1`,
  `apps:`); a line at column 1 that is neither such a key, a comment nor blank is declined,
  and so are tabs, directives (`%`) and document markers (`---`, `...`), and a key given twice;
- `apps:` (alone on its line, a comment allowed) holds a block sequence: each item starts with
  `- ` (or a lone `-`) at the indentation of the first one, and runs to the next item or the
  next top-level entry; comment and blank lines belong to the piece above them.

A cut is only a proposal: each piece is then loaded on its own by the same loader, at its own
line (`pad`), so a piece that does not stand alone (a quoted string or flow list across an item
boundary) fails to load and the whole file is loaded instead. Anchors and aliases, which could
tie pieces together, are refused by the loader anyway (E103).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ ].*)?\n?\Z")
_APPS = re.compile(r"apps:[ ]*(?:#.*)?\n?\Z")
_ITEM = re.compile(r"( *)-(?:[ ].*)?\n?\Z")
APPS = "apps"


@dataclass(frozen=True)
class Segment:
    """Lines `start`.. (1-based) of the file: `text`, whole lines, verbatim. `key` is the
    top-level name the lines begin (`""`: the lines before the first key; `apps` for the
    `apps:` line and the comments before its first item; `apps[]` for an item)."""

    key: str
    start: int
    text: str

    @property
    def end(self) -> int:
        """The line after the last one."""
        return self.start + self.text.count("\n")


@dataclass(frozen=True)
class Segments:
    settings: tuple[Segment, ...]  # every piece that is not an app, in file order
    apps: tuple[Segment, ...]  # each item of `apps`, in order

    def first_key_line(self) -> int:
        """The line of the first top-level key (where the top-level mapping starts)."""
        return min(s.start for s in (*self.settings, *self.apps) if s.key)


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _top_level(lines: list[str]) -> list[tuple[str, int]] | None:
    """(key, 0-based line) of each top-level entry, or None for another layout."""
    found: list[tuple[str, int]] = []
    for i, line in enumerate(lines):
        if "\t" in line or line.startswith(("%", "---", "...")):
            return None
        if line[0] in " \n#":
            continue
        m = _KEY.match(line)
        if m is None:
            return None
        found.append((m.group(1), i))
    names = [k for k, _ in found]
    if not found or len(set(names)) != len(names):
        return None
    return found


def _items(lines: list[str], first: int, stop: int) -> list[int] | None:
    """0-based first lines of the items of the `apps` block (lines first..stop-1), or None."""
    indent: int | None = None
    starts: list[int] = []
    for i in range(first, stop):
        line = lines[i]
        if _blank_or_comment(line):
            continue
        m = _ITEM.match(line)
        if indent is None:
            if m is None:
                return None
            indent = len(m.group(1))
        width = len(line) - len(line.lstrip(" "))
        if width < (indent or 0):
            return None
        if width == indent and m is not None and len(m.group(1)) == indent:
            starts.append(i)
    return starts or None


def segment(text: str) -> Segments | None:
    """The pieces of org.yaml's `text` (decoded, without a BOM), or None when the layout is not
    the plain one described above."""
    if "\r" in text:  # a line break of another kind: the whole file is loaded instead
        return None
    lines = text.splitlines(keepends=True)
    keys = _top_level(lines)
    if keys is None:
        return None
    bounds = [i for _, i in keys] + [len(lines)]
    settings = [Segment("", 1, "".join(lines[: bounds[0]]))] if bounds[0] else []
    apps: list[Segment] = []
    for (key, start), stop in zip(keys, bounds[1:], strict=True):
        if key != APPS:
            settings.append(Segment(key, start + 1, "".join(lines[start:stop])))
            continue
        if not _APPS.match(lines[start]):
            return None
        items = _items(lines, start + 1, stop)
        if items is None:
            return None
        settings.append(Segment(APPS, start + 1, "".join(lines[start : items[0]])))
        for a, b in zip(items, [*items[1:], stop], strict=True):
            apps.append(Segment(f"{APPS}[]", a + 1, "".join(lines[a:b])))
    if not apps:
        return None
    return Segments(tuple(settings), tuple(apps))


def pad(seg: Segment, heading: str = "") -> str:
    """`seg` as a document of its own whose lines keep their numbers in the file: blank lines
    before it, and `heading` (e.g. `apps:` above an item) on the line just above it."""
    above = seg.start - 1 - (1 if heading else 0)
    return "\n" * above + (f"{heading}\n" if heading else "") + seg.text

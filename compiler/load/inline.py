"""Inline warning acceptances: a YAML comment next to the value a warning points at.

    - arn: arn:aws:iam::152659312504:root   # byok:accept=W101: confirming with Slack (SEC-151)

The comment accepts a warning of that code located on its own line (a trailing comment; after
a key that opens a block, `logging:  # byok:accept=...`, the block's first line too), or,
alone on its line, on the next line that holds YAML (the way `#checkov:skip=ID:reason` and
`# tflint-ignore: rule` sit beside what they silence). The reason after the second colon is
required (E212). Only real comments count: a `#` inside a quoted or block scalar is text, so
the candidates are checked against PyYAML's scanner, run only on files that contain the marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from ..diagnostics import Diagnostic, Loc

MARKER = "byok:accept="
_COMMENT = re.compile(r"(?:^|[ \t])#[ \t]*byok:accept=([^:\s]*)(?::(.*))?$")


@dataclass(frozen=True)
class InlineAccept:
    """`code` accepted, for `reason`, on line `line` of `where.file`; `where` is the comment."""

    code: str
    reason: str
    lines: tuple[int, ...]
    where: Loc


def _scalar_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of every scalar token: a `#` inside one is no comment."""
    spans: list[tuple[int, int]] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.ScalarToken):
                spans.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        return spans  # the loader reports the syntax error; comments up to it still count
    return spans


def _next_yaml_line(lines: list[str], i: int) -> int:
    """1-based number of the first line after `lines[i]` that holds YAML (not a comment)."""
    for j in range(i + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped and not stripped.startswith("#"):
            return j + 1
    return i + 1


def _targets(lines: list[str], i: int, before: str) -> tuple[int, ...]:
    """The 1-based lines the comment on `lines[i]` applies to (`before`: the text before it)."""
    if not before.strip():
        return (_next_yaml_line(lines, i),)
    if before.rstrip().endswith(":"):  # a key whose value is the block below
        return (i + 1, _next_yaml_line(lines, i))
    return (i + 1,)


def inline_accepts(text: str, shown: str) -> tuple[list[InlineAccept], list[Diagnostic]]:
    """Every inline acceptance in one input file, and E212 for one without a reason."""
    if MARKER not in text:
        return [], []
    spans = _scalar_spans(text)
    lines = text.split("\n")
    found: list[InlineAccept] = []
    problems: list[Diagnostic] = []
    offset = 0
    for i, line in enumerate(lines):
        m = _COMMENT.search(line)
        hash_at = line.index("#", m.start()) if m else 0
        start, offset = offset + hash_at, offset + len(line) + 1
        if m is None or any(a <= start < b for a, b in spans):
            continue
        where = Loc(file=shown, line=i + 1, col=hash_at + 1)
        code, reason = m.group(1), (m.group(2) or "").strip()
        if not reason:
            problems.append(
                Diagnostic.make(
                    "E212",
                    f"inline acceptance of `{code}` gives no reason",
                    where,
                    f"write `# {MARKER}{code or 'W101'}: <why it is accepted, and a ticket>`",
                )
            )
            continue
        found.append(InlineAccept(code, reason, _targets(lines, i, line[:hash_at]), where))
    return found, problems

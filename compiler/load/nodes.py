"""Located YAML nodes (`LMap`, `LSeq`, `LScalar`) and the rules both YAML loaders share.

`reader` composes with PyYAML's reference loader and converts its nodes; `fast` builds the
same nodes straight from libyaml's events. Both decide scalars, tags and mapping keys here, so
the two cannot drift (`tests/test_scale.py` compares them on a fuzzed corpus).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..diagnostics import Diagnostic, Loc

RESERVED_KEY_PREFIX = "@"
# Tags the loader constructs; any other (`!foo`, `!!python/...`, `!!binary`) is refused.
PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML 1.2 core forms: `yes`/`on`/`no`, `010` (octal in YAML 1.1) or `1:30` (base 60) stay text.
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_BOOL = frozenset(("true", "True", "TRUE", "false", "False", "FALSE"))
SURROGATE = re.compile("[\ud800-\udfff]")
_SHOW_LIMIT = 80


def show(value: object, limit: int = _SHOW_LIMIT) -> str:
    """User text made safe for a one-line diagnostic: anything but printable ASCII becomes an
    escape (`\\n`, `\\u202e`, `\\u0430`; no terminal control, no look-alike letters), and long
    text is cut short.

    >>> show("a\\nb\\u0430"), show("x" * 100)[-5:]
    ('a\\\\nb\\\\u0430', 'xx...')
    """
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return "".join(ch if " " <= ch <= "~" else ascii(ch)[1:-1] for ch in text)


# Where a node starts, as (file, line, col), 1-based: a `Loc` not made yet. A large org.yaml has
# tens of thousands of nodes and a run asks few of them where they are; a `Loc` (a validated
# pydantic model) per node was a third of loading it (issue 29). `loc` makes one when asked.
Pos = tuple[str, int, int]


def to_loc(at: Pos) -> Loc:
    return Loc(file=at[0], line=at[1], col=at[2])


@dataclass(frozen=True, eq=False)
class LScalar:
    value: Any
    at: Pos

    @property
    def loc(self) -> Loc:
        return to_loc(self.at)


@dataclass(frozen=True, eq=False)
class LSeq:
    items: tuple[LNode, ...]
    at: Pos

    @property
    def loc(self) -> Loc:
        return to_loc(self.at)


@dataclass(frozen=True, eq=False)
class LMap:
    """A mapping; `keys` holds where each key itself is (for unknown-field diagnostics)."""

    items: dict[str, LNode]
    at: Pos
    keys: dict[str, Pos] = field(default_factory=dict)

    @property
    def loc(self) -> Loc:
        return to_loc(self.at)

    def key_loc(self, key: str) -> Loc:
        return to_loc(self.keys[key])


LNode = LScalar | LSeq | LMap


def pos_at(name: str, mark: Any) -> Pos:
    """Where a PyYAML/libyaml `mark` (0-based) is."""
    return (name, mark.line + 1, mark.column + 1)


def loc_at(name: str, mark: Any) -> Loc:
    return to_loc(pos_at(name, mark))


def bad_tag(tag: str, loc: Loc) -> Diagnostic:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return Diagnostic.make(
        "E101",
        f"unsupported YAML tag `{show(shown)}`",
        loc,
        "write plain values: tags are not part of the schema",
    )


def surrogate(value: str, loc: Loc) -> Diagnostic:
    hit = SURROGATE.search(value)
    assert hit is not None
    msg = f"escape for the unpaired surrogate U+{ord(hit.group()):04X}"
    return Diagnostic.make("E104", msg, loc)


def scalar_value(tag: str, text: str, construct: Callable[[], Any]) -> Any:
    """The value of a scalar with resolved `tag` and source `text`; `construct` runs PyYAML's
    safe constructor on it (only for tags other than `str`)."""
    if tag == STR_TAG:  # what SafeConstructor.construct_yaml_str returns, without its cache
        return text
    try:
        value = construct()
    except (yaml.YAMLError, ValueError, OverflowError):
        # e.g. `2020-13-01` looks like a date but is none: keep the text, the model says why.
        return text
    if isinstance(value, bool) and text not in _PLAIN_BOOL:
        return text
    plain_int = _PLAIN_INT.fullmatch(text)
    if isinstance(value, int) and not isinstance(value, bool) and not plain_int:
        return text
    return value


def scalar_node(
    tag: str, text: str, at: Pos, diags: list[Diagnostic], construct: Callable[[], Any]
) -> LScalar:
    """A scalar node, reporting a tag outside `PLAIN_TAGS` or an unpaired surrogate."""
    if tag not in PLAIN_TAGS:
        diags.append(bad_tag(tag, to_loc(at)))
        return LScalar(None, at)
    value = scalar_value(tag, text, construct)
    if isinstance(value, str) and SURROGATE.search(value):
        diags.append(surrogate(value, to_loc(at)))
    return LScalar(value, at)


def key_problem(kind: str, tag: str, text: str, key: Any, at: Pos) -> Diagnostic | None:
    """Why a mapping key is refused, if it is: `kind` is "scalar", "seq" or "map", `text` the
    scalar's source text and `key` its value."""
    if tag == MERGE_TAG:
        return Diagnostic.make("E103", "merge keys (`<<`) are not allowed", to_loc(at))
    if tag not in PLAIN_TAGS:
        return bad_tag(tag, to_loc(at))
    if isinstance(key, str) and SURROGATE.search(key):
        return surrogate(key, to_loc(at))
    if not isinstance(key, str) or not key or key.startswith(RESERVED_KEY_PREFIX):
        what = "a list" if kind == "seq" else "a mapping"
        if kind == "scalar":
            what = f"`{show(text)}`" if text else "an empty key"
        msg = f"mapping key must be a plain name, not {what}"
        return Diagnostic.make("E109", msg, to_loc(at))
    return None


def duplicate(key: str, first: Pos, at: Pos) -> Diagnostic:
    return Diagnostic.make(
        "E102", f"duplicate key `{show(key)}` (first defined at line {first[1]})", to_loc(at)
    )

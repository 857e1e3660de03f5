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


@dataclass(frozen=True, eq=False)
class LScalar:
    value: Any
    loc: Loc


@dataclass(frozen=True, eq=False)
class LSeq:
    items: tuple[LNode, ...]
    loc: Loc


@dataclass(frozen=True, eq=False)
class LMap:
    """A mapping; `keys` holds each key's own location (for unknown-field diagnostics)."""

    items: dict[str, LNode]
    loc: Loc
    keys: dict[str, Loc] = field(default_factory=dict)


LNode = LScalar | LSeq | LMap


def loc_at(name: str, mark: Any) -> Loc:
    return Loc(file=name, line=mark.line + 1, col=mark.column + 1)


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
    tag: str, text: str, loc: Loc, diags: list[Diagnostic], construct: Callable[[], Any]
) -> LScalar:
    """A scalar node, reporting a tag outside `PLAIN_TAGS` or an unpaired surrogate."""
    if tag not in PLAIN_TAGS:
        diags.append(bad_tag(tag, loc))
        return LScalar(None, loc)
    value = scalar_value(tag, text, construct)
    if isinstance(value, str) and SURROGATE.search(value):
        diags.append(surrogate(value, loc))
    return LScalar(value, loc)


def key_problem(kind: str, tag: str, text: str, key: Any, loc: Loc) -> Diagnostic | None:
    """Why a mapping key is refused, if it is: `kind` is "scalar", "seq" or "map", `text` the
    scalar's source text and `key` its value."""
    if tag == MERGE_TAG:
        return Diagnostic.make("E103", "merge keys (`<<`) are not allowed", loc)
    if tag not in PLAIN_TAGS:
        return bad_tag(tag, loc)
    if isinstance(key, str) and SURROGATE.search(key):
        return surrogate(key, loc)
    if not isinstance(key, str) or not key or key.startswith(RESERVED_KEY_PREFIX):
        what = "a list" if kind == "seq" else "a mapping"
        if kind == "scalar":
            what = f"`{show(text)}`" if text else "an empty key"
        return Diagnostic.make("E109", f"mapping key must be a plain name, not {what}", loc)
    return None


def duplicate(key: str, first: Loc, loc: Loc) -> Diagnostic:
    return Diagnostic.make(
        "E102", f"duplicate key `{show(key)}` (first defined at line {first.line})", loc
    )

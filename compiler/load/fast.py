"""Stage 1, load (fast path): libyaml's events straight into located nodes.

libyaml (C) scans and parses; this module composes its events into `LMap`/`LSeq`/`LScalar`
with PyYAML's own resolver and safe constructor, deciding scalars and keys by the same rules as
the reference loader (`nodes`). One pass, no intermediate PyYAML node tree: composing a large
org.yaml was most of the load stage (issue 16).

It declines (returns None) whenever the reference loader could read the text differently or
would report a problem of its own: no libyaml; a tab, a `?` outside a quoted string, a
block-scalar header running into a comment, a tag or a directive anywhere, an empty plain
value in a flow collection (where libyaml and PyYAML were found to disagree by differential
fuzzing); an anchor or alias; nesting deeper than `MAX_DEPTH`; anything libyaml objects to; an
empty document or one that is not a mapping. `load` then reads the text with the reference
loader, so every diagnostic of those is the reference one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from ..diagnostics import Diagnostic, Loc
from .nodes import (
    PLAIN_TAGS,
    STR_TAG,
    LMap,
    LNode,
    LScalar,
    LSeq,
    Pos,
    bad_tag,
    duplicate,
    key_problem,
    loc_at,
    scalar_node,
    scalar_value,
    to_loc,
)

MAX_DEPTH = 32
# Where libyaml and PyYAML may part (module docstring): a tab, a block-scalar header running into
# a comment, a tag or directive. Each is searched for only when the characters it needs occur:
# one search of the three as alternatives cost a tenth of loading a large org.yaml (issue 29).
_HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")
_TAG_OR_DIRECTIVE = re.compile(r"(?:^|[\s\[\]{},:-])[!%]", re.MULTILINE)
_QUOTES = ("'", '"')

_CParser: Any
try:
    import yaml.cyaml

    _CParser = getattr(yaml.cyaml, "CParser", None)
except ImportError:  # pragma: no cover - PyYAML built without libyaml: the reference loader only
    _CParser = None


class _Decline(Exception):
    """The reference loader must read this text."""


def _unused() -> Any:  # pragma: no cover - `scalar_value` constructs no string
    raise AssertionError("a string's value is its text")


if _CParser is not None:

    class _Events(_CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml's parser with PyYAML's resolver and safe constructor."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


def compose_fast(text: str, name: str) -> tuple[LMap | None, list[Diagnostic]] | None:
    """The document's top-level mapping and the problems found in it (the mapping is None when
    there is none: an empty document or another top level), or None to decline."""
    if _CParser is None or _libyaml_only(text):
        return None
    events = None
    try:
        events = _Events(text)
        c = _Composer(events, name, "?" in text)
        got = _document(c)
        return got if c.quoted is None or _all_quoted(text, "?", c.quoted) else None
    except Exception:  # any objection: the reference loader reports (or accepts) it
        return None
    finally:
        if events is not None:
            events.dispose()


def _libyaml_only(text: str) -> bool:
    """Whether `text` holds a tab, a block-scalar header running into a comment, or a tag or
    directive (`_HEADER_COMMENT`, `_TAG_OR_DIRECTIVE`)."""
    if "\t" in text:
        return True
    if "#" in text and ("|" in text or ">" in text) and _HEADER_COMMENT.search(text):
        return True
    return ("!" in text or "%" in text) and _TAG_OR_DIRECTIVE.search(text) is not None


def _all_quoted(text: str, char: str, spans: list[tuple[int, int]]) -> bool:
    """True when every `char` of `text` lies inside one of the quoted scalars' `spans`. A `?`
    is where the parsers part (PyYAML ends a plain scalar at `?` in a flow collection, libyaml
    does not; `? ` starts a complex key); inside a quoted string both read it as itself (URLs
    with a query, in vendor files' `source:` lines), and as both parsers agree on every token
    up to the first `?`, they agree on where that string starts and ends, and so on."""
    spans.sort()
    j, i = 0, text.find(char)
    while i >= 0:
        while j < len(spans) and spans[j][1] <= i:
            j += 1
        if j == len(spans) or not spans[j][0] < i:
            return False
        i = text.find(char, i + 1)
    return True


def _document(c: _Composer) -> tuple[LMap | None, list[Diagnostic]]:
    """As `load._document`: an empty document or a top level that is not a mapping is E107
    (and nothing else is reported); else the mapping and what was found in it."""
    c.events.get_event()  # stream start
    if c.events.check_event(StreamEndEvent):
        return None, [Diagnostic.make("E107", "file is empty", Loc(file=c.name, line=1, col=1))]
    c.events.get_event()  # document start
    first = c.events.peek_event()
    diags: list[Diagnostic] = []
    root = c.node(0, diags)
    c.events.get_event()  # document end
    if not c.events.check_event(StreamEndEvent):
        raise _Decline("more than one document")
    if isinstance(first, ScalarEvent) and not first.value and _null(c, first):
        return None, [Diagnostic.make("E107", "file is empty", Loc(file=c.name, line=1, col=1))]
    if not isinstance(root, LMap):
        where = loc_at(c.name, first.start_mark)
        return None, [Diagnostic.make("E107", "top level must be a mapping", where)]
    return root, diags


def _null(c: _Composer, event: Any) -> bool:
    return c.scalar_tag(event).endswith(":null")


class _Composer:
    """PyYAML's `Composer`, building located nodes and applying `nodes`' rules as it goes."""

    def __init__(self, events: Any, name: str, spans: bool = False) -> None:
        self.events, self.name = events, name
        # with `spans`, where each quoted scalar starts and ends (see `_all_quoted`)
        self.quoted: list[tuple[int, int]] | None = [] if spans else None
        self.flow = 0  # how many flow collections (`[...]`, `{...}`) the next event is inside
        # PyYAML's implicit resolvers by first character: a plain scalar whose first character
        # has none (and there are no wildcard resolvers) is a string, no regex tried.
        self._implicit: dict[Any, Any] = events.yaml_implicit_resolvers
        self._plain_str = None not in self._implicit and not events.yaml_path_resolvers

    def scalar_tag(self, event: Any) -> str:
        """`Resolver.resolve` of a scalar event, without its per-call overhead: with no wildcard
        or path resolvers (`_plain_str`), a quoted value is a string, and a plain one takes the
        tag of the first implicit resolver for its first character that matches it, else is a
        string (PyYAML's `BaseResolver.resolve`, step by step)."""
        tag = event.tag
        if tag is not None and tag != "!":
            return str(tag)
        value = event.value
        if not self._plain_str:
            return str(self.events.resolve(ScalarNode, value, event.implicit))
        if event.implicit[0]:
            for tag, regexp in self._implicit.get(value[0] if value else "", ()):
                if regexp.match(value):
                    return str(tag)
        return STR_TAG

    def node(self, depth: int, diags: list[Diagnostic]) -> LNode:
        event = self.events.get_event()
        if event.anchor is not None or isinstance(event, AliasEvent):
            raise _Decline("anchor or alias")
        mark = event.start_mark  # `pos_at`, inline: this runs once per node
        at = (self.name, mark.line + 1, mark.column + 1)
        if isinstance(event, ScalarEvent):
            return self._scalar(event, at, diags)
        if depth + 1 > MAX_DEPTH:
            raise _Decline("too deep")
        is_seq = isinstance(event, SequenceStartEvent)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.events.resolve(SequenceNode if is_seq else MappingNode, None, event.implicit)
        self.flow += bool(event.flow_style)
        if tag not in PLAIN_TAGS:  # its contents are read but not reported, as in `load`
            self._items(is_seq, depth + 1, [], at)
            diags.append(bad_tag(tag, to_loc(at)))
            got: LNode = LScalar(None, at)
        else:
            got = self._items(is_seq, depth + 1, diags, at)
        self.flow -= bool(event.flow_style)
        return got

    def _quoted(self, event: Any) -> None:
        if self.quoted is not None and event.style in _QUOTES:
            self.quoted.append((event.start_mark.index, event.end_mark.index))

    def _scalar(self, event: Any, at: Pos, diags: list[Diagnostic]) -> LScalar:
        if self.flow and not event.value and not event.style:
            # an empty value in a flow collection (`{k: }`): libyaml places it at the next
            # token, PyYAML right after the `:`, so the two would locate it apart
            raise _Decline("empty plain scalar in a flow collection")
        if self.quoted is not None:
            self._quoted(event)
        tag = self.scalar_tag(event)
        return scalar_node(tag, event.value, at, diags, self._constructor(event, tag))

    def _constructor(self, event: Any, tag: str) -> Callable[[], Any]:
        """What constructs the event's value; a string's value is its text (`scalar_value`
        never calls it), so most scalars need no constructor of their own."""
        return _unused if tag == STR_TAG else partial(self._construct, event, tag)

    def _construct(self, event: Any, tag: str) -> Any:
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        return self.events.construct_object(node, deep=True)

    def _items(self, is_seq: bool, depth: int, diags: list[Diagnostic], at: Pos) -> LNode:
        check, node = self.events.check_event, self.node
        if is_seq:
            items: list[LNode] = []
            while not check(SequenceEndEvent):
                items.append(node(depth, diags))
            self.events.get_event()
            return LSeq(tuple(items), at)
        out, entry = LMap({}, at, {}), self._entry
        while not check(MappingEndEvent):
            entry(out, depth, diags)
        self.events.get_event()
        return out

    def _entry(self, out: LMap, depth: int, diags: list[Diagnostic]) -> None:
        """One key and its value; the value of a refused key is read but not reported."""
        event = self.events.peek_event()
        mark = event.start_mark
        kat = (self.name, mark.line + 1, mark.column + 1)
        key: Any = None
        if not isinstance(event, ScalarEvent):
            kind = "seq" if isinstance(event, SequenceStartEvent) else "map"
            tag = event.tag
            if tag is None or tag == "!":
                node = SequenceNode if kind == "seq" else MappingNode
                tag = self.events.resolve(node, None, event.implicit)
            problem = key_problem(kind, tag, "", None, kat)
            self.node(depth, [])
        else:
            self.events.get_event()
            if event.anchor is not None:
                raise _Decline("anchor")
            if self.quoted is not None:
                self._quoted(event)
            tag = self.scalar_tag(event)
            if tag in PLAIN_TAGS:
                key = scalar_value(tag, event.value, self._constructor(event, tag))
            problem = key_problem("scalar", tag, event.value, key, kat)
            if problem is None and key in out.items:
                problem = duplicate(key, out.keys[key], kat)
        if problem is not None:
            diags.append(problem)
            self.node(depth, [])
            return
        assert isinstance(key, str)  # key_problem refuses every other key
        out.keys[key] = kat
        out.items[key] = self.node(depth, diags)

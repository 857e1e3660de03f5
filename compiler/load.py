"""Stage 1, load: bytes -> located YAML nodes (`LMap`, `LSeq`, `LScalar`).

Rejected here, each with its own code: non-UTF-8 or control bytes (E104), oversized files
(E105), syntax errors (E101), anchors and aliases (E103; no alias bomb can expand), deep nesting
(E106), duplicate keys with both lines (E102), non-string keys (E109), empty or non-mapping
documents (E107).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .diagnostics import CompileError, Diagnostic, Loc

# 8 MiB: room for an organization of 10,000 keys and 200,000 revoked values (about 4 MB of
# org.yaml, the scale `make bench` proves: issue 16), still a bound on what a file can cost.
MAX_BYTES = 8 << 20
MAX_DEPTH = 32
RESERVED_KEY_PREFIX = "@"
# C0 controls other than tab/LF/CR, DEL, C1 controls, a BOM past the start, the Unicode line
# separators (YAML counts them as line breaks, editors do not: locations would drift) and the
# bidirectional controls that can make a reviewer read text in another order ("Trojan Source").
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
# Tags the loader constructs; any other (`!foo`, `!!python/...`, `!!binary`) is refused.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
# YAML 1.2 core forms: `yes`/`on`/`no`, `010` (octal in YAML 1.1) or `1:30` (base 60) stay text.
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_BOOL = frozenset(("true", "True", "TRUE", "false", "False", "FALSE"))
_SURROGATE = re.compile("[\ud800-\udfff]")
# Where libyaml and PyYAML may disagree (found by differential fuzzing), the reference loader
# alone reads the file: a tab anywhere, a block-scalar header running into a comment (`|#`),
# a `?` anywhere (PyYAML ends a plain scalar there in flow context) and anything that starts
# a tag or a directive (`!`, `%`).
_LIBYAML_ONLY = re.compile(r"\t|\?|[|>][-+0-9]*#|(?:^|[\s\[\]{},:-])[!%]", re.MULTILINE)
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


class _Guarded(Composer):
    """The composer hook both loaders share: refuse anchors/aliases and deep nesting."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _LoadProblem("E103", "anchors and aliases are not allowed", event.start_mark)
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _LoadProblem(
                    "E106", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if isinstance(event, CollectionStartEvent):
                self._depth -= 1


class _Loader(_Guarded, yaml.SafeLoader):
    """SafeLoader (pure Python) that refuses anchors/aliases and deep nesting while composing:
    the reference loader, and the one whose messages and positions every diagnostic uses."""

    def __init__(self, stream: str, name: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self.name = name

    def fetch_anchor(self) -> None:
        # Refused as soon as the scanner meets `&` or `*`, before it reads what follows.
        raise _LoadProblem("E103", "anchors and aliases are not allowed", self.get_mark())

    fetch_alias = fetch_anchor


_CParser: Any
try:
    import yaml.cyaml

    _CParser = getattr(yaml.cyaml, "CParser", None)
except ImportError:  # pragma: no cover - PyYAML built without libyaml: the reference loader only
    _CParser = None


if _CParser is not None:

    class _FastLoader(_Guarded, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml's scanner and parser (C) under the same Python composer, guards, resolver
        and constructor: the fast path for well-formed input. Anything it does not accept
        cleanly is loaded again by `_Loader`, so every diagnostic stays the reference one."""

        def __init__(self, stream: str, name: str) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.name = name


class _LoadProblem(Exception):
    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.mark = code, message, mark


def _loc(name: str, mark: Any) -> Loc:
    return Loc(file=name, line=mark.line + 1, col=mark.column + 1)


def load_file(path: Path, display: str | None = None) -> LMap:
    """Read and load one YAML file; raise `CompileError` with every problem found."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CompileError([_diag("E108", f"cannot read file: {exc.strerror}", name)]) from exc
    return load_bytes(data, name)


def _diag(code: str, message: str, name: str, line: int = 1, col: int = 1) -> Diagnostic:
    return Diagnostic.make(code, message, Loc(file=name, line=line, col=col))


def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_BYTES:
        raise CompileError([_diag("E105", f"file is {len(data)} bytes, over {MAX_BYTES}", name)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CompileError([_diag("E104", "file is not valid UTF-8", name, line, col)]) from exc
    bad = _CONTROL.search(text, 1 if text.startswith("\ufeff") else 0)
    if bad:
        i = bad.start()
        line = text.count("\n", 0, i) + 1
        col = i - (text.rfind("\n", 0, i) + 1) + 1
        kind = "non-character" if text[i] in "\ufffe\uffff" else "control character"
        msg = f"{kind} U+{ord(text[i]):04X}"
        raise CompileError([_diag("E104", msg, name, line, col)])
    return text.removeprefix("\ufeff")


def _fast(text: str, name: str) -> tuple[Node | None, Any] | None:
    """The document composed by libyaml, or None when it is absent or had any objection."""
    if _CParser is None or _LIBYAML_ONLY.search(text):
        return None
    loader = None
    try:
        loader = _FastLoader(text, name)
        return loader.get_single_node(), loader
    except Exception:  # any objection: the reference loader reports (or accepts) it
        return None
    finally:
        if loader is not None:
            loader.dispose()


def load_bytes(data: bytes, name: str) -> LMap:
    text = _decode(data, name)
    fast = _fast(text, name)
    if fast is not None:
        root, loader = fast
        return _document(root, loader, name)
    return _document(*_compose(text, name), name)


def _compose(text: str, name: str) -> tuple[Node | None, Any]:
    loader = _Loader(text, name)
    try:
        root = loader.get_single_node()
    except _LoadProblem as p:
        raise CompileError([Diagnostic.make(p.code, p.message, _loc(name, p.mark))]) from p
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or exc.context or "invalid YAML").strip()
        if ("end of stream" in what or "<stream end>" in what) and exc.context and exc.context_mark:
            # The file ended inside a quoted string, flow list or mapping: point at its start.
            mark = exc.context_mark
            opened = re.sub(r"^while (scanning|parsing) an? ", "", exc.context)
            opened = opened.replace("quoted scalar", "quoted string")
            what = f"unclosed {opened} (the file ends inside it)"
        where = _loc(name, mark) if mark else Loc(file=name, line=1, col=1)
        if "single document" in (exc.context or ""):
            raise CompileError(
                [Diagnostic.make("E107", "expected a single YAML document", where)]
            ) from exc
        help_ = "indent with spaces: YAML does not allow tabs there" if "'\\t'" in what else None
        syntax = Diagnostic.make("E101", f"YAML syntax error: {show(what, 200)}", where, help_)
        raise CompileError([syntax]) from exc
    except yaml.reader.ReaderError as exc:  # characters PyYAML refuses; _CONTROL catches them first
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        msg = f"character U+{exc.character:04X} is not allowed"
        raise CompileError([_diag("E104", msg, name, line, col)]) from exc
    finally:
        loader.dispose()
    return root, loader


def _document(root: Node | None, loader: Any, name: str) -> LMap:
    blank = isinstance(root, ScalarNode) and root.tag.endswith(":null") and not root.value
    if root is None or blank:
        raise CompileError([_diag("E107", "file is empty", name)])
    if not isinstance(root, MappingNode):
        raise CompileError(
            [Diagnostic.make("E107", "top level must be a mapping", _loc(name, root.start_mark))]
        )
    diags: list[Diagnostic] = []
    out = _convert(root, loader, name, diags)
    if diags:
        raise CompileError(diags)
    assert isinstance(out, LMap)
    return out


def _convert(node: Node, loader: Any, name: str, diags: list[Diagnostic]) -> LNode:
    loc = _loc(name, node.start_mark)
    if node.tag not in _PLAIN_TAGS:
        diags.append(_bad_tag(node, loc))
        return LScalar(None, loc)
    if isinstance(node, ScalarNode):
        value = _scalar(node, loader)
        if isinstance(value, str) and _SURROGATE.search(value):
            diags.append(_surrogate(value, loc))
        return LScalar(value, loc)
    if isinstance(node, SequenceNode):
        return LSeq(tuple(_convert(n, loader, name, diags) for n in node.value), loc)
    assert isinstance(node, MappingNode)
    return _convert_map(node, loader, name, diags, loc)


def _bad_tag(node: Node, loc: Loc) -> Diagnostic:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return Diagnostic.make(
        "E101",
        f"unsupported YAML tag `{show(tag)}`",
        loc,
        "write plain values: tags are not part of the schema",
    )


def _surrogate(value: str, loc: Loc) -> Diagnostic:
    hit = _SURROGATE.search(value)
    assert hit is not None
    msg = f"escape for the unpaired surrogate U+{ord(hit.group()):04X}"
    return Diagnostic.make("E104", msg, loc)


_STR_TAG = "tag:yaml.org,2002:str"


def _scalar(node: ScalarNode, loader: Any) -> Any:
    if node.tag == _STR_TAG:  # what SafeConstructor.construct_yaml_str returns, without its cache
        return node.value
    try:
        value = loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        # e.g. `2020-13-01` looks like a date but is none: keep the text, the model says why.
        return node.value
    if isinstance(value, bool) and node.value not in _PLAIN_BOOL:
        return node.value
    plain_int = _PLAIN_INT.fullmatch(node.value)
    if isinstance(value, int) and not isinstance(value, bool) and not plain_int:
        return node.value
    return value


def _convert_map(
    node: MappingNode, loader: Any, name: str, diags: list[Diagnostic], loc: Loc
) -> LMap:
    items: dict[str, LNode] = {}
    keys: dict[str, Loc] = {}
    for knode, vnode in node.value:
        kloc = _loc(name, knode.start_mark)
        if knode.tag == "tag:yaml.org,2002:merge":
            diags.append(Diagnostic.make("E103", "merge keys (`<<`) are not allowed", kloc))
            continue
        if knode.tag not in _PLAIN_TAGS:
            diags.append(_bad_tag(knode, kloc))
            continue
        key = _scalar(knode, loader) if isinstance(knode, ScalarNode) else None
        if isinstance(key, str) and _SURROGATE.search(key):
            diags.append(_surrogate(key, kloc))
            continue
        if not isinstance(key, str) or not key or key.startswith(RESERVED_KEY_PREFIX):
            what = "a list" if isinstance(knode, SequenceNode) else "a mapping"
            if isinstance(knode, ScalarNode):
                what = f"`{show(knode.value)}`" if knode.value else "an empty key"
            msg = f"mapping key must be a plain name, not {what}"
            diags.append(Diagnostic.make("E109", msg, kloc))
            continue
        if key in items:
            first = keys[key]
            diags.append(
                Diagnostic.make(
                    "E102",
                    f"duplicate key `{show(key)}` (first defined at line {first.line})",
                    kloc,
                )
            )
            continue
        keys[key] = kloc
        items[key] = _convert(vnode, loader, name, diags)
    return LMap(items, loc, keys)


def to_plain(node: LNode) -> Any:
    """Located nodes -> plain data for pydantic (lists become tuples for strict models)."""
    if isinstance(node, LScalar):
        return node.value
    if isinstance(node, LSeq):
        return tuple(to_plain(n) for n in node.items)
    return {k: to_plain(v) for k, v in node.items.items()}


def locate(node: LNode, path: tuple[str | int, ...], key: bool = False) -> Loc:
    """The location of the deepest node along `path` (the key itself when `key`)."""
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, LMap) and isinstance(part, str) and part in node.items:
            if last and key:
                return node.keys[part]
            node = node.items[part]
        elif isinstance(node, LSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        elif isinstance(node, LMap) and isinstance(part, str) and part in node.keys:
            return node.keys[part]
        else:
            break
    return node.loc

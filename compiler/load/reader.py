"""Stage 1, load: bytes -> located YAML nodes (`LMap`, `LSeq`, `LScalar`).

Rejected here, each with its own code: non-UTF-8 or control bytes (E104), oversized files
(E105), syntax errors (E101), anchors and aliases (E103; no alias bomb can expand), deep nesting
(E106), duplicate keys with both lines (E102), non-string keys (E109), empty or non-mapping
documents (E107).

Well-formed input is read by `fast` (libyaml's events straight into located nodes); input
it declines, and every input with an error, is read here by PyYAML's reference loader, whose
messages and positions every diagnostic uses.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..diagnostics import CompileError, Diagnostic, Loc
from .fast import MAX_DEPTH, compose_fast
from .nodes import (
    PLAIN_TAGS,
    LMap,
    LNode,
    LScalar,
    LSeq,
    Pos,
    bad_tag,
    duplicate,
    key_problem,
    loc_at,
    pos_at,
    scalar_node,
    scalar_value,
    show,
    to_loc,
)

# 8 MiB: room for an organization of 10,000 keys and 200,000 revoked values (about 4 MB of
# org.yaml, the scale `make bench` proves: issue 16), still a bound on what a file can cost.
MAX_BYTES = 8 << 20
# C0 controls other than tab/LF/CR, DEL, C1 controls, a BOM past the start, the Unicode line
# separators (YAML counts them as line breaks, editors do not: locations would drift) and the
# bidirectional controls that can make a reviewer read text in another order ("Trojan Source").
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)


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


class _LoadProblem(Exception):
    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.mark = code, message, mark


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


def load_bytes(data: bytes, name: str) -> LMap:
    text = _decode(data, name)
    fast = compose_fast(text, name)
    if fast is not None:
        root, diags = fast
        if diags or root is None:
            raise CompileError(diags)
        return root
    return _document(*_compose(text, name), name)


def _compose(text: str, name: str) -> tuple[Node | None, Any]:
    loader = _Loader(text, name)
    try:
        root = loader.get_single_node()
    except _LoadProblem as p:
        raise CompileError([Diagnostic.make(p.code, p.message, loc_at(name, p.mark))]) from p
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or exc.context or "invalid YAML").strip()
        if ("end of stream" in what or "<stream end>" in what) and exc.context and exc.context_mark:
            # The file ended inside a quoted string, flow list or mapping: point at its start.
            mark = exc.context_mark
            opened = re.sub(r"^while (scanning|parsing) an? ", "", exc.context)
            opened = opened.replace("quoted scalar", "quoted string")
            what = f"unclosed {opened} (the file ends inside it)"
        where = loc_at(name, mark) if mark else Loc(file=name, line=1, col=1)
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
            [Diagnostic.make("E107", "top level must be a mapping", loc_at(name, root.start_mark))]
        )
    diags: list[Diagnostic] = []
    out = _convert(root, loader, name, diags)
    if diags:
        raise CompileError(diags)
    assert isinstance(out, LMap)
    return out


def _convert(node: Node, loader: Any, name: str, diags: list[Diagnostic]) -> LNode:
    at = pos_at(name, node.start_mark)
    if isinstance(node, ScalarNode):
        return scalar_node(
            node.tag, node.value, at, diags, lambda: loader.construct_object(node, deep=True)
        )
    if node.tag not in PLAIN_TAGS:
        diags.append(bad_tag(node.tag, to_loc(at)))
        return LScalar(None, at)
    if isinstance(node, SequenceNode):
        return LSeq(tuple(_convert(n, loader, name, diags) for n in node.value), at)
    assert isinstance(node, MappingNode)
    return _convert_map(node, loader, name, diags, at)


def _convert_map(
    node: MappingNode, loader: Any, name: str, diags: list[Diagnostic], at: Pos
) -> LMap:
    items: dict[str, LNode] = {}
    keys: dict[str, Pos] = {}
    for knode, vnode in node.value:
        kat = pos_at(name, knode.start_mark)
        key = None
        if isinstance(knode, ScalarNode) and knode.tag in PLAIN_TAGS:
            key = scalar_value(
                knode.tag, knode.value, partial(loader.construct_object, knode, deep=True)
            )
        kind = (
            "scalar"
            if isinstance(knode, ScalarNode)
            else ("seq" if isinstance(knode, SequenceNode) else "map")
        )
        text = knode.value if isinstance(knode, ScalarNode) else ""
        problem = key_problem(kind, knode.tag, text, key, kat)
        if problem is None and key in items:
            problem = duplicate(key, keys[key], kat)
        if problem is not None:
            diags.append(problem)
            continue
        assert isinstance(key, str)  # key_problem refuses every other key
        keys[key] = kat
        items[key] = _convert(vnode, loader, name, diags)
    return LMap(items, at, keys)


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
                return node.key_loc(part)
            node = node.items[part]
        elif isinstance(node, LSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        elif isinstance(node, LMap) and isinstance(part, str) and part in node.keys:
            return node.key_loc(part)
        else:
            break
    return node.loc

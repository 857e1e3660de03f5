"""Pydantic validation errors -> one located diagnostic per bad value (E201-E205).

Paths are mapped back to the YAML with `load.locate`; pydantic's union-branch tags are dropped;
a container whose items failed reports only the items' problems.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostic, did_you_mean
from ..load import LMap, LNode, LSeq, locate, show
from .types import PATTERN_NAMES

_TYPE_WORDS = {
    "string": "a string",
    "int": "an integer",
    "bool": "true or false",
    "tuple": "a list",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "date": "a date (YYYY-MM-DD)",
    "is": "a mapping",
}


def validation_diagnostics(
    cls: type[BaseModel], root: LMap, exc: ValidationError
) -> list[Diagnostic]:
    errors = [(_data_path(root, e["loc"]), e) for e in exc.errors()]
    paths = [p for p, _ in errors]
    out: dict[tuple[Any, ...], Diagnostic] = {}
    for path, err in errors:
        # A list or mapping whose items failed also fails its own length check: keep only the
        # deepest problem, and one diagnostic per value (not one per union branch).
        if any(len(o) > len(path) and o[: len(path)] == path for o in paths):
            continue
        out.setdefault(path, _one(cls, root, path, err))
    # A misspelt required field is one problem: its E201 already says `did you mean` that
    # field, so the E202 for the same field under the same mapping is dropped.
    meant = {(p[:-1], d.help) for p, d in out.items() if d.code == "E201"}
    return [
        d
        for p, d in out.items()
        if not (d.code == "E202" and (p[:-1], f"did you mean `{p[-1]}`?") in meant)
    ]


def _child(node: LNode | None, part: Any) -> LNode | None:
    if isinstance(node, LMap) and isinstance(part, str):
        return node.items.get(part)
    if isinstance(node, LSeq) and isinstance(part, int) and 0 <= part < len(node.items):
        return node.items[part]
    return None


def _data_path(root: LMap, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The error's path in the YAML: pydantic's union-branch tags (`ParamRef`, `str`, ...)
    dropped, but never a part that names real data (a tag key such as `Owner`)."""
    node: LNode | None = root
    out: list[Any] = []
    for part in loc:
        child = _child(node, part)
        if child is None and _is_union_tag(part):
            continue
        node = child
        out.append(part)
    return tuple(out)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part[:1].isupper()
        or part in ("str", "tuple[...]")
        or "[" in part
        or part.startswith("function-")
    )


def _one(cls: type[BaseModel], root: LMap, path: tuple[Any, ...], err: Any) -> Diagnostic:
    kind: str = err["type"]
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    field = show(dotted) or "document"
    name = show(path[-1]) if path else "document"
    if kind == "extra_forbidden":
        loc = locate(root, path, key=True)
        return Diagnostic.make("E201", f"unknown field `{name}`", loc, _field_help(cls, root, path))
    if kind == "missing":
        return Diagnostic.make("E202", f"missing field `{name}`", locate(root, path[:-1]))
    loc = locate(root, path, key=tuple(err["loc"][-1:]) == ("[key]",))
    if kind == "too_short" and isinstance(err.get("input"), tuple | dict):
        n = err["ctx"]["min_length"]
        return Diagnostic.make("E205", f"`{field}` needs at least {n} item{'s' * (n > 1)}", loc)
    if kind == "too_long" and isinstance(err.get("input"), tuple | dict):
        return Diagnostic.make(
            "E205", f"`{field}` has more than {err['ctx']['max_length']} items", loc
        )
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = "at least" if kind == "greater_than_equal" else "at most"
        limit = err["ctx"].get("ge", err["ctx"].get("le"))
        got = show(err.get("input"))
        return Diagnostic.make("E205", f"`{field}` must be {bound} {limit}, not {got}", loc)
    if kind.endswith("_type") or kind in ("model_attributes_type", "dataclass_type"):
        want = _TYPE_WORDS.get(kind.split("_")[0], "another type")
        got = type(err.get("input")).__name__.replace("tuple", "list").replace("NoneType", "null")
        return Diagnostic.make(
            "E203", f"`{field}` must be {want}, not {got}", loc, _quote_help(kind, err)
        )
    return Diagnostic.make("E204", f"invalid `{field}`: {_value_message(kind, err)}", loc)


def _value_message(kind: str, err: Any) -> str:
    msg = show(str(err["msg"]).removeprefix("Value error, "), 300)
    msg = msg[:1].lower() + msg[1:]
    if kind == "literal_error":
        msg = f"must be {err['ctx']['expected']}, not `{show(err.get('input'))}`"
    elif kind == "string_pattern_mismatch":
        pattern = err["ctx"]["pattern"]
        want = PATTERN_NAMES.get(pattern, f"a match of `{pattern}`")
        msg = f"`{show(err.get('input'))}` is not {want}"
    elif kind in ("too_short", "too_long"):
        msg = msg.lower()
    elif kind.startswith("date_"):
        msg = f"`{show(err.get('input'))}` is not a date (YYYY-MM-DD)"
    return msg


def _quote_help(kind: str, err: Any) -> str | None:
    if kind == "string_type" and isinstance(err.get("input"), int | float | bool):
        return 'quote the value, e.g. "' + show(err["input"]).lower() + '"'
    return None


def _field_help(cls: type[BaseModel], root: LMap, path: tuple[Any, ...]) -> str | None:
    """`did you mean` one of the model's fields that the mapping does not already set."""
    parent: LNode | None = root
    for part in path[:-1]:
        if isinstance(parent, LMap) and isinstance(part, str):
            parent = parent.items.get(part)
        elif isinstance(parent, LSeq) and isinstance(part, int) and 0 <= part < len(parent.items):
            parent = parent.items[part]
    present = set(parent.items) if isinstance(parent, LMap) else set()
    model: Any = cls
    for part in path[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return None
        model = _inner_model(info.annotation)
        if model is None:
            return None
    fields = [f for f in getattr(model, "model_fields", {}) if f != "where" and f not in present]
    return did_you_mean(str(path[-1]), fields)


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    meta = getattr(annotation, "__origin__", None)
    return _inner_model(meta) if meta is not None and meta is not annotation else None

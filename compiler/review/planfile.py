"""A saved Terraform plan as `terraform show -json` prints it, read for `byok check-plan`.

The format is Terraform's "JSON Output Format"
(https://developer.hashicorp.com/terraform/internals/json-format): `format_version` (major 1:
"a major version change indicates an incompatible change"), `terraform_version`,
`resource_changes` (each `change` with `actions`, `before`, `after`, `after_unknown`),
`resource_drift` (what refresh found changed outside Terraform, same shape), `prior_state`
(the refreshed state the plan starts from) and `planned_values`.

Every problem is a `PlanError` located `file:line:col` in the plan file: JSON syntax errors and a
truncated file where the parser stopped, a value of the wrong shape at the start of the JSON
value that holds it (`locate`, run only on that path). A plan byok cannot read is never judged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Path_ = tuple[str | int, ...]  # a JSON path: object keys and array indexes

# Actions of a resource change that do nothing to the resource.
QUIET = frozenset({("no-op",), ("read",)})


class PlanError(ValueError):
    """The plan file is not a plan byok reads: `where` is `file:line:col`."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


@dataclass(frozen=True)
class Change:
    """One entry of `resource_changes` or `resource_drift` (managed resources only)."""

    address: str
    type: str
    provider: str
    actions: tuple[str, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    after_unknown: Mapping[str, Any]
    path: Path_  # where it is in the plan file (for locations)

    @property
    def deletes(self) -> bool:
        """Delete, or replace (delete then create, or create then delete)."""
        return "delete" in self.actions

    @property
    def creates(self) -> bool:
        return "create" in self.actions

    @property
    def quiet(self) -> bool:
        return self.actions in QUIET

    def unknown(self, attr: str) -> bool:
        return bool(self.after_unknown.get(attr))


@dataclass(frozen=True)
class Plan:
    file: str
    text: str
    format_version: str
    terraform_version: str
    timestamp: str | None
    changes: tuple[Change, ...]
    drift: tuple[Change, ...]
    # address -> values of every resource (managed and data) of the refreshed prior state and
    # of the planned values (data sources read during the plan live there)
    data: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    errored: bool = False
    complete: bool = True

    def where(self, path: Path_) -> str:
        return locate(self.file, self.text, path)


def locate(file: str, text: str, path: Path_) -> str:
    """`file:line:col` of the JSON value at `path` (or of the deepest part of it that exists).
    Values are skipped with the C decoder, so this is fast enough for any plan."""
    decoder = json.JSONDecoder()
    pos = _ws(text, 0)
    for step in path:
        found = _child(decoder, text, pos, step)
        if found is None:
            break
        pos = found
    return locate_offset(file, text, pos)


def locate_offset(file: str, text: str, pos: int) -> str:
    """`file:line:col` (both 1-based) of character offset `pos`."""
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{file}:{line}:{col}"


def _ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _child(decoder: json.JSONDecoder, text: str, pos: int, step: str | int) -> int | None:
    """Position of member `step` of the object (a str) or array (an int) at `pos`."""
    try:
        opener = text[pos]
        if opener not in "{[" or (opener == "{") != isinstance(step, str):
            return None
        pos, index = _ws(text, pos + 1), 0
        while text[pos] not in "}]":
            if opener == "{":
                key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
                pos = _ws(text, _ws(text, pos) + 1)  # past ':'
                if key == step:
                    return pos
            elif index == step:
                return pos
            _, end = decoder.raw_decode(text, pos)
            pos, index = _ws(text, _ws(text, end) + 1), index + 1  # past ','
    except (IndexError, ValueError):
        return None
    return None


# --------------------------------------------------------------------------- reading


def _need(plan_file: str, text: str, doc: Any, path: Path_, kind: type, what: str) -> Any:
    if not isinstance(doc, kind):
        shapes: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
        shape = shapes.get(kind, kind.__name__)
        raise PlanError(locate(plan_file, text, path), f"{what} must be {shape}")
    return doc


def _change(plan_file: str, text: str, raw: Any, path: Path_) -> Change | None:
    raw = _need(plan_file, text, raw, path, dict, "a resource change")
    if raw.get("mode", "managed") != "managed":
        return None
    for key in ("address", "type"):
        _need(plan_file, text, raw.get(key), (*path, key), str, f"`{key}`")
    ch = _need(plan_file, text, raw.get("change"), (*path, "change"), dict, "`change`")
    actions = _need(
        plan_file, text, ch.get("actions"), (*path, "change", "actions"), list, "`actions`"
    )
    for side in ("before", "after"):
        if ch.get(side) is not None:
            _need(plan_file, text, ch[side], (*path, "change", side), dict, f"`{side}`")
    unknown = ch.get("after_unknown")
    return Change(
        address=raw["address"],
        type=raw["type"],
        provider=str(raw.get("provider_name", "")),
        actions=tuple(str(a) for a in actions),
        before=ch.get("before"),
        after=ch.get("after"),
        after_unknown=unknown if isinstance(unknown, dict) else {},
        path=path,
    )


def _changes(plan_file: str, text: str, doc: Mapping[str, Any], key: str) -> tuple[Change, ...]:
    raw = doc.get(key, [])
    _need(plan_file, text, raw, (key,), list, f"`{key}`")
    found = (_change(plan_file, text, rc, (key, i)) for i, rc in enumerate(raw))
    return tuple(c for c in found if c is not None)


def _module_resources(module: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(module, dict):
        return
    for r in module.get("resources") or ():
        if isinstance(r, dict) and isinstance(r.get("address"), str):
            yield r
    for child in module.get("child_modules") or ():
        yield from _module_resources(child)


def _values(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for section in (doc.get("prior_state") or {}, {"values": doc.get("planned_values")}):
        values = section.get("values") if isinstance(section, dict) else None
        root = values.get("root_module") if isinstance(values, dict) else None
        for r in _module_resources(root):
            if isinstance(r.get("values"), dict):
                out.setdefault(r["address"], r["values"])
    return out


def parse(plan_file: str, text: str) -> Plan:
    """The plan in `text` (the file's content); `PlanError` when it is not one."""
    try:
        doc = json.loads(text)
    except RecursionError:  # json.loads recurses per level: a document nested ~1,000 deep
        raise PlanError(f"{plan_file}:1:1", "not a JSON plan: nested too deeply") from None
    except json.JSONDecodeError as exc:
        end = len(text.rstrip())
        if exc.pos >= end or exc.msg.startswith("Unterminated string"):
            # the text ran out inside a value: say where it ends
            where = locate_offset(plan_file, text, end)
            raise PlanError(
                where, "not a JSON plan: the file ends before the JSON does (truncated?)"
            ) from None
        raise PlanError(
            f"{plan_file}:{exc.lineno}:{exc.colno}", f"not a JSON plan: {exc.msg}"
        ) from None
    _need(plan_file, text, doc, (), dict, "the plan (`terraform show -json PLANFILE`)")
    for key in ("format_version", "terraform_version"):
        _need(plan_file, text, doc.get(key), (key,), str, f"`{key}`")
    if "resource_changes" not in doc and "planned_values" not in doc:
        raise PlanError(
            locate(plan_file, text, ()),
            "no `resource_changes`: this is a state, not a plan (`terraform show -json PLANFILE` "
            "of a plan saved with `terraform plan -out=PLANFILE`)",
        )
    return Plan(
        file=plan_file,
        text=text,
        format_version=doc["format_version"],
        terraform_version=doc["terraform_version"],
        timestamp=doc.get("timestamp") if isinstance(doc.get("timestamp"), str) else None,
        changes=_changes(plan_file, text, doc, "resource_changes"),
        drift=_changes(plan_file, text, doc, "resource_drift"),
        data=_values(doc),
        errored=doc.get("errored") is True,
        complete=doc.get("complete") is not False,
    )


def by_address(changes: Sequence[Change]) -> dict[str, Change]:
    return {c.address: c for c in changes}

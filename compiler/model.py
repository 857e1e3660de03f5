"""Stage 2, model: located YAML -> frozen pydantic models (`Vendor`, `Org`).

Every model keeps a `where` handle on its YAML mapping, so later stages can point at any field
or list item (`model.where.at("actions", 2)`); `Where` compares equal to every other `Where`,
so a location never affects equality. Pydantic errors are mapped back to `file:line:col`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from .diagnostics import CompileError, Diagnostic, Loc, did_you_mean
from .load import LMap, LNode, LScalar, LSeq, locate, show
from .modeltypes import (
    PATTERN_NAMES,
    AccountId,
    Email,
    HttpsUrl,
    IamArn,
    Name,
    ParamName,
    Regex,
    Region,
    ScopeName,
    Slug,
    Text,
    ValueStr,
)


class Where:
    """A handle on the YAML mapping a model came from; equal to every other `Where`."""

    __slots__ = ("node",)

    def __init__(self, node: LMap | None = None) -> None:
        self.node = node

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Where)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"Where({self.loc})"

    @property
    def loc(self) -> Loc | None:
        return self.node.loc if self.node else None

    def at(self, *path: str | int, key: bool = False) -> Loc | None:
        return locate(self.node, path, key=key) if self.node else None


def _drop_where(value: Any) -> Any:
    """Plain mappings (tags, parameters) are not models: drop the location handle."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "@where"}
    return value


NoWhere = BeforeValidator(_drop_where)


class Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, arbitrary_types_allowed=True, populate_by_name=True
    )
    where: Where = Field(default_factory=Where, alias="@where", exclude=True, repr=False)


class Fact(Model):
    """Anything a vendor file states carries its public source and whether it is verified."""

    source: HttpsUrl
    verified: bool
    note: Text | None = None


class ParamRef(Model):
    parameter: ParamName


class Parameter(Model):
    name: ParamName
    description: Text
    pattern: Regex


class Principal(Fact):
    arn: IamArn | None = None
    parameter: ParamName | None = None


class VendorCondition(Model):
    operator: Annotated[str, Field(pattern=r"^[A-Za-z:]{2,60}$")]
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9:/._\-*?]{3,200}$")]
    values: Annotated[tuple[ValueStr | ParamRef, ...], Field(min_length=1)]


class Grant(Fact):
    name: Name
    actions: Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(min_length=1)]
    conditions: tuple[VendorCondition, ...] = ()


class KeyRequirements(Fact):
    spec: Literal["SYMMETRIC_DEFAULT"] = "SYMMETRIC_DEFAULT"
    multi_region: Literal["required", "optional", "unsupported"]
    automatic_rotation: Literal["supported", "unsupported"]
    replacement_needs_new_arn: bool


class KillSwitch(Fact):
    supported: bool


class Scope(Fact):
    name: ScopeName
    description: Text
    context_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/\-]{1,128}$")]
    pattern: Regex


class Revocation(Model):
    actions: Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(min_length=1)]
    kill_switch: KillSwitch
    scopes: tuple[Scope, ...] = ()


class Logging(Fact):
    principals: Annotated[tuple[Principal, ...], Field(min_length=1)]
    external_id_parameter: ParamName
    actions: Annotated[tuple[Annotated[str, Field(pattern=r"^logs:[A-Za-z*]+$")], ...], Field(min_length=1)]


class Vendor(Model):
    name: Slug
    display_name: Text
    product: Text
    homepage: HttpsUrl
    parameters: tuple[Parameter, ...] = ()
    principals: tuple[Principal, ...]
    grants: Annotated[tuple[Grant, ...], Field(min_length=1)]
    key: KeyRequirements
    revocation: Revocation
    logging: Logging | None = None


class KeyOptions(Model):
    rotation_period_days: Annotated[int, Field(ge=90, le=2560)] | None = None
    deletion_window_days: Annotated[int, Field(ge=7, le=30)] | None = None
    multi_region: bool | None = None
    imported_key_material: bool | None = None


class Defaults(Model):
    rotation_period_days: Annotated[int, Field(ge=90, le=2560)] = 365
    deletion_window_days: Annotated[int, Field(ge=7, le=30)] = 30
    multi_region: bool = False
    imported_key_material: bool = False


# AWS tag character set (ASCII subset); `aws:` is reserved for AWS's own tags.
def _not_aws(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key `{key}` uses the reserved `aws:` prefix")
    return key


TagKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/=+@ -]{1,128}$"), AfterValidator(_not_aws)]
TagValue = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/=+@ -]{0,256}$")]
def _no_number(value: Any) -> Any:
    """A YAML number is never a date (pydantic would read it as a Unix timestamp)."""
    if isinstance(value, int | float):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


LenientDate = Annotated[date, Field(strict=False), BeforeValidator(_no_number)]


class Suspension(Model):
    reason: Text
    ticket: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:#/\-]{0,63}$")]
    environments: tuple[Name, ...] | None = None


class RevocationEntry(Suspension):
    scope: ScopeName
    values: Annotated[tuple[ValueStr, ...], Field(min_length=1)]
    expires: LenientDate | None = None


class App(Model):
    vendor: Slug
    environments: Annotated[tuple[Name, ...], Field(min_length=1, max_length=20)]
    parameters: Annotated[dict[ParamName, ValueStr], NoWhere] = Field(default_factory=dict)
    key: KeyOptions = Field(default_factory=KeyOptions)
    suspension: Suspension | None = None
    revocations: tuple[RevocationEntry, ...] = ()


class Alarms(Model):
    emails: Annotated[tuple[Email, ...], Field(min_length=1)]


class Trail(Model):
    log_retention_days: Literal[
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ] = 365


class Org(Model):
    organization: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,20}$")]
    account_id: AccountId
    region: Region
    key_administrators: Annotated[tuple[IamArn, ...], Field(min_length=1)]
    break_glass: IamArn | None = None
    alarms: Alarms
    trail: Trail = Field(default_factory=Trail)
    defaults: Defaults = Field(default_factory=Defaults)
    tags: Annotated[dict[TagKey, TagValue], NoWhere] = Field(default_factory=dict)
    apps: Annotated[tuple[App, ...], Field(min_length=1)]


# --------------------------------------------------------------------------- validation


def _with_where(node: LNode) -> Any:
    if isinstance(node, LScalar):
        return node.value
    if isinstance(node, LSeq):
        return tuple(_with_where(n) for n in node.items)
    out: dict[str, Any] = {k: _with_where(v) for k, v in node.items.items()}
    out["@where"] = Where(node)
    return out


def build(cls: type[Model], root: LMap) -> Any:
    """Validate `root` as `cls`; raise `CompileError` with one diagnostic per problem."""
    try:
        return cls.model_validate(_with_where(root))
    except ValidationError as exc:
        raise CompileError(_diagnostics(cls, root, exc)) from exc


_TYPE_WORDS = {"string": "a string", "int": "an integer", "bool": "true or false",
               "tuple": "a list", "list": "a list", "dict": "a mapping", "model": "a mapping",
               "date": "a date (YYYY-MM-DD)", "is": "a mapping"}


def _diagnostics(cls: type[Model], root: LMap, exc: ValidationError) -> list[Diagnostic]:
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
    return [d for p, d in out.items()
            if not (d.code == "E202" and (p[:-1], f"did you mean `{p[-1]}`?") in meant)]


def _data_path(root: LMap, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The error's path in the YAML: pydantic's union-branch tags (`ParamRef`, `str`, ...)
    dropped, but never a part that names real data (a tag key such as `Owner`)."""
    node: LNode | None = root
    out: list[Any] = []
    for part in loc:
        if isinstance(node, LMap) and isinstance(part, str) and part in node.items:
            node = node.items[part]
        elif isinstance(node, LSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        elif _is_union_tag(part):
            continue
        else:
            node = None
        out.append(part)
    return tuple(out)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part[:1].isupper() or part in ("str", "tuple[...]") or "[" in part or part.startswith("function-")
    )


def _one(cls: type[Model], root: LMap, path: tuple[Any, ...], err: Any) -> Diagnostic:
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
        return Diagnostic.make("E205", f"`{field}` has more than {err['ctx']['max_length']} items", loc)
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = "at least" if kind == "greater_than_equal" else "at most"
        limit = err["ctx"].get("ge", err["ctx"].get("le"))
        got = show(err.get("input"))
        return Diagnostic.make("E205", f"`{field}` must be {bound} {limit}, not {got}", loc)
    if kind.endswith("_type") or kind in ("model_attributes_type", "dataclass_type"):
        want = _TYPE_WORDS.get(kind.split("_")[0], "another type")
        got = type(err.get("input")).__name__.replace("tuple", "list").replace("NoneType", "null")
        return Diagnostic.make("E203", f"`{field}` must be {want}, not {got}", loc, _quote_help(kind, err))
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
    return Diagnostic.make("E204", f"invalid `{field}`: {msg}", loc)


def _quote_help(kind: str, err: Any) -> str | None:
    if kind == "string_type" and isinstance(err.get("input"), int | float | bool):
        return "quote the value, e.g. \"" + show(err["input"]).lower() + "\""
    return None


def _field_help(cls: type[Model], root: LMap, path: tuple[Any, ...]) -> str | None:
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


def compiled_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)

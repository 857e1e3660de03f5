"""Stage 2, model: the base every model shares: a frozen, strict pydantic `Model` whose `where`
handle points at its YAML mapping and compares equal to every other `Where` (a location never
affects equality)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..diagnostics import Loc
from ..load import LMap, locate
from .types import HttpsUrl, Text


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
        frozen=True,
        extra="forbid",
        strict=True,
        arbitrary_types_allowed=True,
        populate_by_name=True,
    )
    where: Where = Field(default_factory=Where, alias="@where", exclude=True, repr=False)


class Fact(Model):
    """Anything a vendor file states carries its public source and whether it is verified."""

    source: HttpsUrl
    verified: bool
    note: Text | None = None

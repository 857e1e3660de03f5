"""A request to the evaluator: who, which action, on what, with which context keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from . import iam

ContextValue = str | tuple[str, ...]
_REQUEST_FIELDS = {"principal", "action", "resource", "context"}


class RequestFormatError(ValueError):
    """A request document that is not `{"principal", "action", "resource"?, "context"?}`."""


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    principal: str
    action: str
    resource: str | None = None
    context: dict[str, ContextValue] = Field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: Any) -> Request:
        if not isinstance(doc, Mapping):
            raise RequestFormatError("a request must be a JSON object")
        unknown = set(doc) - _REQUEST_FIELDS
        if unknown:
            raise RequestFormatError(f"unknown request field `{sorted(unknown)[0]}`")
        # An empty principal is odd but well-formed (the comparer may name one); no action is not.
        if not isinstance(doc.get("principal"), str):
            raise RequestFormatError("`principal` must be a string")
        if not isinstance(doc.get("action"), str) or not doc["action"]:
            raise RequestFormatError("`action` must be a non-empty string")
        resource = doc.get("resource")
        if resource is not None and not isinstance(resource, str):
            raise RequestFormatError("`resource` must be a string or null")
        ctx = _context_from_json(doc.get("context", {}))
        return cls(principal=doc["principal"], action=doc["action"], resource=resource, context=ctx)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"principal": self.principal, "action": self.action}
        if self.resource is not None:
            out["resource"] = self.resource
        out["context"] = {k: v if isinstance(v, str) else list(v) for k, v in self.context.items()}
        return out


def _scalar(v: Any, key: str) -> str:
    text = iam.scalar_text(v)
    if text is None:
        raise RequestFormatError(f"context key `{key}`: values must be strings or lists of strings")
    return text


def _context_from_json(raw: Any) -> dict[str, ContextValue]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RequestFormatError("`context` must be an object of condition keys")
    out: dict[str, ContextValue] = {}
    for key, val in raw.items():
        out[key] = (
            tuple(_scalar(v, key) for v in val) if isinstance(val, list) else _scalar(val, key)
        )
    lowered(out)
    return out


def lowered(ctx: Mapping[str, ContextValue]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, val in ctx.items():
        if key.lower() in out:
            raise RequestFormatError(f"context key `{key}` is given twice (key names ignore case)")
        out[key.lower()] = (val,) if isinstance(val, str) else tuple(val)
    return out

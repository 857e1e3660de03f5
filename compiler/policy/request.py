"""A request to the evaluator: who, which action, on what, with which context keys.

A request is one AWS could receive (checked whenever one is made, `Request._check`):

- its principal is a request principal (`principals.shape`: a root user, IAM user, role,
  assumed-role or federated-user session, or an AWS service principal);
- a context key AWS derives from the principal (`context.DERIVED_KEYS`) has the value AWS
  would set, if the request gives one at all (`context.contradiction`);
- condition key names are ASCII: AWS's are (the global and service keys of
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html and
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html),
  and folding a non-ASCII name (`K`, U+212A KELVIN SIGN, lower-cases to `k`) would equate
  names AWS keeps apart;
- a key the catalog lists as single-valued carries one value, not a list (the comparer
  assumes so: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html);
- `future_action` marks an action AWS may add later: one the KMS catalog does not list (the
  comparer's witness for a wildcard's future actions, `kms:ReEncrypt*`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import catalog, iam
from .catalog import is_single_valued
from .context import contradiction
from .principals import shape

ContextValue = str | tuple[str, ...]
_REQUEST_FIELDS = {"principal", "action", "resource", "context", "future_action"}


class RequestFormatError(ValueError):
    """A request document that is not `{"principal", "action", "resource"?, "context"?}`."""


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    principal: str
    action: str
    resource: str | None = None
    context: dict[str, ContextValue] = Field(default_factory=dict)
    future_action: bool = False

    @model_validator(mode="after")
    def _check(self) -> Request:
        if shape(self.principal) is None:
            raise RequestFormatError(
                f"`{self.principal}` is not a principal a request can come from: an account "
                "root, IAM user or role ARN, an assumed-role or federated-user session ARN, or "
                "an AWS service principal (`logs.amazonaws.com`)"
            )
        why = _action_problem(self.action, self.future_action)
        if why is not None:
            raise RequestFormatError(why)
        for key, value in self.context.items():
            ascii_key(key, "context key")
            if isinstance(value, tuple) and _single_valued(key):
                raise RequestFormatError(
                    f"context key `{key}` is single-valued: give one value, not a list"
                )
            why = contradiction(self.principal, key, value) if isinstance(value, str) else None
            if why is not None:
                raise RequestFormatError(why)
        return self

    @classmethod
    def from_json(cls, doc: Any) -> Request:
        if not isinstance(doc, Mapping):
            raise RequestFormatError("a request must be a JSON object")
        unknown = set(doc) - _REQUEST_FIELDS
        if unknown:
            raise RequestFormatError(f"unknown request field `{sorted(unknown)[0]}`")
        if not isinstance(doc.get("principal"), str):
            raise RequestFormatError("`principal` must be a string")
        if not isinstance(doc.get("action"), str) or not doc["action"]:
            raise RequestFormatError("`action` must be a non-empty string")
        resource = doc.get("resource")
        if resource is not None and not isinstance(resource, str):
            raise RequestFormatError("`resource` must be a string or null")
        ctx = _context_from_json(doc.get("context", {}))
        future = doc.get("future_action", False)
        if not isinstance(future, bool):
            raise RequestFormatError("`future_action` must be true or false")
        try:
            return cls(
                principal=doc["principal"],
                action=doc["action"],
                resource=resource,
                context=ctx,
                future_action=future,
            )
        except ValidationError as exc:  # `_check`'s message, without pydantic's wrapping
            raise RequestFormatError(str(exc.errors()[0]["ctx"]["error"])) from None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"principal": self.principal, "action": self.action}
        if self.resource is not None:
            out["resource"] = self.resource
        out["context"] = {k: v if isinstance(v, str) else list(v) for k, v in self.context.items()}
        if self.future_action:
            out["future_action"] = True
        return out


def ascii_key(key: str, what: str) -> None:
    """Refuse a condition key name with a non-ASCII character (`iam.ascii_key`)."""
    why = iam.ascii_key(key)
    if why is not None:
        raise RequestFormatError(f"{what} `{key}` {why}")


def future_action(action: str) -> bool:
    """A `kms:` name AWS does not define (yet): a request for it stands for an action AWS may
    add (`future_action`)."""
    return action.lower().startswith("kms:") and not catalog.is_defined_action(action)


def _action_problem(action: str, future: bool) -> str | None:
    """Why `action` cannot be judged: a `kms:` name AWS does not define is a typo unless the
    request says it stands for an action AWS may add later (deciding a typo, always
    `implicit_deny`, would read as if the policy denied the real action)."""
    if not action.lower().startswith("kms:"):
        return "`future_action` applies to `kms:` actions only" if future else None
    defined = catalog.is_defined_action(action)
    if future:
        return f"`{action}` is a KMS action already: drop `future_action`" if defined else None
    if defined:
        return None
    close = difflib.get_close_matches(action, sorted(catalog.DEFINED_ACTIONS), n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return (
        f"`{action}` is not a KMS action; {hint}(for an action AWS may add later, set "
        '`"future_action": true`)'
    )


def _single_valued(key: str) -> bool:
    try:
        return is_single_valued(key)
    except KeyError:  # a key the catalog does not know: lists allowed
        return False


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
        ascii_key(key, "context key")
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

"""JSON Schemas of org.yaml and of a vendor file, generated from the pydantic models: the models
stay the one source of truth, and editors (yaml-language-server) complete and validate with it.

What a schema can say it says: required and unknown fields (`extra="forbid"` becomes
`additionalProperties: false`), types, enumerations, lengths, ranges and the regular expressions
of constrained strings (account ids, ARNs, Regions, tickets...). What it cannot say the compiler
still checks: custom validators (characters a key policy cannot hold, `${` in a value, valid
regular expressions, reserved tag prefixes), YAML-level rules (duplicate keys, anchors) and
every rule across fields or files (unknown vendors, parameters, scopes). So the schema accepts
whatever the compiler accepts, and rejects a subset of what it rejects (tests/test_schema.py).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from .base import Model
from .inputs import Org, Vendor

SCHEMA_ID = "https://byok-compiler.dev/schema/{kind}.json"
KINDS: dict[str, type[Model]] = {"org": Org, "vendor": Vendor}
_WHERE = "@where"  # the location handle every model carries; never part of the YAML


class _Generator(GenerateJsonSchema):
    def is_instance_schema(self, schema: core_schema.IsInstanceSchema) -> JsonSchemaValue:
        # Only `Where` (the YAML location handle) is an instance check; it is dropped below.
        return {}


def _drop_where(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _drop_where(v) for k, v in node.items()}
        if isinstance(out.get("properties"), dict):
            out["properties"].pop(_WHERE, None)
        if "patternProperties" in out:
            # a mapping with constrained keys (parameters, tags): the model rejects other keys
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [_drop_where(v) for v in node]
    return node


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `kind`: `org` or `vendor`."""
    doc: dict[str, Any] = _drop_where(
        KINDS[kind].model_json_schema(mode="validation", schema_generator=_Generator)
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID.format(kind=kind),
        **doc,
    }


def schema_text(kind: str) -> str:
    return json.dumps(schema(kind), indent=2, sort_keys=True) + "\n"

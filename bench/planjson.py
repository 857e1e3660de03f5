"""A synthetic `terraform show -json` plan of what `generated/` declares, for `byok check-plan`'s
benchmark (`make bench`) and its unit tests (tests/test_check_plan.py).

`plan_json(project, root, mode)` writes, for every resource of one root of
`generated/deployment.json`, the resource change Terraform 1.11 with hashicorp/aws 5.100 plans
for it, in the shape of real plans (tests/e2e/test_check_plan.py makes those against moto):
`create` with `before: null` (mode `create`), or a `no-op` with the values in both `before` and
`after` and the same resource in `prior_state` (mode `clean`, a re-plan right after apply).
Only the attributes check-plan reads are filled in; `mutate` edits a change by address.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENABLED = {
    "aws_kms_key": "is_enabled",
    "aws_kms_replica_key": "enabled",
    "aws_kms_external_key": "enabled",
}
POLICY = {
    "aws_kms_key": "policy",
    "aws_kms_external_key": "policy",
    "aws_kms_replica_key": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_iam_role_policy": "policy",
}


def _values(project: Path, r: dict[str, Any], account: str) -> dict[str, Any]:
    values: dict[str, Any] = {**r["replace_on"], **r["settings"]}
    values.pop("enabled", None)
    if r["type"] in ENABLED:
        values[ENABLED[r["type"]]] = r["settings"].get("enabled", True)
    access = r["access"]
    doc = access.get("policy") or access.get("trust_policy") or access.get("permissions_policy")
    if "key_policy" in access:
        doc = json.loads((project / access["key_policy"]).read_text())
    if doc is not None and r["type"] in POLICY:
        values[POLICY[r["type"]]] = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    if r["type"].startswith("aws_kms_") and r["kind"] in ("key", "audit-key", "replica"):
        key_id = f"k-{zlib.crc32((r['root'] + r['address']).encode()):010d}"
        values |= {"key_id": key_id, "arn": f"arn:aws:kms:{r['region']}:{account}:key/{key_id}"}
    return values


def plan_doc(project: Path, root: str = ".", mode: str = "clean") -> dict[str, Any]:
    inv = json.loads((project / "generated" / "deployment.json").read_text())
    (where,) = [x for x in inv["roots"] if x["dir"] == root]
    changes, state = [], []
    for r in inv["resources"]:
        if r["root"] != root:
            continue
        values = _values(project, r, where["account"])
        before = None if mode == "create" else values
        actions = ["create"] if mode == "create" else ["no-op"]
        changes.append(
            {
                "address": r["address"],
                "mode": "managed",
                "type": r["type"],
                "name": "this",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": actions,
                    "before": before,
                    "after": values,
                    "after_unknown": {},
                },
            }
        )
        state.append(
            {"address": r["address"], "mode": "managed", "type": r["type"], "values": values}
        )
    prefix = "module.byok." if root == "." else ""
    data = [
        {
            "address": f"{prefix}data.aws_caller_identity.current",
            "mode": "data",
            "values": {"account_id": where["account"]},
        },
        {
            "address": f"{prefix}data.aws_region.current",
            "mode": "data",
            "values": {"name": where["region"]},
        },
    ]
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": changes,
        "prior_state": {
            "format_version": "1.0",
            "values": {"root_module": {"resources": state + data}},
        },
        "timestamp": "2026-11-23T10:00:00Z",
        "applyable": mode == "create",
        "complete": True,
        "errored": False,
    }


def mutate(
    doc: dict[str, Any], address: str, edit: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Apply `edit` to the resource change of `address` (its dict, with `change`)."""
    (rc,) = [rc for rc in doc["resource_changes"] if rc["address"] == address]
    edit(rc)
    return doc


def write(doc: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(doc, separators=(",", ":")))  # one line, as terraform writes it
    return path

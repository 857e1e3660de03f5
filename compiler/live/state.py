"""Read what is deployed, with boto3, into plain values the checks (`audit.py`) compare.

Every read is one documented API call; a call the endpoint does not offer (moto has no
`GetKeyLastUsage`) is recorded as `unavailable: <why>`, never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .aws import Clients, error_code

UNSUPPORTED = {"InvalidAction", "NotImplemented", "UnknownOperationException", "UnknownOperation"}


@dataclass
class KeyState:
    alias: str
    key_id: str | None = None  # None: the alias does not exist
    meta: dict[str, Any] = field(default_factory=dict)  # DescribeKey KeyMetadata
    policy: dict[str, Any] | None = None
    rotation: dict[str, Any] = field(default_factory=dict)  # GetKeyRotationStatus
    grants: list[dict[str, Any]] = field(default_factory=list)
    last_use: dict[str, Any] | str | None = None  # GetKeyLastUsage, or why unavailable


def aliases(clients: Clients) -> dict[str, str]:
    """Alias name -> target key id."""
    out: dict[str, str] = {}
    for page in clients.client("kms").get_paginator("list_aliases").paginate():
        for a in page["Aliases"]:
            if "TargetKeyId" in a:
                out[a["AliasName"]] = a["TargetKeyId"]
    return out


def _last_use(clients: Clients, key_id: str) -> dict[str, Any] | str:
    """GetKeyLastUsage (botocore >= 1.44 knows it). An endpoint without it (an unknown
    operation, or an emulator's bare HTTP 500 page where AWS sends a JSON error) is asked once."""
    if clients.unsupported.get("GetKeyLastUsage"):
        return clients.unsupported["GetKeyLastUsage"]
    try:
        resp: dict[str, Any] = clients.client("kms").get_key_last_usage(KeyId=key_id)
    except Exception as exc:
        code = error_code(exc)
        if code in UNSUPPORTED or code in ("500", "501"):
            why = f"unavailable: the endpoint does not answer GetKeyLastUsage ({code})"
            clients.unsupported["GetKeyLastUsage"] = why
            return why
        raise
    resp.pop("ResponseMetadata", None)
    return resp


def read_key(clients: Clients, alias: str, key_id: str | None) -> KeyState:
    state = KeyState(alias=alias, key_id=key_id)
    if key_id is None:
        return state
    kms = clients.client("kms")
    state.meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    raw = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    state.policy = json.loads(raw)
    if state.meta.get("KeyState") != "PendingDeletion":
        state.rotation = kms.get_key_rotation_status(KeyId=key_id)
    for page in kms.get_paginator("list_grants").paginate(KeyId=key_id):
        state.grants.extend(page.get("Grants", []))
    state.last_use = _last_use(clients, key_id)
    return state

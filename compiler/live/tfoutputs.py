"""The key a Terraform root created, read from its outputs (`terraform output -json`), for
`byok import-material` (issue 24): material goes into the key Terraform manages, found by its
key id, never into whatever an alias happens to point at.

`terraform output -json` prints every output of the root's state as `{name: {"value": ...}}`
(https://developer.hashicorp.com/terraform/cli/commands/output); the repository root and each
stack (`generated/stacks/<account>-<region>/`) export `keys`: key name -> `{key_arn, key_id,
alias_name}`. A saved copy of that JSON (`--outputs FILE`) serves where Terraform's state is not
reachable from the machine that imports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TIMEOUT_S = 120


class OutputsError(Exception):
    """The outputs cannot be read, or do not name the key (said in one line)."""


@dataclass(frozen=True)
class ManagedKey:
    key_id: str
    key_arn: str


def run_terraform_output(root: Path) -> dict[str, Any]:
    """`terraform output -json` in `root` (its configured backend and credentials)."""
    exe = shutil.which("terraform")
    if exe is None:
        raise OutputsError(
            "terraform is not on PATH: save `terraform output -json` of the key's root to a file "
            "and pass it with --outputs"
        )
    try:
        proc = subprocess.run(
            [exe, "output", "-json", "-no-color"],
            cwd=root,
            env={**os.environ, "TF_IN_AUTOMATION": "1"},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OutputsError(f"`terraform output -json` in {root} failed: {exc}") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise OutputsError(f"`terraform output -json` in {root} failed: {last}")
    return parse(proc.stdout, f"`terraform output -json` in {root}")


def parse(text: str, origin: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise OutputsError(f"{origin} is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise OutputsError(f"{origin} is not the JSON of `terraform output -json`")
    return doc


def managed_key(outputs: dict[str, Any], name: str, origin: str) -> ManagedKey:
    """The key `name` of the `keys` output; OutputsError when the root did not create it."""
    keys = outputs.get("keys", {})
    value = keys.get("value") if isinstance(keys, dict) else None
    entry = value.get(name) if isinstance(value, dict) else None
    if not isinstance(entry, dict) or not entry.get("key_id") or not entry.get("key_arn"):
        raise OutputsError(
            f"{origin} names no key `{name}` (output `keys`): apply the root that creates it "
            "first (`terraform apply`)"
        )
    return ManagedKey(key_id=str(entry["key_id"]), key_arn=str(entry["key_arn"]))

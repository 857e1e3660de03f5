"""The reviewed state of each app environment's keys (org.yaml `apps[].key_states`, README
"Incidents"): which entry applies to a key, and the checks of the entries.

A disabled key is disabled through Terraform (modules/kms-key `is_enabled`), by the identity
that runs `terraform apply`. Every key policy denies kms:DisableKey to all but the break-glass
role (`OnlyBreakGlassDisablesOrDeletes`), so `enabled: false` needs a `break_glass` role where
the key lives (E352) and the apply runs as that role. Keys with imported material are refused
(E353): Terraform does not manage their key state here (modules/kms-key sets `enabled` only with
material Terraform imports, and `byok import-material` imports it outside Terraform).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..model.inputs import App, KeyState, Org
from .replicas import imported_material
from .stacks import key_org


def key_state(app: App, env: str) -> KeyState | None:
    """The entry for `env` (every generation of the environment's key and its replicas)."""
    return next((s for s in app.key_states if s.environment == env), None)


def check_key_states(org: Org, app: App) -> Iterator[Diagnostic]:
    envs, seen = set(app.environments), set()
    for i, s in enumerate(app.key_states):
        where = app.where.at("key_states", i)
        if s.environment not in envs:
            yield Diagnostic.make(
                "E350",
                f"key state for environment `{s.environment}`, which app `{app.vendor}` does "
                "not list",
                s.where.at("environment"),
                help=f"one of: {', '.join(app.environments)}",
            )
            continue
        if s.environment in seen:
            yield Diagnostic.make(
                "E351", f"second key state for environment `{s.environment}`", where
            )
        seen.add(s.environment)
        if s.enabled:
            continue
        if key_org(org, s.environment).break_glass is None:
            yield Diagnostic.make(
                "E352",
                f"`enabled: false` for `{app.vendor}-{s.environment}` without a break_glass "
                "role: every key policy denies kms:DisableKey to everyone else, so no "
                "`terraform apply` could disable it",
                s.where.at("enabled"),
                help="add a `break_glass` role (org.yaml, or the stack's) in a reviewed change "
                "first, and run the apply that disables the key as that role",
            )
        if imported_material(org, app):
            yield Diagnostic.make(
                "E353",
                f"`enabled: false` for `{app.vendor}-{s.environment}`, a key with imported "
                "material: Terraform does not manage its key state",
                s.where.at("enabled"),
                help="disable it as the break-glass role with `aws kms disable-key --key-id "
                '<key ARN>` (README, "Incidents"); `byok audit` then reports it',
            )

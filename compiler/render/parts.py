"""Each key's share of `generated/` (issue 29): its own files, its pieces of the organization's
files, and the few facts about it that those files count or group by.

`tree.render_all` renders every key's part and assembles the organization's files from the
parts and the organization's settings alone (`assemble`); `byok generate` keeps the part of a
key whose inputs (its app, its vendor file, the settings) are unchanged and assembles the same
way, so both give the same bytes by construction. A part holds rendered text and plain values
only: nothing of the compiled models, so it can be stored and read back cheaply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..compile import Compiled, CompiledKey
from ..resolve.keys import ResolvedLogging
from ..resolve.stacks import stack_id, stack_of
from .access import key_section
from .diagram import key_node, party_lines
from .handoff import render_handoff
from .hcl import hcl_key, hcl_value
from .inventory import key_resources
from .locals import key_inputs

# A key's resources in `generated/deployment.json`: (root directory, address, line).
ResourceLine = tuple[str, str, str]


@dataclass(frozen=True)
class KeyPart:
    name: str
    root: str  # its Terraform root: "" for generated/ itself, else the stack's id
    place: tuple[str, str]  # the account and Region it lives in
    hcl: str  # its entry in the `keys` local of its root's main.tf
    resources: tuple[ResourceLine, ...]  # its key, alias, replicas and their aliases
    access: str  # its section of ACCESS.md
    node: str  # its node in ACCESS.md's diagram
    readme: str  # its row in README.md
    imported: bool  # imported key material (an expiry alarm, `imported` in main.tf)
    rotating: bool  # automatic rotation (cost)
    replicas: tuple[str, ...]  # the Regions of its replicas, sorted
    state: tuple[bool, str] | None  # org.yaml `key_states`: (enabled, ticket)
    label: str  # `Vendor (accounts)`: who the key is for, in `byok diff`'s findings
    # its own files (policies/<key>.json, handoff/<key>.md); not stored with the part
    files: dict[str, bytes] = field(default_factory=dict, compare=False)

    def small(self) -> list[Any]:
        """The facts, as plain values (the build cache's index holds them)."""
        state = None if self.state is None else list(self.state)
        return [
            self.name, self.root, list(self.place), self.imported, self.rotating,
            list(self.replicas), state, self.label,
        ]  # fmt: skip

    def large(self) -> list[Any]:
        """The rendered pieces, as plain values (stored apart from the index)."""
        return [self.hcl, [list(r) for r in self.resources], self.access, self.node, self.readme]

    @classmethod
    def from_data(
        cls, small: list[Any], large: list[Any], files: dict[str, bytes] | None = None
    ) -> KeyPart:
        """The part `small` and `large` describe, with its own `files`; TypeError or ValueError
        on values of another shape."""
        name, root, place, imported, rotating, replicas, state, label = small
        hcl, resources, access, node, readme = large
        return cls(
            name=name,
            root=root,
            place=(place[0], place[1]),
            hcl=hcl,
            resources=tuple((a, b, c) for a, b, c in resources),
            access=access,
            node=node,
            readme=readme,
            imported=imported,
            rotating=rotating,
            replicas=tuple(replicas),
            state=None if state is None else (state[0], state[1]),
            label=label,
            files=dict(files or {}),
        )


@dataclass(frozen=True)
class LoggingPart:
    """The vendor's logging role, as every root holding one of the app's keys creates it."""

    principals: tuple[str, ...]
    external_id: str
    actions: tuple[str, ...]
    label: str  # `Vendor (accounts)` of the principals that assume it

    def to_data(self) -> list[Any]:
        return [list(self.principals), self.external_id, list(self.actions), self.label]

    @classmethod
    def from_data(cls, data: list[Any]) -> LoggingPart:
        return cls(tuple(data[0]), data[1], tuple(data[2]), data[3])


@dataclass(frozen=True)
class AppPart:
    vendor: str
    keys: tuple[KeyPart, ...]  # in the order the app produces them
    logging: LoggingPart | None
    diagram: tuple[str, ...]  # the subgraphs of its vendor's principals, with their edges


def _accounts(arns: tuple[str, ...]) -> str:
    return ", ".join(sorted({p.split(":")[4] for p in arns if p.count(":") >= 5}))


def key_part(ck: CompiledKey, logging: ResolvedLogging | None) -> KeyPart:
    """Everything `generated/` holds of one key (`logging`: its vendor's logging role)."""
    k = ck.key
    stack = stack_of(k.org, k.environment)
    root = "" if stack is None else stack_id(stack.account_id, stack.region)
    inputs = key_inputs(ck)
    display = k.vendor.display_name
    return KeyPart(
        name=k.name,
        root=root,
        place=(k.org.account_id, k.org.region),
        hcl=f"    {hcl_key(k.name)} = {hcl_value(inputs, 2)}",
        resources=tuple(
            (r.root, r.address, json.dumps(r.to_json(), sort_keys=True, ensure_ascii=False))
            for r in key_resources(ck, root, inputs)
        ),
        access=key_section(ck),
        node=key_node(ck),
        readme=f"| `{k.name}` | `{k.alias}` | {display} | {ck.size} |",
        imported=k.options.imported_key_material,
        rotating=k.options.automatic_rotation,
        replicas=k.options.replica_regions,
        state=None if k.key_state is None else (k.key_state.enabled, k.key_state.ticket),
        label=f"{display} ({', '.join(sorted({p.split(':')[4] for p in k.principals}))})",
        files={
            f"policies/{k.name}.json": policy_json(ck),
            f"handoff/{k.name}.md": render_handoff(ck, logging).encode(),
        },
    )


def policy_json(ck: CompiledKey) -> bytes:
    """Canonical, reviewable policy JSON (Terraform sends it compact)."""
    return (json.dumps(ck.policy.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def logging_part(lg: ResolvedLogging) -> LoggingPart:
    who = lg.vendor.display_name
    return LoggingPart(
        lg.principals, lg.external_id, lg.actions, f"{who} ({_accounts(lg.principals)})"
    )


def app_part(keys: list[CompiledKey], logging: ResolvedLogging | None) -> AppPart:
    """The parts of one app's keys (`keys`, in the order the app produces them)."""
    by_name = sorted(keys, key=lambda c: c.key.name)
    vendor = keys[0].key.vendor.name
    return AppPart(
        vendor=vendor,
        keys=tuple(key_part(ck, logging) for ck in keys),
        logging=None if logging is None else logging_part(logging),
        diagram=tuple(
            line for party in ("vendor", "customer") for line in party_lines(vendor, by_name, party)
        ),
    )


def app_keys(compiled: Compiled) -> dict[str, list[CompiledKey]]:
    """Each app (its vendor's name) -> its keys, in org.yaml's order (the keys of one app are
    consecutive)."""
    groups: dict[str, list[CompiledKey]] = {}
    for ck in compiled.keys:
        groups.setdefault(ck.key.vendor.name, []).append(ck)
    return groups


def app_parts(compiled: Compiled) -> list[AppPart]:
    """Every app's part, in org.yaml's order."""
    logging = {lg.app: lg for lg in compiled.resolved.logging}
    return [app_part(keys, logging.get(vendor)) for vendor, keys in app_keys(compiled).items()]

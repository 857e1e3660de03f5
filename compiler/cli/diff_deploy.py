"""`byok diff` beyond the key policies: the base's deployment inventory against the working
tree's, and every other file a change touches that Terraform or the gate loads.

The base's inventory is the `generated/deployment.json` committed there: what the base's
compiler produced. A base committed before byok wrote one has none; its inventory is then
compiled from the base's org.yaml and vendors/ with this byok (`from_inputs`), and the report
says so. If those inputs do not compile, the review stops (exit 1): it never passes silently.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..compile import Compiled
from ..deployment import INVENTORY_FILE, Inventory, InventoryError, changed_only, dumps
from ..paths import ORG_FILE, OUT_DIR, VENDORS_DIR
from ..review.deployment import Context, compare_inventories
from ..review.findings import Finding
from ..review.gitbase import Base, GitError, changed_files, committed_inventory
from ..review.literals import weakened
from ..review.loaded import unproved
from .common import today

# What to do next after exit 6 (cli/diff.py says the same of exit 3).
WEAKENING_HELP = (
    "  help: weaker monitoring or evidence is intended? commit it and let the pull request's "
    "review gate approve it (the `byok-approval` environment); `byok diff --allow-weakening` "
    "reports without failing"
)
WEAKENING_ALLOWED = (
    "byok: weakened monitoring reported, not failed (--allow-weakening): the pull request's "
    "review gate still needs its approval (the `byok-approval` environment)"
)

# `moved { from = A  to = B }` in the generated Terraform (render emits one where an address
# changes and the AWS resource does not).
_MOVED = re.compile(r"^moved \{\n\s+from\s*=\s*(\S+)\n\s+to\s*=\s*(\S+)\n\}$", re.MULTILINE)


def moved_blocks(tree: Mapping[str, bytes]) -> dict[str, str]:
    """Old address -> new address, for each `moved` block of the root's generated module (its
    addresses are inside `module.byok`) and of each stack root."""
    out: dict[str, str] = {}
    for rel, data in tree.items():
        if not rel.endswith(".tf"):
            continue
        prefix = "" if rel.startswith("stacks/") else "module.byok."
        for old, new in _MOVED.findall(data.decode("utf-8", "replace")):
            out[prefix + old] = prefix + new
    return out


def _git_bytes(root: Path, *args: str) -> bytes:
    proc = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120
    )
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or "git failed")
    return proc.stdout


def _tracked_at(root: Path, commit: str, paths: tuple[str, ...]) -> list[str]:
    listing = _git_bytes(root, "ls-tree", "--name-only", commit, "--", *paths)
    return [p for p in listing.decode("utf-8", "replace").splitlines() if p]


def from_inputs(root: Path, base: Base) -> Inventory:
    """The inventory this byok compiles from org.yaml and vendors/ as committed at `base`; an
    empty one when the base has no org.yaml (nothing was deployed from it)."""
    from ..diagnostics import CompileError
    from ..pipeline import compile_verified
    from ..render.inventory import inventory

    present = _tracked_at(root, base.commit, (ORG_FILE, VENDORS_DIR))
    if ORG_FILE not in present:
        return Inventory((), ())
    with tempfile.TemporaryDirectory(prefix="byok-base-") as tmp:
        archive = _git_bytes(root, "archive", "--format=tar", base.commit, *present)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True, timeout=120)
        try:
            return inventory(compile_verified(Path(tmp), today()))
        except CompileError as err:
            first = err.diagnostics[0].render() if err.diagnostics else "no diagnostic"
            raise GitError(
                f"the base ({base.short}) has no {OUT_DIR}/{INVENTORY_FILE} and its inputs do "
                f"not compile with this byok ({first}): review against a base that has one"
            ) from None


def base_inventory(root: Path, base: Base) -> tuple[bytes, str | None]:
    """The base's inventory (`dumps`' bytes), and a note when it had to be compiled from the
    base's inputs."""
    data = committed_inventory(root, base)
    if data is None:
        note = (
            f"note: the base ({base.short}) has no {OUT_DIR}/{INVENTORY_FILE}: its deployment "
            "was compiled from its org.yaml and vendors/ with this byok"
        )
        return dumps(from_inputs(root, base)), note
    return data, None


def _labels(compiled: Compiled) -> dict[str, str]:
    """Key, app and log-role name -> `Display (accounts)` of its vendor."""
    out: dict[str, str] = {}
    for ck in compiled.keys:
        accounts = sorted({p.split(":")[4] for p in ck.key.principals})
        out[ck.key.name] = f"{ck.key.vendor.display_name} ({', '.join(accounts)})"
    vendors = {v.name: v for v in compiled.resolved.vendors}
    for lg in compiled.resolved.logging:
        who = vendors[lg.app].display_name if lg.app in vendors else lg.app
        accounts = sorted({p.split(":")[4] for p in lg.principals if p.count(":") >= 5})
        out[lg.app] = f"{who} ({', '.join(accounts)})"
    return out


def _assumers(inventory: bytes) -> dict[str, str]:
    """Role name -> the principals its trust policy names, from the head's inventory (only
    the role lines are parsed: `dumps` writes one resource per line)."""
    out: dict[str, str] = {}
    for line in inventory.splitlines():
        if b'"kind": "role"' not in line or b'"trust_policy"' not in line:
            continue
        r = json.loads(line.strip().removesuffix(b","))
        named: set[str] = set()
        for st in r["access"]["trust_policy"].get("Statement", []):
            for v in (st.get("Principal") or {}).values():
                named.update([v] if isinstance(v, str) else v)
        out[r["name"]] = ", ".join(sorted(named)) or "nobody"
    return out


def deployment_findings(
    root: Path, base: Base, compiled: Compiled, tree: Mapping[str, bytes]
) -> tuple[list[Finding], str | None]:
    """Every finding beyond the key policies, and the note of `base_inventory`. `tree` is
    `generated/` as read (not stale: its inventory is what the inputs compile to)."""
    data, note = base_inventory(root, base)
    try:
        before, after = changed_only(data, tree[INVENTORY_FILE])
    except InventoryError as exc:
        raise GitError(f"{OUT_DIR}/{INVENTORY_FILE} at the base: {exc}") from None
    labels, assumers = _labels(compiled), _assumers(tree[INVENTORY_FILE])

    def label(name: str) -> str:
        """Who assumes role `name`: the vendor of a vendor log role, else the principals of
        its trust policy (the CloudTrail delivery role's is `cloudtrail.amazonaws.com`)."""
        return labels.get(name) or next(
            (v for k, v in labels.items() if f"-{k}-byok-logs" in name),
            assumers.get(name, "whoever its trust policy names"),
        )

    org = compiled.resolved.org
    ctx = Context(
        destructions=org.destructions,
        decommissioned=frozenset(d.key for d in org.decommissions),
        moved=moved_blocks(tree),
        labels=label,
    )
    found = compare_inventories(before, after, ctx)
    changed = changed_files(root, base.commit)
    return [*found, *unproved(changed), *weakened(root, changed)], note

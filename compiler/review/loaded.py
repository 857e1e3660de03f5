"""Everything Terraform (and the gate) loads besides the compiled inputs, and what `byok diff`
does with a change to it.

Decided per kind of file (README, "What byok diff judges"):

- `generated/**`: a pure function of org.yaml and vendors/ (the stale check, E323, refuses any
  other bytes, a `.tofu` or override file included); judged through its inventory and policies.
- hand-written Terraform: `modules/**` and the root's `*.tf`, `*.tf.json`, `*.tofu`,
  `*.tofu.json` (OpenTofu reads `x.tofu` instead of `x.tf`): applied too, its effect not
  provable offline: `unproved` (exit 3 until approved). Override files (`override.tf`,
  `*_override.tf` and their .tf.json/.tofu forms) are merged over the configuration and
  named as such.
- `terraform.tfvars(.json)`, `*.auto.tfvars(.json)`: loaded automatically, they set root
  variables (a stack's `role_arn`): `unproved`.
- `.terraformrc`, `terraform.rc` (the CLI config `byok init` scaffolds: where providers come
  from), `.terraform.lock.hcl` (provider versions and checksums), anything under a committed
  `.terraform/` (module and provider caches Terraform trusts after `init`), `atlantis.yaml` (what
  the orchestrator plans): `unproved`.
- `.github/**`: the workflows that gate this repository: `unproved`.

A symbolic link anywhere under modules/, generated/, vendors/, or as org.yaml or a root
Terraform file, is refused (E110): its target can change without the link changing, so an
approved link would carry any later edit of its target past the review.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..diagnostics import Diagnostic, Loc
from ..paths import ORG_FILE, OUT_DIR, VENDORS_DIR
from .findings import Finding

CONFIG_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json")
_OVERRIDE = re.compile(r"(^|_)override\.(tf|tofu)(\.json)?$")
_TFVARS = re.compile(r"(^terraform\.tfvars|\.auto\.tfvars)(\.json)?$")
_CLI_CONFIG = (".terraformrc", "terraform.rc")
LINK_DIRS = ("modules", OUT_DIR, VENDORS_DIR)


def why_loaded(path: str) -> str | None:
    """Why a changed file is `unproved` (what Terraform or the gate does with it), or None when
    the review judges it otherwise (generated/, the inputs) or nothing loads it."""
    name = path.rsplit("/", 1)[-1]
    top = path.split("/", 1)[0]
    if top == ".github":
        return "a CI workflow: it decides how this repository is gated"
    if ".terraform" in path.split("/")[:-1]:
        return "a committed `.terraform/` file: Terraform trusts its module and provider caches"
    if name in _CLI_CONFIG:
        return "Terraform CLI configuration: where providers are installed from"
    if top == OUT_DIR:
        return None  # what the inputs compile to (E323), judged by the inventory
    if path == ".terraform.lock.hcl":
        return "the provider lock: which provider versions and checksums Terraform accepts"
    if path == "atlantis.yaml":
        return "the orchestrator configuration: which roots are planned and applied"
    if _TFVARS.search(name):
        return "a variable file Terraform loads automatically: it sets root variables"
    if top != "modules" and "/" in path:
        return None  # not in a Terraform root this repository applies
    if name.endswith(CONFIG_SUFFIXES):
        if _OVERRIDE.search(name):
            return "an override file: Terraform merges it over the configuration"
        where = "a hand-written module" if top == "modules" else "the hand-owned root module"
        return f"{where}: applied too; its effect cannot be proved offline"
    return None


def unproved(paths: Iterable[str]) -> list[Finding]:
    """One `unproved` finding per changed file that Terraform or the gate loads."""
    out = []
    for path in sorted(set(paths)):
        why = why_loaded(path)
        if why is not None:
            line = f"{path} changed: {why}; review it (exit 3 until approved)"
            out.append(Finding("unproved", line, (path,), path))
    return out


def _links(base: Path, rel: str) -> Iterator[str]:
    """`rel` or any path under it (relative) that is a symbolic link, links not followed
    (`os.scandir`: the entry types come with the listing, no stat per file)."""
    if (base / rel).is_symlink():
        yield rel
        return
    if not (base / rel).is_dir():
        return
    stack = [rel]
    while stack:
        here = stack.pop()
        with os.scandir(base / here) as entries:
            for entry in entries:
                path = f"{here}/{entry.name}"
                if entry.is_symlink():
                    yield path
                elif entry.is_dir(follow_symlinks=False) and entry.name != ".terraform":
                    stack.append(path)


def _root_files(root: Path) -> list[str]:
    try:
        names = sorted(p.name for p in root.iterdir())
    except OSError:
        return []
    return [
        n
        for n in names
        if n.endswith(CONFIG_SUFFIXES) or _TFVARS.search(n) or n == ".terraform.lock.hcl"
    ]


def symlinks(root: Path) -> list[Diagnostic]:
    """E110 for each symbolic link byok or Terraform would read through."""
    out = []
    for top in (*LINK_DIRS, ORG_FILE, *_root_files(root)):
        for rel in sorted(_links(root, top)):
            target = (root / rel).readlink()
            out.append(
                Diagnostic.make(
                    "E110",
                    f"`{rel}` is a symbolic link (to `{target}`): byok and Terraform would "
                    "read a file the review cannot pin",
                    Loc(file=rel, line=1, col=1),
                    "replace the link with the file itself (`cp --remove-destination`)",
                )
            )
    return out

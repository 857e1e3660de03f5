"""`byok init --upgrade`: bring a repository's vendored files to the installed byok's.

`byok init` copies the Terraform modules (`modules/`) and the JSON Schemas (`docs/schema/`)
into the organization's repository, so they stay at the version that scaffolded it. Like
`terraform init -upgrade` for providers, `--upgrade` rewrites them from the installed package:
it prints a unified diff of every file it changes, adds or removes (nothing else is touched:
org.yaml, vendors/, the root Terraform files, the workflow and generated/ stay), then writes.
Schemas that an older `byok init` wrote to `schema/` are updated there too. Review with `git
diff`, run `byok generate` (the modules' interface may have moved with them), and commit.
"""

from __future__ import annotations

import difflib
import fnmatch
import shutil
import sys
from pathlib import Path

from ..paths import ORG_FILE
from .common import EXIT_INPUT, EXIT_OK

LEGACY_SCHEMAS = {"org": "schema/org.json", "vendor": "schema/vendor.json"}
# Files under modules/ that belong to the machine, not to the module (init's ignore list).
IGNORED = (".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__")


def _ignored(rel: Path) -> bool:
    return any(fnmatch.fnmatch(part, pat) for part in rel.parts for pat in IGNORED)


def _tree(top: Path, prefix: str) -> dict[str, bytes]:
    """Every file under `top` (but the ignored ones), by `prefix/relative path`."""
    if not top.is_dir():
        return {}
    return {
        f"{prefix}/{path.relative_to(top).as_posix()}": path.read_bytes()
        for path in sorted(top.rglob("*"))
        if path.is_file() and not _ignored(path.relative_to(top))
    }


def wanted(dest: Path, schemas: dict[str, str]) -> dict[str, bytes]:
    """What the installed byok ships for the vendored paths of `dest`."""
    from ..model.schema import schema_text
    from ..shipped import modules_dir

    files = _tree(modules_dir(), "modules")
    for kind, rel in schemas.items():
        files[rel] = schema_text(kind).encode("utf-8")
    for kind, rel in LEGACY_SCHEMAS.items():
        if (dest / rel).is_file():
            files[rel] = schema_text(kind).encode("utf-8")
    return files


def _have(dest: Path, want: dict[str, bytes]) -> dict[str, bytes]:
    files = _tree(dest / "modules", "modules")
    files.update({rel: (dest / rel).read_bytes() for rel in want if (dest / rel).is_file()})
    return files


def _diff(rel: str, old: bytes | None, new: bytes | None) -> str:
    a = (old or b"").decode("utf-8", "replace").splitlines(True)
    b = (new or b"").decode("utf-8", "replace").splitlines(True)
    src = f"a/{rel}" if old is not None else "/dev/null"
    dst = f"b/{rel}" if new is not None else "/dev/null"
    text = "".join(difflib.unified_diff(a, b, src, dst))
    return text if text.endswith("\n") or not text else text + "\n\\ No newline at end of file\n"


def upgrade(dest: Path, schemas: dict[str, str], version: str) -> int:
    """Rewrite modules/ and the schemas of `dest` to the installed version; print the diff."""
    if not (dest / ORG_FILE).is_file():
        print(f"byok: error: `{dest}` has no {ORG_FILE}: nothing upgraded", file=sys.stderr)
        print("  help: run `byok init --upgrade` in a repository `byok init` made", file=sys.stderr)
        return EXIT_INPUT
    want = wanted(dest, schemas)
    have = _have(dest, want)
    changed = sorted(rel for rel in set(want) | set(have) if want.get(rel) != have.get(rel))
    if not changed:
        print(f"byok: modules/ and the schemas are already byok {version}'s: nothing changed")
        return EXIT_OK
    for rel in changed:
        sys.stdout.write(_diff(rel, have.get(rel), want.get(rel)))
    for rel in changed:
        path = dest / rel
        if rel in want:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(want[rel])
        else:
            path.unlink()
    _prune(dest / "modules")
    added = sum(1 for rel in changed if rel not in have)
    removed = sum(1 for rel in changed if rel not in want)
    print(
        f"byok: upgraded modules/ and the schemas to byok {version}: "
        f"{len(changed) - added - removed} changed, {added} added, {removed} removed",
        file=sys.stderr,
    )
    print("  next: byok generate, review `git diff`, commit", file=sys.stderr)
    return EXIT_OK


def _prune(top: Path) -> None:
    """Remove module directories the upgrade emptied (never one holding ignored files)."""
    for path in sorted(top.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()) and not _ignored(path.relative_to(top)):
            shutil.rmtree(path)

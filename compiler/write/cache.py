"""A fingerprint of the last successful `generate`, so that a run with unchanged inputs skips
compiling and proving altogether (issue: no-op regeneration is faster than a full one).

The fingerprint covers every input byte (org.yaml, vendors/*.yaml), "today" (expiry warnings
depend on it), the compiler's own source and data files, and the installed distributions and
their versions (the libraries that shape the output among them). It is stored in
`.build/byok/replay` beside the inputs, sealed with this user's key (write/store.py: one that
came from elsewhere, a pull request or a hand, does not verify and is ignored), with a digest of
the generated tree and the warnings and summary that run printed. The cache is used only when
both the fingerprint and the tree on disk still match, so a hand-edited `generated/` is always
rebuilt. `--check` never reads it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path

from .store import STORE_DIR, Store

REPLAY = "replay"
CACHE_FILE = f"{STORE_DIR}/{REPLAY}"


@dataclass(frozen=True)
class Entry:
    """One successful run. A plain dataclass, not a pydantic model: the no-op `generate` that
    replays it must not pay for importing pydantic (issue 16)."""

    fingerprint: str
    tree: str
    stderr: str
    stdout: str

    @classmethod
    def from_doc(cls, doc: object) -> Entry:
        """Exactly the four string fields, or ValueError (a damaged cache is only a miss)."""
        names = [f.name for f in fields(cls)]
        if not isinstance(doc, dict) or sorted(doc) != sorted(names):
            raise ValueError("not a cache entry")
        if not all(isinstance(doc[n], str) for n in names):
            raise ValueError("not a cache entry")
        return cls(**doc)


def _feed(h: hashlib._Hash, label: str, data: bytes) -> None:
    h.update(f"{label}\0{len(data)}\0".encode())
    h.update(data)


# The whole compiler package (this module is in write/): every stage shapes the output.
PACKAGE = Path(__file__).resolve().parents[1]


def compiler_sources() -> list[Path]:
    """The compiler's own source and data files, sorted."""
    found = [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.json"), *PACKAGE.rglob("*.j2")]
    return sorted(p for p in found if "__pycache__" not in p.parts)


def fingerprint(root: Path, inputs: list[Path], today: date) -> str:
    h = hashlib.sha256()
    for path in inputs:
        label = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        _feed(h, label, path.read_bytes())
    _feed(h, "compiler", compiler_digest().encode())  # read once per process (issue 29)
    _feed(h, "today", today.isoformat().encode())
    return h.hexdigest()


def _compiler(h: hashlib._Hash) -> None:
    for path in compiler_sources():
        _feed(h, f"compiler/{path.relative_to(PACKAGE).as_posix()}", path.read_bytes())
    _feed(h, "installed", "\n".join(_installed()).encode())


@functools.cache
def compiler_digest() -> str:
    """The compiler's own source and data files and the installed distributions: what the same
    inputs compile to depends on them (the per-app build cache, write/store.py, keys on it).
    Computed once per process: a command runs one build."""
    h = hashlib.sha256()
    _compiler(h)
    return h.hexdigest()


def _installed() -> list[str]:
    """Every installed distribution with its version (the `<name>-<version>.dist-info` folders
    on `sys.path`): any library that shapes the output, and conservatively every other one.
    A directory listing, not `importlib.metadata` (whose import alone is a fifth of a no-op
    `generate`: issue 16)."""
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")  # noqa: PTH208 - names only, no Path per entry
        except OSError:  # a zip file, a missing directory
            continue
        found.update(n for n in names if n.endswith((".dist-info", ".egg-info")))
    return sorted(found)


def tree_digest(files: Mapping[str, bytes]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        _feed(h, rel, files[rel])
    return h.hexdigest()


def lookup(root: Path, fp: str, files_on_disk: Mapping[str, bytes]) -> Entry | None:
    try:
        entry = Entry.from_doc(Store(root).read(REPLAY))
    except ValueError:
        return None
    if entry.fingerprint != fp or entry.tree != tree_digest(files_on_disk):
        return None
    return entry


def store(root: Path, entry: Entry) -> None:
    """Best effort: a cache that cannot be written only costs the next run its shortcut."""
    Store(root).write(asdict(entry), REPLAY)

"""Stage 7, write: put the rendered tree in place atomically: all of `generated/` or nothing.

The new tree is written into a temporary directory beside `generated/` (same filesystem) and
swapped in with one `renameat2(RENAME_EXCHANGE)` on Linux, so a crash at any instant leaves
either the old tree or the new one at `generated/`. Where the exchange is unavailable, two
renames are used and a leftover `.generated.old-*` is restored by the next run. Unchanged
output is not rewritten at all (no bytes, no mtimes); when some files change, the others are
hard-linked into the new tree, so they keep their inode and mtime. The new tree is made durable
with one `syncfs(2)` before the swap (an fsync per file where that is unavailable).
"""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import functools
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` but hidden ones (any part starting with `.`), by relative POSIX
    path in path order. `os.walk` on strings: pathlib objects per file cost most of a no-op
    `generate` at 2,000 files (issue 16)."""
    if not root.is_dir():
        return {}
    found: list[tuple[list[str], str]] = []
    top = os.fspath(root)
    for here, dirs, names in os.walk(top, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = os.path.relpath(here, top)
        for name in names:
            full = os.path.join(here, name)  # noqa: PTH118 - strings: see the docstring
            if not name.startswith(".") and os.path.isfile(full):  # noqa: PTH113
                path = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
                found.append((path.split("/"), full))
    found.sort()
    out: dict[str, bytes] = {}
    for parts, full in found:
        with open(full, "rb") as f:  # noqa: PTH123 - strings: see the docstring
            out["/".join(parts)] = f.read()
    return out


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, for `renameat2` and `syncfs`. The process has it loaded already, so its
    own symbols (`dlopen(NULL)`) are asked first: `find_library` runs `ldconfig -p`, a child
    process costing about 4 ms of every `generate` (issue 29)."""
    own = ctypes.CDLL(None, use_errno=True)
    if hasattr(own, "renameat2") and hasattr(own, "syncfs"):
        return own
    from ctypes.util import find_library  # only where the process's own symbols lack them

    name = find_library("c")  # runs `ldconfig -p`: look it up once per process
    return ctypes.CDLL(name, use_errno=True) if name else None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the kernel or libc cannot."""
    libc = _libc()
    if libc is None:
        return False
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def recover(out: Path) -> None:
    """Undo what a killed run left: restore a moved-away tree, drop temporary ones."""
    parent = out.parent
    olds = sorted(parent.glob(f".{out.name}.old-*"))
    if not out.exists() and olds:
        olds[-1].rename(out)
        olds = olds[:-1]
    for leftover in [*olds, *parent.glob(f".{out.name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _fill(tmp: Path, files: Mapping[str, bytes], out: Path, current: Mapping[str, bytes]) -> None:
    """Write every file, then make the whole new tree durable before it is swapped in.

    A file whose bytes are already in `out` is hard-linked from there instead: no new inode and
    no data written, its mtime kept (the old tree is removed after the swap, so the link is then
    the file's only name; nothing ever writes into a linked file).
    """
    dirs = sorted({(tmp / rel).parent for rel in files} | {tmp})
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for rel, data in files.items():
        if current.get(rel) == data and _link(out / rel, tmp / rel):
            continue
        with (tmp / rel).open("wb") as fh:
            fh.write(data)
        written.append(tmp / rel)
    copied = any(p.is_dir() for p in tmp.iterdir() if p.name.startswith("."))  # _keep_hidden
    if len(written) + len(dirs) <= FEW and not copied:
        _fsync([*written, *dirs])
    else:
        _durable(tmp, [tmp / rel for rel in files], dirs)


# Up to this many files and directories to make durable, each is fsynced (a one-key change
# writes a handful): `syncfs` also flushes whatever else is dirty on the filesystem (other
# processes' writes), which on a busy machine costs far more than a few fsyncs (issue 29). A
# linked file is the old tree's own inode: as durable in the new tree as it was in the old. A
# hidden directory copied over (`_keep_hidden`) is many new files: then `syncfs` as before.
FEW = 64


def _link(src: Path, dst: Path) -> bool:
    """Hard-link a regular file (never a symlink's target); False where links are impossible."""
    if src.is_symlink():
        return False
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        return False
    return True


def _durable(tmp: Path, paths: list[Path], dirs: list[Path]) -> None:
    """One `syncfs(2)` of the tree's filesystem (file data and directory entries in one journal
    commit) where libc has it; else an fsync of each file and directory."""
    libc = _libc()
    syncfs = getattr(libc, "syncfs", None) if libc is not None else None
    if syncfs is not None:
        fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    _fsync([*paths, *dirs])


def _fsync(paths: list[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Staged:
    """A new tree written and synced beside `out`, not yet in place: `commit` swaps it in,
    `discard` removes it. `generate` stages while the proofs run and commits only if they hold;
    until then `out` is untouched (a killed run leaves a hidden `.generated.tmp-*` that the
    next run removes)."""

    def __init__(self, out: Path, tmp: Path | None) -> None:
        self.out, self.tmp = out, tmp  # tmp None: `out` already holds the tree

    def commit(self) -> bool:
        """Put the staged tree in place; False when `out` already held it (nothing written)."""
        tmp, out = self.tmp, self.out
        if tmp is None:
            return False
        self.tmp = None
        if out.exists() and _exchange(tmp, out):
            shutil.rmtree(tmp)
            return True
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
        return True

    def discard(self) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def stage_tree(
    out: Path, files: Mapping[str, bytes], current: Mapping[str, bytes] | None = None
) -> Staged:
    """Write `files` into a temporary tree beside `out` and make it durable; `current` is
    `read_tree(out)` when the caller has it already."""
    recover(out)
    if current is None:
        current = read_tree(out)
    if current == dict(files):
        return Staged(out, None)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _keep_hidden(out, tmp)
        _fill(tmp, files, out, current)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Staged(out, tmp)


def write_tree(out: Path, files: Mapping[str, bytes]) -> bool:
    """Make `out` hold exactly `files`; return False when it already did (nothing written)."""
    return stage_tree(out, files).commit()


def _keep_hidden(out: Path, tmp: Path) -> None:
    """Dot-entries (e.g. a user's `.terraform/`) are not ours; carry them over untouched."""
    if not out.is_dir():
        return
    for entry in out.iterdir():
        if entry.name.startswith("."):
            with contextlib.suppress(OSError):
                os.link(entry, tmp / entry.name) if entry.is_file() else shutil.copytree(
                    entry, tmp / entry.name, symlinks=True
                )


def diff_trees(old: Mapping[str, bytes], new: Mapping[str, bytes], label: str) -> str:
    """A unified diff of two trees, for `generate --check`."""
    chunks: list[str] = []
    for rel in sorted(set(old) | set(new)):
        a, b = old.get(rel), new.get(rel)
        if a == b:
            continue
        a_lines = (a or b"").decode("utf-8", "replace").splitlines(keepends=True)
        b_lines = (b or b"").decode("utf-8", "replace").splitlines(keepends=True)
        chunks.extend(
            difflib.unified_diff(a_lines, b_lines, f"{label}/{rel}", f"{label}/{rel} (expected)")
        )
    return "".join(chunks)

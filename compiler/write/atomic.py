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
from collections.abc import Mapping, Sequence
from pathlib import Path

StrPath = str | os.PathLike[str]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` but hidden ones (any part starting with `.`), by relative POSIX
    path in path order. Plain strings and directory entries (whose type needs no `stat` but
    for a symlink): pathlib objects and a `stat` per file cost most of a no-op `generate` at
    2,000 files (issues 16 and 29)."""
    if not root.is_dir():
        return {}
    found: list[tuple[list[str], str]] = []
    _walk(os.fspath(root), [], found)
    found.sort()
    out: dict[str, bytes] = {}
    for parts, full in found:
        with open(full, "rb") as f:  # noqa: PTH123 - strings: see the docstring
            out["/".join(parts)] = f.read()
    return out


def _walk(here: str, parts: list[str], found: list[tuple[list[str], str]]) -> None:
    """The files below `here`, symlinks followed and unreadable directories skipped, as
    `os.walk(followlinks=True)` did."""
    try:
        with os.scandir(here) as entries:
            listed = [(e.name, e.path, *_kind(e)) for e in entries]
    except OSError:
        return
    for name, full, is_dir, is_file in listed:
        if name.startswith("."):
            continue
        if is_dir:
            _walk(full, [*parts, name], found)
        elif is_file:
            found.append(([*parts, name], full))


def _kind(entry: os.DirEntry[str]) -> tuple[bool, bool]:
    """(is a directory, is a file), symlinks followed; neither when the entry cannot be looked
    up (a link loop: ELOOP, EACCES), which `os.walk` skipped alone, not its whole directory."""
    try:
        return entry.is_dir(), entry.is_file()
    except OSError:
        return False, False


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
    the file's only name; nothing ever writes into a linked file). Work goes directory by
    directory through directory descriptors and plain strings: per-file path objects and path
    lookups were half the cost of staging a one-key change among 2,000 files (issue 29).
    """
    by_dir: dict[str, list[str]] = {}
    for rel in files:
        parent, _, name = rel.rpartition("/")
        by_dir.setdefault(parent, []).append(name)
    # every directory of the new tree, ancestors included (each directory entry made durable)
    dirs = sorted(
        {a for d in by_dir for a in (tmp / d, *(tmp / d).parents) if a.is_relative_to(tmp)}
    )
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for parent, names in by_dir.items():
        there = (os.fspath(tmp / parent), os.fspath(out / parent))
        pairs = [(f"{parent}/{n}" if parent else n, n) for n in names]
        written += _fill_dir(there, pairs, files, current)
    copied = any(p.is_dir() for p in tmp.iterdir() if p.name.startswith("."))  # _keep_hidden
    if len(written) + len(dirs) <= FEW and not copied:
        _fsync([*written, *dirs])
    else:
        _durable(tmp, [f"{tmp}/{rel}" for rel in files], dirs)


# Up to this many files and directories to make durable, each is fsynced (a one-key change
# writes a handful): `syncfs` also flushes whatever else is dirty on the filesystem (other
# processes' writes), which on a busy machine costs far more than a few fsyncs (issue 29). A
# linked file is the old tree's own inode: as durable in the new tree as it was in the old. A
# hidden directory copied over (`_keep_hidden`) is many new files: then `syncfs` as before.
FEW = 64


def _plain_files(directory: str) -> set[str]:
    """The names of the regular files (not symlinks) in `directory`; none when unreadable."""
    try:
        with os.scandir(directory) as entries:
            return {e.name for e in entries if e.is_file(follow_symlinks=False)}
    except OSError:
        return set()


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _write_at(directory: int, name: str, data: bytes) -> None:
    """Create file `name` in the directory open as `directory` holding `data`. Plain `os.write`
    (looped: a write may be short), no buffered file object: 20,000 new files at 10,000 keys
    (issue 29)."""
    fd = os.open(name, _NEW_FILE, 0o666, dir_fd=directory)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _fill_dir(
    there: tuple[str, str],
    names: list[tuple[str, str]],
    files: Mapping[str, bytes],
    current: Mapping[str, bytes],
) -> list[str]:
    """Write (or link from the old tree's same directory) one directory's files: `there` is
    (the new directory, the old one), `names` each file's (path in the tree, name). Returns
    the paths of the files written (not linked)."""
    new, old = there
    plain = _plain_files(old)
    written: list[str] = []
    dst = os.open(new, os.O_RDONLY | os.O_DIRECTORY)
    src = os.open(old, os.O_RDONLY | os.O_DIRECTORY) if plain else None
    try:
        for rel, name in names:
            data = files[rel]
            if src is not None and name in plain and current.get(rel) == data:
                try:  # never a symlink's target: only regular files are in `plain`
                    os.link(name, name, src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
                    continue
                except OSError:
                    pass  # e.g. another filesystem, or a race: write it instead
            _write_at(dst, name, data)
            written.append(f"{new}/{name}")
    finally:
        os.close(dst)
        if src is not None:
            os.close(src)
    return written


def _durable(tmp: Path, paths: Sequence[StrPath], dirs: Sequence[StrPath]) -> None:
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


def _fsync(paths: Sequence[StrPath]) -> None:
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

"""Atomic output: all of generated/ or nothing, no-op regeneration, recovery after a kill."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from byok.write.atomic import read_tree, recover, write_tree

REPO = Path(__file__).resolve().parent.parent


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_noop_rewrites_nothing(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    files = {"a.tf": b"x\n", "policies/k.json": b"{}\n"}
    assert write_tree(out, files) is True
    before = _mtimes(out)
    time.sleep(0.01)
    assert write_tree(out, files) is False
    assert _mtimes(out) == before


def test_replaces_whole_tree_and_keeps_dot_entries(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_tree(out, {"old.tf": b"old\n", "policies/a.json": b"1\n"})
    (out / ".terraform").mkdir()
    (out / ".terraform" / "state").write_text("keep")
    assert write_tree(out, {"new.tf": b"new\n"}) is True
    assert read_tree(out) == {"new.tf": b"new\n"}
    assert (out / ".terraform" / "state").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def _durability(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Record what staging makes durable: (each path fsynced, each syncfs call)."""
    from byok.write import atomic

    fsynced: list[str] = []
    syncfs: list[str] = []
    monkeypatch.setattr(atomic, "_fsync", lambda paths: fsynced.extend(map(str, paths)))
    monkeypatch.setattr(atomic, "_durable", lambda tmp, paths, dirs: syncfs.append(str(tmp)))
    return fsynced, syncfs


def test_a_few_changed_files_are_fsynced_each_and_many_with_syncfs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-key change fsyncs the files it writes and every directory (the linked files are
    the old tree's inodes), not the whole filesystem; a tree of many new files, or one that
    carries a hidden directory over, is made durable with one syncfs."""
    out = tmp_path / "generated"
    files = {f"policies/k{i}.json": b"{}\n" for i in range(200)} | {"main.tf": b"x\n"}
    write_tree(out, files)
    fsynced, syncfs = _durability(monkeypatch)
    write_tree(out, files | {"main.tf": b"y\n", "policies/k7.json": b"[]\n"})
    staged = sorted("/".join(Path(p).relative_to(tmp_path).parts[1:]) for p in fsynced)
    assert (staged, syncfs) == (sorted(["main.tf", "policies/k7.json", "policies", ""]), [])
    assert read_tree(out)["policies/k7.json"] == b"[]\n"
    write_tree(out, {f"policies/n{i}.json": b"{}\n" for i in range(200)})
    assert len(syncfs) == 1
    (out / ".terraform").mkdir()
    write_tree(out, {"main.tf": b"z\n"})
    assert len(syncfs) == 2


def test_recover_restores_moved_tree_and_drops_temporaries(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    old = tmp_path / ".generated.old-42"
    old.mkdir()
    (old / "main.tf").write_text("old")
    (tmp_path / ".generated.tmp-43").mkdir()
    recover(out)
    assert read_tree(out) == {"main.tf": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


_WRITER = """
import sys
from pathlib import Path
from byok.write import write_tree
out, tag, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
write_tree(out, {f"d{i % 7}/f{i}.txt": f"{tag} {i}\\n".encode() * 50 for i in range(n)})
"""


def _tree(tag: str, n: int) -> dict[str, bytes]:
    return {f"d{i % 7}/f{i}.txt": f"{tag} {i}\n".encode() * 50 for i in range(n)}


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_old_or_new_tree(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    n = 400
    rng = random.Random(1234)
    write_tree(out, _tree("v0", n))
    trees = {"v0": _tree("v0", n)}
    for round_ in range(1, 16):
        tag = f"v{round_}"
        trees[tag] = _tree(tag, n)
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(out), tag, str(n)], cwd=REPO)
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        now = read_tree(out)
        assert now in (trees[f"v{round_ - 1}"], trees[tag]), (
            f"torn tree after kill in round {round_}"
        )
        if now != trees[tag]:
            trees[tag] = now  # the old tree survived; the next round starts from it
        write_tree(out, now)  # the next run cleans up whatever the killed one left
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "generated"]
        assert leftovers == []


@pytest.mark.slow
def test_cli_generate_killed_leaves_old_or_new(project: Path) -> None:
    env = {**os.environ, "BYOK_TODAY": "2026-11-23"}
    cmd = [sys.executable, "-m", "byok", "-C", str(project), "generate"]
    subprocess.run(cmd, check=True, env=env, capture_output=True, cwd=REPO)
    old = read_tree(project / "generated")
    org = project / "org.yaml"
    org.write_text(org.read_text().replace("C0123ABCD", "C0123ABCE"))
    subprocess.run(cmd, check=True, env=env, capture_output=True, cwd=REPO)
    new = read_tree(project / "generated")
    assert new != old
    rng = random.Random(99)
    for _ in range(8):
        write_tree(project / "generated", old)
        proc = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert read_tree(project / "generated") in (old, new)


def _reference_read_tree(root: Path) -> dict[str, bytes]:
    """read_tree as it was written before issue 29 (`os.walk`, following symlinks)."""
    out = {}
    for here, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            full = Path(here) / name
            if not name.startswith(".") and full.is_file():
                out[full.relative_to(root).as_posix()] = full.read_bytes()
    return dict(sorted(out.items(), key=lambda kv: kv[0].split("/")))


def test_read_tree_reads_what_os_walk_reads(tmp_path: Path) -> None:
    """Symlinked files and directories are followed, broken links and hidden entries skipped,
    paths ordered by their parts (`a/b` before `a-b`), as the `os.walk` version did."""
    out = tmp_path / "generated"
    write_tree(out, {"a/b.json": b"1", "a-b.tf": b"2", "a/c/d.md": b"3", "z.tf": b"4"})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "e.json").write_bytes(b"5")
    (out / "linked").symlink_to(tmp_path / "elsewhere")
    (out / "z-link.tf").symlink_to(out / "z.tf")
    (out / "broken.tf").symlink_to(tmp_path / "missing")
    (out / ".hidden").mkdir()
    (out / ".hidden" / "h.tf").write_bytes(b"6")
    (out / "a" / ".dot.tf").write_bytes(b"7")
    got = read_tree(out)
    assert list(got.items()) == list(_reference_read_tree(out).items())
    assert list(got) == ["a/b.json", "a/c/d.md", "a-b.tf", "linked/e.json", "z-link.tf", "z.tf"]


def test_short_writes_are_continued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file is written with `os.write`, which may write less than asked: the rest follows."""
    from byok.write import atomic

    real = os.write
    monkeypatch.setattr(atomic.os, "write", lambda fd, data: real(fd, bytes(data[:3])))
    files = {"main.tf": b"terraform {}\n", "policies/k.json": b'{"Version": "2012-10-17"}\n'}
    write_tree(tmp_path / "generated", files)
    assert read_tree(tmp_path / "generated") == files


def test_read_tree_skips_only_an_entry_it_cannot_stat(tmp_path: Path) -> None:
    """A link whose target cannot be looked up (a loop: ELOOP, not a missing target) is skipped
    alone, as `os.walk` did; the other files of its directory are still read."""
    out = tmp_path / "generated"
    write_tree(out, {"main.tf": b"1", "policies/k.json": b"2", "policies/m.json": b"3"})
    (out / "policies" / "loop").symlink_to("loop")
    (out / "loop.tf").symlink_to("loop.tf")
    got = read_tree(out)
    assert list(got.items()) == list(_reference_read_tree(out).items())
    assert list(got) == ["main.tf", "policies/k.json", "policies/m.json"]

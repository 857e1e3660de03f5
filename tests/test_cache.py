"""The no-op shortcut (compiler/write/cache.py): replayed only while inputs, compiler and the
generated tree are all unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from byok.cli import main as cli
from byok.write import read_tree
from byok.write.cache import CACHE_FILE
from tests.conftest import byok, drop_acceptances, edit


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYOK_TODAY", "2026-11-23")


def _run(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = cli.main(["-C", str(project), "generate", *args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_replay_prints_what_the_full_run_printed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _run(project, capsys)
    assert (project / CACHE_FILE).is_file()
    assert _run(project, capsys) == first


def test_hand_edited_tree_is_rebuilt(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(project, capsys)
    good = read_tree(project / "generated")
    policy = project / "generated" / "policies" / "zoom-prod.json"
    policy.write_text("{}\n")
    rc, out, _ = _run(project, capsys)
    assert rc == 0 and out.endswith("files written\n")
    assert read_tree(project / "generated") == good


def test_changed_input_is_recompiled(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(project, capsys)
    org = project / "org.yaml"
    org.write_text(org.read_text().replace("C0123ABCD", "C0123ABCE"))
    rc, out, _ = _run(project, capsys)
    assert rc == 0 and out.endswith("files written\n")
    assert "C0123ABCE" in (project / "generated" / "policies" / "slack-prod.json").read_text()


def test_strict_still_fails_on_replayed_warnings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drop_acceptances(project)
    _run(project, capsys)
    rc, out, err = _run(project, capsys, "--strict")
    assert rc == 1 and out == ""
    assert " W101 " in err and err.rstrip().endswith("and --strict: nothing written")


def test_the_fingerprint_covers_every_stage_not_only_write() -> None:
    """cache.py lives in write/: the compiler it fingerprints is the whole package."""
    from byok.write import cache

    got = {p.relative_to(cache.PACKAGE).as_posix() for p in cache.compiler_sources()}
    assert {
        "pipeline.py",
        "verify/checks.py",
        "render/templates/main.tf.j2",
        "policy/data/kms_actions.json",
        "data/prices.json",
        "write/cache.py",
    } <= got


def test_corrupt_cache_is_ignored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(project, capsys)
    (project / CACHE_FILE).write_text("not json")
    assert _run(project, capsys) == first


def test_diff_on_a_cache_hit_says_what_the_full_build_says(repo: Path) -> None:
    # On a cache hit `byok diff` skips verification (generate proved this very tree); its
    # report must be byte-identical to the one after a full build (cache removed).
    edit(
        repo / "org.yaml",
        "  - arn:aws:iam::111122223333:role/SecurityEngineering\n",
        "  - arn:aws:iam::111122223333:role/SecurityEngineering\n"
        "  - arn:aws:iam::111122223333:role/NewAdmin\n",
    )
    edit(repo / "org.yaml", "C0123ABCD", "C0123ABCE")
    assert byok(repo, "generate").returncode == 0
    hit = byok(repo, "diff")
    shutil.rmtree(repo / ".build")  # both caches: the no-op one and the per-app one
    full = byok(repo, "diff")
    assert (hit.returncode, hit.stdout, hit.stderr) == (full.returncode, full.stdout, full.stderr)
    assert hit.returncode == 3 and "role/NewAdmin" in hit.stdout


@pytest.mark.parametrize("key", [None, b"x" * 32])
def test_a_replay_sealed_elsewhere_is_not_replayed(
    project: Path, capsys: pytest.CaptureFixture[str], key: bytes | None
) -> None:
    """The replay is sealed with this user's key (write/store.py): one written under another
    key (a pull request's, another machine's) is ignored and the pipeline runs; one of this
    user's is replayed (the control: the same change shows when it is used)."""
    from byok.write.cache import REPLAY
    from byok.write.store import Store

    first = _run(project, capsys)
    doc = Store(project).read(REPLAY)
    doc["stdout"] = "forged: every key proved\n"
    Store(project, key=key).write(doc, REPLAY)
    rc, out, _ = _run(project, capsys)
    assert rc == 0
    assert ("forged" in out) == (key is None)
    if key is not None:
        assert out == first[1]

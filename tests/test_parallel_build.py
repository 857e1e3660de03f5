"""Issue 16: rendering and staging the new tree run while a forked worker verifies. That
changes nothing but the time taken: the same files, warnings and proofs; and nothing reaches
`generated/` unless every proof held (a staged tree is discarded, no temporary directory is
left behind)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from byok.cli.main import main
from byok.compile import CompiledKey
from byok.diagnostics import Diagnostic
from byok.pipeline import build_tree
from byok.verify import Proof, verify_key
from byok.verify import many as verify_many
from byok.write import read_tree

TODAY = date(2026, 11, 23)


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verify on a forked worker whatever the organization's size or the machine's cores."""
    monkeypatch.setattr(verify_many, "workers_for", lambda n: 2)


def test_a_parallel_build_equals_a_sequential_one(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_many, "workers_for", lambda n: 1)
    alone = build_tree(project, TODAY)
    monkeypatch.setattr(verify_many, "workers_for", lambda n: 2)
    rendered: list[dict[str, bytes]] = []
    both = build_tree(project, TODAY, on_render=rendered.append)
    assert both.files == alone.files
    assert both.warnings == alone.warnings
    assert both.proofs == alone.proofs
    assert rendered == [alone.files]


def _failing(victim: str) -> object:
    def verify(ck: CompiledKey) -> tuple[list[Diagnostic], Proof]:
        found, proof = verify_key(ck)
        if ck.key.name == victim:
            loc = ck.key.app.where.loc
            found = [*found, Diagnostic.make("E511", f"key `{victim}`: check failed", loc)]
        return found, proof

    return verify


@pytest.mark.usefixtures("forked")
def test_a_failed_proof_leaves_generated_untouched_and_nothing_staged(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "org.yaml").write_text(
        (project / "org.yaml")
        .read_text()
        .replace("deletion_window_days: 30", "deletion_window_days: 29")
    )
    before = read_tree(project / "generated")
    victim = sorted(p.stem for p in (project / "generated" / "policies").glob("*.json"))[0]
    monkeypatch.setattr(verify_many, "verify_key", _failing(victim))
    assert main(["-C", str(project), "generate"]) == 1
    err = capsys.readouterr().err
    assert f"E511 key `{victim}`: check failed" in err
    assert read_tree(project / "generated") == before
    assert sorted(p.name for p in project.iterdir()) == ["generated", "org.yaml", "vendors"]


@pytest.mark.usefixtures("forked")
def test_a_staging_failure_does_not_hide_the_proofs(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception while staging (say a full disk) is raised only after the proofs'
    diagnostics, which say more; with a failed proof the user sees the proof."""
    import byok.write

    def full_disk(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    before = read_tree(project / "generated")
    victim = sorted(p.stem for p in (project / "generated" / "policies").glob("*.json"))[0]
    monkeypatch.setattr(verify_many, "verify_key", _failing(victim))
    monkeypatch.setattr(byok.write, "stage_tree", full_disk)
    (project / "org.yaml").write_text((project / "org.yaml").read_text() + "\n")
    assert main(["-C", str(project), "generate"]) == 1
    assert f"E511 key `{victim}`: check failed" in capsys.readouterr().err
    assert read_tree(project / "generated") == before


@pytest.mark.usefixtures("forked")
def test_a_staging_failure_without_failed_proofs_is_raised(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import byok.write

    def full_disk(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    before = read_tree(project / "generated")
    monkeypatch.setattr(byok.write, "stage_tree", full_disk)
    (project / "org.yaml").write_text((project / "org.yaml").read_text() + "\n")
    with pytest.raises(OSError, match="No space left on device"):
        main(["-C", str(project), "generate"])
    assert read_tree(project / "generated") == before

"""`byok --help` and `--version` import no heavy dependency (pydantic, z3, jinja2, yaml, the
pipeline): the command modules are imported only for the command that runs (cli/main.py). Time
itself is measured by `make bench`, not asserted here. Plus the parser's rough edges: `-C`
after the subcommand, "did you mean" for a misspelt command, and the help of every command
listed without importing it equals the help its module registers."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from byok.cli import main as cli

PACKAGE = cli.__name__.split(".")[0]
HEAVY = ("pydantic", "z3", "jinja2", "yaml")
_PROBE = """
import json, sys
from {pkg}.cli.main import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
ours = sorted(m for m in sys.modules if m.startswith("{pkg}.") and not m.startswith("{pkg}.cli"))
print(json.dumps([heavy, ours]))
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_import_nothing_heavy(argv: list[str]) -> None:
    code = _PROBE.format(pkg=PACKAGE, argv=argv, heavy=HEAVY)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    heavy, ours = json.loads(proc.stdout.splitlines()[-1])
    assert heavy == [] and ours == [], (heavy, ours)


def test_a_command_imports_its_module_only_when_it_runs() -> None:
    code = _PROBE.format(pkg=PACKAGE, argv=["schema", "--help"], heavy=HEAVY)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    heavy, _ = json.loads(proc.stdout.splitlines()[-1])
    assert heavy == []  # `schema --help` parses arguments; the models load only when it runs


def test_diff_help_imports_neither_the_pipeline_nor_git() -> None:
    """`diff --help` parses arguments only: the pipeline, the policy engine, git reading and the
    review load when the review runs; of the compiler it needs the project's paths alone."""
    code = _PROBE.format(pkg=PACKAGE, argv=["diff", "--help"], heavy=HEAVY)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("usage: byok diff "), proc.stdout
    heavy, ours = json.loads(proc.stdout.splitlines()[-1])
    assert (heavy, ours) == ([], [f"{PACKAGE}.paths"])


def _registered_help(name: str) -> str:
    module, registrar, _ = cli.COMMANDS[name]
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    getattr(importlib.import_module(f"{PACKAGE}.cli.{module}"), registrar)(sub)
    action = next(a for a in sub._choices_actions if a.dest == name)
    return str(action.help)


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_listed_help_equals_the_modules_help(name: str) -> None:
    assert cli.COMMANDS[name][2] == _registered_help(name)


def test_misspelt_command_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["generat"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "byok: error: unknown command `generat`",
        "  help: did you mean `generate`?",
        "  help: `byok --help` lists the commands",
    ]


def test_directory_after_the_subcommand(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["generate", "--check", "-C", str(project)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "generated/ is up to date"
    assert cli.main(["generate", f"--directory={project}", "--check"]) == 0


def test_outside_a_project_names_the_directory_and_hints_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["-C", str(tmp_path), "generate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"byok: error: `{tmp_path.resolve()}` is not a byok project: it has no org.yaml",
        f"  help: `byok init {tmp_path}` scaffolds one there, or `byok -C DIR ...` names the "
        "project directory",
    ]


def test_files_written_counts_only_changed_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    access = project / "generated" / "ACCESS.md"
    access.write_text("hand edit\n")
    total = sum(1 for p in (project / "generated").rglob("*") if p.is_file())
    assert cli.main(["-C", str(project), "generate"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"generated/: 1 of {total} files written"
    assert cli.main(["-C", str(project), "generate"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"generated/: {total} files unchanged"


def test_stale_message_names_the_command_not_make(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "generated" / "ACCESS.md").write_text("hand edit\n")
    assert cli.main(["-C", str(project), "generate", "--check"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "byok: generated/ is stale: run `byok generate` and commit the result"
    )


def test_a_no_op_generate_replays_without_the_pipeline(project: Path) -> None:
    """Issue 16: a `generate` whose inputs, compiler and `generated/` are unchanged replays the
    cached result (write/cache.py) and imports no heavy dependency and no pipeline stage; a changed
    input goes through the whole pipeline again. The cache is filled by a process of its own
    too: this one's compiler digest is computed once per process (write/cache.py), maybe before
    another test left a `*.egg-info` on `sys.path` (test_packaging's wheel build), which a new
    process counts among the installed distributions: a different fingerprint, no replay."""
    argv = ["-C", str(project), "generate"]
    code = _PROBE.format(pkg=PACKAGE, argv=argv, heavy=HEAVY)
    run = [sys.executable, "-c", code]
    filled = subprocess.run(run, capture_output=True, text=True, timeout=60)  # fills the cache
    assert "generated/: " in filled.stdout, filled.stdout + filled.stderr
    proc = subprocess.run(run, capture_output=True, text=True, timeout=60)
    heavy, ours = json.loads(proc.stdout.splitlines()[-1])
    assert "generated/: " in proc.stdout and "files unchanged" in proc.stdout, proc.stdout
    assert heavy == [], heavy
    assert f"{PACKAGE}.pipeline" not in ours and f"{PACKAGE}.policy.compare" not in ours, ours
    (project / "org.yaml").write_text((project / "org.yaml").read_text() + "\n# touched\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    heavy, ours = json.loads(proc.stdout.splitlines()[-1])
    assert f"{PACKAGE}.pipeline" in ours and "pydantic" in heavy, (heavy, ours)


def test_a_changed_generate_loads_no_process_machinery(project: Path) -> None:
    """Issue 29: a `generate` that goes through the pipeline imports only what it uses. Below
    `verify.many.PARALLEL_MIN_KEYS` keys nothing is verified in a second process
    (multiprocessing, and the subprocess it imports, stay unloaded), and the C library comes
    from the process's own symbols (`ctypes.util.find_library` would run `ldconfig -p`)."""
    (project / "org.yaml").write_text((project / "org.yaml").read_text() + "\n# touched\n")
    code = _PROBE.format(pkg=PACKAGE, argv=["-C", str(project), "generate"], heavy=HEAVY)
    code += "print(json.dumps(sorted(sys.modules)))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "generated/: " in proc.stdout, proc.stdout + proc.stderr
    loaded = set(json.loads(proc.stdout.splitlines()[-1]))
    assert f"{PACKAGE}.pipeline" in loaded and "ctypes" in loaded  # the pipeline really ran
    assert {"multiprocessing", "subprocess", "ctypes.util"} & loaded == set()


def test_the_executable_flushes_everything_and_keeps_the_exit_code(project: Path) -> None:
    """`byok` (cli.main.run) ends with a hard exit after flushing (issue 16): piped output is
    complete and every exit code passes through."""
    run = [sys.executable, "-m", PACKAGE, "-C", str(project)]
    proc = subprocess.run([*run, "generate"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    in_process = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROBE.format(pkg=PACKAGE, argv=["-C", str(project), "generate"], heavy=HEAVY),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout == "\n".join(in_process.stdout.splitlines()[:-1]) + "\n"
    assert proc.stdout.endswith(" files unchanged\n")
    (project / "org.yaml").write_text("organization: [\n")
    proc = subprocess.run([*run, "generate"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.startswith("org.yaml:"), proc.stderr
    proc = subprocess.run([*run, "generat"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "did you mean `generate`?" in proc.stderr

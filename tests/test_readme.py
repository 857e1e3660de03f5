"""The README's command blocks, run: the walkthrough "revoke a Slack channel" on a committed copy
of this repository (its YAML block added to org.yaml, then `byok generate` and `byok diff` must
print the README's output blocks), and the install block's `byok` commands in a scratch folder.
A block is found by the `<!-- readme-test: NAME -->` comment just above it."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from byok.cli import main as cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text()
ANCHOR = (
    "        unconfirmed_context_key: "
    "{reason: workspace_id awaits Slack EKM guide 5.0, ticket: SEC-132}\n"
)


def block(name: str) -> str:
    m = re.search(
        rf"<!-- readme-test: {re.escape(name)} -->\n( *)```[a-z]*\n(.*?)\n *```", README, re.S
    )
    assert m, f"README has no block `{name}`"
    return textwrap.dedent("\n".join(m.group(2).splitlines())) + "\n"


def _byok(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   cwd=root, check=True, capture_output=True)  # fmt: skip


def test_walkthrough_revoke_a_slack_channel(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("org.yaml", "main.tf", "versions.tf", "variables.tf", "outputs.tf"):
        shutil.copy2(REPO / name, root / name)
    for name in ("vendors", "generated", "modules"):
        shutil.copytree(REPO / name, root / name)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    org = root / "org.yaml"
    text = org.read_text()
    assert text.count(ANCHOR) == 1 and "C05ZX8PQ9RT" not in text  # not in the shipped file
    # the README's YAML is indented for the app's `revocations:` list (6 spaces)
    entry = textwrap.indent(block("org.yaml slack revocation"), " " * 6)
    org.write_text(text.replace(ANCHOR, ANCHOR + entry))
    code, out, err = _byok("-C", str(root), "generate")
    assert code == 0, err
    assert block("byok generate") in out
    code, out, err = _byok("-C", str(root), "diff", "--base", "HEAD")
    short = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, check=True,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    # the README's placeholder commit is this repository's
    assert (code, out, err) == (0, block("byok diff").replace("(1a2b3c4)", f"({short})"), "")


@pytest.mark.parametrize("line", block("install").splitlines())
def test_install_block_commands_are_real(line: str) -> None:
    """Each command of the install block is one `test_packaging.py` runs from an installed
    wheel (pip install, byok init, byok generate, terraform init/validate) or a `cd`."""
    command = line.split("#", 1)[0].strip()
    version = metadata.version("byok-compiler")
    known = {
        "pip wheel --no-deps -w dist .",
        f"pip install dist/byok_compiler-{version}-py3-none-any.whl",
        "byok init my-keys",
        "cd my-keys",
        "byok generate",
        "terraform init && terraform validate",
    }
    assert command in known


def test_install_block_runs_in_a_scratch_folder(tmp_path: Path) -> None:
    dest = tmp_path / "my-keys"
    assert _byok("init", str(dest))[0] == 0
    code, out, err = _byok("-C", str(dest), "generate")
    assert code == 0, err
    assert out.endswith(" files written\n")


def _readme_commands() -> list[str]:
    """The commands of the README's "Command line" table, in its order."""
    section = README[README.index("## Command line") :]
    table = section[section.index("| command |") :]
    table = table[: table.index("\n\n")]
    return re.findall(r"^\| `byok ([a-z-]+)", table, re.M)


def test_readme_command_table_lists_every_command() -> None:
    """Every command the CLI dispatches (`COMMANDS`) has a row, and no row names another."""
    rows = _readme_commands()
    assert len(rows) == len(set(rows)), rows
    assert sorted(rows) == sorted(cli.COMMANDS)

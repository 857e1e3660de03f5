"""The tool as a user installs it: a wheel built from this tree, installed into a fresh venv,
used outside the source tree (`byok init`, `generate`, `terraform init/validate`), plus the
scaffold's own guarantees. The wheel is built offline (`--no-build-isolation`, the dev extra
carries setuptools and wheel); the new venv reuses this venv's site-packages for the runtime
dependencies through a `.pth` line, so nothing is downloaded."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from byok import shipped
from byok.cli import main as cli
from byok.cli.init import APPLY_EDITS, MIRROR_ENV, WORKFLOW_EDITS, planned, workflow_text

REPO = Path(__file__).resolve().parent.parent
PACKAGE = shipped.__name__.split(".")[0]  # the import package, whatever it is called


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=env or os.environ.copy()
    )
    assert proc.returncode == 0, f"{cmd}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel of this tree installed (not editable): its bin/ directory."""
    base = tmp_path_factory.mktemp("installed")
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(base / "dist"), str(REPO)], cwd=base)  # fmt: skip
    wheel = next((base / "dist").glob("*.whl"))
    _run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")], cwd=base)
    py = base / "venv" / "bin" / "python"
    _run([*pip, "--python", str(py), "install", "-q", "--no-deps", "--no-index", str(wheel)], base)
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], base)
    # runtime dependencies from this venv; appended after the new site-packages, so the
    # installed package wins over this tree's editable install
    Path(site.strip(), "zz-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return base / "venv" / "bin"


def _mirror() -> str:
    """The provider mirror `make tf-config` found (the path in .build/terraformrc)."""
    found = re.search(r'path\s*=\s*"([^"]+)"', (REPO / ".build" / "terraformrc").read_text())
    if found is None:
        pytest.skip("no local provider mirror on this machine")
    return found[1]


@pytest.mark.terraform
def test_installed_wheel_scaffolds_a_repository_that_validates(
    installed: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": "", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    env[MIRROR_ENV] = _mirror()
    env["TF_CLI_CONFIG_FILE"] = "/nonexistent/terraformrc"  # as on the image: no config
    where = _run([str(installed / "python"), "-c",
                  f"from {PACKAGE}.shipped import shipped_root; print(shipped_root())"],
                 tmp_path, env)  # fmt: skip
    # the catalog and modules come from the installed package, not from this checkout
    assert Path(where.strip()).is_relative_to(installed.parent), where
    assert _run([str(installed / "byok"), "--version"], tmp_path, env).startswith("byok ")
    org = tmp_path / "org-repo"
    org.mkdir()
    _run([str(installed / "byok"), "init", "."], org, env)
    assert sorted(p.name for p in (org / "modules").iterdir()) == sorted(
        p.name for p in (REPO / "modules").iterdir()
    )
    assert (org / ".terraform.lock.hcl").read_text() == (REPO / ".terraform.lock.hcl").read_text()
    out = _run([str(installed / "byok"), "generate"], org, env)
    assert out.splitlines()[-1].startswith("generated/: ")
    # offline, with the CLI config `init` wrote, and the lock as scaffolded (readonly)
    env["TF_CLI_CONFIG_FILE"] = str(org / "terraform.rc")
    _run(["terraform", "init", "-input=false", "-backend=false", "-lockfile=readonly"], org, env)
    assert "Success" in _run(["terraform", "validate", "-no-color"], org, env)


def test_init_writes_the_repository_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    assert cli.main(["init", str(tmp_path / "new")]) == 0
    new = tmp_path / "new"
    for rel in planned():
        assert (new / rel).exists(), rel
    org = (new / "org.yaml").read_text()
    assert org.startswith("# yaml-language-server: $schema=./docs/schema/org.json\n")
    # pinned to the release that scaffolded it (README, "Use it as a tool")
    assert f'\nbyok_version: "{metadata.version("byok-compiler")}"\n' in org
    capsys.readouterr()
    before = (new / "org.yaml").read_bytes()
    (new / "org.yaml").write_text("organization: edited\n")
    assert cli.main(["init", str(new)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"byok: error: `{new}` already has org.yaml, README.md, .pre-commit-config.yaml, "
        ".gitignore, main.tf, versions.tf, variables.tf, outputs.tf, .terraform.lock.hcl, modules, "
        ".github/workflows/byok-review.yml, .github/workflows/byok-apply.yml, "
        "docs/schema/org.json, docs/schema/vendor.json: nothing written"
    )
    assert (new / "org.yaml").read_text() == "organization: edited\n" != before.decode()


def test_scaffolded_workflow_uses_the_installed_byok() -> None:
    example = (REPO / "examples" / "github-actions-review.yml").read_text()
    text = workflow_text(example)
    from importlib.metadata import version

    assert "make " not in text
    for _, new in WORKFLOW_EDITS:
        assert new.format(version=version("byok-compiler")) in text
    # the judge is that release, installed beside the pull request, never from it
    assert f"judge/.venv/bin/pip install 'byok-compiler=={version('byok-compiler')}'" in text
    assert "../judge/.venv/bin/byok diff --base" in text and "pr/.venv" not in text
    with pytest.raises(ValueError, match="no longer contains"):
        workflow_text(example.replace("make -C judge venv", "make venv"))


def test_scaffolded_apply_workflow_checks_the_plan_with_the_installed_byok() -> None:
    example = (REPO / "examples" / "github-actions-apply.yml").read_text()
    text = workflow_text(example, APPLY_EDITS)
    assert "make " not in text and ".venv" not in text
    assert "run: byok check-plan byok-plan.json\n" in text


def test_local_vendor_overrides_a_shipped_one_by_name(project: Path) -> None:
    """A project's vendors/zoom.yaml replaces the shipped zoom; other shipped vendors stay."""
    from byok.shipped import vendor_sources

    (project / "vendors" / "slack.yaml").unlink()
    sources = vendor_sources(project)
    assert sources["zoom"] == (project / "vendors" / "zoom.yaml", "vendors/zoom.yaml")
    assert sources["slack"][0] == shipped.vendor_files()["slack"]
    assert sources["slack"][1] == str(shipped.vendor_files()["slack"])


def test_init_with_a_mirror_writes_the_cli_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64").mkdir(
        parents=True
    )
    monkeypatch.setenv(MIRROR_ENV, str(mirror))
    assert cli.main(["init", str(tmp_path / "new")]) == 0
    assert (tmp_path / "new" / "terraform.rc").read_text() == (
        "# Written by `byok init`: providers from the local mirror only, so `terraform init`\n"
        "# works offline. Use it with: export TF_CLI_CONFIG_FILE=$PWD/terraform.rc\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "}\n"
    )
    assert "terraform.rc" in (tmp_path / "new" / ".gitignore").read_text()
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        f"  cd {tmp_path / 'new'} && export TF_CLI_CONFIG_FILE=$PWD/terraform.rc && "
        "byok generate && terraform init && terraform plan"
    )


def test_init_refuses_a_mirror_without_the_locked_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mirror" / "registry.terraform.io" / "hashicorp" / "aws" / "5.99.0").mkdir(
        parents=True
    )
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path / "mirror"))
    assert cli.main(["init", str(tmp_path / "new")]) == 1
    assert not (tmp_path / "new").exists()
    assert capsys.readouterr().err.splitlines() == [
        f"byok: error: {MIRROR_ENV}: `{tmp_path / 'mirror'}` does not hold "
        "registry.terraform.io/hashicorp/aws 5.100.0, the version .terraform.lock.hcl pins: "
        "nothing written",
        f"  help: unset {MIRROR_ENV} to use the registry",
    ]

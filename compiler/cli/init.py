"""`byok init [DIR]`: scaffold an organization repository that works without this one.

It writes a commented `org.yaml`, the root Terraform files, the Terraform modules (vendored, so
`terraform init` finds them offline at `./modules`, where generated/ looks for them), a
`.pre-commit-config.yaml`, the CI workflow of `examples/github-actions-review.yml` adapted to an
installed `byok`, the JSON Schemas the YAML modelines name, and a README. It never overwrites:
when any of these paths exists it changes nothing and says which.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_INPUT, EXIT_OK

ROOT_TF = ("main.tf", "versions.tf", "variables.tf", "outputs.tf")
WORKFLOW = ".github/workflows/byok-review.yml"
# scaffold file -> where it goes (dot-files are stored without the dot: package data globs)
SCAFFOLD = {
    "org.yaml": "org.yaml",
    "README.md": "README.md",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "gitignore": ".gitignore",
}
SCHEMAS = {"org": "schema/org.json", "vendor": "schema/vendor.json"}
# The example workflow runs in this repository (Makefile, .venv); an organization repository
# installs the package instead. Each replacement must apply (tests/test_init.py).
WORKFLOW_EDITS = (
    (
        "        run: make check-generated\n",
        "        run: pip install byok-compiler && byok generate --check\n",
    ),
    (".venv/bin/byok diff", "byok diff"),
)
_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*")


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("init", help="scaffold an organization repository in DIR")
    p.add_argument(
        "dir", nargs="?", default=None, help="where (default: -C's directory, or .; created)"
    )
    p.set_defaults(func=cmd_init)


def workflow_text(example: str) -> str:
    for old, new in WORKFLOW_EDITS:
        if old not in example:
            raise ValueError(f"the CI example no longer contains {old.strip()!r}")
        example = example.replace(old, new)
    return example


def planned() -> list[str]:
    return [*SCAFFOLD.values(), *ROOT_TF, "modules", WORKFLOW, *SCHEMAS.values()]


def _write(dest: Path) -> None:
    from ..model.schema import schema_text
    from ..shipped import modules_dir, scaffold_dir, shipped_root

    for src, rel in SCAFFOLD.items():
        shutil.copyfile(scaffold_dir() / src, dest / rel)
    for name in ROOT_TF:
        shutil.copyfile(shipped_root() / name, dest / name)
    shutil.copytree(modules_dir(), dest / "modules", ignore=_IGNORE)
    example = (shipped_root() / "examples" / "github-actions-review.yml").read_text("utf-8")
    (dest / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
    (dest / WORKFLOW).write_text(workflow_text(example), encoding="utf-8")
    for kind, rel in SCHEMAS.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(schema_text(kind), encoding="utf-8")


def cmd_init(args: argparse.Namespace) -> int:
    dest = Path(args.dir if args.dir is not None else args.directory)
    taken = [rel for rel in planned() if (dest / rel).exists()]
    if taken:
        print(
            f"byok: error: `{dest}` already has {', '.join(taken)}: nothing written",
            file=sys.stderr,
        )
        print(
            "  help: `byok init` starts a new repository; run it in an empty directory",
            file=sys.stderr,
        )
        return EXIT_INPUT
    dest.mkdir(parents=True, exist_ok=True)
    _write(dest)
    here = "" if dest == Path() else f"cd {dest} && "
    print(f"byok: scaffolded an organization repository in `{dest}`")
    print("next: edit org.yaml (account, Region, administrators, vendors), then")
    print(f"  {here}byok generate && terraform init && terraform plan")
    return EXIT_OK

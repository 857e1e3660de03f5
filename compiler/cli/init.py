"""`byok init [DIR]`: scaffold an organization repository that works without this one.

It writes a commented `org.yaml`, the root Terraform files, the Terraform modules (vendored, so
`terraform init` finds them offline at `./modules`, where generated/ looks for them), a
`.pre-commit-config.yaml`, the CI workflows of `examples/github-actions-review.yml` (review) and
`examples/github-actions-apply.yml` (plan, `byok check-plan`, apply) adapted to an installed
`byok`, the JSON Schemas where the YAML modelines point (docs/schema/, as in this repository),
and a README. It never overwrites: when any of these paths exists it changes nothing and says
which (`--upgrade`, upgrade.py, rewrites modules/ and the schemas).

The root's provider lock (`.terraform.lock.hcl`) is this repository's: the provider version the
modules are tested with, with the registry's checksums for every platform. With
`BYOK_TF_PROVIDER_MIRROR` set (a local provider mirror, as `make tf-config` takes it), `init`
also writes `terraform.rc`, the Terraform CLI config that installs providers from that mirror
only, so `TF_CLI_CONFIG_FILE=terraform.rc terraform init` works offline; the mirror must hold
the locked version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_INPUT, EXIT_OK

ROOT_TF = ("main.tf", "versions.tf", "variables.tf", "outputs.tf", ".terraform.lock.hcl")
MIRROR_ENV = "BYOK_TF_PROVIDER_MIRROR"
VERSION_MARK = "@BYOK_VERSION@"  # in scaffold/org.yaml: the installed release
CLI_CONFIG = "terraform.rc"
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
WORKFLOW = ".github/workflows/byok-review.yml"
APPLY_WORKFLOW = ".github/workflows/byok-apply.yml"  # examples/github-actions-apply.yml
# scaffold file -> where it goes (dot-files are stored without the dot: package data globs)
SCAFFOLD = {
    "org.yaml": "org.yaml",
    "README.md": "README.md",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "gitignore": ".gitignore",
}
# Where the modelines point: org.yaml's `./docs/schema/org.json`, and every shipped vendor
# file's `../docs/schema/vendor.json`, so a vendor file copied into vendors/ validates as is.
SCHEMAS = {"org": "docs/schema/org.json", "vendor": "docs/schema/vendor.json"}
# The example workflow builds its judge from the base commit of this repository (`make -C judge
# venv`); an organization repository has no compiler to build, so its judge is the release this
# byok is, pinned in the workflow: the workflow itself comes from the base branch
# (pull_request_target), so a pull request cannot change which byok judges it. Each
# replacement must apply (tests/test_packaging.py).
WORKFLOW_EDITS = (
    (
        "        run: make -C judge venv\n",
        "        # byok is not on PyPI (README): install this release from your package index, or\n"
        "        # replace the requirement with 'byok-compiler @ git+<its URL>@v{version}'\n"
        "        run: python -m venv judge/.venv && judge/.venv/bin/pip install "
        "'byok-compiler=={version}'\n",
    ),
)
# examples/github-actions-apply.yml, likewise with the pinned release.
APPLY_EDITS = (
    (
        "        run: make check-generated\n",
        "        # byok is not on PyPI (README): install this release from your package index, or\n"
        "        # replace the requirement with 'byok-compiler @ git+<its URL>@v{version}'\n"
        "        run: pip install 'byok-compiler=={version}' && byok generate --check\n",
    ),
    (".venv/bin/byok check-plan", "byok check-plan"),
)
_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*")


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("init", help="scaffold an organization repository in DIR")
    p.add_argument(
        "dir", nargs="?", default=None, help="where (default: -C's directory, or .; created)"
    )
    p.add_argument(
        "--upgrade",
        action="store_true",
        help="in an existing repository: rewrite the vendored modules/ and the JSON Schemas to "
        "the installed byok's, printing the diff (as terraform init -upgrade does for providers)",
    )
    p.set_defaults(func=cmd_init)


def cmd_upgrade(dest: Path) -> int:
    from .main import _version
    from .upgrade import upgrade

    return upgrade(dest, SCHEMAS, _version())


def workflow_text(example: str, edits: tuple[tuple[str, str], ...] = WORKFLOW_EDITS) -> str:
    from importlib.metadata import version

    for old, new in edits:
        if old not in example:
            raise ValueError(f"the CI example no longer contains {old.strip()!r}")
        example = example.replace(old, new.format(version=version("byok-compiler")))
    return example


def planned(mirror: str | None = None) -> list[str]:
    paths = [*SCAFFOLD.values(), *ROOT_TF, "modules", WORKFLOW, APPLY_WORKFLOW, *SCHEMAS.values()]
    return [*paths, CLI_CONFIG] if mirror else paths


def locked_aws_version(lock_text: str) -> str:
    """The AWS provider version a `.terraform.lock.hcl` pins.

    >>> locked_aws_version('provider "registry.terraform.io/hashicorp/aws" {\\n  version = "5.1.0"')
    '5.1.0'
    """
    block = lock_text.split(f'provider "{AWS_PROVIDER}"', 1)[1]
    return re.search(r'version\s*=\s*"([^"]+)"', block)[1]  # type: ignore[index]


def mirror_problem(mirror: str) -> str | None:
    """Why `mirror` cannot serve the locked AWS provider, or None. A filesystem mirror holds
    `<host>/<namespace>/<type>/<version>/` (unpacked) or the packed zip beside it."""
    from ..shipped import shipped_root

    version = locked_aws_version((shipped_root() / ".terraform.lock.hcl").read_text("utf-8"))
    where = Path(mirror) / AWS_PROVIDER
    if (where / version).is_dir() or any(where.glob(f"terraform-provider-aws_{version}_*.zip")):
        return None
    lock = ".terraform.lock.hcl"
    return f"`{mirror}` does not hold {AWS_PROVIDER} {version}, the version {lock} pins"


def cli_config(mirror: str) -> str:
    """The Terraform CLI config of scripts/tf-cli-config.sh: hashicorp providers from the
    mirror only (https://developer.hashicorp.com/terraform/cli/config/config-file)."""
    path = json.dumps(str(Path(mirror).resolve()))
    return (
        "# Written by `byok init`: providers from the local mirror only, so `terraform init`\n"
        "# works offline. Use it with: export TF_CLI_CONFIG_FILE=$PWD/terraform.rc\n"
        "provider_installation {\n  filesystem_mirror {\n"
        f"    path    = {path}\n"
        '    include = ["registry.terraform.io/*/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n'
    )


def _write(dest: Path, mirror: str | None) -> None:
    from ..model.schema import schema_text
    from ..shipped import byok_version, modules_dir, scaffold_dir, shipped_root

    for src, rel in SCAFFOLD.items():
        text = (scaffold_dir() / src).read_text("utf-8")
        (dest / rel).write_text(text.replace(VERSION_MARK, byok_version()), encoding="utf-8")
    for name in ROOT_TF:
        shutil.copyfile(shipped_root() / name, dest / name)
    shutil.copytree(modules_dir(), dest / "modules", ignore=_IGNORE)
    example = (shipped_root() / "examples" / "github-actions-review.yml").read_text("utf-8")
    (dest / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
    (dest / WORKFLOW).write_text(workflow_text(example), encoding="utf-8")
    apply = (shipped_root() / "examples" / "github-actions-apply.yml").read_text("utf-8")
    (dest / APPLY_WORKFLOW).write_text(workflow_text(apply, APPLY_EDITS), encoding="utf-8")
    for kind, rel in SCHEMAS.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(schema_text(kind), encoding="utf-8")
    if mirror:
        (dest / CLI_CONFIG).write_text(cli_config(mirror), encoding="utf-8")


def _refuse(message: str, help_line: str) -> int:
    print(f"byok: error: {message}: nothing written", file=sys.stderr)
    print(f"  help: {help_line}", file=sys.stderr)
    return EXIT_INPUT


def cmd_init(args: argparse.Namespace) -> int:
    dest = Path(args.dir if args.dir is not None else args.directory)
    if args.upgrade:
        return cmd_upgrade(dest)
    mirror = os.environ.get(MIRROR_ENV) or None
    problem = mirror_problem(mirror) if mirror else None
    if problem:
        return _refuse(f"{MIRROR_ENV}: {problem}", f"unset {MIRROR_ENV} to use the registry")
    taken = [rel for rel in planned(mirror) if (dest / rel).exists()]
    if taken:
        return _refuse(
            f"`{dest}` already has {', '.join(taken)}",
            "`byok init` starts a new repository; run it in an empty directory",
        )
    dest.mkdir(parents=True, exist_ok=True)
    _write(dest, mirror)
    here = "" if dest == Path() else f"cd {dest} && "
    print(f"byok: scaffolded an organization repository in `{dest}`")
    if mirror:
        print(f"byok: {CLI_CONFIG} installs providers from `{mirror}` (offline)")
    print("next: edit org.yaml (account, Region, administrators, vendors), then")
    if mirror:
        here += f"export TF_CLI_CONFIG_FILE=$PWD/{CLI_CONFIG} && "
    print(f"  {here}byok generate && terraform init && terraform plan")
    return EXIT_OK

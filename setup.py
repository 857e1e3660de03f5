"""Ship the vendor catalog, the Terraform modules and the CI example inside the package.

A wheel built from this tree carries `vendors/`, `modules/`, `examples/`, `docs/schema/` and
the repository's root files (`*.tf`, LICENSE) under `<package>/_shipped/`. A source checkout
(and its editable install) reads them from the repository root instead (see shipped.py), so
they live in git exactly once. Everything else is configured in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# docs/schema: the JSON Schemas the vendor files' `yaml-language-server` modelines point at
SHIPPED = ("vendors", "modules", "examples", "docs/schema")
ROOT_FILES = (
    "main.tf", "versions.tf", "variables.tf", "outputs.tf", ".terraform.lock.hcl", "LICENSE"
)
IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__")


class BuildWithCatalog(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the editable install reads the repository root itself
        top = next(p for p in (self.packages or []) if "." not in p)
        dest = Path(self.build_lib, top, "_shipped")
        if dest.exists():
            shutil.rmtree(dest)
        for name in SHIPPED:
            shutil.copytree(HERE / name, dest / name, ignore=IGNORE)
        for name in ROOT_FILES:
            shutil.copy2(HERE / name, dest / name)


def _packages() -> list[str]:
    """The import package is `byok`; its source folder is `compiler/` (package-dir mapping).
    Every folder is listed, those holding only package data too (`data/`, `scaffold/`,
    `render/templates/`, `report/assets/`): setuptools includes data only from listed packages,
    and warns at every install about a data folder that is not one."""
    src = HERE / "compiler"
    folders = [src, *(p for p in src.rglob("*") if p.is_dir())]
    return sorted(
        ".".join(("byok", *d.relative_to(src).parts))
        for d in folders
        if "__pycache__" not in d.parts and any(f.is_file() for f in d.iterdir())
    )


setup(
    cmdclass={"build_py": BuildWithCatalog},
    package_dir={"byok": "compiler"},
    packages=_packages(),
)

"""Where the files that ship with byok live: the vendor catalog (`vendors/*.yaml`), the
Terraform modules (`modules/`), the root Terraform files and the CI example that `byok init`
copies.

An installed wheel carries them inside the package, under `_shipped/` (setup.py copies them
there at build time). A source checkout, and the editable install made from it, has no
`_shipped/`: there the repository root beside the package is the catalog, so the files are
never duplicated in git. The package is found through `__package__`, not by name, so renaming
the import package needs no change here.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from .paths import VENDORS_DIR

SHIPPED_DIR = "_shipped"


DISTRIBUTION = "byok-compiler"


@functools.cache
def byok_version() -> str:
    """The installed byok-compiler's version (`byok --version`); "unknown" for a source tree
    that is not installed. Looked up once per process (a scan of `sys.path`: issue 29)."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def package_dir() -> Path:
    return Path(str(files(__package__ or __name__.rpartition(".")[0])))


def shipped_root() -> Path:
    """The directory holding `vendors/`, `modules/`, `examples/` and the root `*.tf` as shipped."""
    inside = package_dir() / SHIPPED_DIR
    if inside.is_dir():
        return inside
    return package_dir().parent


def vendor_files() -> dict[str, Path]:
    """The shipped vendor catalog: vendor name (file stem) -> file."""
    vdir = shipped_root() / "vendors"
    return {p.stem: p for p in sorted(vdir.glob("*.yaml"))} if vdir.is_dir() else {}


def modules_dir() -> Path:
    return shipped_root() / "modules"


def scaffold_dir() -> Path:
    """Templates of `byok init` that are not also files of this repository (package data)."""
    return package_dir() / "scaffold"


def vendor_sources(root: Path) -> dict[str, tuple[Path, str]]:
    """Vendor name -> (file, name shown in diagnostics): the shipped catalog, then the project's
    own `vendors/*.yaml`, which add vendors or replace a shipped one of the same name."""
    found = {name: (path, str(path)) for name, path in vendor_files().items()}
    vdir = root / VENDORS_DIR
    for path in sorted(vdir.glob("*.yaml")) if vdir.is_dir() else ():
        found[path.stem] = (path, f"{VENDORS_DIR}/{path.name}")
    return dict(sorted(found.items()))

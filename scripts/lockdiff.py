"""Compare the distributions installed in the running interpreter with a pip-compile lock file.

    python scripts/lockdiff.py LOCK            exit 1 and one line per difference, else exit 0
    python scripts/lockdiff.py --report LOCK   the same lines as a drift report, always exit 0

A difference is a locked distribution that is missing or installed at another version, or an
installed distribution the lock does not list. The project itself (`byok-compiler`, installed
editable from the tree) is not in the lock. Names compare normalised (PEP 503), so
`PyYAML` and `pyyaml` are one distribution.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

SELF = "byok-compiler"
# `name==version \` at the start of a line; hashes and `# via` comments follow on other lines
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(text: str) -> dict[str, str]:
    """`{name: version}` of every pin in a pip-compile output."""
    return {normalise(name): version for name, version in PIN.findall(text)}


def installed() -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[normalise(name)] = dist.version
    found.pop(SELF, None)
    return found


def differences(lock: dict[str, str], have: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(lock.keys() | have.keys()):
        want, got = lock.get(name), have.get(name)
        if want == got:
            continue
        if got is None:
            lines.append(f"{name}: locked {want}, not installed")
        elif want is None:
            lines.append(f"{name}: installed {got}, not in the lock")
        else:
            lines.append(f"{name}: locked {want}, installed {got}")
    return lines


def main(argv: list[str]) -> int:
    report = argv[:1] == ["--report"]
    (path,) = argv[1:] if report else argv
    lines = differences(locked(Path(path).read_text(encoding="utf-8")), installed())
    prefix = f"drift from {path}: " if report else f"{path}: "
    for line in lines:
        print(prefix + line)
    if report and not lines:
        print(f"drift from {path}: none (the newest allowed releases are the locked ones)")
    return 1 if lines and not report else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`byok --help` / `byok --version` start-up time (target: 0.3 s; issue 15), best of 7 runs of the
installed console script, plus the modules each one imports. Run by `make bench`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.3
BYOK = Path(sys.executable).with_name("byok")


def _best(argv: list[str], runs: int = 7) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(BYOK), *argv], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> int:
    ok = True
    for argv in (["--help"], ["--version"]):
        best, median = _best(argv)
        verdict = "ok" if best <= TARGET_S else "OVER TARGET"
        ok &= best <= TARGET_S
        print(f"byok {' '.join(argv)}: best {best:.3f} s, median {median:.3f} s "
              f"(target {TARGET_S} s) {verdict}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

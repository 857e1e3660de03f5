"""Time each pipeline stage in this process (no profiler overhead), or profile the whole run.

    .venv/bin/python -m bench.stages PROJECT [--json] [--profile OUT.prof]

Stages: load+model (every YAML file), resolve, compile, verify (every check and proof of every
key: the "semantic verification"), render, and write (into a scratch copy of generated/, so the
project is not touched). Prints one JSON object with seconds per stage and the peak RSS.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

TODAY = date(2026, 11, 23)


def run_stages(root: Path, scratch: Path | None = None) -> dict[str, Any]:
    """One pass over the stages, with the cyclic GC paused as `pipeline.build_tree` does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_stages(root, scratch)
    finally:
        if enabled:
            gc.enable()


def _run_stages(root: Path, scratch: Path | None) -> dict[str, Any]:
    from byok.compile import compile_all
    from byok.pipeline import load_inputs
    from byok.render import render_all
    from byok.resolve import resolve
    from byok.verify import verify_key
    from byok.write import write_tree

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    org, vendors = load_inputs(root)
    t["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    resolved = resolve(org, vendors, TODAY)
    t["resolve"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled = compile_all(resolved)
    t["compile"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    errors = 0
    for ck in compiled.keys:
        found, _ = verify_key(ck)
        errors += sum(d.severity == "error" for d in found)
    t["verify"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    files = render_all(compiled)
    t["render"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        where = (scratch or Path(tmp)) / "generated"
        t0 = time.perf_counter()
        write_tree(where, files)
        t["write"] = time.perf_counter() - t0
    return {
        "keys": len(compiled.keys),
        "values": sum(len(r.values) for ck in compiled.keys for r in ck.key.revocations),
        "verify_errors": errors,
        "seconds": {k: round(v, 4) for k, v in t.items()},
        "total_s": round(sum(t.values()), 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("project", type=Path)
    p.add_argument("--profile", type=Path, help="write a cProfile of the whole run here")
    p.add_argument(
        "--scratch",
        type=Path,
        help="write the tree under this (new) directory and "
        "leave it there (default: a temporary directory, removed)",
    )
    args = p.parse_args()
    if args.profile:
        prof = cProfile.Profile()
        out = prof.runcall(run_stages, args.project, args.scratch)
        prof.dump_stats(args.profile)
    else:
        out = run_stages(args.project, args.scratch)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

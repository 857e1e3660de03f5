"""`make bench`: generate / no-op generate / check-generated / byok diff / checkov at scale.

For every cell of keys (N apps x environments) x revocation values (M), on a synthetic
organization (`bench/synth.py`) in a scratch git repository, each measured as a fresh child
process (wall time, CPU time, peak RSS from wait4):

- `generate`: `byok generate` into an empty `generated/` (best of BENCH_REPEAT runs, the
  median is kept in the JSON);
- `no-op`: `byok generate` again with unchanged inputs: must rewrite nothing (mtimes checked);
- `check`: `make check-generated` (the repository's Makefile, run in the scratch project);
- `change`: `byok generate` after the next change request (1% more revocation values, at
  least 10) over the existing tree;
- `diff`: `byok diff --base HEAD` for that change, the previous generation committed;
- `diff-all`: `byok diff` when a key administrator is added (every key's policy changes);
- `check-plan`: `byok check-plan` of a synthetic `terraform show -json` plan of every resource
  of the root (bench/planjson.py): the first plan (all created) and a re-plan after apply;
- `verify`: the verification stage alone (every check and proof of every key), in-process
  timing from `bench/stages.py`, against `checkov -d generated` on the same tree.

Prints a table and writes `bench/out/results.json` (and a copy named after the commit) so runs
compare across commits. BENCH_QUICK=1 runs a smaller matrix; BENCH_REPEAT=N sets repetitions;
BENCH_NO_CHECKOV=1 skips checkov; BENCH_NO_SCALE=1 skips the 10,000-key point (`bench/wait.py`:
start-up, no-op, eval, diff, generate vs checkov and scale targets of issue 16).
"""

from __future__ import annotations

import compileall
import contextlib
import itertools
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.incremental import Changes, incremental_targets, per_key
from bench.measure import Run, run
from bench.planjson import plan_doc
from bench.planjson import write as write_plan
from bench.synth import make_project
from bench.wait import WAIT, scale_point, startup, wait_targets

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
TODAY = "2026-11-23"
FULL_KEYS, FULL_VALUES = (10, 100, 1000), (0, 2000, 20000)
QUICK_KEYS, QUICK_VALUES = (10, 100), (0, 2000)
TARGET = {
    "keys": 1000,
    "values": 20000,
    "generate_s": 3.0,
    "generate_mb": 300.0,
    "diff_s": 10.0,
    "checkov_ratio": 10.0,
}
# The cost model: fixed + per key + per value + per key holding revocations (each such key
# gets a comparer proof); "linear" = this model explains the measured CPU times.
LINEAR_R2 = 0.95
GIT = [
    "git",
    "-c",
    "user.name=bench",
    "-c",
    "user.email=bench@localhost",
    "-c",
    "commit.gpgsign=false",
]


def _env() -> dict[str, str]:
    return {**os.environ, "BYOK_TODAY": TODAY, "PYTHONDONTWRITEBYTECODE": "1"}


def _byok() -> list[str]:
    """The command measured: this venv's `byok`, or BENCH_BYOK (a command line, e.g. another
    checkout's `python -m byok`, to measure a "before" with this harness)."""
    given = os.environ.get("BENCH_BYOK")
    if given:
        return shlex.split(given)
    script = Path(sys.executable).with_name("byok")
    return [str(script)] if script.exists() else [sys.executable, "-m", "byok"]


def _git(proj: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(proj), *args], check=True, capture_output=True)


def _checkov() -> Path | None:
    if os.environ.get("BENCH_NO_CHECKOV"):
        return None
    exe = REPO / ".venv-checkov" / "bin" / "checkov"
    if not exe.exists():
        print("bench: installing checkov (make .venv-checkov/.installed) ...", flush=True)
        subprocess.run(["make", "-C", str(REPO), ".venv-checkov/.installed"], check=True)
    return exe


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*")}


def _best(runs: list[Run]) -> dict[str, Any]:
    """The fastest run (on a shared machine other work only ever adds time) and the median."""
    for r in runs:
        if r.returncode not in (0, 3):
            raise RuntimeError(f"command failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return {
        "wall_s": round(min(r.wall_s for r in runs), 3),
        "cpu_s": round(min(r.cpu_s for r in runs), 3),
        "user_s": round(min(r.user_s for r in runs), 3),
        "peak_mb": round(max(r.peak_mb for r in runs), 1),
        "median_wall_s": round(statistics.median(r.wall_s for r in runs), 3),
        "median_cpu_s": round(statistics.median(r.cpu_s for r in runs), 3),
        "rc": runs[-1].returncode,
        "runs": [round(r.wall_s, 3) for r in runs],
    }


def _check_generated(proj: Path) -> list[str]:
    """The repository's `make check-generated`, run in the scratch project with this venv."""
    stamp = REPO / ".venv" / ".installed"
    return [
        "make",
        "-s",
        "-f",
        str(REPO / "Makefile"),
        "-C",
        str(proj),
        "check-generated",
        f"BIN={Path(sys.executable).parent}",
        f"STAMP={stamp}",
        "-o",
        str(stamp),
    ]


class Trash:
    """Trees the bench is done with are moved here and deleted only when the bench ends.

    On ext4 without a journal (this benchmark's VM), a new inode skips every inode freed in
    the last minute or more (`recently_deleted`: 60 s, 360 s while the inode table is not yet
    written back), so deleting thousands of files right before a timed run makes that run's
    file creation ten times slower than on a normal system. Nothing the compiler does is
    measured after a mass delete of the bench's own making, and `settle` waits out those of
    other programs before the 1,000-key cells."""

    def __init__(self, root: Path) -> None:
        self.root = root / "trash"
        self.root.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def take(self, path: Path) -> None:
        if path.exists():
            self.n += 1
            path.rename(self.root / str(self.n))

    def fresh(self) -> Path:
        self.n += 1
        return self.root / str(self.n)


# Creating this many files in a new directory takes 0.02-0.05 s on this VM's disk when it is
# settled, and ten to fifty times longer within minutes of a mass delete (see `Trash`).
PROBE_FILES = 300
PROBE_SETTLED_S = 0.1
PROBE_WAIT_S = 120


def _probe(where: Path) -> float:
    """Seconds to create `PROBE_FILES` small files in a new directory under `where` (kept:
    deleting them would itself slow the next files created there)."""
    d = Path(tempfile.mkdtemp(dir=where, prefix=".probe-"))
    start = time.perf_counter()
    for i in range(PROBE_FILES):
        (d / f"{i}.json").write_bytes(b"{}\n")
    return time.perf_counter() - start


def settle(where: Path) -> dict[str, float]:
    """Wait (up to `PROBE_WAIT_S`) until creating files under `where` is as fast as on a
    settled disk, so `generate` is not timed against inodes another program just freed
    (pytest's temporary directories, an earlier bench's trash). Returns what was measured."""
    start = time.time()
    took = _probe(where)
    while took > PROBE_SETTLED_S and time.time() - start < PROBE_WAIT_S:
        print(f"bench: creating files is slow here ({took:.2f} s for {PROBE_FILES}): "
              "waiting for the disk to settle ...", flush=True)  # fmt: skip
        time.sleep(20)
        took = _probe(where)
    return {"probe_s": round(took, 3), "waited_s": round(time.time() - start, 1)}


@contextlib.contextmanager
def _scratch() -> Iterator[str]:
    """A new temporary directory where creating files is fast: ext4 places a new directory in
    one of many block groups, and only those where many inodes were just freed are slow (see
    `Trash`), so a few tries find a settled one (else the last one tried). Removed with
    everything in it at the end."""
    tried: list[str] = []
    for _ in range(8):
        tmp = tempfile.mkdtemp(prefix="byok-bench-")
        if _probe(Path(tmp)) <= PROBE_SETTLED_S:
            break
        tried.append(tmp)
    for slow in tried[: len(tried) - (tmp in tried)]:
        shutil.rmtree(slow, ignore_errors=True)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cell(
    root: Path, keys: int, values: int, repeat: int, checkov: Path | None, trash: Trash
) -> dict[str, Any]:
    proj = root / f"k{keys}-v{values}"
    apps = make_project(proj, keys, values)
    disk = settle(root) if keys >= 1000 else None
    env = _env()
    byok = _byok()
    _git(proj, "init", "-q", ".")
    _git(proj, "add", "-A")
    _git(proj, "commit", "-q", "-m", "inputs")
    out: dict[str, Any] = {
        "keys": keys,
        "values": values,
        "apps": len(apps),
        "revocable_keys": sum(len(a.envs) for a in apps if a.base == "slack"),
        "disk": disk,
    }

    runs = []
    for _ in range(repeat):  # from nothing: no generated/ and no build cache (.build/)
        trash.take(proj / "generated")
        trash.take(proj / ".build")
        runs.append(run([*byok, "generate"], proj, env))
    out["generate"] = _best(runs)
    out["files"] = sum(1 for p in (proj / "generated").rglob("*") if p.is_file())

    before = _mtimes(proj / "generated")
    runs = [run([*byok, "generate"], proj, env) for _ in range(repeat)]
    out["noop"] = _best(runs)
    out["noop"]["unchanged"] = (
        _mtimes(proj / "generated") == before
        and f"generated/: {out['files']} files unchanged" in runs[-1].stdout
    )

    runs = [run(_check_generated(proj), proj, env) for _ in range(repeat)]
    out["check"] = _best(runs)
    if runs[-1].returncode != 0:
        raise RuntimeError(
            f"check-generated failed:\n{runs[-1].stdout[-2000:]}{runs[-1].stderr[-2000:]}"
        )

    passes = []
    for _ in range(repeat):
        scratch = trash.fresh()
        cmd = [sys.executable, "-m", "bench.stages", str(proj), "--scratch", str(scratch)]
        stages = run(cmd, REPO, env)
        if stages.returncode != 0:
            raise RuntimeError(stages.stderr[-3000:])
        passes.append(json.loads(stages.stdout))
    out["stages"] = min(passes, key=lambda p: p["total_s"])
    out["stages"]["best_s"] = {
        k: min(p["seconds"][k] for p in passes) for k in passes[0]["seconds"]
    }
    out["verify_s"] = out["stages"]["best_s"]["verify"]

    if checkov is not None:
        ck = run(
            [
                str(checkov),
                "-d",
                "generated",
                "--framework",
                "terraform",
                "--quiet",
                "--compact",
                "--skip-download",
            ],
            proj,
            env,
        )
        out["checkov"] = ck.summary()
        out["checkov_vs_verify"] = round(ck.wall_s / max(out["verify_s"], 1e-6), 1)
        out["checkov_vs_check"] = round(ck.wall_s / max(out["check"]["wall_s"], 1e-6), 1)

    _git(proj, "add", "-A")
    _git(proj, "commit", "-q", "-m", "previous generation")
    changes = Changes(proj, keys, values, byok, env, trash)
    out.update(changes.one_key(repeat))
    extra = max(values // 100, 10)
    out["change"], out["diff"] = changes.measure(repeat, extra_values=extra)
    out["change"]["values_added"] = extra
    # every line but the first, which names the base (`base: HEAD (<sha>)`)
    shown = changes.last_diff
    out["diff"]["changed_lines"] = shown.count("\n") - shown.startswith("base: ")
    out["all_generate"], out["diff_all"] = changes.measure(
        repeat, extra_values=extra, extra_admin=True
    )
    for mode in ("create", "clean"):  # the first plan, and a re-plan right after apply
        plan = write_plan(plan_doc(proj, ".", mode), proj / f"plan-{mode}.json")
        runs = [run([*byok, "check-plan", str(plan)], proj, env) for _ in range(repeat)]
        out[f"check_plan_{mode}"] = _best(runs)
    trash.take(proj)
    return out


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination for the small normal equations of the linear fit."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        if abs(m[c][c]) < 1e-12:
            return [0.0] * n
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def linear_fit(cells: list[dict[str, Any]], field: str, metric: str = "cpu_s") -> dict[str, Any]:
    """Least squares `t = a + b*keys + c*values + d*revoked_keys` over the cells (revoked keys:
    keys holding at least one revocation, each of which adds a proof by the comparer)."""
    xs = [[1.0, float(c["keys"]), float(c["values"]), float(_revoked(c))] for c in cells]
    ys = [float(c[field][metric]) for c in cells]
    if len({tuple(x) for x in xs}) < 5:
        return {}
    n = len(xs[0])
    ata = [[sum(x[i] * x[j] for x in xs) for j in range(n)] for i in range(n)]
    aty = [sum(x[i] * y for x, y in zip(xs, ys, strict=True)) for i in range(n)]
    a, b, c, d = _solve(ata, aty)
    pred = [sum(k * v for k, v in zip((a, b, c, d), x, strict=True)) for x in xs]
    mean = statistics.fmean(ys)
    ss_res = sum((y - p) ** 2 for y, p in zip(ys, pred, strict=True))
    ss_tot = sum((y - mean) ** 2 for y in ys) or 1.0
    return {
        "metric": metric,
        "fixed_s": round(a, 3),
        "per_1000_keys_s": round(b * 1000, 3),
        "per_10000_values_s": round(c * 10000, 3),
        "per_100_revoked_keys_s": round(d * 100, 3),
        "r2": round(1 - ss_res / ss_tot, 4),
        "max_abs_residual_s": round(max(abs(y - p) for y, p in zip(ys, pred, strict=True)), 3),
    }


def _revoked(c: dict[str, Any]) -> int:
    return min(c["revocable_keys"], c["values"])


def growth(
    cells: list[dict[str, Any]], field: str = "generate", metric: str = "cpu_s"
) -> list[dict[str, Any]]:
    """Marginal cost along each axis: per key (values fixed) and per value (keys fixed). Linear
    growth means the marginal cost of the upper segment is no larger than the lower one's."""
    by = {(c["keys"], c["values"]): c[field][metric] for c in cells}
    keys = sorted({c["keys"] for c in cells})
    values = sorted({c["values"] for c in cells})
    out: list[dict[str, Any]] = []
    for axis, fixed_levels, steps in (("keys", values, keys), ("values", keys, values)):
        for fixed in fixed_levels:
            pts = [(x, by[(x, fixed) if axis == "keys" else (fixed, x)]) for x in steps]
            slopes = [(t2 - t1) / (x2 - x1) for (x1, t1), (x2, t2) in itertools.pairwise(pts)]
            ratio = slopes[-1] / slopes[0] if len(slopes) > 1 and slopes[0] > 0 else None
            out.append(
                {
                    "axis": axis,
                    "fixed": fixed,
                    "points": pts,
                    "marginal_s": [round(x, 7) for x in slopes],
                    "upper_vs_lower": None if ratio is None else round(ratio, 2),
                }
            )
    return out


def _row(c: dict[str, Any]) -> str:
    ck = c.get("checkov")
    ratio = f"{c['checkov_vs_verify']:>6.1f}x" if ck else "      -"
    g, n, chk, d = c["generate"], c["noop"], c["check"], c["diff"]
    same = "yes" if n["unchanged"] else "NO"
    return (
        f"{c['keys']:>5} {c['values']:>6} | "
        f"{g['wall_s']:>5.2f} {g['cpu_s']:>5.2f} {g['peak_mb']:>4.0f} | "
        f"{n['wall_s']:>5.2f} {same:>3} | {chk['wall_s']:>5.2f} {chk['peak_mb']:>4.0f} | "
        f"{c['edit_generate']['wall_s']:>5.2f} {c['edit_diff']['wall_s']:>5.2f} | "
        f"{c['change']['wall_s']:>5.2f} | {d['wall_s']:>5.2f} {d['peak_mb']:>4.0f} | "
        f"{c['all_generate']['wall_s']:>5.2f} {c['diff_all']['wall_s']:>5.2f} | "
        f"{c['verify_s']:>6.3f} | {ck['wall_s'] if ck else float('nan'):>6.2f} {ratio}"
    )


HEADER = (
    " keys values | generate         | no-op     | check-gen. | one key     | 1% values |"
    "            | every key   | verify | checkov\n"
    "             |  wall   CPU   MB |  wall same |  wall   MB |   gen  diff | gen. wall |"
    " diff    MB |   gen  diff |  stage |   wall vs verify"
)


def table(cells: list[dict[str, Any]]) -> str:
    return "\n".join([HEADER, "-" * len(HEADER.splitlines()[0]), *(_row(c) for c in cells)])


def curve(cells: list[dict[str, Any]]) -> str:
    """generate CPU time per cell as bars, and the marginal costs along each axis."""
    top = max(c["generate"]["cpu_s"] for c in cells) or 1.0
    lines = ["generate, CPU seconds (wall in brackets):"]
    for c in cells:
        g = c["generate"]
        bar = "#" * max(1, round(50 * g["cpu_s"] / top))
        lines.append(
            f"{c['keys']:>5} keys {c['values']:>6} values "
            f"{g['cpu_s']:>6.2f} ({g['wall_s']:>5.2f})  {bar}"
        )
    lines.append(
        "marginal CPU cost along each axis (a key that gains revocations also gains a comparer "
        "proof, so per-key cost rises where the share of such keys does):"
    )
    for gr in growth(cells):
        unit = "ms/key" if gr["axis"] == "keys" else "ms/value"
        fixed = f"{gr['fixed']} {'values' if gr['axis'] == 'keys' else 'keys'}"
        steps = ", ".join(f"{1000 * m:.3f}" for m in gr["marginal_s"])
        ratio = gr["upper_vs_lower"]
        tail = "" if ratio is None else f"  (x{ratio})"
        lines.append(f"  along {gr['axis']:<6} at {fixed:<13}: {steps} {unit}{tail}")
    return "\n".join(lines)


def targets(cells: list[dict[str, Any]], fit: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    big = next(
        (c for c in cells if c["keys"] == TARGET["keys"] and c["values"] == TARGET["values"]), None
    )
    if big is None:
        return []
    g, d = big["generate"], big["diff"]
    ratios = [
        gr["upper_vs_lower"]
        for gr in growth(cells, metric="user_s")
        if gr["upper_vs_lower"] is not None
    ]
    out: list[tuple[str, bool | None, str]] = [
        (
            f"generate <= {TARGET['generate_s']} s",
            g["wall_s"] <= TARGET["generate_s"],
            f"{g['wall_s']} s wall, {g['cpu_s']} s CPU",
        ),
        (
            f"generate peak <= {TARGET['generate_mb']:.0f} MB",
            g["peak_mb"] <= TARGET["generate_mb"],
            f"{g['peak_mb']} MB",
        ),
        (
            f"byok diff <= {TARGET['diff_s']} s",
            d["wall_s"] <= TARGET["diff_s"],
            f"{d['wall_s']} s; every key changed: {big['diff_all']['wall_s']} s",
        ),
        (
            "no-op generate rewrites nothing and is faster",
            all(c["noop"]["unchanged"] for c in cells) and big["noop"]["wall_s"] < g["wall_s"],
            f"{big['noop']['wall_s']} s vs {g['wall_s']} s; mtimes unchanged in every cell",
        ),
    ]
    if "checkov" in big:
        out.append(
            (
                f"verify >= {TARGET['checkov_ratio']:.0f}x faster than checkov",
                big["checkov_vs_verify"] >= TARGET["checkov_ratio"],
                f"{big['checkov_vs_verify']}x "
                f"({big['verify_s']} s vs {big['checkov']['wall_s']} s)",
            )
        )
    coefficients = ("per_1000_keys_s", "per_10000_values_s", "per_100_revoked_keys_s")
    linear = bool(fit) and fit["r2"] >= LINEAR_R2 and all(fit[c] >= 0 for c in coefficients)
    out.append(
        (
            f"cost grows linearly (a linear model fits the user CPU time, R^2 >= {LINEAR_R2})",
            linear,
            f"R^2 {fit.get('r2')}: {fit.get('fixed_s')} s + {fit.get('per_1000_keys_s')} s/1,000 "
            f"keys + {fit.get('per_10000_values_s')} s/10,000 values + "
            f"{fit.get('per_100_revoked_keys_s')} s/100 keys with revocations; marginal cost "
            f"upper/lower segment {min(ratios, default=0)}..{max(ratios, default=0)}",
        )
    )
    return out


def _commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        p = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
        )
        return p.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def _waits(tmp: Path, quick: bool) -> tuple[dict[str, float | None], dict[str, Any] | None]:
    """Start-up figures on a small project; the 10,000-key point unless quick/BENCH_NO_SCALE."""
    print("bench: start-up (--help, --version, eval) ...", flush=True)
    proj = tmp / "startup"
    make_project(proj, 10, 0)
    run([*_byok(), "generate"], proj, _env())
    start = startup(proj, _byok(), _env())
    if quick or os.environ.get("BENCH_NO_SCALE"):
        return start, None
    keys, values = WAIT["scale_keys"], WAIT["scale_values"]
    print(f"bench: {keys} keys, {values} values (one run) ...", flush=True)
    return start, scale_point(tmp, int(keys), int(values), _byok(), _env(), _git)


def _bytecode() -> None:
    """Compile the compiler's modules once, as its first run on a machine does: the runs below
    write no bytecode (PYTHONDONTWRITEBYTECODE), so a fresh clone would otherwise compile every
    module again in every measured run (some tenths of a second each)."""
    compileall.compile_dir(str(REPO / "compiler"), quiet=1)


def _order(keys: tuple[int, ...], values: tuple[int, ...]) -> list[tuple[int, int]]:
    """The cells, largest first: the 1,000-key / 20,000-value cell (the one compared with
    checkov) runs before any cell has freed thousands of inodes (a cell's last `generate`
    replaces every policy file; see `Trash`)."""
    return sorted(((k, v) for k in keys for v in values), reverse=True)


def main() -> int:
    _bytecode()
    quick = bool(os.environ.get("BENCH_QUICK"))
    repeat = int(os.environ.get("BENCH_REPEAT", "1" if quick else "3"))
    keys, values = (QUICK_KEYS, QUICK_VALUES) if quick else (FULL_KEYS, FULL_VALUES)
    checkov = _checkov()
    started = time.time()
    cells: list[dict[str, Any]] = []
    with _scratch() as tmp:
        trash = Trash(Path(tmp))
        for k, v in _order(keys, values):
            print(f"bench: {k} keys, {v} values ...", flush=True)
            cells.append(cell(Path(tmp), k, v, repeat, checkov, trash))
        cells.sort(key=lambda c: (c["keys"], c["values"]))
        start, scale = _waits(Path(tmp), quick)
    # Linearity is judged on user CPU time, the compiler's own work: a whole build's system time
    # here is mostly the filesystem allocating 2,000 inodes, which swings by 0.5 s between runs
    # with how recently inodes were freed (bench/README.md, round 7), not with the input.
    fit = linear_fit(cells, "generate", "user_s")
    big = next((c for c in cells if (c["keys"], c["values"]) == (1000, 20000)), None)
    checks = [*targets(cells, fit), *wait_targets(big, start, scale)]
    issue29 = incremental_targets(cells, scale)
    meta = {
        **_commit(),
        "quick": quick,
        "repeat": repeat,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
    }
    doc = {
        "meta": meta,
        "cells": cells,
        "fit_generate": fit,
        "fit_diff": linear_fit(cells, "diff"),
        "startup": start,
        "scale": scale,
        "targets": [{"target": t, "met": ok, "measured": m} for t, ok, m in checks],
        "incremental_targets": [{"target": t, "met": ok, "measured": m} for t, ok, m in issue29],
        "per_changed_key": per_key(cells),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=2) + "\n"
    (OUT / "results.json").write_text(text)
    if meta["commit"]:
        (OUT / f"results-{meta['commit'][:12]}{'-dirty' if meta['dirty'] else ''}.json").write_text(
            text
        )
    print()
    print(table(cells))
    print()
    print(curve(cells))
    print()
    for t, ok, m in checks:
        print(f"  [{'PASS' if ok else '----' if ok is None else 'FAIL'}] {t}: {m}")
    print("\nissue 29: cost proportional to the change")
    for t, ok, m in issue29:
        print(f"  [{'PASS' if ok else '----' if ok is None else 'FAIL'}] {t}: {m}")
    print(
        f"\nbench: {meta['seconds']} s; wrote {OUT.relative_to(REPO)}/results.json "
        f"(load average at start {meta['load_average'][0]:.2f} on {meta['cpus']} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

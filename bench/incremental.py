"""Issue 29, cost proportional to the change: the runs that measure it and its targets.

Every measured change starts from the same state: the committed generation of the synthetic
organization (`generated/` as committed) and the build cache that generation left (`.build/`,
copied aside once and put back before each run), so best-of-N compares like with like; a run
never finds the cache a previous repetition filled.

- `one_key`: `byok generate` after a one-key edit (`synth.one_key_edit`: one revocation value
  more on one key), then `byok diff --base HEAD` of it;
- `measure(**change)`: `byok generate` after any other change, then its `byok diff`;
- `incremental_targets`: the targets of the issue, each with its value and whether it is met;
  the growth exponent of the one-key `diff` is fitted on log(wall) against log(keys) over the
  cells of 20 values per key (100, 1,000 keys) and the 10,000-key point;
- `per_key`: the time per changed key, (every key changed - one key changed) / (keys - 1).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.measure import Run, run
from bench.synth import make_project

TARGETS = {
    "edit_generate_s": 0.4,
    "edit_diff_s": 0.5,
    "scale_edit_diff_s": 1.5,
    "diff_all_s": 1.5,
    "check_plan_s": 2.0,
    "checkov_ratio": 15.0,
    "scale_generate_s": 8.0,
    "exponent": 0.3,
}
Target = tuple[str, bool | None, str]


def _best(runs: list[Run]) -> dict[str, Any]:
    for r in runs:
        if r.returncode not in (0, 3, 6):
            raise RuntimeError(f"command failed ({r.returncode}):\n{r.stderr[-3000:]}")
    walls = sorted(r.wall_s for r in runs)
    return {
        "wall_s": round(walls[0], 3),
        "cpu_s": round(min(r.cpu_s for r in runs), 3),
        "peak_mb": round(max(r.peak_mb for r in runs), 1),
        "median_wall_s": round(walls[len(walls) // 2], 3),
        "rc": runs[-1].returncode,
        "runs": [round(r.wall_s, 3) for r in runs],
    }


class Changes:
    """Changes measured against one committed generation (see the module docstring)."""

    def __init__(
        self, proj: Path, keys: int, values: int, byok: list[str], env: dict[str, str], trash: Any
    ) -> None:
        self.proj, self.keys, self.values = proj, keys, values
        self.byok, self.env, self.trash = byok, env, trash
        self.snapshot = trash.fresh()
        if (proj / ".build").exists():
            shutil.copytree(proj / ".build", self.snapshot)
        self.last_diff = ""

    def _restore(self) -> None:
        """Back to the committed generation and the cache it left."""
        self.trash.take(self.proj / ".build")
        if self.snapshot.exists():
            shutil.copytree(self.snapshot, self.proj / ".build")
        subprocess.run(
            ["git", "-C", str(self.proj), "checkout", "-q", "--", "generated"], check=True
        )

    def measure(self, repeat: int, **change: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """(generate after `change`, diff of it), each best of `repeat`."""
        make_project(self.proj, self.keys, self.values, **change)
        gens = []
        for _ in range(repeat):
            self._restore()
            gens.append(run([*self.byok, "generate"], self.proj, self.env))
        diffs = [
            run([*self.byok, "diff", "--base", "HEAD"], self.proj, self.env) for _ in range(repeat)
        ]
        self.last_diff = diffs[-1].stdout
        return _best(gens), _best(diffs)

    def one_key(self, repeat: int) -> dict[str, Any]:
        gen, diff = self.measure(repeat, edit=1)
        if "slack-e00" not in self.last_diff:
            raise RuntimeError(f"the one-key edit is not in the review:\n{self.last_diff}")
        return {"edit_generate": gen, "edit_diff": diff}


def fit_exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(t) against log(keys): t ~ keys^e."""
    if len(points) < 2:
        return None
    xs = [math.log(k) for k, _ in points]
    ys = [math.log(max(t, 1e-6)) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den, 2)


def _exponent_points(cells: list[dict[str, Any]], scale: dict[str, Any] | None) -> list[Any]:
    pts = [
        (c["keys"], c["edit_diff"]["wall_s"])
        for c in cells
        if c["keys"] >= 100 and c["values"] == 20 * c["keys"] and "edit_diff" in c
    ]
    if scale is not None and "edit_diff" in scale:
        pts.append((scale["keys"], scale["edit_diff"]["wall_s"]))
    return sorted(pts)


def per_key(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Seconds per changed key at 1,000 keys / 20,000 values: (every key - one key) / (keys - 1)."""
    big = _big(cells)
    if big is None or "all_generate" not in big:
        return {}
    n = big["keys"] - 1
    gen = (big["all_generate"]["wall_s"] - big["edit_generate"]["wall_s"]) / n
    diff = (big["diff_all"]["wall_s"] - big["edit_diff"]["wall_s"]) / n
    return {"generate_ms": round(1000 * gen, 3), "diff_ms": round(1000 * diff, 3)}


def _big(cells: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((c for c in cells if (c["keys"], c["values"]) == (1000, 20000)), None)


def _t(name: str, limit: float, got: float | None, unit: str = "s") -> Target:
    if got is None:
        return (f"{name} <= {limit} {unit}", None, "not measured")
    return (f"{name} <= {limit} {unit}", got <= limit, f"{got} {unit}")


def incremental_targets(cells: list[dict[str, Any]], scale: dict[str, Any] | None) -> list[Target]:
    big = _big(cells)
    if big is None:
        return [("issue 29 targets need the 1,000-key / 20,000-value cell", None, "")]
    t = TARGETS
    out = [
        _t("generate after a one-key edit (1,000 keys)", t["edit_generate_s"],
           big["edit_generate"]["wall_s"]),
        _t("diff of a one-key change (1,000 keys)", t["edit_diff_s"], big["edit_diff"]["wall_s"]),
        _t("diff with every key changed (1,000 keys)", t["diff_all_s"], big["diff_all"]["wall_s"]),
        _t("check-plan of a 1,000-key plan", t["check_plan_s"],
           max(big[f"check_plan_{m}"]["wall_s"] for m in ("create", "clean"))),
    ]  # fmt: skip
    if "checkov" in big:
        ratio = round(big["checkov"]["wall_s"] / max(big["generate"]["wall_s"], 1e-6), 1)
        out.append(
            (
                f"whole generate from nothing >= {t['checkov_ratio']:.0f}x faster than checkov",
                ratio >= t["checkov_ratio"],
                f"{ratio}x ({big['generate']['wall_s']} s vs checkov "
                f"{big['checkov']['wall_s']} s on the same tree, same run)",
            )
        )
    keys = per_key(cells)
    shown = f"generate {keys.get('generate_ms')} ms, diff {keys.get('diff_ms')} ms"
    out.append(("time per changed key (informative)", None, shown))
    if scale is None:
        return [*out, ("10,000-key targets skipped (BENCH_QUICK or BENCH_NO_SCALE)", None, "")]
    k = f"{scale['keys']:,} keys"
    out += [
        _t(f"generate at {k}", t["scale_generate_s"], scale["generate"]["wall_s"]),
        _t(f"diff of a one-key change at {k}", t["scale_edit_diff_s"],
           scale.get("edit_diff", {}).get("wall_s")),
    ]  # fmt: skip
    points = _exponent_points(cells, scale)
    slope = fit_exponent(points)
    shown = ", ".join(f"{k:,} keys {w} s" for k, w in points)
    out.append(
        (
            f"one-key diff grows no faster than keys^{t['exponent']}",
            None if slope is None else slope <= t["exponent"],
            f"t ~ keys^{slope} ({shown})",
        )
    )
    return out

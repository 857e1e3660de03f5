"""Where people wait (issue 16): start-up, no-op replay, one `eval`, `generate` against checkov
and the 10,000-key point of the scale curve, each with its target.

- `startup(proj)`: `byok --help`, `byok --version` (`n/a` where the CLI has no such option),
  `byok eval` of one request against one generated policy: best of STARTUP_REPEAT fresh
  processes each (start-up is what is measured, so every run is a new interpreter);
- `scale_point(root, keys, values)`: `byok generate` (wall, peak RSS) and `byok diff` when a key
  administrator is added to every key, at 10,000 keys / 200,000 values;
- `wait_targets(cells, startup, scale)`: the targets with measured value and met / not met; the
  growth exponent is fitted on `generate` wall time between the 1,000-key cell and the
  10,000-key point (both 20 values per key): 1.0 is linear.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.measure import Run, run
from bench.synth import make_project

STARTUP_REPEAT = 5
WAIT = {
    "help_s": 0.3,
    "version_s": 0.3,
    "noop_s": 0.25,
    "eval_s": 0.5,
    "diff_all_s": 2.0,
    "diff_s": 1.5,
    "check_plan_s": 2.0,
    "checkov_ratio": 10.0,
    "scale_keys": 10_000,
    "scale_values": 200_000,
    "scale_generate_s": 15.0,
    "scale_generate_mb": 1024.0,
    "scale_diff_s": 20.0,
}
Target = tuple[str, bool | None, str]


def _best(cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...]) -> float | None:
    runs: list[Run] = [run(cmd, cwd, env) for _ in range(STARTUP_REPEAT)]
    if any(r.returncode not in ok for r in runs):
        return None
    return round(min(r.wall_s for r in runs), 3)


def startup(proj: Path, byok: list[str], env: dict[str, str]) -> dict[str, float | None]:
    """Best wall time of each start-up command (None: the command does not exist / failed)."""
    policy = sorted((proj / "generated" / "policies").glob("*.json"))[0]
    request = proj / "bench-request.json"
    request.write_text(
        json.dumps({"principal": "arn:aws:iam::111122223333:role/X", "action": "kms:Decrypt"})
    )
    return {
        "help_s": _best([*byok, "--help"], proj, env, (0,)),
        "version_s": _best([*byok, "--version"], proj, env, (0,)),
        "eval_s": _best([*byok, "eval", str(policy), str(request)], proj, env, (0, 3)),
    }


def scale_point(
    root: Path, keys: int, values: int, byok: list[str], env: dict[str, str], git: Any
) -> dict[str, Any]:
    """generate and diff-all at one (large) size; `git(proj, *args)` runs git quietly."""
    proj = root / f"scale-k{keys}"
    make_project(proj, keys, values)
    git(proj, "init", "-q", ".")
    gen = run([*byok, "generate"], proj, env)
    if gen.returncode != 0:
        raise RuntimeError(f"generate failed at {keys} keys:\n{gen.stderr[-3000:]}")
    git(proj, "add", "-A")
    git(proj, "commit", "-q", "-m", "generation")
    make_project(proj, keys, values, edit=1)  # issue 29: a one-key change at this size
    run([*byok, "generate"], proj, env)
    edits = [run([*byok, "diff", "--base", "HEAD"], proj, env) for _ in range(2)]
    make_project(proj, keys, values, extra_admin=True)
    run([*byok, "generate"], proj, env)
    diff = run([*byok, "diff", "--base", "HEAD"], proj, env)
    for r in [*edits, diff]:
        if r.returncode not in (0, 3, 6):
            raise RuntimeError(f"diff failed at {keys} keys:\n{r.stderr[-3000:]}")
    best = min(edits, key=lambda r: r.wall_s)
    return {
        "keys": keys,
        "values": values,
        "generate": gen.summary(),
        "diff_all": diff.summary(),
        "edit_diff": {**best.summary(), "runs": [round(r.wall_s, 3) for r in edits]},
    }


def _t(name: str, limit: float, got: float | None, unit: str = "s") -> Target:
    if got is None:
        return (f"{name} <= {limit} {unit}", None, "n/a (not available on this CLI)")
    return (f"{name} <= {limit} {unit}", got <= limit, f"{got} {unit}")


def exponent(small: dict[str, Any], big: dict[str, Any]) -> float:
    """log(t_big / t_small) / log(size_big / size_small) on generate wall time."""
    ratio = big["generate"]["wall_s"] / max(small["generate"]["wall_s"], 1e-6)
    return round(math.log(ratio) / math.log(big["keys"] / small["keys"]), 2)


def wait_targets(
    big: dict[str, Any] | None, start: dict[str, float | None], scale: dict[str, Any] | None
) -> list[Target]:
    out = [
        _t("byok --help", WAIT["help_s"], start.get("help_s")),
        _t("byok --version", WAIT["version_s"], start.get("version_s")),
        _t("byok eval of one request", WAIT["eval_s"], start.get("eval_s")),
    ]
    if big is None:
        return [*out, ("targets at 1,000 keys need the full matrix", None, "")]
    out += [
        _t("no-op generate (fingerprint replay)", WAIT["noop_s"], big["noop"]["wall_s"]),
        _t("byok diff, 1% more values (1,000 keys)", WAIT["diff_s"], big["diff"]["wall_s"]),
    ]  # `make bench` prints the issue-29 targets (bench/incremental.py) after these
    if scale is None:
        return [*out, ("10,000-key point skipped (BENCH_QUICK or BENCH_NO_SCALE)", None, "")]
    g, d = scale["generate"], scale["diff_all"]
    k = f"{scale['keys']:,} keys"
    slope = exponent(big, scale)
    return [
        *out,
        _t(f"generate peak at {k}", WAIT["scale_generate_mb"], g["peak_mb"], "MB"),
        _t(f"byok diff (every key changed) at {k}", WAIT["scale_diff_s"], d["wall_s"]),
        (
            "cost grows linearly (fitted exponent of generate wall time, 1,000 -> 10,000 keys)",
            slope <= 1.1,
            f"t ~ keys^{slope}",
        ),
    ]

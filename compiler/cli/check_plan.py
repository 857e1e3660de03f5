"""`byok check-plan PLAN_JSON [--root DIR] [--format text|json|sarif] [--allow-widening]
[--allow-weakening]`: the last check before `terraform apply`.

PLAN_JSON is `terraform show -json PLANFILE` of a plan saved with `terraform plan -out`. It is
judged against `generated/` (the deployment inventory `deployment.json`, the policy files) and
the refreshed state the plan starts from (review/plancheck.py, review/planaccess.py), offline:
no AWS call, no git. Run it where Atlantis runs a policy check, in a Terraform Cloud run task or
in a CI apply job between `plan` and `apply`.

Exit codes (cli/common.EXIT_CODES, the same as `byok diff`'s): 0 nothing blocking; 1 a plan file
that is not a plan byok judges (malformed, truncated, errored, another Terraform or AWS
provider major version) or a generated/ it cannot read; 2 usage, or a plan whose root cannot be
told (`--root`); 3 new access or a change it cannot prove (unless --allow-widening); 4 a
data-bearing resource destroyed or replaced without a declaration, or a key pending deletion
re-created (never waived); 6 weakened monitoring (unless --allow-weakening).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import OUT_DIR
from .common import EXIT_DESTROY, EXIT_INPUT, EXIT_OK, EXIT_USAGE, EXIT_WEAKER, EXIT_WIDER

if TYPE_CHECKING:
    from ..deployment import Inventory
    from ..review.plancheck import Located
    from ..review.planfile import Plan

EPILOG = (
    "exit codes: 0 nothing blocking; 1 a plan byok does not judge (malformed or truncated JSON, "
    "an errored or incomplete plan, Terraform other than 1.x, hashicorp/aws other than 5.x) or "
    "an unreadable generated/; 2 usage, or a plan whose root cannot be told (--root); 3 new "
    "access: a policy wider than deployed and not the reviewed one, a disabled key enabled "
    "again, out-of-band narrowing undone, or a change it cannot prove (unless "
    "--allow-widening); 4 a key, replica, log group, trail or bucket destroyed or replaced "
    "without a declaration in org.yaml, or a key pending deletion re-created (never waived); 6 "
    "weakened monitoring (unless --allow-weakening)"
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check-plan",
        help="judge a saved Terraform plan (terraform show -json) before apply",
        epilog=EPILOG,
    )
    p.add_argument("plan", metavar="PLAN_JSON", help="`terraform show -json PLANFILE` output")
    p.add_argument(
        "--root",
        metavar="DIR",
        default=None,
        help="the Terraform root the plan is of (`.` or generated/stacks/<account>-<region>); "
        "default: the one whose addresses the plan uses",
    )
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--allow-widening", action="store_true", help="do not exit 3 (approved)")
    p.add_argument("--allow-weakening", action="store_true", help="do not exit 6 (approved)")
    p.set_defaults(func=cmd_check_plan)


def _read_plan(path: Path) -> Plan:
    from ..review.planfile import PlanError, parse

    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PlanError(f"{path}:1:1", f"cannot read the plan: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}:1:{exc.start + 1}", "not UTF-8 text") from None
    plan = parse(str(path), text)
    if plan.errored or not plan.complete:
        what = "errored" if plan.errored else "is incomplete (deferred changes)"
        raise PlanError(plan.where(()), f"the plan {what}: there is nothing to apply safely")
    return plan


def _versions(plan: Plan, root_dir: Path) -> None:
    from ..review.planversion import check_versions

    lock = root_dir / ".terraform.lock.hcl"
    try:
        lock_text: str | None = lock.read_text()
    except OSError:
        lock_text = None
    check_versions(plan, lock_text, str(lock))


class _Documents(Mapping[str, Any]):
    """The reviewed policy files (`generated/policies/<key>.json`), parsed when a change needs
    one: a re-plan with nothing to change reads none of them."""

    def __init__(self, project: Path, inv: Inventory) -> None:
        self.project = project
        self.paths = sorted(
            {str(p) for r in inv.resources if isinstance(p := r.access.get("key_policy"), str)}
        )
        self.cache: dict[str, Any] = {}

    def __getitem__(self, path: str) -> Any:
        if path not in self.cache:
            if path not in self.paths:
                raise KeyError(path)
            self.cache[path] = json.loads((self.project / path).read_text())
        return self.cache[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def _verdict(found: list[Located], args: argparse.Namespace) -> int:
    def any_of(cls: str) -> bool:
        return any(x.finding.cls == cls and x.finding.blocks for x in found)

    if any_of("destruction"):
        return EXIT_DESTROY
    if (any_of("access") or any_of("unproved")) and not args.allow_widening:
        return EXIT_WIDER
    if any_of("weakening") and not args.allow_weakening:
        return EXIT_WEAKER
    return EXIT_OK


def cmd_check_plan(args: argparse.Namespace) -> int:
    from ..deployment import INVENTORY_FILE, InventoryError, loads
    from ..review.plancheck import judge, pick_root
    from ..review.planfile import PlanError
    from .plan_report import emit

    project = Path(args.directory)
    try:
        inv = loads((project / OUT_DIR / INVENTORY_FILE).read_bytes())
        documents = _Documents(project, inv)
    except (OSError, ValueError, InventoryError) as exc:
        print(f"byok: error: cannot read {OUT_DIR}/{INVENTORY_FILE}: {exc}", file=sys.stderr)
        print("  help: run `byok generate` (and review) first", file=sys.stderr)
        return EXIT_INPUT
    try:
        plan = _read_plan(Path(args.plan))
        root = pick_root(plan, inv, args.root)
        if root is None:
            return _no_root(inv, args.root)
        _versions(plan, project / root.dir)
    except PlanError as exc:
        print(f"{exc.where}: error: {exc.message}", file=sys.stderr)
        return EXIT_INPUT
    try:
        found = judge(plan, inv, root, documents)
    except (OSError, ValueError) as exc:  # a policy file of generated/ unreadable: no verdict
        print(f"byok: error: cannot read generated/: {exc}", file=sys.stderr)
        return EXIT_INPUT
    code = _verdict(found, args)
    emit(plan, root, found, code, args.format, project)
    return code


def _no_root(inv: Inventory, named: str | None) -> int:
    dirs = ", ".join(f"`{r.dir}`" for r in inv.roots)
    if named is not None:
        print(
            f"byok: error: --root {named} is no Terraform root of generated/ ({dirs})",
            file=sys.stderr,
        )
    else:
        print(
            "byok: error: cannot tell which root the plan is of: its resources match none (or "
            f"several) of generated/'s roots ({dirs})",
            file=sys.stderr,
        )
        print("  help: name it with --root DIR", file=sys.stderr)
    return EXIT_USAGE

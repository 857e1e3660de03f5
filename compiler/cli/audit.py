"""`byok audit`, `byok activity`, `byok cost`: the live account against `generated/`.

`byok audit` exit codes: 0 clean; 3 a deployed key policy grants access the reviewed one does
not; 5 any other finding (narrower policy, key state, rotation, grant, trail, alarms,
subscriptions); 1 errors (no credentials, inputs that do not compile, AWS refusing a read).
`byok activity` and `byok cost`: 0, or 1 on errors (`activity`: also when a key is in another
account than the credentials', named on stderr after the others' activity).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diagnostics import CompileError
from .common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_WIDER,
    add_format,
    print_diagnostics,
    today,
)

if TYPE_CHECKING:
    from ..live.findings import Finding

AUDIT_EPILOG = (
    "exit codes: 0 clean, 3 a deployed policy grants access the reviewed one does not, "
    "5 other findings, 1 errors (e.g. no credentials). Reads only; needs boto3 "
    "(the aws extra: pip install '<the byok wheel>[aws]'), the standard credential chain, "
    "and honours AWS_ENDPOINT_URL."
)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "audit",
        help="compare the deployed keys, grants and trail with generated/",
        epilog=AUDIT_EPILOG,
    )
    add_format(p, ("text", "json", "markdown"), "text", "markdown: for a ticket")
    p.add_argument("--quiet", action="store_true", help="text: print findings only, not passes")
    p.add_argument(
        "--access-analyzer",
        action="store_true",
        help="also ask IAM Access Analyzer (ValidatePolicy, CheckNoNewAccess) about each key "
        "policy; AWS bills each check",
    )
    p.set_defaults(func=cmd_audit)
    a = sub.add_parser("activity", help="who used the keys, from the trail's CloudWatch Logs")
    a.add_argument("key", nargs="?", help="one key name (default: every key)")
    a.add_argument("--since", default="24h", help="how far back: 30m, 24h, 7d (default 24h)")
    a.add_argument("--vendor", help="only the keys of this vendor")
    add_format(a, ("text", "json"), "text")
    a.set_defaults(func=cmd_activity)
    c = sub.add_parser("cost", help="estimate the monthly cost of what generated/ creates")
    # Unset: the estimate's own defaults (`cost.Assumptions`), taken when the command runs, so
    # that registering it does not import the render stage (jinja2, pydantic).
    c.add_argument("--requests-per-month", type=count, metavar="N")
    c.add_argument("--log-gb-per-month", type=amount, metavar="G")
    c.add_argument("--write-events-per-month", type=count, metavar="W")
    c.add_argument(
        "--vendor-log-gb-per-month",
        type=float,
        help="GB each vendor writes into its own log group per month (default 0.5)",
    )
    c.add_argument(
        "--replicas",
        type=count,
        metavar="R",
        help="replica keys, each billed as a key (default: the replicas generated/ creates)",
    )
    add_format(c, ("text", "markdown", "json"), "text", "text and markdown: the same table")
    c.set_defaults(func=cmd_cost)


def count(text: str) -> int:
    """A whole number >= 0 (an argparse type: anything else is a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"`{text}` is negative: a count is 0 or more")
    return value


def amount(text: str) -> float:
    """A finite number >= 0 (an argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"`{text}` is not a finite amount of 0 or more")
    return value


def _guarded(run: Callable[[], int]) -> int:
    """Run a live command; errors become one line on stderr and exit 1 (no traceback)."""
    from ..live.aws import LiveError, describe_error

    try:
        return run()
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    except LiveError as exc:
        print(f"byok: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:
        message = describe_error(exc)
        if message is None:
            raise
        print(f"byok: error: {message}", file=sys.stderr)
        return EXIT_INPUT


def exit_code(findings: list[Finding]) -> int:
    """3 when a deployed policy grants access the reviewed one does not; 5 any other finding."""
    if any(f.severity == "wider" for f in findings):
        return EXIT_WIDER
    if any(f.severity == "finding" for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    def run() -> int:
        from ..live import report
        from ..live.aws import Clients
        from ..live.expected import load_expected
        from ..live.run import run_audit

        exp = load_expected(Path(args.directory), today())
        findings = run_audit(exp, Clients(exp.region), analyzer=args.access_analyzer)
        if args.format == "json":
            sys.stdout.write(report.to_json(findings, exit_code(findings)))
        elif args.format == "markdown":
            sys.stdout.write(report.markdown(findings))
        else:
            sys.stdout.write(report.text(findings, verbose=not args.quiet))
        return exit_code(findings)

    return _guarded(run)


class _Progress:
    """`scanned N events` on stderr, at most every half second, only on a terminal."""

    def __init__(self) -> None:
        self.on = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, seen: int) -> None:
        now = time.monotonic()
        if self.on and now - self.last > 0.5:
            self.last = now
            sys.stderr.write(f"\rscanned {seen} KMS events...")
            sys.stderr.flush()

    def done(self) -> None:
        if self.on and self.last:
            sys.stderr.write("\r\033[K")


def cmd_activity(args: argparse.Namespace) -> int:
    def run() -> int:
        from ..live import activity
        from ..live.aws import Clients, LiveError, not_aws_endpoint
        from ..live.expected import load_expected

        try:
            since = activity.parse_since(args.since)
        except ValueError as exc:
            raise LiveError(f"--since: {exc}") from exc
        exp = load_expected(Path(args.directory), today(), patterns=False)
        specs = {
            n: s
            for n, s in exp.keys.items()
            if (args.key is None or n == args.key)
            and (args.vendor is None or s.vendor == args.vendor)
        }
        if not specs:
            raise LiveError(f"no key matches {args.key or ''} {args.vendor or ''}".rstrip())
        start_ms = int((time.time() - since.total_seconds()) * 1000)
        progress, clients = _Progress(), Clients(exp.region)
        acts, unread = _activities(clients, exp, specs, start_ms, progress)
        progress.done()
        endpoint = clients.client("logs").meta.endpoint_url
        emulator = endpoint if not_aws_endpoint(endpoint) else None
        if args.format == "json":
            doc = {"since": args.since, "keys": {n: a.to_json() for n, a in sorted(acts.items())}}
            sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        else:
            sys.stdout.write(activity.text(acts, args.since, emulator))
        for line in unread:
            print(f"byok: error: {line}", file=sys.stderr)
        return EXIT_INPUT if unread else EXIT_OK

    return _guarded(run)


def _activities(
    clients: Any, exp: Any, specs: dict[str, Any], start_ms: int, progress: _Progress
) -> tuple[dict[str, Any], list[str]]:
    """Each key's activity, read from the trail of its own account and Region (its stack's),
    and a line for each key of another account than the credentials' (not read)."""
    from ..live import activity
    from ..live.state import aliases

    caller = clients.account()
    acts: dict[str, Any] = {}
    unread: list[str] = []
    for account, region in sorted({s.place for s in specs.values()}):
        here = {n: s for n, s in specs.items() if s.place == (account, region)}
        if account != caller:
            unread += [
                f"{n} is in account {account}, Region {region}; the credentials are for account "
                f"{caller}: its activity was not read"
                for n in sorted(here)
            ]
            continue
        at = clients.at(region)
        ids = _key_ids(at, here, aliases(at))
        group = exp.chains[(account, region)].log_group  # an existing trail's, or ours
        records = activity.scan(at, group, start_ms, progress)
        acts.update(activity.summarize(records, ids, here))
    return acts, unread


def _key_ids(clients: Any, specs: dict[str, Any], found: dict[str, str]) -> dict[str, str]:
    """Key id, key ARN and alias -> key name, for the keys in `specs` that exist."""
    ids: dict[str, str] = {}
    for name, spec in specs.items():
        key_id = found.get(spec.alias)
        if key_id is None:
            continue
        arn = clients.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
        ids.update({key_id: name, arn: name, spec.alias: name})
    return ids


def cmd_cost(args: argparse.Namespace) -> int:
    from ..pipeline import build_tree
    from ..render import cost
    from ..render.stacks import roots

    try:
        result = build_tree(Path(args.directory), today(), guard=False)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    org = result.compiled.resolved.org
    counted = cost.resources(roots(result.compiled))
    if args.replicas is not None:
        counted = dataclasses.replace(counted, replicas=args.replicas)
    given = {
        f.name: value
        for f in dataclasses.fields(cost.Assumptions)
        if (value := getattr(args, f.name, None)) is not None
    }
    assume = cost.Assumptions(**given)
    lines = cost.estimate(
        counted,
        retention_days=org.trail.log_retention_days,
        emails=len(org.alarms.addresses),
        a=assume,
    )
    if args.format == "json":
        doc = {
            "prices": {k: cost.prices()[k] for k in ("as_of", "region", "currency")},
            "lines": [vars(x) for x in lines],
            "total": round(sum(x.monthly for x in lines), 2),
        }
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(cost.markdown(lines, assume))
    return EXIT_OK

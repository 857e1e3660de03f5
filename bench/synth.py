"""A synthetic organization for benchmarks: N keys over copies of the shipped vendors, M
revocation values spread across the revocable keys and their scopes.

Shape (why it looks like this): the schema allows one app per vendor and at most 20
environments per app, so a 1,000-key organization is many apps, not one app with 1,000
environments. Each app is a copy of a shipped vendor file under a new name (`slack`,
`zoom`, ..., then `slack-b01`, `zoom-b01`, ...: the way a large enterprise has several Slack
Enterprise Grid or Snowflake accounts, each with its own principal and ExternalId), with 10
environments (`e00`..`e09`) when N >= 10. No schema limit is raised for the benchmark.

Revocation values go only to vendors with scopes (the Slack copies): one value in M per key and
scope, round-robin over the revocable keys, in entries of up to 50 values, each scoped to one
environment (so every key carries about M / revocable-keys values). Scopes get 50% channel,
25% file, 15% workspace, 5% organization, 5% time; every value matches its scope's pattern and
is unique. Everything is deterministic (no randomness), so two runs compare.

    .venv/bin/python -m bench.synth DEST --keys 1000 --values 20000
"""

from __future__ import annotations

import argparse
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASES = (
    "slack",
    "zoom",
    "databricks",
    "atlassian",
    "box",
    "miro",
    "salesforce",
    "smartsheet",
    "snowflake",
    "asana",
    "mural",
)
ENVS_PER_APP = 10
CHUNK = 50
ACCOUNT = "111122223333"
# scope -> (share of the values, value maker)
SCOPE_SHARES = (("channel", 10), ("file", 5), ("workspace", 3), ("organization", 1), ("time", 1))
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _b36(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, r = divmod(n, 36)
        out = _B36[r] + out
    return out


def value_for(scope: str, n: int) -> str:
    """The n-th synthetic value of `scope` (valid for the shipped Slack patterns, unique in n)."""
    if scope == "time":  # ^YYYY-MM-DDTHH$: 2000.. onwards, 28 days a month, 24 hours a day
        hour, rest = n % 24, n // 24
        day, rest = rest % 28 + 1, rest // 28
        month, year = rest % 12 + 1, 2000 + rest // 12
        return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}"
    prefix = {"channel": "C", "file": "F", "workspace": "T", "organization": "E"}[scope]
    return prefix + _b36(n, 9)


@dataclass(frozen=True)
class App:
    vendor: str
    base: str
    envs: tuple[str, ...]


def layout(keys: int) -> list[App]:
    """Apps (vendor copies) and their environments for `keys` keys in total."""
    envs_per_app = min(ENVS_PER_APP, keys)
    apps: list[App] = []
    left, i = keys, 0
    while left > 0:
        base = BASES[i % len(BASES)]
        name = base if i < len(BASES) else f"{base}-b{i // len(BASES):02d}"
        n = min(envs_per_app, left)
        apps.append(App(name, base, tuple(f"e{j:02d}" for j in range(n))))
        left -= n
        i += 1
    return apps


def _parameters(app: App, index: int) -> dict[str, str]:
    if app.base == "slack":
        return {"external_id": f"acme-{app.vendor}-ekm-{index:04d}"}
    if app.base == "databricks":
        return {
            "databricks_account_id": f"{index:08x}-0000-4000-8000-{index:012x}",
            "cross_account_role_arn": f"arn:aws:iam::{ACCOUNT}:role/{app.vendor}-cross-account",
        }
    if app.base == "zoom":
        return {}
    return {"principal_arn": f"arn:aws:iam::{200000000000 + index:012d}:role/{app.vendor}-byok"}


def _scope_plan(values: int, keys: int) -> list[str]:
    """The scope of each of `values` values, in the fixed shares above: value i goes to key
    i % keys, and each key's successive values walk through the shares."""
    cycle = [s for s, share in SCOPE_SHARES for _ in range(share)]
    return [cycle[(i // keys + i) % len(cycle)] for i in range(values)]


def revocations(apps: list[App], values: int, start: int = 0) -> dict[str, list[dict[str, object]]]:
    """App vendor -> revocation entries carrying `values` values in total (numbered from
    `start`, so a later batch never repeats an earlier value)."""
    targets = [(a.vendor, env) for a in apps if a.base == "slack" for env in a.envs]
    if values and not targets:
        raise ValueError("no revocable key: the layout has no Slack copy")
    buckets: dict[tuple[str, str, str], list[str]] = {}
    for i, scope in enumerate(_scope_plan(values, max(1, len(targets)))):
        vendor, env = targets[i % len(targets)]
        buckets.setdefault((vendor, env, scope), []).append(value_for(scope, start + i))
    out: dict[str, list[dict[str, object]]] = {}
    ticket = start // CHUNK
    for (vendor, env, scope), vals in sorted(buckets.items()):
        for k in range(0, len(vals), CHUNK):
            ticket += 1
            out.setdefault(vendor, []).append(
                {
                    "scope": scope,
                    "values": vals[k : k + CHUNK],
                    "reason": f"synthetic batch {ticket}",
                    "ticket": f"SEC-{ticket}",
                    "environments": [env],
                }
            )
    return out


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def org_yaml(
    apps: list[App], revs: dict[str, list[dict[str, object]]], extra_admin: bool = False
) -> str:
    admins = [
        f"arn:aws:iam::{ACCOUNT}:role/KmsKeyAdministrators",
        f"arn:aws:iam::{ACCOUNT}:role/SecurityEngineering",
    ]
    if extra_admin:
        admins.append(f"arn:aws:iam::{ACCOUNT}:role/KmsAuditors")
    lines = [
        "# Synthetic organization (bench/synth.py); do not edit.",
        "organization: acme",
        f'account_id: "{ACCOUNT}"',
        "region: us-east-1",
        "key_administrators:",
        *(f"  - {a}" for a in admins),
        f"break_glass: arn:aws:iam::{ACCOUNT}:role/BreakGlassKms",
        "alarms:",
        "  emails: [secops@acme.example]",
        "tags: {CostCenter: security}",
        *(
            ["defaults: {deletion_window_days: 29}", "trail: {log_retention_days: 180}"]
            if extra_admin
            else []
        ),
        "apps:",
    ]
    for i, app in enumerate(apps):
        lines.append(f"  - vendor: {app.vendor}")
        lines.append(f"    environments: {_flow(list(app.envs))}")
        params = _parameters(app, i)
        if params:
            lines.append("    parameters:")
            lines += [f'      {k}: "{v}"' for k, v in params.items()]
        entries = revs.get(app.vendor, [])
        if entries:
            lines.append("    revocations:")
        for e in entries:
            lines += [
                f"      - scope: {e['scope']}",
                f"        values: {_flow(list(e['values']))}",  # type: ignore[call-overload]
                f"        reason: {e['reason']}",
                f"        ticket: {e['ticket']}",
                f"        environments: {_flow(list(e['environments']))}",  # type: ignore[call-overload]
                # Every Slack scope's context key is unconfirmed: the revocation must say so
                # (E325 otherwise).
                f"        unconfirmed_context_key: {{reason: synthetic, ticket: {e['ticket']}}}",
            ]
    return "\n".join(lines) + "\n"


def write_vendors(dest: Path, apps: list[App]) -> None:
    """One vendor file per app; a file already holding its text is left alone (a change request
    rewrites org.yaml only, and deleting files just before a timed run slows the disk: see
    bench/run.py `Trash`)."""
    vdir = dest / "vendors"
    vdir.mkdir(parents=True, exist_ok=True)
    wanted = {f"{app.vendor}.yaml" for app in apps}
    for stale in vdir.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    for app in apps:
        text = (REPO / "vendors" / f"{app.base}.yaml").read_text()
        text, n = re.subn(
            rf"^name: {re.escape(app.base)}$",
            f"name: {app.vendor}",
            text,
            count=1,
            flags=re.MULTILINE,
        )
        assert n == 1, app.base
        path = vdir / f"{app.vendor}.yaml"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


# What `byok init` writes into .gitignore that matters here: the build cache stays on the
# machine that made it (a committed cache vouches for nothing, so `byok diff` would ignore it).
GITIGNORE = ".build/\n.terraform/\n"
# The values of one-key edits (`edit`), numbered far above any batch's.
EDIT_BASE = 10**12


def one_key_edit(revs: dict[str, list[dict[str, object]]], edit: int) -> str:
    """Add revocation entry number `edit` (one new channel value) to the first Slack app's first
    environment: a typical one-key change request. Returns the key it changes."""
    entry = {
        "scope": "channel",
        "values": [value_for("channel", EDIT_BASE + edit)],
        "reason": f"one-key edit {edit}",
        "ticket": f"SEC-E{edit}",
        "environments": ["e00"],
    }
    revs.setdefault("slack", []).append(entry)
    return "slack-e00"


def make_project(
    dest: Path,
    keys: int,
    values: int,
    extra_values: int = 0,
    extra_admin: bool = False,
    edit: int | None = None,
) -> list[App]:
    """Write org.yaml, vendors/, .gitignore and a copy of modules/ under `dest` (generated/
    untouched).

    `extra_values` more values (numbered after the first `values`) model the next change
    request; `extra_admin` adds a key administrator (a change to every key's policy) and
    shortens the deletion window and the log retention (a change to every key's and log
    group's entry in the deployment inventory, each a weakening the review names); `edit`
    adds one value to one key (`one_key_edit`), a different one for each number."""
    dest.mkdir(parents=True, exist_ok=True)
    apps = layout(keys)
    write_vendors(dest, apps)
    revs = revocations(apps, values)
    for vendor, entries in revocations(apps, extra_values, start=values).items():
        revs.setdefault(vendor, []).extend(entries)
    if edit is not None:
        one_key_edit(revs, edit)
    (dest / "org.yaml").write_text(org_yaml(apps, revs, extra_admin))
    (dest / ".gitignore").write_text(GITIGNORE)
    if not (dest / "modules").exists():
        shutil.copytree(REPO / "modules", dest / "modules")
    return apps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dest", type=Path)
    p.add_argument("--keys", type=int, default=1000)
    p.add_argument("--values", type=int, default=20000)
    args = p.parse_args()
    apps = make_project(args.dest, args.keys, args.values)
    print(
        f"{args.dest}: {len(apps)} apps, {sum(len(a.envs) for a in apps)} keys, "
        f"{args.values} revocation values"
    )


if __name__ == "__main__":
    main()

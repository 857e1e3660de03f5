"""Key replacement (`replacements:` on an app): which keys an environment has, generation by
generation, and the checks of the entries.

Generation 1 is `<vendor>-<env>`; generation N >= 2 is `<vendor>-<env>-gN`, created beside
generation N-1, which stays until it is decommissioned. Vendors that register a key ARN
(`replacement_needs_new_arn: true`) cannot follow a new key otherwise: the new ARN is handed
over while the old key still works, then the old key is narrowed to kms:Decrypt for a grace
period (`decrypt_only_until`), then decommissioned (README, "Replacing a key").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from ..diagnostics import Diagnostic
from ..model.inputs import App, Org, Replacement


@dataclass(frozen=True)
class Generation:
    name: str
    replaces: str | None  # the key this one replaces
    replaced_by: str | None  # the key that replaces this one
    retiring: Replacement | None  # the entry that replaces this key (None: the newest)


def decommissioned(org: Org) -> set[str]:
    """The keys org.yaml decommissions, but not one a moved key left behind (located by
    `account_id`/`region`): the key of that name still exists where it moved."""
    return {d.key for d in org.decommissions if d.account_id is None and d.region is None}


def generations(org: Org, app: App, env: str) -> list[Generation]:
    """The keys of `env`, oldest first, without old generations already decommissioned."""
    entries = sorted((r for r in app.replacements if r.environment == env), key=_generation)
    base = f"{app.vendor}-{env}"
    names = [base] + [f"{base}-g{r.generation}" for r in entries]
    gone = decommissioned(org)
    out = []
    for i, name in enumerate(names):
        newest = i == len(names) - 1
        if not newest and name in gone:
            continue
        out.append(
            Generation(
                name=name,
                replaces=names[i - 1] if i else None,
                replaced_by=None if newest else names[i + 1],
                retiring=None if newest else entries[i],
            )
        )
    return out


def _generation(r: Replacement) -> int:
    return r.generation


def check_replacements(org: Org, app: App, today: date) -> Iterator[Diagnostic]:
    envs = set(app.environments)
    by_env: dict[str, list[Replacement]] = {}
    for r in app.replacements:
        if r.environment not in envs:
            yield Diagnostic.make(
                "E345",
                f"replacement of environment `{r.environment}`, which the app does not list",
                r.where.at("environment"),
            )
        by_env.setdefault(r.environment, []).append(r)
    gone = decommissioned(org)
    for env, entries in sorted(by_env.items()):
        gens = sorted(entries, key=_generation)
        for i, r in enumerate(gens):
            if r.generation != i + 2:
                yield Diagnostic.make(
                    "E346",
                    f"replacement generations of `{env}` must be 2, 3, ... each once; "
                    f"got {', '.join(str(g.generation) for g in gens)}",
                    r.where.at("generation"),
                )
                break
        for i, g in enumerate(gens):
            old = f"{app.vendor}-{env}" + (f"-g{gens[i - 1].generation}" if i else "")
            until = g.decrypt_only_until
            if until is not None and until < today and old not in gone:
                yield Diagnostic.make(
                    "W110",
                    f"grace period of `{old}` ended on {until.isoformat()}: decommission it",
                    g.where.at("decrypt_only_until"),
                    help="once the vendor confirms re-encryption, add it under `decommissions:` "
                    '(README, "Replacing a key")',
                )

"""The facade: load -> model -> resolve -> compile -> verify -> render, as one call.

Each stage raises `CompileError` with every problem it found; `build` collects what it can
across files before stopping so that one run reports all the bad inputs at once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from . import incremental
from .compile import Compiled, compile_all
from .diagnostics import CompileError, Diagnostic, Loc, sort_diagnostics
from .incremental import Plan
from .load import load_file
from .load.inline import InlineAccept, inline_accepts
from .model import Org, Vendor, build
from .model.version import check_byok_version
from .paths import ORG_FILE, OUT_DIR, VENDORS_DIR
from .render import render_all
from .resolve import resolve
from .resolve.accept import Accepted, bad_codes, bad_inline, relocate
from .resolve.accept import apply as accept_warnings
from .resolve.lifecycle import check_lifecycle
from .shipped import byok_version, vendor_sources
from .verify import Proof, check_replica_policies, verify_inputs, verify_while
from .write.store import Store

# A key's diagnostics and proof, by key name in the order the keys are compiled.
Verified = dict[str, tuple[list[Diagnostic], Proof]]

__all__ = ["ORG_FILE", "OUT_DIR", "VENDORS_DIR"]  # re-exported: callers import them from here


@dataclass(frozen=True)
class Result:
    compiled: Compiled
    files: dict[str, bytes]
    warnings: tuple[Diagnostic, ...]
    proofs: tuple[Proof, ...]
    accepted: tuple[Accepted, ...] = ()


def _load_org(root: Path) -> Org:
    located = load_file(root / ORG_FILE, ORG_FILE)
    check_byok_version(located, byok_version())
    org = build(Org, located)
    assert isinstance(org, Org)
    return org


def _layout_problems(root: Path) -> list[Diagnostic]:
    vdir = root / VENDORS_DIR
    if vdir.exists() and not vdir.is_dir():
        return [
            Diagnostic.make(
                "E108",
                f"`{VENDORS_DIR}` is not a directory",
                Loc(file=VENDORS_DIR, line=1, col=1),
                help=f"local vendor files go in `{VENDORS_DIR}/<name>.yaml`",
            )
        ]
    return [
        Diagnostic.make(
            "E108",
            "vendor file would be ignored: vendor files end in `.yaml`",
            Loc(file=f"{VENDORS_DIR}/{path.name}", line=1, col=1),
            help=f"rename it to `{VENDORS_DIR}/{path.stem}.yaml`",
        )
        for path in (sorted(vdir.glob("*.yml")) if vdir.is_dir() else ())
    ]


def load_inputs(root: Path) -> tuple[Org, dict[str, Vendor]]:
    """Load and model org.yaml and every vendor file, reporting problems of all files."""
    diags = _layout_problems(root)
    vendors: dict[str, Vendor] = {}
    for name, (path, shown) in vendor_sources(root).items():
        try:
            vendor = build(Vendor, load_file(path, shown))
            assert isinstance(vendor, Vendor)
            vendors[name] = vendor
        except CompileError as err:
            diags.extend(err.diagnostics)
    org: Org | None = None
    try:
        org = _load_org(root)
    except CompileError as err:
        diags.extend(err.diagnostics)
    if diags or org is None:
        raise CompileError(diags)
    return org, vendors


def load_inline_accepts(root: Path) -> tuple[list[InlineAccept], list[Diagnostic]]:
    """The inline acceptances (`# byok:accept=CODE: reason`) of org.yaml and every vendor file
    the build reads, and the problems with them (E212 no reason, E210 not a warning code)."""
    files = [(root / ORG_FILE, ORG_FILE), *vendor_sources(root).values()]
    found: list[InlineAccept] = []
    problems: list[Diagnostic] = []
    for path, shown in files:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the loader has already reported it
        accepts, bad = inline_accepts(text, shown)
        found += accepts
        problems += bad
    return found, problems + bad_inline(found)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one build. A build allocates hundreds of
    thousands of long-lived objects (YAML nodes, models, policies) and almost no cycles, so the
    collector's full passes over them are pure overhead (about 10% of a 1,000-key build);
    everything is still freed by reference counting, and collection resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def existing_keys(root: Path) -> frozenset[str]:
    """The keys `generated/` holds now (one `policies/<key>.json` each): what Terraform manages."""
    policies = root / OUT_DIR / "policies"
    return frozenset(p.stem for p in policies.glob("*.json")) if policies.is_dir() else frozenset()


Rendered = Callable[[dict[str, bytes]], object]


def build_tree(
    root: Path,
    today: date | None = None,
    *,
    guard: bool = True,
    on_render: Rendered | None = None,
    store: Store | None = None,
    tree: Mapping[str, bytes] | None = None,
) -> Result:
    """Compile the inputs under `root` into the files of `generated/`; raise on any error.

    With `guard`, a key that `generated/` holds and the inputs no longer produce is an error
    (E320) unless org.yaml decommissions it; `byok diff` turns the guard off and reports such a
    key itself, against the reviewed base. `on_render` is called with the files as soon as they
    are rendered, while the proofs may still be running (`generate` stages the new tree then);
    what it does must be undone by the caller if this raises. With a `store` (the build cache
    under `.build/`, write/store.py), the apps whose fingerprint it verifiably holds are neither
    proved again, and their keys' own files are taken from `generated/` (`tree`: as the caller
    read it) where it still holds them (incremental/); the result is the same, byte for byte.
    """
    with _no_cycle_collection():
        return _build_tree(root, today or date.today(), guard, on_render, (store, tree))


def compile_verified(root: Path, today: date) -> Compiled:
    """The compiled keys of inputs that a successful `generate` with the same fingerprint
    already verified (`cache.lookup`): load, resolve and compile, but no proofs. `byok diff`
    uses it to skip re-proving; it still renders them (`render.render_all`) and compares the
    result with `generated/`, because the cache file is in the working tree and a forged one
    must not vouch for a hand-edited `generated/`."""
    with _no_cycle_collection():
        org, vendors = load_inputs(root)
        resolved = resolve(org, vendors, today)
        # cheap, and what decides whether a key may leave: never taken on the cache's word
        produced = {k.name: (k.org.account_id, k.org.region) for k in resolved.keys}
        lifecycle = check_lifecycle(org, produced, None, vendors, today)
        if lifecycle:
            raise CompileError(lifecycle)
        return compile_all(resolved)


def _render(
    compiled: Compiled, plan: Plan, on_render: Rendered | None
) -> dict[str, bytes] | Exception:
    try:
        files = render_all(compiled, plan.kept(), plan)
        if on_render is not None:
            on_render(files)
        return files
    except Exception as exc:  # raised by the caller once the proofs have been reported
        return exc


def _verify(compiled: Compiled, plan: Plan, on_render: Rendered | None) -> tuple[Verified, Any]:
    """Each key's diagnostics and proof in key order (a reused app's from the cache), and what
    `_render` returned meanwhile. Rendering does not read the proofs: it runs while a worker
    verifies."""
    todo = [ck for ck in compiled.keys if ck.key.vendor.name not in plan.reused]
    results, rendered = verify_while(todo, lambda: _render(compiled, plan, on_render))
    done = {ck.key.name: r for ck, r in zip(todo, results, strict=True)}
    for reused in plan.reused.values():
        done.update((n, (reused.diags[n], p)) for n, p in reused.proofs.items())
    return {ck.key.name: done[ck.key.name] for ck in compiled.keys}, rendered


def _apps(compiled: Compiled) -> dict[str, list[str]]:
    """Each app (its vendor's name) -> its keys' names, in the order they are compiled."""
    out: dict[str, list[str]] = {}
    for ck in compiled.keys:
        out.setdefault(ck.key.vendor.name, []).append(ck.key.name)
    return out


def _compiled(root: Path, today: date, guard: bool) -> Compiled:
    """Load, resolve, check the keys' lifecycle (with `guard`: against `generated/`), compile."""
    org, vendors = load_inputs(root)
    resolved = resolve(org, vendors, today)
    existing = existing_keys(root) if guard else None
    produced = {k.name: (k.org.account_id, k.org.region) for k in resolved.keys}
    lifecycle = check_lifecycle(org, produced, existing, vendors, today)
    if lifecycle:
        raise CompileError(lifecycle)
    return compile_all(resolved)


def _build_tree(
    root: Path,
    today: date,
    guard: bool,
    on_render: Rendered | None,
    cache: tuple[Store | None, Mapping[str, bytes] | None],
) -> Result:
    compiled = _compiled(root, today, guard)
    resolved, org = compiled.resolved, compiled.resolved.org
    apps = _apps(compiled)
    plan = incremental.plan(root, org, today, cache[0], apps, cache[1])
    diags: list[Diagnostic] = verify_inputs(resolved)
    # Nothing rendered leaves this function unless every proof held.
    verified, rendered = _verify(compiled, plan, on_render)
    diags += [d for found, _ in verified.values() for d in found]
    inline, bad_inline_accepts = load_inline_accepts(root)
    errors = [d for d in diags if d.severity == "error"] + bad_codes(org) + bad_inline_accepts
    if errors:
        raise CompileError(errors)
    if isinstance(rendered, Exception):
        raise rendered  # after the proofs' diagnostics, which say more than a crash
    files = rendered
    shipped = {shown for _, shown in vendor_sources(root).values() if Path(shown).is_absolute()}
    found = relocate([*resolved.warnings, *diags], org, shipped)
    kept, accepted = accept_warnings(org, found, today, inline)
    replicas = check_replica_policies(compiled, files)
    if replicas:
        raise CompileError(replicas)
    incremental.save(plan, apps, files, verified)
    return Result(
        compiled=compiled,
        files=files,
        warnings=sort_diagnostics(kept),
        proofs=tuple(proof for _, proof in verified.values()),
        accepted=tuple(accepted),
    )

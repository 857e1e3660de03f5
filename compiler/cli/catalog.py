"""`byok vendors` (the vendor catalog: shipped files and the project's own, with each fact's
status) and `byok schema [org|vendor]` (JSON Schemas from the models)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import EXIT_INPUT, EXIT_OK, print_diagnostics

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic
    from ..model import Vendor


def add_parsers(sub: Any) -> None:
    """Register `vendors` and `schema` on an argparse subparsers object."""
    ven = sub.add_parser("vendors", help="list the vendors available and their facts")
    ven.add_argument(
        "--copy",
        metavar="NAME",
        help="copy the shipped vendors/NAME.yaml into the project's vendors/ (to start an "
        "override of it), with the JSON Schema its modeline points at",
    )
    ven.set_defaults(func=cmd_vendors)
    sch = sub.add_parser("schema", help="print the JSON Schema of org.yaml or a vendor file")
    sch.add_argument("kind", nargs="?", choices=("org", "vendor"), default="org")
    sch.set_defaults(func=cmd_schema)


def _facts(vendor: Vendor) -> list[tuple[str, bool]]:
    """Every fact of the vendor file, labelled, with whether it is verified."""
    out = [
        (f"principal `{p.arn or '<' + str(p.parameter) + '>'}`", p.verified)
        for p in vendor.principals
    ]
    out += [(f"grant `{g.name}`", g.verified) for g in vendor.grants]
    out.append(("key requirements", vendor.key.verified))
    out.append(("kill switch", vendor.revocation.kill_switch.verified))
    out += [
        (f"revocation scope `{s.name}` ({s.context_key})", s.verified)
        for s in vendor.revocation.scopes
    ]
    if vendor.logging is not None:
        out.append(("logging role", vendor.logging.verified))
    if vendor.create_grant is not None:
        out.append(("creates grants", vendor.create_grant.verified))
    rev = vendor.revocation
    for label, fact in (
        ("revocation takes effect", rev.takes_effect),
        ("data-key caching", rev.data_key_caching),
        ("restore after revocation", rev.restore),
    ):
        if fact is not None:
            out.append((label, fact.verified))
    out += [(f"not covered: {n.data}", n.verified) for n in vendor.not_covered]
    return out


def cmd_vendors(args: argparse.Namespace) -> int:
    if args.copy is not None:
        return copy_vendor(Path(args.directory), args.copy)
    return _list_vendors(args)


MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$", re.MULTILINE)


def copy_vendor(root: Path, name: str) -> int:
    """`byok vendors --copy NAME`: the shipped file, byte for byte, into `vendors/`; then the
    schema its `yaml-language-server` modeline names, where it points, if it is not there."""
    import difflib

    from ..model.schema import schema_text
    from ..paths import VENDORS_DIR
    from ..shipped import vendor_files

    shipped = vendor_files()
    if name not in shipped:
        close = difflib.get_close_matches(name, list(shipped), n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        print(f"byok: error: no shipped vendor `{name}`", file=sys.stderr)
        print(f"  help: {hint}`byok vendors` lists them", file=sys.stderr)
        return EXIT_INPUT
    dest = root / VENDORS_DIR / f"{name}.yaml"
    if dest.exists():
        print(f"byok: error: `{dest}` exists: nothing copied", file=sys.stderr)
        print("  help: it already replaces the shipped file; edit it", file=sys.stderr)
        return EXIT_INPUT
    text = shipped[name].read_text("utf-8")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    print(f"byok: copied the shipped {name}.yaml to {dest}: it replaces the shipped one")
    found = MODELINE.search(text)
    if found is not None:
        schema = (dest.parent / found[1]).resolve()
        if schema.is_relative_to(root.resolve()) and not schema.exists():
            schema.parent.mkdir(parents=True, exist_ok=True)
            schema.write_text(schema_text("vendor"), encoding="utf-8")
            print(
                f"byok: wrote {schema.relative_to(root.resolve())}, the schema its modeline names"
            )
    return EXIT_OK


def _list_vendors(args: argparse.Namespace) -> int:
    from ..diagnostics import CompileError
    from ..load import load_file
    from ..model import Vendor, build
    from ..shipped import vendor_sources

    root = Path(args.directory)
    problems: list[Diagnostic] = []
    for name, (path, shown) in vendor_sources(root).items():
        try:
            vendor = build(Vendor, load_file(path, shown))
        except CompileError as err:
            problems.extend(err.diagnostics)
            continue
        origin = "local" if not Path(shown).is_absolute() else "shipped"
        facts = _facts(vendor)
        verified = sum(1 for _, ok in facts if ok)
        print(f"{name}: {vendor.display_name} ({vendor.product}), {origin} {shown}")
        print(f"  {verified}/{len(facts)} facts verified")
        for label, ok in facts:
            print(f"    {'verified  ' if ok else 'UNVERIFIED'} {label}")
    if problems:
        print_diagnostics(problems)
        return EXIT_INPUT
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from ..model.schema import schema_text

    sys.stdout.write(schema_text(args.kind))
    return EXIT_OK

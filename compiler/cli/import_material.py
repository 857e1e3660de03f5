"""`byok import-material KEY`: import key material into a key with imported material
(`imported_key_material: true`), created by Terraform without material (PendingImport).

The material comes from `--material-file PATH` (`-`: standard input) or `--generate` (32 random
bytes made here); it stays in memory and is never written anywhere. The key is the one Terraform
created: its id and ARN come from the outputs of the root that holds it (`terraform output
-json` there, or `--outputs FILE`), and its alias must point at it (issue 24). Only the
break-glass role may import (the key policies' guard rail), in the key's own account and Region
(its stack's, or org.yaml's): credentials of another account are refused before any KMS call.
The expiry is org.yaml `defaults.imported_material_valid_days`; `--generate` with an expiry is
refused, since nobody could re-import material nobody kept.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..diagnostics import CompileError
from ..live import kms_import, tfoutputs
from ..live.aws import Clients, LiveError, describe_error
from ..paths import OUT_DIR
from ..pipeline import load_inputs
from ..resolve import ResolvedKey, resolve
from ..resolve.stacks import stack_id
from .common import EXIT_INPUT, EXIT_OK, print_diagnostics, today


def add_parser(sub: Any) -> None:
    p = sub.add_parser("import-material", help="import key material into an EXTERNAL key")
    p.add_argument("key", help="key name, <vendor>-<environment>")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--material-file", help="file with the 32 raw bytes; `-` reads stdin")
    src.add_argument("--generate", action="store_true", help="generate 32 random bytes here")
    p.add_argument(
        "--outputs",
        help="saved `terraform output -json` of the key's root (default: run it there)",
    )
    p.set_defaults(func=run)


def _key(root: Path, name: str) -> tuple[ResolvedKey, Path]:
    """The key, and the directory of the Terraform root that creates it."""
    org, vendors = load_inputs(root)
    keys = {k.name: k for k in resolve(org, vendors, today()).keys}
    if name not in keys:
        raise kms_import.ImportFailure(f"no key `{name}` in org.yaml ({', '.join(sorted(keys))})")
    key = keys[name]
    if not key.options.imported_key_material:
        raise kms_import.ImportFailure(
            f"key `{name}` has AWS-generated material: set `imported_key_material: true` on its "
            "app (a new key: the origin is fixed when a key is created)"
        )
    place = (key.org.account_id, key.org.region)
    if place == (org.account_id, org.region):
        return key, root
    return key, root / OUT_DIR / "stacks" / stack_id(*place)


def _refusals(key: ResolvedKey, generate: bool) -> None:
    """What the key policy or the org's settings make a bad idea, said before any AWS call."""
    if key.org.break_glass is None:
        raise kms_import.ImportFailure(
            f"key `{key.name}`: no `break_glass` role, so its policy denies kms:ImportKeyMaterial "
            "to every principal (W108): add one in a reviewed change first"
        )
    days = key.org.defaults.imported_material_valid_days
    if generate and days:
        raise kms_import.ImportFailure(
            f"--generate keeps no copy of the material, and org.yaml "
            f"`imported_material_valid_days: {days}` makes it expire: KMS would then delete it "
            f"and nobody could re-import it, so `{key.name}` and everything encrypted under it "
            "would be lost. Import material you keep (--material-file), or remove "
            "`imported_material_valid_days`"
        )


def _check_account(key: ResolvedKey, clients: Clients) -> None:
    account, region = key.org.account_id, key.org.region
    caller = clients.account()
    if caller != account:
        raise kms_import.ImportFailure(
            f"key `{key.name}` is in account {account}, Region {region}; the credentials are for "
            f"account {caller}: import with credentials of account {account}"
        )


def _managed(args: argparse.Namespace, key: ResolvedKey, home: Path) -> tfoutputs.ManagedKey:
    if args.outputs:
        origin = args.outputs
        doc = tfoutputs.parse(Path(args.outputs).read_text(encoding="utf-8"), origin)
    else:
        origin = f"`terraform output -json` in {home}"
        doc = tfoutputs.run_terraform_output(home)
    return tfoutputs.managed_key(doc, key.name, origin)


def _material(args: argparse.Namespace) -> bytearray:
    if args.generate:
        return kms_import.generate_material()
    if args.material_file == "-":
        return bytearray(sys.stdin.buffer.read())
    return bytearray(Path(args.material_file).read_bytes())


def _import(args: argparse.Namespace, material: bytearray) -> kms_import.Imported:
    key, home = _key(Path(args.directory), args.key)
    _refusals(key, args.generate)
    days = key.org.defaults.imported_material_valid_days
    valid_to = datetime.now(UTC) + timedelta(days=days) if days else None
    material[:] = _material(args)
    kms_import.check_material(material)
    clients = Clients(key.org.region)
    _check_account(key, clients)
    managed = _managed(args, key, home)
    kms = clients.client("kms")
    kms_import.check_alias(kms, key.alias, managed.key_id)
    return kms_import.import_material(kms, managed.key_arn, material, valid_to)


def run(args: argparse.Namespace) -> int:
    material = bytearray()
    try:
        done = _import(args, material)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    except (kms_import.ImportFailure, tfoutputs.OutputsError, LiveError, OSError) as exc:
        print(f"byok: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # an AWS refusal or an unreachable endpoint: one line, no traceback
        message = describe_error(exc)
        if message is None:
            raise
        print(f"byok: {message}", file=sys.stderr)
        return EXIT_INPUT
    finally:
        material[:] = bytes(len(material))  # best effort: do not leave the material in memory
    expiry = done.expires.strftime("%Y-%m-%dT%H:%M:%SZ") if done.expires else "never"
    print(f"{args.key}: key material imported into {done.key_id}; expires: {expiry}")
    return EXIT_OK

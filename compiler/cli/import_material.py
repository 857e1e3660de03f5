"""`byok import-material KEY`: import key material into a key with imported material
(`imported_key_material: true`), created by Terraform without material (PendingImport).

The material comes from `--material-file PATH` (`-`: standard input) or `--generate` (32 random
bytes made here); it stays in memory and is never written anywhere. The key is addressed by its
alias in its own account and Region (its stack's, or org.yaml's): credentials of another account
are refused before any KMS call. The expiry is org.yaml `defaults.imported_material_valid_days`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..diagnostics import CompileError
from ..live import kms_import
from ..live.aws import Clients, LiveError, describe_error
from ..pipeline import load_inputs
from ..resolve import ResolvedKey, resolve
from .common import EXIT_INPUT, EXIT_OK, print_diagnostics, today


def add_parser(sub: Any) -> None:
    p = sub.add_parser("import-material", help="import key material into an EXTERNAL key")
    p.add_argument("key", help="key name, <vendor>-<environment>")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--material-file", help="file with the 32 raw bytes; `-` reads stdin")
    src.add_argument("--generate", action="store_true", help="generate 32 random bytes here")
    p.set_defaults(func=run)


def _key(root: Path, name: str) -> ResolvedKey:
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
    return key


def _check_account(key: ResolvedKey, clients: Clients) -> None:
    account, region = key.org.account_id, key.org.region
    caller = clients.account()
    if caller != account:
        raise kms_import.ImportFailure(
            f"key `{key.name}` is in account {account}, Region {region}; the credentials are for "
            f"account {caller}: import with credentials of account {account}"
        )


def _material(args: argparse.Namespace) -> bytearray:
    if args.generate:
        return kms_import.generate_material()
    if args.material_file == "-":
        return bytearray(sys.stdin.buffer.read())
    return bytearray(Path(args.material_file).read_bytes())


def run(args: argparse.Namespace) -> int:
    root = Path(args.directory)
    material = bytearray()
    try:
        key = _key(root, args.key)
        days = key.org.defaults.imported_material_valid_days
        valid_to = datetime.now(UTC) + timedelta(days=days) if days else None
        material = _material(args)
        kms_import.check_material(material)
        clients = Clients(key.org.region)
        _check_account(key, clients)
        done = kms_import.import_material(clients.client("kms"), key.alias, material, valid_to)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    except (kms_import.ImportFailure, LiveError, OSError) as exc:
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

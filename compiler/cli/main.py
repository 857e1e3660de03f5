"""`byok`: compile org.yaml and vendors/ into KMS key policies and Terraform, and review them."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, exit_codes_text

# Command -> (module of byok.cli that registers it, its registrar, one-line help).
# Modules are imported only for the command being run, so `byok --help` and `byok --version`
# never import pydantic, z3, jinja2 or the pipeline (tests/test_cli_startup.py). The help text
# here must equal the module's (checked by the same test).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "generate": ("generate", "add_parsers", "compile org.yaml and vendors/ into generated/"),
    "docs": ("generate", "add_parsers", "print the diagnostics catalogue as Markdown"),
    "diff": (
        "diff",
        "add_parser",
        "semantic access diff of generated/ against the policies at a git ref",
    ),
    "check-plan": (
        "check_plan",
        "add_parser",
        "judge a saved Terraform plan (terraform show -json) before apply",
    ),
    "eval": ("semantics", "add_parsers", "decide one request against one key policy"),
    "compare": ("semantics", "add_parsers", "how a NEW key policy's access relates to OLD's"),
    "init": ("init", "add_parsers", "scaffold an organization repository in DIR"),
    "vendors": ("catalog", "add_parsers", "list the vendors available and their facts"),
    "schema": ("catalog", "add_parsers", "print the JSON Schema of org.yaml or a vendor file"),
    "audit": (
        "audit",
        "add_parsers",
        "compare the deployed keys, grants and trail with generated/",
    ),
    "activity": ("audit", "add_parsers", "who used the keys, from the trail's CloudWatch Logs"),
    "cost": ("audit", "add_parsers", "estimate the monthly cost of what generated/ creates"),
    "report": (
        "report",
        "add_parser",
        "write an HTML page of the access, proofs and a diff",
    ),
    "import-material": (
        "import_material",
        "add_parser",
        "import key material into an EXTERNAL key",
    ),
    "iam-policy": (
        "permissions",
        "add_parsers",
        "print the least-privilege IAM policy of the deployer or the auditor role",
    ),
}
_DIRECTORY_HELP = "directory holding org.yaml, vendors/ and generated/ (default: .)"


def _version() -> str:
    # not shipped.byok_version: `byok --version` must import nothing but the standard library
    from importlib import metadata

    try:
        return metadata.version("byok-compiler")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand named in `argv`: the first word that is not a global option (or -C's)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in ("-C", "--directory"):
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `command`, that command's module registers its real arguments and the
    others are listed by name and help only."""
    p = argparse.ArgumentParser(
        prog="byok",
        description=__doc__,
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"byok {_version()}")
    p.add_argument("-C", "--directory", default=".", help=_DIRECTORY_HELP)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command in COMMANDS:
        module, registrar, _ = COMMANDS[command]
        getattr(importlib.import_module(f"{__package__}.{module}"), registrar)(sub)
    for name, (_, _, help_text) in COMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=help_text)
    for sp in sub.choices.values():
        # `-C` after the subcommand too; SUPPRESS keeps the global value when it is not given
        sp.add_argument("-C", "--directory", default=argparse.SUPPRESS, help=_DIRECTORY_HELP)
    return p


def _unknown(command: str) -> int:
    print(f"byok: error: unknown command `{command}`", file=sys.stderr)
    close = difflib.get_close_matches(command, list(COMMANDS), n=1)
    if close:
        print(f"  help: did you mean `{close[0]}`?", file=sys.stderr)
    print("  help: `byok --help` lists the commands", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command(argv)
    if command is not None and command not in COMMANDS:
        return _unknown(command)
    args = parser(command).parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def run() -> NoReturn:
    """The `byok` executable: `main`, then a hard exit.

    A run of `byok` is one short-lived process, so the cyclic garbage collector is off for all
    of it (a large build holds about a million objects and allocates almost no cycles: a full
    collection pass is a tenth of a second of pure overhead), and the process ends with
    `os._exit` once its output is flushed: tearing down every object one by one at
    interpreter exit costs another fifth of a second at 1,000 keys and frees nothing the
    kernel does not (mypy does the same). Nothing is left to finish: files are written and
    synced, and worker processes joined, before `main` returns.
    """
    gc.disable()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()

"""`byok`: the command line. Exit codes: 0 ok, 1 input errors, 2 usage, 3 access widened,
4 a key would be deleted without a decommission (`diff`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import diff, generate, import_material, semantics
from .common import EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="byok", description=__doc__)
    p.add_argument(
        "-C",
        "--directory",
        default=".",
        help="directory holding org.yaml, vendors/ and generated/ (default: .)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    generate.add_parsers(sub)
    semantics.add_parsers(sub)
    diff.add_parser(sub)
    import_material.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

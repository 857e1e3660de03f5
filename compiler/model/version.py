"""org.yaml's `byok_version`: the exact byok-compiler release the organization compiles with.

Checked on the located YAML, before `Org` is modelled: a file written for another release may
use fields this one does not know, and "this is the wrong byok" is then the one useful message.
"""

from __future__ import annotations

import re

from ..diagnostics import CompileError, Diagnostic
from ..load import LMap, LScalar
from .inputs import BYOK_VERSION_PATTERN

FIELD = "byok_version"


def check_byok_version(root: LMap, installed: str) -> None:
    """Raise `CompileError` (E211) when org.yaml pins another byok-compiler than `installed`."""
    node = root.items.get(FIELD) if isinstance(root, LMap) else None
    if not isinstance(node, LScalar) or not isinstance(node.value, str):
        return  # absent, or not a string: the model reports the type
    wanted = node.value
    if wanted == installed or not re.fullmatch(BYOK_VERSION_PATTERN, wanted):
        return  # the same release, or no version at all: the model reports its format
    raise CompileError(
        [
            Diagnostic.make(
                "E211",
                f"org.yaml is compiled with byok `{wanted}`; this is byok `{installed}`",
                node.loc,
                f'install byok-compiler {wanted} (README, "Use it as a tool"), or move '
                f"`{FIELD}` to `{installed}` in a change of its own: output may differ between "
                "releases, so review the regenerated diff",
            )
        ]
    )

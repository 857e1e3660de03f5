"""Stage 6, render: compiled keys -> the bytes of every file under `generated/`.

Returns a mapping of relative path -> bytes; nothing touches the disk here (see write/).
User strings reach Terraform only as `hcl.hcl_string` literals or inside JSON read with
`file()`/`jsondecode`, so no input can become a Terraform expression. Each key is rendered on
its own into its part (parts.py); the organization's files are assembled from the parts and the
settings (assemble.py), the way `byok generate` assembles them from the parts it kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..compile import Compiled
from ..model import Org
from .assemble import assemble, settings
from .parts import AppPart, app_parts


def render_all(compiled: Compiled) -> dict[str, bytes]:
    return render_parts(compiled.resolved.org, app_parts(compiled))


def render_parts(org: Org, apps: Sequence[AppPart]) -> dict[str, bytes]:
    """Every file of `generated/` from the apps' parts (in org.yaml's order) and `org`'s
    settings: a full build renders every part, an incremental one reuses the unchanged ones."""
    files = assemble(settings(org), apps)
    for app in apps:
        for key in app.keys:
            files.update(key.files)
    return dict(sorted(files.items()))

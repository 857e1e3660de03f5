"""Stage 6, render: compiled keys -> the bytes of every file under `generated/`.

Returns a mapping of relative path -> bytes; nothing touches the disk here (see write/).
User strings reach Terraform only as `hcl.hcl_string` literals or inside JSON read with
`file()`/`jsondecode`, so no input can become a Terraform expression. Each key is rendered on
its own into its part (parts.py); the organization's files are assembled from the parts and the
settings (assemble.py), the way `byok generate` assembles them from the parts it kept.
"""

from __future__ import annotations

from ..compile import Compiled
from .assemble import assemble, settings
from .parts import app_parts


def render_all(compiled: Compiled) -> dict[str, bytes]:
    apps = app_parts(compiled)
    files = assemble(settings(compiled.resolved.org), apps)
    for app in apps:
        for key in app.keys:
            files.update(key.files)
    return dict(sorted(files.items()))

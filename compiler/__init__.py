"""byok-compiler: SaaS BYOK vendor catalog + organization config -> proved KMS key policies and
Terraform. The short facade: `build_tree(root)` compiles, `write_tree(out, files)` writes."""

from typing import Any

__all__ = ["build_tree", "load_inputs", "write_tree"]


def __getattr__(name: str) -> Any:
    # Lazy, so `byok eval` does not import the whole pipeline.
    if name in ("build_tree", "load_inputs"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "write_tree":
        from .write import write_tree

        return write_tree
    raise AttributeError(name)

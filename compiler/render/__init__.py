"""Stage 6, render: `Compiled` -> the bytes of every file of `generated/`."""

from .tree import render_all

__all__ = ["render_all"]

"""`byok diff` and `byok check-plan`: a git ref, `generated/` or a plan -> findings, in words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .changes import Move, Report, Words, lifted_tickets, removal, review

__all__ = ["Move", "Report", "Words", "lifted_tickets", "removal", "review"]


def __getattr__(name: str) -> Any:
    """The facade, imported when first used: `byok check-plan` needs none of the compiler
    stages `changes` imports (issue 22: check-plan of 1,000 keys in 2 s)."""
    if name in __all__:
        from . import changes

        return getattr(changes, name)
    raise AttributeError(name)

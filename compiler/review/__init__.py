"""`byok diff`: policies at a git ref and in `generated/` -> access changes, in words."""

from .changes import Move, Report, Words, lifted_tickets, removal, review

__all__ = ["Move", "Report", "Words", "lifted_tickets", "removal", "review"]

"""Stage 7, write: path -> bytes -> `generated/` on disk, all or nothing."""

from .atomic import Staged, diff_trees, read_tree, stage_tree, write_tree

__all__ = ["Staged", "diff_trees", "read_tree", "stage_tree", "write_tree"]

"""Stage 5, verify: `Compiled` -> lint and proof diagnostics, and the `Proof`s."""

from .checks import Proof, verify_key
from .guards import verify_inputs
from .many import verify_while
from .replicas import check_replica_policies

__all__ = ["Proof", "check_replica_policies", "verify_inputs", "verify_key", "verify_while"]

"""Where the inputs and the generated tree live, relative to the project root.

Kept apart from `pipeline` so that the no-op `generate` (a fingerprint replay, `write/cache.py`)
can find them without importing the pipeline, the policy engine or z3."""

ORG_FILE = "org.yaml"
VENDORS_DIR = "vendors"
OUT_DIR = "generated"

"""`python -m byok` is `byok`."""

from .cli.main import run

run()

"""`python -m byok` is `byok`."""

import sys

from .cli.main import main

sys.exit(main())

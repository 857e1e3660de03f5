"""`python -m compiler` is `byok`."""

import sys

from .cli import main

sys.exit(main())

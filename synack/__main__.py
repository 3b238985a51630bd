"""``python -m synack``: the same as the ``synack`` command."""

import sys

from .cli import main

sys.exit(main())

"""``python -m mmphate``: the same as the ``mmphate`` command."""

import sys

from .cli import main

sys.exit(main())

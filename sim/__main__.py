"""``python -m sim``: the same as the ``sim`` command."""

import sys

from sim.console import main

sys.exit(main())

"""``python -m watchtower``."""

import sys

from watchtower.cli import main

sys.exit(main())

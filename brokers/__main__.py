"""``python -m brokers``: the ``brokers`` command (see :mod:`brokers.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

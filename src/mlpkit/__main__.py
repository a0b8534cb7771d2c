"""``python -m mlpkit`` runs the command-line interface."""

import sys

from mlpkit.cli import main

sys.exit(main())

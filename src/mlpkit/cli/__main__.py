"""``python -m mlpkit.cli`` runs the command-line interface, as ``mlpkit`` does."""

import sys

from mlpkit.cli import main

sys.exit(main())

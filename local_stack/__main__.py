"""`python -m local_stack up|down`: see local_stack/cli.py."""

import sys

from local_stack.cli import main

sys.exit(main())

"""`python -m local_stack up|down`: see local_stack/stack.py."""

import sys

from local_stack.stack import main

sys.exit(main())

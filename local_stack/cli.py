"""`python -m local_stack up|down` (`make up`, `make down`): see local_stack/lifecycle.py.

Environment: TERRAFORM (CLI, default terraform; tofu works too), ENV_SUFFIX (default
dev), TF_CLI_CONFIG_FILE (passed through), LOCAL_STACK_BUILD_DIR (default <repo>/build).
"""

from __future__ import annotations

import argparse
import os

from local_stack import lifecycle, teardown
from local_stack.layout import layout_from_env, say


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack",
        description=lifecycle.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--environment-suffix", default=os.environ.get("ENV_SUFFIX") or "dev")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show Terraform's whole output (it is always in build/logs/terraform.log)",
    )
    args = parser.parse_args(argv)
    layout = layout_from_env()
    try:
        if args.command == "up":
            lifecycle.up(layout, args.environment_suffix, args.verbose)
            return 0
        return 0 if teardown.down(layout, args.verbose) else 1
    except lifecycle.ERRORS as exc:
        say(f"\nerror: {exc}")
        return 1
    except KeyboardInterrupt:
        say("\ninterrupted")
        return 130

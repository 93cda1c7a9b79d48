"""The cold-start levers, measured side by side (``python -m bench.levers``; see bench/README.md, "Cold start").

Each lever is a variant of today's lambda_src, made by a small textual patch of
``webhook/aws.py`` / ``handler.py`` (a patch that no longer applies fails loudly),
measured exactly like ``ours`` in ``make bench``'s cold-start phase (coldstart.py: one
aws-lambda-rie process per cold start, interleaved rounds, medians) next to the seed
and Powertools peers, against its own moto server. Same calls in every variant: one
GetParameter and one conditional PutItem. Prints one JSON document; bench/README.md
quotes a run.

* ``boto3``                 boto3.client() per service (what the code did before the levers)
* ``boto3_init``            the same, clients created during init
* ``botocore``              botocore clients from one shared session, botocore's full models
* ``botocore_per_client``   one botocore session per client (no shared loader)
* ``bundled``               one session whose loader serves the cut-down models (webhook/botocore_models.json)
* ``bundled_init``          the same, clients created during init: what lambda_src does now
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench import common
from bench.coldstart import ColdStarts, Peer, peers, summarize

SESSION_CALL = "_botocore_session().create_client(service, config=config)"
INIT_HOOK = 'if os.environ.get("AWS_LAMBDA_RUNTIME_API"):\n    aws.warm_up(("ssm", "dynamodb"))\n'


def _patch(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"levers.py: {path.name} no longer contains {old!r}; update the lever patches")
    path.write_text(text.replace(old, new))


def variant(name: str, dest: Path) -> Path:
    shutil.copytree(common.LAMBDA_SRC, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "README.md"))
    aws_py, handler_py, models = (
        dest / "webhook" / "aws.py",
        dest / "handler.py",
        dest / "webhook" / "botocore_models.json",
    )
    if not name.endswith("_init"):
        _patch(handler_py, INIT_HOOK, "")
    if name.startswith("boto3"):
        _patch(aws_py, SESSION_CALL, '__import__("boto3").client(service, config=config)')
    if name in ("botocore", "botocore_per_client"):
        models.unlink()
    if name == "botocore_per_client":
        _patch(
            aws_py,
            SESSION_CALL,
            '__import__("botocore.session").session.Session().create_client(service, config=config)',
        )
    return dest


LEVERS = ("boto3", "boto3_init", "botocore", "botocore_per_client", "bundled", "bundled_init")


def main() -> None:
    from local_stack.emulator import Emulator

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warm", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-levers-"))
    try:
        contenders = {k: v for k, v in peers(common.LAMBDA_SRC).items() if k != "ours"}
        for name in LEVERS:
            contenders[name] = Peer(name, variant(name, work / "variants" / name), "handler.handler", "accepted")
        with Emulator(work / "emulator.log") as emulator:
            common.create_aws_resources(emulator.endpoint)
            runner = ColdStarts(emulator.endpoint, contenders, work, "levers", {})
            summary = summarize(runner.measure(args.rounds, args.warm))
        seed = summary["seed"]["cold_start_ms"]
        for figures in summary.values():
            figures["vs_seed"] = figures["cold_start_ms"] / seed
        print(json.dumps({"rounds": args.rounds, "levers": summary}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

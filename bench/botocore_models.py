"""Generate lambda_src/webhook/botocore_models.json: botocore's own models, cut to the calls the function makes.

    python bench/botocore_models.py           # (re)write the file from the installed botocore
    python bench/botocore_models.py --check   # exit 1 when the file differs (tests/bench/test_botocore_models.py)

Per service in ``webhook.aws.OPERATIONS``: the ``service-2`` model with only those
operations and the shapes they reach (documentation dropped) and, for the legacy endpoint resolver,
botocore's ``endpoints`` data with every partition kept and only these services
in it. Everything comes from ``botocore.loaders.Loader`` (so botocore's sdk-extras
are merged in), nothing is written by hand. Why: bench/README.md, "Cold start".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# Run as `PYTHONPATH=lambda_src python -m bench.botocore_models` (the function's code as on Lambda).
from webhook.aws import MODELS_FORMAT, OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "lambda_src" / "webhook" / "botocore_models.json"

_DROP = frozenset({"documentation", "documentationUrl"})


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _DROP}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def trim_service_model(model: dict[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    """The model with ``operations`` only and every shape they reach (members, list members, map keys/values)."""
    shapes = model["shapes"]
    keep: set[str] = set()
    pending: list[str] = []
    for name in operations:
        operation = model["operations"][name]
        pending += [operation[key]["shape"] for key in ("input", "output") if key in operation]
        pending += [error["shape"] for error in operation.get("errors", [])]
    while pending:
        name = pending.pop()
        if name in keep:
            continue
        keep.add(name)
        shape = shapes[name]
        refs = list(shape.get("members", {}).values()) + [shape[k] for k in ("member", "key", "value") if k in shape]
        pending += [ref["shape"] for ref in refs]
    return {
        **{k: v for k, v in model.items() if k not in ("operations", "shapes")},
        "metadata": _strip(model["metadata"]),
        "operations": {name: _strip(model["operations"][name]) for name in operations},
        "shapes": {name: _strip(shapes[name]) for name in sorted(keep)},
    }


def trim_endpoints(endpoints: dict[str, Any], services: tuple[str, ...]) -> dict[str, Any]:
    partitions = []
    for partition in endpoints["partitions"]:
        kept = {name: data for name, data in partition.get("services", {}).items() if name in services}
        partitions.append({**partition, "services": kept})
    return {**endpoints, "partitions": partitions}


def build() -> dict[str, Any]:
    import botocore
    import botocore.session

    loader = botocore.session.Session().get_component("data_loader")
    services: dict[str, Any] = {}
    for service, operations in sorted(OPERATIONS.items()):
        api_version = loader.determine_latest_version(service, "service-2")
        services[service] = {
            "api_version": api_version,
            "service-2": trim_service_model(loader.load_service_model(service, "service-2", api_version), operations),
        }
    return {
        "format": MODELS_FORMAT,
        "generated_from": f"botocore {botocore.__version__}",
        "operations": {service: list(ops) for service, ops in sorted(OPERATIONS.items())},
        "services": services,
        "endpoints": trim_endpoints(loader.load_data("endpoints"), tuple(OPERATIONS)),
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = OUT.read_text() if OUT.is_file() else ""
        if current != text:
            print(
                f"{OUT.relative_to(ROOT)} is stale: run PYTHONPATH=lambda_src python -m bench.botocore_models",
                file=sys.stderr,
            )
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

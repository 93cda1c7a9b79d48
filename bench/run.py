"""`make bench`: how fast the webhook receiver is, as ratios measured side by side.

Writes build/bench.json, prints a table, draws build/bench.png. Every ratio
compares two things measured in the same run, interleaved, on the same
emulator, so it holds on a noisy shared machine. See bench/README.md.

    python -m bench.run                 # the full run (a few minutes)
    python -m bench.run --quick --out /tmp/b.json   # tiny counts (the smoke test)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import common, report
from bench.chart import chart
from bench.common import ROOT, environment, log
from bench.keys import KEYS


class Settings:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.latency_rounds = 12 if quick else 1000
        self.latency_warmup = 3 if quick else 50
        self.cpu_batches = 5 if quick else 7
        self.cpu_batch_size = 40 if quick else 2000
        self.cold_rounds = 2 if quick else 15
        self.cold_start_rounds = 2 if quick else 15  # RIE processes per peer, interleaved
        self.cold_start_warm = 3 if quick else 30  # warm invocations after each cold start (billed duration)
        self.http_levels = {1: 8, 4: 16} if quick else {1: 300, 8: 800, 32: 1600}
        self.http_time_cap = 20.0 if quick else 60.0
        self.http_max_workers = 4 if quick else 32
        self.use_stack = not quick

    def as_dict(self) -> dict[str, Any]:
        return {k: ({str(c): n for c, n in v.items()} if isinstance(v, dict) else v) for k, v in vars(self).items()}


def ensure_cli_config() -> None:
    """`make bench` sets TF_CLI_CONFIG_FILE (offline provider mirror); a direct run finds it the same way."""
    current = os.environ.get("TF_CLI_CONFIG_FILE")
    if current and Path(current).is_file():
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(
            [str(ROOT / "tools" / "toolchain.sh"), "cli-config-path"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        if found:
            os.environ["TF_CLI_CONFIG_FILE"] = found


def git_revision() -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = shutil.which("git") or "git"
        head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        dirty = subprocess.run(
            [git, "status", "--porcelain", "--", "lambda_src"], cwd=ROOT, capture_output=True, text=True
        ).stdout
        return head.strip() + ("+dirty-lambda_src" if dirty.strip() else "")
    return None


def source_zip(dest: Path) -> Path:
    """A zip of lambda_src for the gateway when Terraform's could not be built (not used for zip_bytes)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((ROOT / "lambda_src").rglob("*.py")):
            if "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ROOT / "lambda_src").as_posix())
    return dest


class Run:
    def __init__(self, settings: Settings, out: Path) -> None:
        self.settings = settings
        self.out = out
        self.work = out.parent / (out.stem + "-work")
        self.run_id = secrets.token_hex(4)
        self.errors: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.details: dict[str, Any] = {}

    def phase(self, name: str, action: Callable[[], Any]) -> Any:
        started = time.monotonic()
        log(f"{name} ...")
        try:
            return action()
        except Exception as exc:
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            log(f"{name} FAILED: {self.errors[name]}")
            traceback.print_exc(file=sys.stderr)
            return None
        finally:
            self.timings[name] = round(time.monotonic() - started, 1)

    def execute(self) -> dict[str, Any]:
        from local_stack.emulator import Emulator

        s = self.settings
        self.work.mkdir(parents=True, exist_ok=True)
        load_before = os.getloadavg()
        started = time.monotonic()

        from bench import zipsize

        zip_copy = self.work / "lambda.zip"
        zip_info = self.phase("zip", lambda: zipsize.build_zip(self.work / "tf", zip_copy))

        from bench import coldimport

        cold = self.phase("cold_import", lambda: coldimport.measure_cold_imports(s.cold_rounds, self.work))

        latency = cpu = http = per_provider = storage = publisher = None
        with Emulator(self.work / "logs" / "emulator.log") as emulator, contextlib.ExitStack() as stack:
            setup = common.create_aws_resources(emulator.endpoint)
            stack.enter_context(environment(setup.env))
            from bench import inprocess

            samples = self.phase(
                "latency", lambda: inprocess.measure_latency(s.latency_rounds, s.latency_warmup, self.run_id)
            )
            latency = inprocess.latency_summary(samples) if samples else None
            cpu = self.phase("cpu", lambda: inprocess.measure_cpu(s.cpu_batches, s.cpu_batch_size, self.run_id))
            from bench import provider_cpu
            from bench import publisher as publisher_bench
            from bench import storage as storage_bytes

            storage = self.phase("storage", storage_bytes.measure)
            publisher = self.phase("publisher", lambda: publisher_bench.measure(3 if s.quick else 7))
            per_provider = self.phase(
                "provider_cpu", lambda: provider_cpu.measure(3 if s.quick else 15, 50 if s.quick else 200)
            )
            if not s.quick:
                self.phase("profile", lambda: self.profile(inprocess, coldimport))
            http = self.phase("http", lambda: self.http(emulator.endpoint, zip_copy if zip_info else None))
            ours_zip = zip_copy if zip_info else source_zip(self.work / "lambda-source.zip")
            cold_start = self.phase("cold_start", lambda: self.cold_start(emulator.endpoint, ours_zip))
            cost = self.phase("cost", lambda: self.cost(emulator.endpoint, cold_start, latency)) if cold_start else None

        result = report.assemble(
            zip_info, cold, latency, cpu, http, cold_start, cost, per_provider, self.errors, self.details
        )
        result.update(report.storage_and_publisher(storage, publisher))
        result["meta"] = {
            "quick": s.quick,
            "settings": s.as_dict(),
            "run_id": self.run_id,
            "git": git_revision(),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpus",
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "seconds": round(time.monotonic() - started, 1),
            "phase_seconds": self.timings,
            "errors": self.errors,
        }
        return result

    def http(self, endpoint: str, terraform_zip: Path | None) -> dict[str, Any]:
        from bench import http_load

        s = self.settings
        reasons = []
        if s.use_stack:
            try:
                with http_load.stack_target(self.work / "stack", self.work / "logs" / "stack.log") as target:
                    return http_load.run_levels(target, s.http_levels, s.http_time_cap, self.run_id)
            except Exception as exc:
                reasons.append(f"stack.py up: {type(exc).__name__}: {exc}")
                log(f"http: {reasons[-1]}; falling back to gateway.py")
        zip_path = terraform_zip or source_zip(self.work / "lambda-source.zip")
        try:
            with http_load.gateway_target(endpoint, zip_path, self.work / "gateway", s.http_max_workers) as target:
                result = http_load.run_levels(target, s.http_levels, s.http_time_cap, self.run_id)
                if reasons:
                    result["fallback_reason"] = reasons[0]
                return result
        except Exception as exc:
            reasons.append(f"gateway.py: {type(exc).__name__}: {exc}")
        raise RuntimeError("; ".join(reasons))

    def cold_start(self, endpoint: str, ours_zip: Path) -> dict[str, dict[str, Any]]:
        """AWS's runtime (aws-lambda-rie + awslambdaric), one process per cold start; see coldstart.py."""
        from bench import coldstart

        s = self.settings
        return coldstart.measure_cold_starts(
            endpoint,
            ours_zip,
            self.work / "cold-start",
            s.cold_start_rounds,
            s.cold_start_warm,
            self.run_id,
            {"PAYMENTS_TABLE_NAME": common.PAYMENTS_TABLE},
        )

    def cost(
        self, endpoint: str, cold_start: dict[str, dict[str, Any]], latency: dict[str, dict[str, float]] | None
    ) -> dict[str, Any]:
        """Cost per million events from the measured billed durations and item sizes; see cost.py."""
        import boto3

        from bench import coldstart, cost

        ddb = boto3.client("dynamodb", endpoint_url=endpoint)  # the emulator's credentials are in the environment
        tables = {
            "transactions": common.TABLE,
            "payments": common.PAYMENTS_TABLE,
            "idempotency": common.IDEMPOTENCY_TABLE,
        }
        prefixes = {name: f"cold_{self.run_id}_{name}_" for name in coldstart.PEER_NAMES}
        sizes = cost.measured_items(ddb, tables, prefixes)
        bare_put = (latency or {}).get("bare_put", {}).get("p50_ms")
        return cost.compute(cold_start, sizes, bare_put)

    def profile(self, inprocess: Any, coldimport: Any) -> None:
        """Where the time goes: pyinstrument of the handler CPU path, -X importtime of the cold imports."""
        prof_dir = self.work / "profiles"
        prof_dir.mkdir(parents=True, exist_ok=True)
        inprocess.profile_cpu(2000, self.run_id, prof_dir / "handler-cpu.txt")
        self.details["importtime_top"] = {
            kind: coldimport.importtime_report(kind, self.work, prof_dir / f"importtime-{kind}.txt")[:8]
            for kind in ("ours", "powertools", "boto3")
        }
        self.details["profiles"] = str(prof_dir.relative_to(ROOT) if prof_dir.is_relative_to(ROOT) else prof_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts, gateway.py instead of stack.py (smoke test)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "build" / "bench.json", help="JSON output (default build/bench.json)"
    )
    parser.add_argument("--chart", type=Path, help="PNG chart (default: the JSON path with .png)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    chart_path = (args.chart or out.with_suffix(".png")).resolve()
    ensure_cli_config()
    run = Run(Settings(args.quick), out)
    try:
        result = run.execute()
    finally:
        if args.quick:
            shutil.rmtree(run.work, ignore_errors=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    try:
        chart(result, chart_path)
    except Exception as exc:  # the numbers matter more than the picture
        result["meta"]["errors"]["chart"] = f"{type(exc).__name__}: {exc}"
        out.write_text(json.dumps(result, indent=2) + "\n")
    print(report.table(result))
    print(f"\nwrote {out} and {chart_path}")
    missing = [key for key in KEYS if key != "http" and result.get(key) is None]
    if missing:
        print(f"not measured: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)

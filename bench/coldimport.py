"""Cold import: each module imported in a fresh interpreter, timed inside it.

Like a Lambda cold start: the function's own code has no bytecode cache (the
zip ships none and /var/task is read-only, so it is compiled on every cold
start: ``-B`` and a clean copy here), while installed libraries (boto3 in the
runtime, Powertools in a layer) come with their ``.pyc`` files. Interpreter
start-up itself is not counted. Kinds run in a rotating order, round by round.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import LAMBDA_SRC, PEERS, lambda_env, log, median

# name -> (module to import, folder on PYTHONPATH or None: /var/task on Lambda)
KINDS = ("boto3", "ours", "powertools", "seed")

_PROBE = """
import sys, time
started = time.perf_counter()
import {module}
{after}
elapsed = time.perf_counter() - started
sys.stdout.write(repr(elapsed * 1000) + "\\n")
"""

# What our handler imports lazily on its first request (botocore and two clients; in a Lambda
# environment handler.py creates them at init):
# the rest of a real cold start, measured as an extra figure.
_OURS_FIRST_USE = "from webhook import aws as _aws; _aws.client('dynamodb'); _aws.client('ssm')"


class ColdImport:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.code = workdir / "task"  # the zip's content: lambda_src without generated files
        shutil.rmtree(self.code, ignore_errors=True)
        shutil.copytree(
            LAMBDA_SRC, self.code, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", "README.md")
        )
        self.peers = workdir / "peers"
        shutil.rmtree(self.peers, ignore_errors=True)
        shutil.copytree(PEERS, self.peers, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # No call is made at import time; the endpoint only has to be loopback.
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            **lambda_env("http://127.0.0.1:9"),
        }

    def probe(self, kind: str) -> tuple[str, str, str]:
        if kind == "boto3":
            return "boto3", "", ""
        if kind == "ours":
            return "handler", str(self.code), ""
        if kind == "ours_first_use":
            return "handler", str(self.code), _OURS_FIRST_USE
        if kind == "powertools":
            return "powertools_handler", str(self.peers), ""
        if kind == "seed":
            return "seed_handler", str(self.peers), ""
        raise ValueError(kind)

    def _probe_run(self, kind: str, flags: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        """One fresh interpreter that imports `kind` once (see _PROBE)."""
        module, path, after = self.probe(kind)
        code = _PROBE.format(module=module, after=after)
        return subprocess.run(
            [sys.executable, "-B", "-s", *flags, "-c", code],
            env={**self.env, "PYTHONPATH": path} if path else self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def run_once(self, kind: str, extra_flags: tuple[str, ...] = ()) -> float:
        done = self._probe_run(kind, extra_flags)
        if done.returncode != 0:
            raise RuntimeError(f"cold import of {kind} failed: {done.stderr.strip()[-600:]}")
        return float(done.stdout.strip().splitlines()[-1])

    def measure(self, rounds: int, kinds: tuple[str, ...]) -> dict[str, list[float]]:
        for kind in kinds:  # warm the page cache; not recorded
            self.run_once(kind)
        samples: dict[str, list[float]] = {kind: [] for kind in kinds}
        for index in range(rounds):
            shift = index % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                samples[kind].append(self.run_once(kind))
        return samples

    def importtime(self, kind: str, out: Path, top: int = 25) -> list[dict[str, object]]:
        """``-X importtime`` of one fresh import: the heaviest modules by cumulative time."""
        done = self._probe_run(kind, ("-X", "importtime"))
        done.check_returncode()
        out.write_text(done.stderr)
        rows = []
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
                continue
            self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
            rows.append({"module": name.strip(), "self_us": int(self_us), "cumulative_us": int(cumulative_us)})
        rows.sort(key=lambda row: -int(row["cumulative_us"]))  # type: ignore[call-overload]
        return rows[:top]


def measure_cold_imports(rounds: int, workdir: Path) -> dict[str, dict[str, float]]:
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        cold = ColdImport(Path(tmp))
        kinds = (*KINDS, "ours_first_use")
        samples = cold.measure(rounds, kinds)
    summary = {
        kind: {"n": len(values), "median_ms": median(values), "min_ms": min(values)} for kind, values in samples.items()
    }
    log("cold import medians: " + ", ".join(f"{k} {v['median_ms']:.1f} ms" for k, v in summary.items()))
    return summary


def importtime_report(kind: str, workdir: Path, out: Path) -> list[dict[str, object]]:
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        return ColdImport(Path(tmp)).importtime(kind, out)


if __name__ == "__main__":  # quick manual check: python bench/coldimport.py
    print(json.dumps(measure_cold_imports(3, Path(tempfile.gettempdir()) / "bench-cold"), indent=2))

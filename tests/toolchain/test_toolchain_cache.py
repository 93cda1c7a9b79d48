"""The provider cache of tools/toolchain.sh: nothing is used that the script did not build and stamp.

A stub ``go`` stands in for the Go toolchain (the real aws build takes half an
hour): it records each build and writes a fake provider binary, or fails
or hangs half-way, as a test asks. The script itself runs unmodified.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "toolchain.sh"

STUB_GO = r"""#!/usr/bin/env bash
# Stands in for `go env`, `go version`, `go install M@V`, `go mod download -json M@V`
# and `go build -o OUT .`
set -eu
case "$1" in
  env) case "$2" in GOOS) echo linux ;; GOARCH) echo amd64 ;; *) echo "" ;; esac; exit 0 ;;
  version) echo "go version go1.99.0 linux/amd64"; exit 0 ;;
  mod)
    src="$STUB_GO_SRC/${4//[\/@]/_}"
    mkdir -p "$src"
    echo "$4" > "$src/PIN"
    printf '{"Path": "%s", "Dir": "%s"}\n' "${4%@*}" "$src"
    exit 0 ;;
  build)                                # go build ... -o OUT . (inside the downloaded module)
    while [ "$1" != -o ]; do shift; done
    out=$2
    target=$(cat PIN) ;;
  install)                              # go install ... MODULE@VERSION
    target="${@: -1}"
    module="${target%@*}"
    out="$GOBIN/terraform-provider-${module##*/terraform-provider-}" ;;
  *) echo "stub go: unexpected $*" >&2; exit 2 ;;
esac
echo "$target" >> "$STUB_GO_LOG"
printf 'half-written %s\n' "$target" > "$out"
chmod +x "$out"
case "${STUB_GO_MODE:-ok}" in
  fail) exit 1 ;;
  hang) sleep 600 ;;
esac
printf 'provider binary of %s\n' "$target" > "$out"
"""

PINS = {
    "AWS_PROVIDER_VERSION": "6.47.1",
    "AWS_PROVIDER_MODULE": "github.com/hashicorp/terraform-provider-aws",
    "AWS_PROVIDER_GO_VERSION": "v1.60.1-0.20260602190131-5f2286d6d836",
    "ARCHIVE_PROVIDER_VERSION": "2.8.0",
    "ARCHIVE_PROVIDER_MODULE": "github.com/hashicorp/terraform-provider-archive",
    "ARCHIVE_PROVIDER_GO_VERSION": "v1.3.1-0.20260727144921-44050a6fd1aa",
    "ARCHIVE_PROVIDER_FETCH": "download",
}


class Toolchain:
    def __init__(self, tmp: Path) -> None:
        self.cache = tmp / "cache"
        self.stub_dir = tmp / "stub"
        self.stub_dir.mkdir(parents=True)
        (self.stub_dir / "go").write_text(STUB_GO)
        (self.stub_dir / "go").chmod(0o755)
        self.go_log = tmp / "go-calls.log"
        self.pins_file = tmp / "providers.env"
        self.pins = dict(PINS)
        self.write_pins()

    def write_pins(self) -> None:
        self.pins_file.write_text("".join(f"{k}={v}\n" for k, v in self.pins.items()))

    def env(self, mode: str = "ok") -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.stub_dir}:{os.environ['PATH']}",
            "WEBHOOK_CACHE": str(self.cache),
            "OFFLINE_PROVIDERS": "yes",
            "PROVIDERS_ENV": str(self.pins_file),
            "STUB_GO_LOG": str(self.go_log),
            "STUB_GO_SRC": str(self.stub_dir / "src"),
            "STUB_GO_MODE": mode,
        }

    def run(self, *args: str, mode: str = "ok") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), *args], env=self.env(mode), capture_output=True, text=True, timeout=120)

    def go_calls(self) -> list[str]:
        return self.go_log.read_text().split() if self.go_log.exists() else []

    def mirrored(self, provider: str, version: str) -> Path:
        return (
            self.cache
            / "mirror"
            / "registry.terraform.io"
            / "hashicorp"
            / provider
            / version
            / "linux_amd64"
            / f"terraform-provider-{provider}_v{version}_x5"
        )


@pytest.fixture
def tc(tmp_path: Path) -> Toolchain:
    return Toolchain(tmp_path)


def test_empty_cache_builds_both_providers_into_the_mirror(tc: Toolchain) -> None:
    result = tc.run("providers")
    assert result.returncode == 0, result.stderr
    assert sorted(tc.go_calls()) == sorted(
        [
            f"{PINS['ARCHIVE_PROVIDER_MODULE']}@{PINS['ARCHIVE_PROVIDER_GO_VERSION']}",
            f"{PINS['AWS_PROVIDER_MODULE']}@{PINS['AWS_PROVIDER_GO_VERSION']}",
        ]
    )
    archive = tc.mirrored("archive", "2.8.0").read_text()
    assert archive == f"provider binary of {PINS['ARCHIVE_PROVIDER_MODULE']}@{PINS['ARCHIVE_PROVIDER_GO_VERSION']}\n"
    assert tc.mirrored("aws", "6.47.1").exists()
    config = (tc.cache / "terraform.rc").read_text()
    assert f'path    = "{tc.cache / "mirror"}"' in config
    assert tc.run("verify").returncode == 0


def test_a_second_run_reuses_the_stamped_builds(tc: Toolchain) -> None:
    assert tc.run("providers").returncode == 0
    calls = len(tc.go_calls())
    assert tc.run("providers").returncode == 0
    assert len(tc.go_calls()) == calls


def test_a_new_pin_rebuilds_that_provider_only(tc: Toolchain) -> None:
    assert tc.run("providers").returncode == 0
    tc.pins["ARCHIVE_PROVIDER_GO_VERSION"] = "v1.3.1-0.20990101000000-000000000000"
    tc.write_pins()
    assert tc.run("providers").returncode == 0
    assert tc.go_calls()[2:] == [f"{PINS['ARCHIVE_PROVIDER_MODULE']}@v1.3.1-0.20990101000000-000000000000"]
    assert "20990101" in tc.mirrored("archive", "2.8.0").read_text()


def test_a_failed_build_is_not_taken_for_a_finished_one(tc: Toolchain) -> None:
    failed = tc.run("providers", mode="fail")
    assert failed.returncode != 0
    assert not tc.mirrored("archive", "2.8.0").exists()
    assert tc.run("providers").returncode == 0
    assert tc.go_calls().count(f"{PINS['ARCHIVE_PROVIDER_MODULE']}@{PINS['ARCHIVE_PROVIDER_GO_VERSION']}") == 2
    assert tc.mirrored("archive", "2.8.0").read_text().startswith("provider binary of")


def test_a_killed_build_is_built_again(tc: Toolchain) -> None:
    proc = subprocess.Popen(
        [str(SCRIPT), "providers"],
        env=tc.env("hang"),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not tc.go_calls() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tc.go_calls(), "the stub go was never called"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert tc.run("providers").returncode == 0
    assert len(tc.go_calls()) == 3  # archive again, then aws
    assert tc.mirrored("archive", "2.8.0").read_text().startswith("provider binary of")


def test_files_the_script_did_not_stamp_are_never_offered(tc: Toolchain) -> None:
    assert tc.run("providers").returncode == 0
    # Someone drops a binary into the mirror, and tampers with a finished build.
    planted = tc.mirrored("aws", "9.9.9")
    planted.parent.mkdir(parents=True)
    planted.write_text("not built here\n")
    (build,) = (tc.cache / "providers").glob("archive-2.8.0-*")
    (build / "terraform-provider-archive").write_text("tampered\n")
    assert tc.run("verify").returncode != 0
    assert tc.run("providers").returncode == 0
    assert not planted.exists()
    assert tc.mirrored("archive", "2.8.0").read_text().startswith("provider binary of")
    assert tc.run("verify").returncode == 0


def test_a_build_copied_with_its_stamp_seeds_a_new_cache(tc: Toolchain, tmp_path: Path) -> None:
    assert tc.run("providers").returncode == 0
    other = Toolchain(tmp_path / "second")
    (aws_build,) = (tc.cache / "providers").glob("aws-6.47.1-*")
    (other.cache / "providers").mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(aws_build), str(other.cache / "providers")], check=True)
    assert other.run("providers").returncode == 0
    assert other.go_calls() == [f"{PINS['ARCHIVE_PROVIDER_MODULE']}@{PINS['ARCHIVE_PROVIDER_GO_VERSION']}"]

"""The harness's processes: the one free-port finder, detached starts, waiting, stopping.

Every long-lived process of the local stack (the emulator, the gateway) runs in a
process group of its own, so that stopping it stops everything it started. A pid
recorded by ``up`` is only signalled by ``down`` while it is still that process
(:func:`process_is_ours`): pids get reused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now (the caller retries if it is taken in between)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def detached(cmd: list[str], log_path: Path, env: Mapping[str, str], cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session (own process group), stdout and stderr appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )


def wait_until_up(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers; RuntimeError if ``process`` exits first, TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def stop_group(pid: int, grace: float = 5.0) -> None:
    """SIGTERM the process group ``pid`` leads, then SIGKILL whatever is left. Safe if already gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)


def pid_alive(pid: int | None) -> bool:
    """``pid`` runs and is not a zombie (an exited child of ours is reaped on the way)."""
    if not pid:
        return False
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def process_is_ours(pid: int, marker: str) -> bool:
    """``pid`` still runs the command we started (``marker`` in its command line) and leads its group."""
    try:
        text = cmdline(pid).replace(b"\0", b" ").decode(errors="replace")
        return marker in text and os.getpgid(pid) == pid
    except (OSError, ProcessLookupError):
        return False


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (by parent pid), whatever its process group.

    The gateway's execution environments are aws-lambda-rie processes in its group, but
    RIE starts each runtime in a process group of its own.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_process(pid: int | None, marker: str, name: str, say: Callable[[str], None]) -> None:
    """Stop a recorded process group (and the runtimes below it), if it is still the one we started."""
    if not pid or not pid_alive(pid):
        return
    if not process_is_ours(pid, marker):
        say(f"  {name}: pid {pid} is no longer the process `up` started; leaving it alone")
        return
    below = {child: cmdline(child) for child in descendants(pid)}
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if not pid_alive(pid):
            break
    # Whatever else is left in the group (an environment stuck in a handler), and below it in
    # groups of their own (a runtime whose RIE was killed before it).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for child, command in below.items():
        if pid_alive(child) and cmdline(child) == command:  # still the same process, not a reused pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(child, signal.SIGKILL)
    say(f"  stopped {name} (pid {pid})")

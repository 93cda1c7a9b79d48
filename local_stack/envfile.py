"""The one reader and writer of KEY=VALUE env files (build/local.env).

The format is the subset a POSIX shell, `make` and docker's `--env-file` agree on: one
`KEY=VALUE` per line, no quoting needed because values are restricted to characters that
need none. Reading is lenient (blank lines, `#` comments, an `export ` prefix and one pair
of surrounding quotes are accepted, so a hand-edited file still works); writing is strict.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["EnvFileError", "read_env_file", "write_env_file"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Everything a URL, an ARN, a base64/hex secret or a PID needs; nothing a shell interprets.
_VALUE = re.compile(r"[A-Za-z0-9_+/=:.,@%-]*")


class EnvFileError(ValueError):
    """A key or value that cannot be written to an env file unquoted."""


def read_env_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE pairs of ``path``, in file order; a later key wins.

    Raises FileNotFoundError when the file does not exist: callers that treat a missing
    file as "nothing is up" check ``path.exists()`` first.
    """
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def write_env_file(path: Path, values: Mapping[str, str]) -> None:
    """Write ``values`` atomically, mode 0600 (the file holds signing secrets).

    Refuses (EnvFileError) a key that is not a shell identifier or a value with a
    character a shell would interpret, rather than quoting it: every consumer
    (`set -a; . build/local.env`, make, the CLIs) then reads the same value.
    """
    for key, value in values.items():
        if not _KEY.fullmatch(key):
            raise EnvFileError(f"refusing to write key {key!r}: not a shell variable name")
        if not _VALUE.fullmatch(value):
            raise EnvFileError(f"refusing to write {key}: its value has characters an env file cannot hold unquoted")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{key}={value}\n" for key, value in values.items()))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

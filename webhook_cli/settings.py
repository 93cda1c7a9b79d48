"""Where the CLIs find their settings: option, then environment variable, then the env file.

The env file is build/local.env (written by `make up`), read by ``local_stack.envfile``,
the project's one env-file reader. A missing default file is not an error (on AWS there is
none); a missing file named explicitly is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from local_stack.envfile import read_env_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = ROOT / "build" / "local.env"


@dataclass(frozen=True)
class Settings:
    """The env file's values, looked up behind the process environment."""

    file_values: Mapping[str, str]
    environ: Mapping[str, str]

    def get(self, name: str, option: str | None = None) -> str | None:
        """``option``, else ``$name``, else ``name`` in the env file; empty counts as unset."""
        return option or self.environ.get(name) or self.file_values.get(name) or None

    def local_endpoint(self) -> str | None:
        """The emulator's endpoint when the settings point at the local stack."""
        return self.get("AWS_ENDPOINT_URL")

    def boto3_kwargs(self) -> dict[str, str]:
        """Client arguments: the local endpoint (with the emulator's stand-in credentials "testing" unless
        the shell or the env file has credentials), else nothing: plain boto3 on AWS."""
        kwargs: dict[str, str] = {}
        endpoint = self.local_endpoint()
        region = self.get("AWS_REGION") or self.get("AWS_DEFAULT_REGION")
        if region:
            kwargs["region_name"] = region
        if endpoint:
            kwargs["endpoint_url"] = endpoint
            if not self.environ.get("AWS_ACCESS_KEY_ID"):  # else boto3 finds the shell's own
                kwargs["aws_access_key_id"] = self.file_values.get("AWS_ACCESS_KEY_ID") or "testing"
                kwargs["aws_secret_access_key"] = self.file_values.get("AWS_SECRET_ACCESS_KEY") or "testing"
        return kwargs


def load(env_file: Path | None, *, use_default: bool = True) -> Settings:
    """Settings from ``env_file`` (or build/local.env when it exists and ``use_default``).

    Raises OSError when an explicitly named file cannot be read.
    """
    path = env_file if env_file is not None else (DEFAULT_ENV_FILE if use_default else None)
    values: dict[str, str] = {}
    if path is not None and (env_file is not None or path.exists()):
        values = read_env_file(path)
    return Settings(values, dict(os.environ))

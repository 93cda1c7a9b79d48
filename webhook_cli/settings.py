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


# The first lines of a CLI's --help epilog: where each setting comes from (CliSettings' order).
SETTINGS_ORDER_HELP = (
    "settings (first found wins): the option, then the environment variable, then the env file "
    "(--env-file, default build/local.env written by `make up`; --no-env-file on AWS).\n"
)


@dataclass(frozen=True)
class CliSettings:
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
        """Client arguments. On AWS (no AWS_ENDPOINT_URL anywhere): nothing, plain boto3.

        Locally: the emulator's endpoint, with the credentials of the same source: the env
        file's (the local stack's harness user; the emulator enforces IAM) when the endpoint
        comes from the env file, the shell's when it comes from the shell; the stand-in
        "testing" (an emulator without IAM accepts any) when that source has none.
        """
        kwargs: dict[str, str] = {}
        endpoint = self.local_endpoint()
        # Region (and credentials) from where the endpoint came from: the env file's emulator
        # lives in the env file's region, whatever the shell says about AWS.
        source = self.file_values if endpoint and not self.environ.get("AWS_ENDPOINT_URL") else self.environ
        region = source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or self.get("AWS_REGION")
        if region:
            kwargs["region_name"] = region
        if not endpoint:
            return kwargs
        kwargs["endpoint_url"] = endpoint
        if source is self.environ and source.get("AWS_ACCESS_KEY_ID"):
            return kwargs  # boto3 finds the shell's own
        kwargs["aws_access_key_id"] = source.get("AWS_ACCESS_KEY_ID") or "testing"
        kwargs["aws_secret_access_key"] = source.get("AWS_SECRET_ACCESS_KEY") or "testing"
        if source.get("AWS_SESSION_TOKEN"):
            kwargs["aws_session_token"] = source["AWS_SESSION_TOKEN"]
        return kwargs


def load(env_file: Path | None, *, use_default: bool = True) -> CliSettings:
    """CliSettings from ``env_file`` (or build/local.env when it exists and ``use_default``).

    Raises OSError when an explicitly named file cannot be read.
    """
    path = env_file if env_file is not None else (DEFAULT_ENV_FILE if use_default else None)
    values: dict[str, str] = {}
    if path is not None and (env_file is not None or path.exists()):
        values = read_env_file(path)
    return CliSettings(values, dict(os.environ))


class SettingsError(ValueError):
    """An env file that cannot be read, or no Function URL anywhere."""


def with_function_url(env_file: Path | None, url_option: str | None) -> tuple[CliSettings, str]:
    """The settings and the receiver's Function URL (option, FUNCTION_URL, env file), or SettingsError."""
    try:
        settings = load(env_file)
    except OSError as exc:
        raise SettingsError(f"cannot read env file {env_file}: {exc.strerror}") from None
    url = settings.get("FUNCTION_URL", url_option)
    if not url:
        raise SettingsError("no URL: pass --url, set FUNCTION_URL, or run `make up` first (it writes build/local.env)")
    return settings, url

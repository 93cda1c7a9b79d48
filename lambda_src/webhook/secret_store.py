"""The signing secrets, read from an SSM SecureString and cached per container.

One :class:`SsmSecretSource` per provider parameter.  The value is fetched
with ``WithDecryption=True``, split on whitespace (several secrets = rotation)
and each token turned into a key by the provider's ``decode`` function; the
keys are cached for ``ttl_seconds`` (default 60 s), so a rotation reaches warm
containers within a minute.  A failed refresh is not papered over with a stale
value: the request gets a 5xx and the sender retries.

A token that ``decode`` refuses is skipped and logged by its position in the
parameter (1-based) and the provider name, never by its value.

* parameter missing, empty, or holding no usable secret -> 500 ``secret_unavailable``
* throttling, SSM/KMS faults, timeouts, connection errors -> 503 ``secret_unavailable``
* any other SSM error (e.g. access denied) -> 500 ``secret_unavailable``
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from webhook.aws import error_code, is_aws_error, is_retryable
from webhook.errors import WebhookError
from webhook.logline import format_record, write_line
from webhook.signature import decode_secret

DEFAULT_TTL_SECONDS = 60.0


class SsmClient(Protocol):
    def get_parameter(self, **kwargs: Any) -> Mapping[str, Any]: ...


def _unavailable(status: int, detail: str) -> WebhookError:
    return WebhookError(status, "secret_unavailable", "signing secret is unavailable", detail=detail)


class SsmSecretSource:
    """Signing keys from one SSM parameter, cached for a short time."""

    def __init__(
        self,
        client: Callable[[], SsmClient],
        parameter_name: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        decode: Callable[[str], bytes | None] = decode_secret,
        provider: str = "standard",
        log: Callable[[str], None] = write_line,
    ) -> None:
        self._client = client
        self._name = parameter_name
        self._ttl = ttl_seconds
        self._clock = clock
        self._decode = decode
        self._provider = provider
        self._log = log
        self._keys: tuple[bytes, ...] = ()
        self._expires = float("-inf")

    def keys(self) -> tuple[bytes, ...]:
        now = self._clock()
        if self._keys and now < self._expires:
            return self._keys
        keys = self._fetch()
        self._keys, self._expires = keys, now + self._ttl
        return keys

    def _fetch(self) -> tuple[bytes, ...]:
        try:
            response = self._client().get_parameter(Name=self._name, WithDecryption=True)
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            detail = error_code(exc) or type(exc).__name__
            raise _unavailable(503 if is_retryable(exc) else 500, detail) from None
        parameter = response.get("Parameter")
        value = parameter.get("Value") if isinstance(parameter, Mapping) else None
        keys = self._decode_all(value) if isinstance(value, str) else ()
        if not keys:
            raise _unavailable(500, "NoUsableSecret")
        return keys

    def _decode_all(self, value: str) -> tuple[bytes, ...]:
        keys: list[bytes] = []
        for position, token in enumerate(value.split(), start=1):
            key = self._decode(token)
            if key is None:
                self._warn_unusable(position)
            else:
                keys.append(key)
        return tuple(keys)

    def _warn_unusable(self, position: int) -> None:
        record = format_record({"warning": "unusable_secret", "provider": self._provider, "secretPosition": position})
        with contextlib.suppress(Exception):  # a failing log sink must not change the answer
            self._log(record)

"""The signing secrets, read from an SSM SecureString and cached per container.

The value is fetched with ``WithDecryption=True`` and cached for
``ttl_seconds`` (default 60 s), so a rotation reaches warm containers within
a minute.  A failed refresh is not papered over with a stale value: the
request gets a 5xx and the sender retries.

* parameter missing, empty, or holding no usable secret -> 500 ``secret_unavailable``
* throttling, SSM/KMS faults, timeouts, connection errors -> 503 ``secret_unavailable``
* any other SSM error (e.g. access denied) -> 500 ``secret_unavailable``
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from webhook.aws import error_code, is_aws_error, is_retryable
from webhook.errors import WebhookError
from webhook.signature import decode_secrets

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
    ) -> None:
        self._client = client
        self._name = parameter_name
        self._ttl = ttl_seconds
        self._clock = clock
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
        keys = decode_secrets(value) if isinstance(value, str) else ()
        if not keys:
            raise _unavailable(500, "NoUsableSecret")
        return keys

"""A small client for Stripe's ``GET /v1/events`` on urllib (no SDK in the function's zip).

The opener, the clock of the backoff (``sleep``) and the attempt count are
injectable.  429, 5xx and network errors are retried with exponential backoff,
honouring ``Retry-After``; 401/403 fail at once.  No message ever carries the
API key or a response body.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

DEFAULT_API_BASE = "https://api.stripe.com"
DEFAULT_ATTEMPTS = 4
DEFAULT_BASE_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
TIMEOUT_SECONDS = 20.0

# (status, headers, body) of one HTTP exchange; network failures raise OSError or http.client.HTTPException.
Response = tuple[int, Mapping[str, str], bytes]
Opener = Callable[[urllib.request.Request, float], Response]


class StripeError(Exception):
    """A Stripe request failed for good (the message names the status, never the key)."""


class StripeAuthError(StripeError):
    """Stripe refused the API key (401/403)."""


def urllib_opener(request: urllib.request.Request, timeout: float) -> Response:
    """urllib's opener, with an HTTP error status returned rather than raised."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https base from config
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        headers = dict(exc.headers.items()) if exc.headers is not None else {}
        return exc.code, headers, exc.read()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value.strip()))
            except ValueError:
                return None
    return None


class StripeEventsClient:
    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        api_version: str | None = None,
        opener: Opener = urllib_opener,
        sleep: Callable[[float], Any] | None = None,  # None: time.sleep, looked up when called
        attempts: int = DEFAULT_ATTEMPTS,
        base_delay: float = DEFAULT_BASE_DELAY_SECONDS,
    ) -> None:
        self._key = api_key
        self._base = api_base.rstrip("/")
        self._version = api_version
        self._opener = opener
        self._sleep = sleep
        self._attempts = max(1, attempts)
        self._base_delay = base_delay

    def __repr__(self) -> str:  # never the key
        return f"StripeEventsClient(api_base={self._base!r})"

    def list_events(self, params: Sequence[tuple[str, str]]) -> str:
        """One page of ``GET /v1/events`` as text; raises :class:`StripeError` after bounded retries."""
        url = f"{self._base}/v1/events?{urllib.parse.urlencode(list(params))}"
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}
        if self._version:
            headers["Stripe-Version"] = self._version
        failure = "no attempt was made"
        for attempt in range(self._attempts):
            delay = min(MAX_DELAY_SECONDS, self._base_delay * 2**attempt)
            try:
                request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the base is validated http(s)
                status, response_headers, body = self._opener(request, TIMEOUT_SECONDS)
            except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets, a cut-off body
                failure = f"network error ({type(exc).__name__})"
            else:
                if 200 <= status < 300:
                    try:
                        return body.decode("utf-8")
                    except UnicodeDecodeError:
                        raise StripeError("Stripe answered a body that is not UTF-8") from None
                if status in (401, 403):
                    raise StripeAuthError(f"Stripe refused the API key (HTTP {status}); check the restricted key")
                if status != 429 and status < 500:
                    raise StripeError(f"Stripe answered HTTP {status} to the events list")
                failure = f"HTTP {status}"
                retry_after = _retry_after(response_headers)
                if retry_after is not None:
                    delay = min(MAX_DELAY_SECONDS, max(delay, retry_after))
            if attempt + 1 < self._attempts:
                (self._sleep or time.sleep)(delay)
        raise StripeError(f"Stripe events list failed after {self._attempts} attempts: {failure}")

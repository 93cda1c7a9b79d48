"""POST one :class:`~webhook_cli.signing.Delivery` and read the answer (standard library only)."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from webhook_cli.signing import Delivery

USER_AGENT = "webhook-cli/1 (payment-webhook tools)"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def post(base_url: str, delivery: Delivery, timeout: float = 30.0) -> Answer:
    """POST ``delivery`` to ``base_url`` + its provider's path.

    HTTP error statuses are returned, not raised; no answer at all raises
    ``urllib.error.URLError`` / ``OSError``.
    """
    url = delivery.url(base_url)
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    headers = {"user-agent": USER_AGENT, **delivery.headers}
    request = urllib.request.Request(url, data=delivery.body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return Answer(response.status, response.read().decode("utf-8", "replace"), dict(response.headers.items()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode("utf-8", "replace"), dict(error.headers.items()))

"""Standard Webhooks signature verification (``v1``, HMAC-SHA256).

Signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; the key is
the base64 decoding of a secret after its ``whsec_`` prefix.  The
``webhook-signature`` header is a space-separated list of
``<version>,<base64>``; only ``v1`` entries are considered (``v1a`` and any
other version are ignored).  Any configured key may match any ``v1`` entry
(secret rotation).  Digests are compared with :func:`hmac.compare_digest`.

Header rules (violations are 401):

* ``webhook-id``: 1-256 printable ASCII characters, no whitespace (it is also
  the DynamoDB sort key, whose limit is 1024 bytes).
* ``webhook-timestamp``: Unix seconds, ASCII digits only, and no further than
  the tolerance from now in either direction (the boundary itself is accepted).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
_ID_RE = re.compile(r"[\x21-\x7e]{1,256}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_DIGEST_SIZE = hashlib.sha256().digest_size


class SignatureError(Exception):
    """The request is not authentic; the message is safe to return."""


def decode_secret(token: str) -> bytes | None:
    """The key of one ``whsec_<base64>`` secret (prefix optional), or None when unusable.

    Base64 without its ``=`` padding is accepted, as the reference library
    (``standardwebhooks``) pads before decoding; otherwise the text must be
    strict standard base64, and it must decode to at least one byte.
    """
    body = token.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def decode_secrets(value: str) -> tuple[bytes, ...]:
    """Signing keys from a whitespace-separated list of ``whsec_<base64>`` secrets.

    Unusable tokens (see :func:`decode_secret`) are skipped; the caller treats
    an empty result as a missing secret.
    """
    keys = (decode_secret(token) for token in value.split())
    return tuple(key for key in keys if key is not None)


def _digest(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return hmac.new(key, message, hashlib.sha256).digest()


def sign(key: bytes, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``v1,<base64>`` signature of a message (used by tests and tools)."""
    mac = _digest(key, webhook_id, str(timestamp), body)
    return "v1," + base64.b64encode(mac).decode("ascii")


def _v1_signatures(header: str) -> list[bytes]:
    found: list[bytes] = []
    for entry in header.split():
        version, comma, value = entry.partition(",")
        if version != "v1" or not comma:
            continue
        try:
            mac = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(mac) == _DIGEST_SIZE:
            found.append(mac)
    return found


def verify(
    headers: Mapping[str, str],
    body: bytes,
    keys: Sequence[bytes],
    *,
    tolerance_seconds: int,
    now: float,
) -> str:
    """Check the signature headers; return the ``webhook-id`` or raise :class:`SignatureError`.

    ``headers`` must have lower-case names (see :func:`webhook.request.headers_of`).
    """
    webhook_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signature = headers.get("webhook-signature")
    if webhook_id is None or timestamp is None or signature is None:
        raise SignatureError("missing webhook signature headers")
    if not _ID_RE.fullmatch(webhook_id):
        raise SignatureError("malformed webhook-id header")
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        raise SignatureError("malformed webhook-timestamp header")
    sent_at = int(timestamp)
    if sent_at < now - tolerance_seconds:
        raise SignatureError("webhook-timestamp is too old")
    if sent_at > now + tolerance_seconds:
        raise SignatureError("webhook-timestamp is too far in the future")
    candidates = _v1_signatures(signature)
    if not candidates:
        raise SignatureError("no v1 signature in webhook-signature header")
    if not _any_match((_digest(key, webhook_id, timestamp, body) for key in keys), candidates):
        raise SignatureError("signature does not match")
    return webhook_id


def _any_match(expected: Iterable[bytes], candidates: Sequence[bytes]) -> bool:
    matched = False
    for digest in expected:
        for candidate in candidates:
            # No early exit: the work done does not depend on which entry matches.
            matched |= hmac.compare_digest(digest, candidate)
    return matched

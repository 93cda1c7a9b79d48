"""moto server whose DynamoDB requests run one at a time.

Real DynamoDB applies a conditional write atomically. moto checks the condition
and writes without a lock, so under concurrent requests two deliveries of the
same event can both pass `attribute_not_exists`. The handler relies on the real
behaviour; this wrapper gives the emulator that behaviour, so concurrency tests
test the handler and not moto's race. Other services stay fully threaded.

Used by local_stack/emulator/server.py (`python -m local_stack.emulator.server -H 127.0.0.1 -p PORT`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_DYNAMODB_LOCK = threading.Lock()


class AtomicDynamoDBApplication(DomainDispatcherApplication):
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _DYNAMODB_LOCK:
                return super().__call__(environ, start_response)  # type: ignore[no-any-return]
        return super().__call__(environ, start_response)  # type: ignore[no-any-return]

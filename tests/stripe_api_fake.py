"""A local fake of Stripe's ``GET /v1/events`` for the reconciler's scenario tests.

It checks method, path and the Bearer key of every request (a mismatch is recorded in
``errors``, which the using fixture asserts empty), records each query, and answers
the queued pages in order. stripe-mock checks the requests against Stripe's
specification (tests/e2e/test_reconcile_stripe_mock.py); this fake plays scenarios.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from webhook.reconcile.run import EVENT_TYPES

__all__ = ["CUT_OFF", "FakeStripe", "page"]

CUT_OFF = 0  # a page status for the fake: the connection closes before the body's announced length


class FakeStripe:
    def __init__(self, api_key: str) -> None:
        # (status, body) or (status, body, extra response headers); status CUT_OFF: a 200 whose body stops short.
        self.pages: list[tuple[int, str] | tuple[int, str, dict[str, str]]] = []
        self.queries: list[list[tuple[str, str]]] = []
        self.request_headers: list[dict[str, str]] = []
        self.errors: list[str] = []
        self.on_request: Any = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qsl(url.query, keep_blank_values=True, strict_parsing=True)
                fake.queries.append(query)
                fake.request_headers.append({name.lower(): value for name, value in self.headers.items()})
                if url.path != "/v1/events":
                    fake.errors.append(f"path {url.path}")
                if self.headers.get("Authorization") != f"Bearer {api_key}":
                    fake.errors.append("authorization")
                if fake.on_request is not None:
                    fake.on_request()
                status, body, *extra = fake.pages.pop(0) if fake.pages else (500, "{}")
                data = body.encode()
                self.send_response(200 if status == CUT_OFF else status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) + (100 if status == CUT_OFF else 0)))
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                if status == CUT_OFF:
                    self.close_connection = True

            def do_POST(self) -> None:
                fake.errors.append("POST")
                self.send_response(405)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def serving(self) -> Iterator[FakeStripe]:
        """Answer requests on a thread of this process until the block ends."""
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()

    def expected_query(self, created_gte: int, starting_after: str | None = None) -> list[tuple[str, str]]:
        query = [("delivery_success", "false"), ("created[gte]", str(created_gte))]
        query += [("types[]", t) for t in EVENT_TYPES] + [("limit", "100")]
        return query + ([("starting_after", starting_after)] if starting_after else [])


def page(*events: str, has_more: bool = False) -> str:
    """One list page as Stripe writes it (pretty-printed), the events' texts verbatim."""
    return (
        '{\n  "object": "list",\n  "data": [\n'
        + ",\n".join(events)
        + f'\n  ],\n  "has_more": {json.dumps(has_more)}\n}}'
    )

from __future__ import annotations

import json

from webhook.responses import error_response, event_response


def test_event_response_shape() -> None:
    resp = event_response("accepted", "t1", "msg_1")
    assert resp["statusCode"] == 200
    assert resp["headers"]["content-type"] == "application/json"
    assert json.loads(resp["body"]) == {"status": "accepted", "transactionId": "t1", "eventId": "msg_1"}


def test_error_response_shape() -> None:
    resp = error_response(401, "invalid_signature", "nope", {"allow": "POST"})
    assert resp["statusCode"] == 401
    assert resp["headers"] == {"content-type": "application/json", "allow": "POST"}
    assert json.loads(resp["body"]) == {"error": {"code": "invalid_signature", "message": "nope"}}

"""moto server as the local stack runs it: `python -m local_stack.emulator.server -H 127.0.0.1 -p PORT`.

Same flags as `moto_server`. AWS's answers for Lambda AddPermission and Service
Quotas (aws_answers.py), and four things on top of moto 5.2.5, each because moto
differs from AWS in a way the harness must not inherit:

1. DynamoDB requests run one at a time (atomic.py): moto's conditional writes
   are not atomic under concurrency, DynamoDB's are.
2. Resource ARNs for IAM. With IAM enforced (INITIAL_NO_AUTH_ACTION_COUNT, see
   iam.py) moto evaluates identity policies, but for every service except SQS, IAM
   and STS against the resource ``*``: a least-privilege statement such as
   ``dynamodb:PutItem`` on one table ARN then never matches and everything is
   denied. ``_determine_resource`` (the hook moto's own SQS handler implements)
   names the resource for the calls the function makes: the table of a DynamoDB
   item/table call, the parameter of an SSM GetParameter/PutParameter/DeleteParameter,
   the bus of an EventBridge PutEvents whose entries name one bus.
   Calls on several resources at once (BatchWriteItem, TransactWriteItems,
   GetParameters) stay ``*``, as moto evaluates them today.
3. AWS's error shape for a refused call on a JSON-protocol service. moto answers an
   IAM refusal (and an unknown key or a bad signature) with the Query protocol's XML
   and HTTP 403 for every service, so boto3 reads the code of a refused DynamoDB, SSM
   or SQS call as ``403``; AWS answers JSON (``{"__type": "AccessDeniedException",
   ...}``, HTTP 400), which boto3 reads as the code. Only requests with an
   ``X-Amz-Target`` header (JSON 1.0/1.1 protocols) and such a 403 XML answer are
   rewritten.
4. The signature of a request without a body. To verify SigV4, moto re-signs the
   request with ``data = body or parsed parameters``; for Lambda's REST GET/DELETE
   calls (GetFunction, ...) the parsed parameters are the request's headers, so the
   payload hash moto computes is not the empty body's and every such call is refused
   with SignatureDoesNotMatch. A GET/DELETE/HEAD without a body is re-signed with the
   empty body, as SigV4 defines it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from botocore.awsrequest import AWSRequest
from moto import server
from moto.dynamodb.responses import DynamoHandler
from moto.events.responses import EventsHandler
from moto.iam.access_control import IAMRequestBase
from moto.ssm.responses import SimpleSystemManagerResponse

from local_stack.emulator import aws_answers, streams
from local_stack.emulator.atomic import AtomicDynamoDBApplication

_DENIED_MESSAGE = re.compile(rb"<Message>(.*?)</Message>", re.DOTALL)
_ERROR_CODE = re.compile(rb"<Code>(AccessDenied|InvalidClientTokenId|SignatureDoesNotMatch)</Code>")
# The names AWS's JSON-protocol services use (InvalidClientTokenId and SignatureDoesNotMatch keep theirs).
_JSON_CODES = {"AccessDenied": "AccessDeniedException"}


def _partition_region_account(handler: Any) -> tuple[str, str, str]:
    region = handler.region
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return partition, region, handler.current_account


def _dynamodb_resource(self: DynamoHandler) -> str:
    body = getattr(self, "body", None) or getattr(self, "params", None) or {}
    name = body.get("TableName") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        return "*"
    if name.startswith("arn:"):  # DynamoDB accepts the table ARN as TableName
        return name
    partition, region, account = _partition_region_account(self)
    return f"arn:{partition}:dynamodb:{region}:{account}:table/{name}"


def _ssm_resource(self: SimpleSystemManagerResponse) -> str:
    if self._get_action() not in ("GetParameter", "PutParameter", "DeleteParameter", "GetParameterHistory"):
        return "*"
    name = self._get_param("Name")
    if not isinstance(name, str) or not name:
        return "*"
    if name.startswith("arn:"):
        return name
    partition, region, account = _partition_region_account(self)
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def events_resource(self: Any) -> str:
    """The bus of a PutEvents whose entries all name one bus (AWS authorizes each entry on its bus)."""
    if self._get_action() != "PutEvents":
        return "*"
    try:
        entries = json.loads(self.body or "{}").get("Entries") or []
    except (TypeError, ValueError, AttributeError):
        return "*"
    buses = {entry.get("EventBusName") or "default" for entry in entries if isinstance(entry, dict)}
    if len(buses) != 1:
        return "*"
    (bus,) = buses
    if bus.startswith("arn:"):
        return str(bus)
    partition, region, account = _partition_region_account(self)
    return f"arn:{partition}:events:{region}:{account}:event-bus/{bus}"


class LocalStackApplication(AtomicDynamoDBApplication):
    """Atomic DynamoDB (the parent) plus AWS's JSON error shape for IAM refusals."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET"):
            return super().__call__(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured.update(status=status, headers=headers)
            return lambda _data: None

        body = b"".join(super().__call__(environ, capture))
        status, headers = captured["status"], captured["headers"]
        error = _ERROR_CODE.search(body) if status.startswith("403") and body.lstrip().startswith(b"<") else None
        if error:
            code = error.group(1).decode()
            match = _DENIED_MESSAGE.search(body)
            message = match.group(1).decode(errors="replace") if match else code
            body = json.dumps({"__type": _JSON_CODES.get(code, code), "message": message}).encode()
            status = "400 Bad Request"
            headers = [
                (name, value) for name, value in headers if name.lower() not in ("content-type", "content-length")
            ]
            headers += [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]


_create_aws_request = IAMRequestBase._create_aws_request


def _create_aws_request_with_empty_body(self: IAMRequestBase) -> AWSRequest:
    request = _create_aws_request(self)
    if self._method in ("GET", "DELETE", "HEAD") and not self._body:
        request.data = b""
    return request


def install() -> None:
    """Apply the four changes, and aws_answers' (Lambda policy, Service Quotas), to moto in this process."""
    aws_answers.install()
    streams.install()  # stream records stay for a poller (emulator/streams.py)
    IAMRequestBase._create_aws_request = _create_aws_request_with_empty_body  # type: ignore[method-assign]
    DynamoHandler._determine_resource = _dynamodb_resource  # type: ignore[attr-defined]
    SimpleSystemManagerResponse._determine_resource = _ssm_resource  # type: ignore[attr-defined]
    EventsHandler._determine_resource = events_resource  # type: ignore[attr-defined]
    server.DomainDispatcherApplication = LocalStackApplication  # type: ignore[attr-defined]


def main() -> None:
    install()
    server.main()


if __name__ == "__main__":
    main()

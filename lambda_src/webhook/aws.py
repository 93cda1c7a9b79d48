"""botocore clients (one shared session, created once per container) and AWS error classification.

Clients come from one ``botocore.session.Session`` (one loader, one
credential and endpoint resolver for every client), not from boto3: boto3
adds nothing these calls use (its resource layer and s3transfer are never
touched) and costs a cold start its import.  The session's loader serves
botocore's own models cut to the operations in :data:`OPERATIONS`
(``botocore_models.json`` beside this file, generated from the installed
botocore by ``bench/botocore_models.py``; any other service or model type is
loaded from botocore as usual).  Parsing SSM's full model (154 operations,
1,360 shapes) and the 1.2 MB endpoints file was most of what the first request
spent before it could send anything.  A call to an operation that is not
listed fails with AttributeError, and ``tests/bench/test_botocore_models.py``
fails first: it scans lambda_src for client calls.

A client is created on first use, or during the runtime's init by
:func:`warm_up` (``handler.py`` calls it inside a Lambda execution
environment), so the init phase that SnapStart or provisioned concurrency
runs ahead of time already holds them.  bench/README.md has the measurements
behind these choices.

Every client has explicit timeouts and a bounded number of attempts, so a
slow dependency turns into a 5xx long before the function timeout: worst
case per call is about 3 x (1 s connect + 2 s read) plus standard-mode
backoff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
RETRIES: dict[str, Any] = {"mode": "standard", "total_max_attempts": 3}

# Error codes after which the sender should simply retry later (503).
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalFailure",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionInProgressException",
        "RequestThrottled",  # SQS
        "KmsThrottled",  # SQS: KMS throttled the queue's data-key request
    }
)

# The only operations the function calls, per service (client method = snake_case of the name).
OPERATIONS: dict[str, tuple[str, ...]] = {
    "dynamodb": ("PutItem",),
    "events": ("PutEvents",),  # the publisher
    "sqs": ("SendMessage",),
    "ssm": ("GetParameter",),
}
MODELS_FILE = Path(__file__).with_name("botocore_models.json")
MODELS_FORMAT = 1

_clients: dict[str, Any] = {}
_session: list[Any] = []  # the one botocore session, created with the first client


def _bundled_models() -> dict[str, Any] | None:
    """The cut-down models, or None (botocore's own files are used) when the file is missing or foreign."""
    try:
        data = json.loads(MODELS_FILE.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == MODELS_FORMAT else None


def _loader(models: dict[str, Any]) -> Any:
    from botocore.loaders import Loader

    services: dict[str, Any] = models["services"]

    class BundledLoader(Loader):  # type: ignore[misc]
        """botocore's loader, answering the bundled services' models and the endpoints data from memory."""

        def __init__(self) -> None:
            super().__init__()
            self._bundled_cache: dict[tuple[str, str], Any] = {}

        def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
            bundled = services.get(service_name)
            if bundled is None or api_version not in (None, bundled["api_version"]):
                return super().load_service_model(service_name, type_name, api_version)
            if type_name == "service-2":
                return bundled["service-2"]
            # Other model types (the endpoint ruleset) from botocore's files, as Loader does, without first
            # listing every service botocore knows (a directory scan of ~400 folders).
            cached = self._bundled_cache.get((service_name, type_name))
            if cached is None:
                version = bundled["api_version"]
                try:
                    cached = self.load_data(f"{service_name}/{version}/{type_name}")
                    self._extras_processor.process(cached, self._find_extras(service_name, type_name, version))
                except AttributeError:  # another botocore's internals: its own, slower way
                    cached = super().load_service_model(service_name, type_name, api_version)
                self._bundled_cache[(service_name, type_name)] = cached
            return cached

        def load_data_with_path(self, name: str) -> Any:
            if name == "endpoints":
                # botocore's own endpoints data (cut down), so it counts as built-in: the endpoint rulesets,
                # not the legacy resolver, keep deciding the URL, exactly as with the full file.
                return models["endpoints"], os.path.join(self.BUILTIN_DATA_PATH, "endpoints")
            return super().load_data_with_path(name)

    return BundledLoader()


def _botocore_session() -> Any:
    if not _session:
        import botocore.session

        session = botocore.session.Session()
        # AWS_DATA_PATH (models of one's own) wins over the bundled ones.
        models = None if session.get_config_variable("data_path") else _bundled_models()
        if models is not None:
            session.register_component("data_loader", _loader(models))
        _session.append(session)
    return _session[0]


def client(service: str) -> Any:
    """The cached botocore client for ``service`` (``"dynamodb"``, ``"ssm"``, ``"sqs"``)."""
    cached = _clients.get(service)
    if cached is None:
        from botocore.config import Config

        config = Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries=RETRIES,
        )
        cached = _clients[service] = _botocore_session().create_client(service, config=config)
    return cached


def warm_up(services: Iterable[str]) -> None:
    """Create the clients for ``services`` now (init time); a failure is left for the first request to report."""
    for service in services:
        try:
            client(service)
        except Exception:  # noqa: S112 - the request that needs the client reports the error
            continue


def reset_clients() -> None:
    """Forget cached clients and the session (tests)."""
    _clients.clear()
    _session.clear()


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (duck-typed), else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error")
        if isinstance(error, Mapping):
            code = error.get("Code")
            if isinstance(code, str):
                return code
    return None


def is_aws_error(exc: BaseException) -> bool:
    """True for errors raised by botocore (service errors, timeouts, connection errors)."""
    if error_code(exc) is not None:
        return True
    try:
        from botocore.exceptions import BotoCoreError
    except ImportError:  # pragma: no cover - botocore ships with the runtime
        return False
    return isinstance(exc, BotoCoreError)


def is_retryable(exc: BaseException) -> bool:
    """Throttling, AWS-side faults, timeouts and connection errors."""
    code = error_code(exc)
    if code is not None:
        return code in RETRYABLE_CODES
    return is_aws_error(exc)

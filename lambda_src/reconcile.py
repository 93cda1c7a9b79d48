"""Lambda entry point of the reconciler (Terraform ``handler = "reconcile.handler"``), run on a schedule.

Lists the Stripe events that were not delivered and stores them as deliveries
would be (see :mod:`webhook.reconcile.run`).  Returns and logs one JSON line of
counts; a refused key or a persistent Stripe failure raises, so the run fails.
"""

from __future__ import annotations

from typing import Any

from webhook.logline import format_record, write_line
from webhook.reconcile import wiring


def handler(event: Any, context: Any) -> dict[str, int]:
    counts = wiring.from_environment().run().as_dict()
    write_line(format_record(counts))
    return counts

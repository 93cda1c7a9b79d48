"""Operator CLIs of the payment webhook receiver.

``python -m webhook_cli.send`` (a signed delivery of any provider), ``.replay`` (re-drive
the quarantine), ``.status`` (one payment's current status and event history), ``.demo``
(`make demo`). ``webhook_cli.signing`` is the one place that signs each provider's
deliveries, with the providers' own SDKs.
"""

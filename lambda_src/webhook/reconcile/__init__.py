"""Reconciliation: events Stripe failed to deliver, listed from its events API and stored like deliveries."""

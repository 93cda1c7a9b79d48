"""Peer: the receiver written the seed's way (shared/seed-000_*.txt, its "IDEAL_RESPONSE" fix).

`json.loads` makes binary floats, `convert_floats_to_decimal` turns them into
`Decimal(str(float))` for boto3's resource API, and the item is written with an
unconditional `put_item` (a re-delivery overwrites).  No signature check: the
seed had none.  The only change to the seed's code is `eventId` (the
`webhook-id` header) in the item, because the benchmark's table has the
contract's key (transactionId + eventId).

Benchmark-only: never part of the Lambda zip.
"""

import json
import logging
import os
from datetime import datetime
from decimal import Decimal

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table(os.environ["TABLE_NAME"])


def convert_floats_to_decimal(obj):
    """Recursively convert float values to Decimal for DynamoDB compatibility."""
    if isinstance(obj, float):
        return Decimal(str(obj))
    elif isinstance(obj, dict):
        return {k: convert_floats_to_decimal(v) for k, v in obj.items()}
    elif isinstance(obj, list):
        return [convert_floats_to_decimal(item) for item in obj]
    return obj


def handler(event, context):
    try:
        event_body = json.loads(event["body"]) if "body" in event else event
        headers = event.get("headers") or {}
        transaction_id = event_body.get("transactionId")
        if not transaction_id:
            return {"statusCode": 400, "body": json.dumps({"message": "transactionId is required"})}

        transaction_record = {
            "transactionId": transaction_id,
            "eventId": headers.get("webhook-id", "none"),
            "amount": convert_floats_to_decimal(event_body.get("amount", 0)),
            "currency": event_body.get("currency", "USD"),
            "status": event_body.get("status", "unknown"),
            "provider": event_body.get("provider", "unknown"),
            "timestamp": event_body.get("timestamp", datetime.utcnow().isoformat()),
            "processedAt": datetime.utcnow().isoformat(),
            "rawEvent": json.dumps(event_body),
        }

        # Store transaction in DynamoDB
        table.put_item(Item=transaction_record)
        logger.info(f"Successfully processed transaction: {transaction_id}")
        return {
            "statusCode": 200,
            "body": json.dumps({"message": "Transaction processed successfully", "transactionId": transaction_id}),
        }
    except Exception as e:
        logger.error(f"Error processing transaction: {e!s}")
        return {"statusCode": 500, "body": json.dumps({"message": "Error processing transaction"})}

# One DynamoDB table, on-demand, with point-in-time recovery and SSE under the
# stack's CMK. The stack uses it twice:
# - transactions: one item per delivered event, transactionId (partition) +
#   eventId (sort, the webhook-id / provider event id), so every event of a
#   transaction is kept and a re-delivery is refused by a conditional write;
# - payments: one item per payment, transactionId alone (range_key = null),
#   holding the current status (docs/behaviour.md, "Payment status").
locals {
  key_attributes = var.range_key == null ? [var.hash_key] : [var.hash_key, var.range_key]
}

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.hash_key
  range_key                   = var.range_key
  deletion_protection_enabled = var.deletion_protection_enabled
  stream_enabled              = var.stream_view_type != null
  stream_view_type            = var.stream_view_type

  dynamic "attribute" {
    for_each = local.key_attributes
    content {
      name = attribute.value
      type = "S"
    }
  }

  # Expiry of event items (input ttl_attribute_name): DynamoDB deletes an item some
  # time after the Unix seconds it holds; a deletion is a stream REMOVE record.
  dynamic "ttl" {
    for_each = var.ttl_attribute_name == null ? [] : [var.ttl_attribute_name]
    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

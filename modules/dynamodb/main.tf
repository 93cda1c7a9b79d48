# One item per delivered event: transactionId (partition) + eventId (sort, the
# webhook-id header), so every event of a transaction is kept and a
# re-delivered event can be refused by a conditional write.
resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "transactionId"
  range_key                   = "eventId"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "transactionId"
    type = "S"
  }

  attribute {
    name = "eventId"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

variable "name" {
  description = "Name of the table."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key used for server-side encryption."
  type        = string
}

variable "deletion_protection_enabled" {
  description = "Whether the table refuses deletion."
  type        = bool
  default     = false
}

variable "hash_key" {
  description = "Partition key attribute (type S)."
  type        = string
  default     = "transactionId"
  nullable    = false
}

variable "range_key" {
  description = "Sort key attribute (type S); null = a table with a partition key only."
  type        = string
  default     = "eventId"
}

variable "ttl_attribute_name" {
  description = "Attribute holding each item's expiry (Unix seconds) for DynamoDB TTL; null = items never expire."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every taggable resource of this module."
  type        = map(string)
  default     = {}
}

variable "stream_view_type" {
  description = "DynamoDB Streams view of the table (NEW_IMAGE, NEW_AND_OLD_IMAGES, ...); null = no stream."
  type        = string
  default     = null
}

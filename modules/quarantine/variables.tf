variable "name" {
  description = "Name of the quarantine queue (carries the environment suffix)."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the queue (SSE-KMS)."
  type        = string
}

variable "message_retention_seconds" {
  description = "How long a quarantined event is kept, in seconds. Default and maximum: 14 days (1209600)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.message_retention_seconds >= 86400 && var.message_retention_seconds <= 1209600 && floor(var.message_retention_seconds) == var.message_retention_seconds
    error_message = "message_retention_seconds must be a whole number between 86400 (1 day) and 1209600 (14 days)."
  }
}

variable "visibility_timeout_seconds" {
  description = "How long a message received by the replay tool stays hidden from other readers, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.visibility_timeout_seconds >= 30 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 30 and 43200."
  }
}

variable "kms_data_key_reuse_period_seconds" {
  description = "How long SQS reuses a data key before asking KMS again, in seconds (60-86400); fewer KMS calls, same key."
  type        = number
  default     = 300

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "kms_data_key_reuse_period_seconds must be between 60 and 86400."
  }
}

variable "operator_role_arns" {
  description = "IAM role ARNs that may receive (and so replay or delete) quarantined events; everyone else is denied by the queue policy. Empty: nobody receives."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.operator_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", arn))])
    error_message = "operator_role_arns must hold IAM role ARNs (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "tags" {
  description = "Tags of every taggable resource of this module."
  type        = map(string)
  default     = {}
}

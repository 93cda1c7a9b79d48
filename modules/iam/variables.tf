variable "role_name" {
  description = "Name of the function's execution role."
  type        = string
}

variable "table_arn" {
  description = "ARN of the transactions table the function writes to."
  type        = string
}

variable "log_group_name" {
  description = "Name of the function's log group."
  type        = string
}

variable "secret_parameter_name" {
  description = "Name of the SSM parameter holding the signing secrets."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the secret and the environment."
  type        = string
}

variable "quarantine_queue_arn" {
  description = "ARN of the quarantine queue the function may send refused events to; null = no quarantine statement."
  type        = string
  default     = null
}

variable "function_name" {
  description = "Name of the function."
  type        = string
}

variable "source_dir" {
  description = "Directory with the function's code, zipped as it is."
  type        = string
}

variable "package_output_path" {
  description = "Where the zip is written (a build directory that is not committed)."
  type        = string
}

variable "runtime" {
  description = "Lambda Python runtime."
  type        = string
  default     = "python3.13"
}

variable "role_arn" {
  description = "ARN of the execution role."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the KMS key for the environment, the log group and the secret parameter."
  type        = string
}

variable "log_group_name" {
  description = "Name of the log group, `/aws/lambda/<function name>`."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the log group in days."
  type        = number
  default     = 30
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Timeout in seconds (at most 30)."
  type        = number
  default     = 15

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 30
    error_message = "timeout must be between 1 and 30 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions."
  type        = number
  default     = 100
}

variable "table_name" {
  description = "Name of the transactions table (TABLE_NAME)."
  type        = string
}

variable "secret_parameter_name" {
  description = "Name of the SecureString parameter that holds the signing secrets (WEBHOOK_SECRET_PARAM)."
  type        = string
}

variable "signature_tolerance_seconds" {
  description = "Allowed clock skew of webhook-timestamp (SIGNATURE_TOLERANCE_SECONDS)."
  type        = number
  default     = 300
}

variable "quarantine_queue_url" {
  description = "URL of the SQS queue that keeps authentic but refused events (QUARANTINE_QUEUE_URL); empty = no quarantine."
  type        = string
  default     = ""
  nullable    = false
}

variable "role_name" {
  description = "Name of the function's execution role."
  type        = string
}

variable "table_arn" {
  description = "ARN of the transactions table the function writes to."
  type        = string
}

variable "payments_table_arn" {
  description = "ARN of the payments table (current status per payment) the function writes to; null = no such statement."
  type        = string
  default     = null
}

variable "log_group_name" {
  description = "Name of the function's log group."
  type        = string
}

variable "secret_parameter_names" {
  description = "Names of the SSM SecureString parameters holding the enabled providers' signing secrets; the role may read exactly these."
  type        = list(string)

  validation {
    condition     = length(var.secret_parameter_names) > 0
    error_message = "secret_parameter_names must name at least one parameter."
  }
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

variable "tags" {
  description = "Tags of every taggable resource of this module."
  type        = map(string)
  default     = {}
}

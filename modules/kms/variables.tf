variable "alias_name" {
  description = "Alias of the key, starting with `alias/`."
  type        = string

  validation {
    condition     = startswith(var.alias_name, "alias/") && !startswith(var.alias_name, "alias/aws/")
    error_message = "alias_name must start with alias/ and must not use the reserved alias/aws/ prefix."
  }
}

variable "description" {
  description = "Description of the key."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days between `terraform destroy` and the key's deletion (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "rotation_period_in_days" {
  description = "Days between automatic rotations of the key material (90-2560)."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560
    error_message = "rotation_period_in_days must be between 90 and 2560."
  }
}

variable "log_group_names" {
  description = "CloudWatch log groups (in this region) that may encrypt with the key."
  type        = list(string)
  default     = []
}

variable "services" {
  description = "AWS services (endpoint prefixes) that may use the key on behalf of principals of this account."
  type        = list(string)
  default     = ["lambda", "dynamodb", "ssm", "sqs"]
}

variable "tags" {
  description = "Tags of every taggable resource of this module."
  type        = map(string)
  default     = {}
}

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
  description = "AWS services (endpoint prefixes) that may use the key on behalf of principals of this account. `ssm` only encrypts for the account; decryption through SSM is for secret_reader_role_arns and operator_role_arns alone."
  type        = list(string)
  default     = ["lambda", "dynamodb", "ssm", "sqs"]
}

variable "secret_reader_role_arns" {
  description = "IAM role ARNs (the functions' execution roles) that decrypt the stack's SSM SecureStrings through SSM. More function roles are added to this list."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.secret_reader_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", arn))])
    error_message = "secret_reader_role_arns must hold IAM role ARNs (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "operator_role_arns" {
  description = "IAM role ARNs of the operators who may read the SSM SecureStrings back (besides the secret readers). Putting a secret needs no entry here."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.operator_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", arn))])
    error_message = "operator_role_arns must hold IAM role ARNs (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "deployer_arn" {
  description = "The principal that applies the stack (a role's ARN, not its session's; or a user's). Terraform's refresh reads the SSM SecureStrings with decryption, so it may decrypt through SSM as well. Null: nobody besides the lists above."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every taggable resource of this module."
  type        = map(string)
  default     = {}
}

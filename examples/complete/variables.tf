variable "environment_suffix" {
  description = "Suffix of every resource name."
  type        = string
  default     = "prod"
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "deploy_role_arn" {
  description = "Role the provider assumes to deploy (null: the environment's credentials as they are)."
  type        = string
  default     = null
}

variable "allowed_account_ids" {
  description = "Accounts the provider may deploy into (null: any); a guard against the wrong credentials."
  type        = list(string)
  default     = null
}

variable "default_tags" {
  description = "The organisation's tags, applied by the provider to every resource."
  type        = map(string)
  default     = { Owner = "payments-team" }
}

variable "operator_role_arns" {
  description = "Roles of the people who may read the signing secrets back and replay quarantined events."
  type        = list(string)
  default     = []
}

variable "name" {
  description = "Prefix of the resource names (the stack's name with its environment suffix); the function is <name>-reconciler."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the stack's customer-managed key (API-key parameter, log group, function environment)."
  type        = string
}

variable "package_path" {
  description = "Path of the function zip (the receiver's; the reconciler is reconcile.handler in it)."
  type        = string
}

variable "package_base64sha256" {
  description = "Base64 SHA-256 of the zip, so a code change redeploys the reconciler."
  type        = string
}

variable "runtime" {
  description = "Python runtime of the reconciler (the receiver's)."
  type        = string
}

variable "memory_size" {
  description = "Memory of the reconciler in MB."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Reconciler timeout in seconds. A run lists up to 30 days of undelivered events, 100 per page, each page stored (two writes per event) before the next is requested, with up to four attempts and backoff per page; 5 minutes leaves room for many pages."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 30 && var.timeout <= 900
    error_message = "timeout must be between 30 and 900 seconds."
  }
}

variable "log_retention_days" {
  description = "Retention of the reconciler's log group in days."
  type        = number
  default     = 30
}

variable "transactions_table_name" {
  description = "Name of the transactions table (TABLE_NAME)."
  type        = string
}

variable "payments_table_name" {
  description = "Name of the payment-status table (PAYMENTS_TABLE_NAME)."
  type        = string
}

variable "quarantine_queue_url" {
  description = "URL of the quarantine queue for refused events (QUARANTINE_QUEUE_URL); null = none."
  type        = string
  default     = null
}

variable "quarantine_queue_arn" {
  description = "ARN of the quarantine queue (SendMessage only on it); null = none."
  type        = string
  default     = null
}

variable "event_retention_days" {
  description = "EVENT_RETENTION_DAYS, as the receiver's (items expire after it); null = kept forever."
  type        = number
  default     = null
}

variable "api_key_parameter_name" {
  description = "Name of the SecureString that holds the restricted Stripe API key (Events read); Terraform creates it with a placeholder, the operator puts the key."
  type        = string
}

variable "api_key_parameter_description" {
  description = "Description of the API-key parameter."
  type        = string
  default     = "Restricted Stripe API key (rk_..., read access to Events only) of the reconciler."
}

variable "api_base" {
  description = "STRIPE_API_BASE: base URL of Stripe's API."
  type        = string
  default     = "https://api.stripe.com"
}

variable "api_version" {
  description = "STRIPE_API_VERSION: sent as Stripe-Version (the webhook endpoint's API version, so listed events have the shape deliveries have); null = the account's default."
  type        = string
  default     = null
}

variable "lookback_seconds" {
  description = "RECONCILE_LOOKBACK_SECONDS: how far back each run lists undelivered events (30 days = as long as Stripe keeps events)."
  type        = number
  default     = 2592000
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression of the runs, e.g. rate(1 hour) or cron(15 * * * ? *)."
  type        = string
  default     = "rate(1 hour)"
}

variable "tags" {
  description = "Tags of every taggable resource."
  type        = map(string)
  default     = {}
}

variable "application_log_level" {
  description = "Lambda's filter for the function's own log lines (JSON log format). Its JSON line carries no level, so Lambda counts it as INFO: TRACE, DEBUG or INFO keep it."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO"], var.application_log_level)
    error_message = "application_log_level must be TRACE, DEBUG or INFO: the function's JSON line counts as INFO."
  }
}

variable "system_log_level" {
  description = "Lambda's filter for its own platform events (JSON log format): WARN drops the START, END and REPORT events of every invocation; INFO or DEBUG keep them."
  type        = string
  default     = "WARN"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}

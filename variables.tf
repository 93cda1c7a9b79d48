variable "environment_suffix" {
  description = "Suffix that makes every named resource unique per environment, e.g. `dev`, `prod`, `pr-142`. 1-20 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.environment_suffix))
    error_message = "environment_suffix must be 1-20 characters of lower-case letters, digits and hyphens, start with a letter and not end with a hyphen (it becomes part of every resource name)."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; the environment suffix is appended."
  type        = string
  default     = "payment-webhook"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the function: both its floor and its ceiling. null = unreserved (for accounts whose concurrency quota is below 200: Lambda keeps at least 100 unreserved, and a plan warns when the reservation cannot fit the account's quota)."
  type        = number
  default     = 100

  validation {
    condition     = var.reserved_concurrency == null ? true : var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be null (unreserved) or a whole number of at least 1."
  }
}

variable "enabled_providers" {
  description = "Payment providers the Function URL accepts, each on its own path: `standard` (Standard Webhooks, `/` and `/standard`), `stripe` (`/stripe`), `adyen` (`/adyen`). Each gets its own SecureString; a provider left out has no parameter, no environment variable and no permission, and its path answers 404."
  type        = set(string)
  default     = ["standard", "stripe", "adyen"]
  nullable    = false

  validation {
    condition     = length(var.enabled_providers) > 0 && length(setsubtract(var.enabled_providers, ["standard", "stripe", "adyen"])) == 0
    error_message = "enabled_providers must name at least one provider, each one of \"standard\", \"stripe\" or \"adyen\"."
  }
}

variable "lambda_timeout_seconds" {
  description = "Function timeout in seconds. Payment providers time out after 10-30 s, so the function must answer well within that."
  type        = number
  default     = 15

  validation {
    condition     = var.lambda_timeout_seconds >= 3 && var.lambda_timeout_seconds <= 30
    error_message = "lambda_timeout_seconds must be between 3 and 30."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the function in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the function (3.12 or newer)."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.12", "python3.13", "python3.14"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.12, python3.13 or python3.14."
  }
}

variable "signature_tolerance_seconds" {
  description = "How far a webhook-timestamp may lie in the past or the future before the request is rejected as a replay."
  type        = number
  default     = 300

  validation {
    condition     = var.signature_tolerance_seconds >= 30 && var.signature_tolerance_seconds <= 3600
    error_message = "signature_tolerance_seconds must be between 30 and 3600."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the customer-managed KMS key is deleted after `terraform destroy`."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "table_deletion_protection" {
  description = "Turn on DynamoDB deletion protection. Off by default so every environment can be destroyed; turn it on for production."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every taggable resource, besides Project, Environment and ManagedBy (a caller's provider default_tags apply too)."
  type        = map(string)
  default     = {}
}

variable "quarantine_retention_days" {
  description = "Days an authentic but refused event stays in the quarantine queue for replay (1-14; SQS keeps messages at most 14 days)."
  type        = number
  default     = 14

  validation {
    condition     = var.quarantine_retention_days >= 1 && var.quarantine_retention_days <= 14 && floor(var.quarantine_retention_days) == var.quarantine_retention_days
    error_message = "quarantine_retention_days must be a whole number between 1 and 14."
  }
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify (alarm and recovery). Default null: the alarms exist but notify nobody."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be null or the ARN of an SNS topic (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "silence_alarm_hours" {
  description = "An enabled provider that stored no event for this many hours raises its `<provider>-silent` alarm (1-168). A provider that stops sending (endpoint disabled after repeated failures) otherwise looks like a quiet day."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.silence_alarm_hours >= 1 && var.silence_alarm_hours <= 168 && floor(var.silence_alarm_hours) == var.silence_alarm_hours
    error_message = "silence_alarm_hours must be a whole number of hours between 1 and 168."
  }
}

variable "silence_alarm_hours_by_provider" {
  description = "Per-provider override of `silence_alarm_hours`, e.g. `{ adyen = 168 }` for a quiet test account; 0 = no silence alarm for that provider."
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for provider, hours in var.silence_alarm_hours_by_provider : contains(["standard", "stripe", "adyen"], provider) && hours >= 0 && hours <= 168 && floor(hours) == hours])
    error_message = "silence_alarm_hours_by_provider keys must be standard, stripe or adyen, and each value a whole number of hours between 0 (no alarm) and 168."
  }
}

variable "signature_rejection_alarm_percent" {
  description = "Share of a provider's requests (percent, per 5-minute period) answered 401 above which its `<provider>-signature-rejections` alarm fires: a wrong or half-rotated secret."
  type        = number
  default     = 20

  validation {
    condition     = var.signature_rejection_alarm_percent > 0 && var.signature_rejection_alarm_percent < 100
    error_message = "signature_rejection_alarm_percent must be above 0 and below 100."
  }
}

variable "signature_rejection_alarm_min_requests" {
  description = "Requests a provider must receive in a 5-minute period before its 401 share counts (the silence alarm covers quieter endpoints)."
  type        = number
  default     = 5

  validation {
    condition     = var.signature_rejection_alarm_min_requests >= 1 && floor(var.signature_rejection_alarm_min_requests) == var.signature_rejection_alarm_min_requests
    error_message = "signature_rejection_alarm_min_requests must be a whole number of at least 1."
  }
}

variable "quarantine_age_alarm_hours" {
  description = "Age (hours) of the oldest quarantined event above which `quarantine-oldest-age` fires; must be below `quarantine_retention_days`. null = half the retention (7 days of 14)."
  type        = number
  default     = null

  validation {
    condition     = var.quarantine_age_alarm_hours == null || try(var.quarantine_age_alarm_hours >= 1 && floor(var.quarantine_age_alarm_hours) == var.quarantine_age_alarm_hours, false)
    error_message = "quarantine_age_alarm_hours must be null or a whole number of hours of at least 1."
  }
}

variable "dashboard_enabled" {
  description = "Create the CloudWatch dashboard: alarm states, per provider deliveries by outcome, duration p50/p99, quarantine depth and age (plus the publisher and reconciler once wired)."
  type        = bool
  default     = true
  nullable    = false
}

variable "event_retention_days" {
  description = "Days each stored event is kept before DynamoDB's TTL deletes it (items carry expiresAt); null keeps events forever. Payment-status items never expire. Storage and point-in-time recovery are billed per GB-month, so a bounded retention bounds the bill; keep at least as long as disputes and audits need (Stripe disputes arrive up to 120 days later)."
  type        = number
  default     = null

  validation {
    condition     = var.event_retention_days == null ? true : (floor(var.event_retention_days) == var.event_retention_days && var.event_retention_days >= 1 && var.event_retention_days <= 36500)
    error_message = "event_retention_days must be null or a whole number of days from 1 to 36500."
  }
}

variable "event_bus_enabled" {
  description = "Publish every stored event and status change on a custom EventBridge bus (with an archive) besides the SQS FIFO queue."
  type        = bool
  default     = true
}

variable "event_archive_retention_days" {
  description = "Days the event bus archive keeps events for EventBridge's StartReplay (0 = forever)."
  type        = number
  default     = 30

  validation {
    condition     = var.event_archive_retention_days >= 0 && floor(var.event_archive_retention_days) == var.event_archive_retention_days
    error_message = "event_archive_retention_days must be a whole number of days, 0 or more."
  }
}

variable "publisher_batch_size" {
  description = "Stream records per publisher invocation (1-1000)."
  type        = number
  default     = 100

  validation {
    condition     = var.publisher_batch_size >= 1 && var.publisher_batch_size <= 1000
    error_message = "publisher_batch_size must be between 1 and 1000."
  }
}

variable "publisher_maximum_retry_attempts" {
  description = "Retries of a failing stream batch before its unpublished range goes to the on-failure queue (0-10000)."
  type        = number
  default     = 10

  validation {
    condition     = var.publisher_maximum_retry_attempts >= 0 && var.publisher_maximum_retry_attempts <= 10000
    error_message = "publisher_maximum_retry_attempts must be between 0 and 10000."
  }
}

variable "publisher_maximum_record_age_seconds" {
  description = "Age (seconds, 60-86400) after which an unpublished stream record goes to the on-failure queue; stream records expire after 24 h."
  type        = number
  default     = 21600

  validation {
    condition     = var.publisher_maximum_record_age_seconds >= 60 && var.publisher_maximum_record_age_seconds <= 86400
    error_message = "publisher_maximum_record_age_seconds must be between 60 and 86400."
  }
}

variable "stripe_reconciliation_enabled" {
  description = "Run the Stripe reconciler on a schedule (with `stripe` in enabled_providers): it lists the events Stripe failed to deliver and stores them like deliveries. Needs a restricted API key put in the `stripe_api_key_parameter_name` parameter."
  type        = bool
  default     = false
  nullable    = false
}

variable "stripe_reconcile_schedule" {
  description = "EventBridge Scheduler expression of the reconciler's runs."
  type        = string
  default     = "rate(1 hour)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.stripe_reconcile_schedule))
    error_message = "stripe_reconcile_schedule must be a rate(...) or cron(...) expression."
  }
}

variable "stripe_api_base" {
  description = "Base URL of Stripe's API the reconciler calls."
  type        = string
  default     = "https://api.stripe.com"
  nullable    = false

  validation {
    condition     = can(regex("^https://", var.stripe_api_base))
    error_message = "stripe_api_base must be an https URL."
  }
}

variable "stripe_api_version" {
  description = "Stripe API version the reconciler sends (Stripe-Version): the webhook endpoint's, so listed events have the shape deliveries have. null = the account's default."
  type        = string
  default     = null
}

variable "operator_role_arns" {
  description = "IAM role ARNs of the operators: the only principals besides the functions that may decrypt the signing secrets through SSM, and the only ones that may receive (replay) quarantined events. Empty: no one but the functions reads a secret, and nobody receives from the quarantine."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.operator_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", arn))])
    error_message = "operator_role_arns must hold IAM role ARNs (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "lambda_application_log_level" {
  description = "Lambda log-level filter for the functions' own lines (log format JSON; the receiver, the publisher and the reconciler): TRACE, DEBUG or INFO. Their JSON lines have no level field, so Lambda counts it as INFO; the delivery metrics and alarms read that line."
  type        = string
  default     = "INFO"
  nullable    = false
}

variable "lambda_system_log_level" {
  description = "Lambda log-level filter for its platform events of the three functions (log format JSON): WARN (default) drops START, END and REPORT of every invocation (README: what it saves per event); INFO keeps them."
  type        = string
  default     = "WARN"
  nullable    = false
}

# Fixed file mode and no generated files keep the zip's hash the same on every
# machine and run, so a plan shows no spurious code change.
locals {
  package_excludes = ["__pycache__", "**/__pycache__", "*.pyc", "**/*.pyc", ".mypy_cache", "**/.mypy_cache", "README.md"]
}

# Read at plan time: the package's hash (the functions' source_code_hash, known in
# the plan). It writes its zip at plan time, on the runner that plans.
data "archive_file" "this" {
  type             = "zip"
  source_dir       = var.source_dir
  output_path      = var.package_output_path
  output_file_mode = "0644"
  excludes         = local.package_excludes
}

# What the functions upload: the same zip, built again at apply time on the runner
# that applies. A saved plan carries the configuration, not build outputs, so
# `terraform plan -out` on one runner and `terraform apply <plan>` on a fresh one
# found no zip. The path carries the package's hash: a code change replaces this
# resource, whose Create writes the zip (same source, same bytes) before the
# functions that read it are created or updated. README "Saved plans".
resource "archive_file" "package" {
  type             = "zip"
  source_dir       = var.source_dir
  output_path      = "${trimsuffix(var.package_output_path, ".zip")}-${substr(data.archive_file.this.output_sha256, 0, 16)}.zip"
  output_file_mode = "0644"
  excludes         = local.package_excludes
}

# One SecureString per enabled provider, encrypted with the stack's key. Terraform
# creates it with a placeholder and the operator puts the real secret
# (`secret_put_commands`: --key-id <the stack's key> --value file://...).
# `value_wo` is write-only: sent once at create, never stored; the provider's
# refresh reads the parameter with decryption but keeps no value in state while
# `has_value_wo` is true. Until the secret is put, requests on that path answer
# 500 secret_unavailable, never 2xx.
#
# Day 2. The provider's Update re-puts the value on any change except tags, and
# it has none to put (value_wo is only sent when value_wo_version changes; the
# state's value is empty): an edited description, a key_id that drifted (an
# operator's put without --key-id moves the parameter to aws/ssm), tier or type
# would make every later apply fail, and a value_wo_version that changes
# (`terraform import` leaves it null) writes the placeholder over the live
# secret (internal/service/ssm/parameter.go). So after create Terraform manages
# only the name (a rename replaces the parameter: put the secret again) and the
# tags; the check below says when the key is no longer the stack's.
# README "Secrets: day-2 operations".
resource "aws_ssm_parameter" "secret" {
  for_each = var.secret_parameters

  name             = each.value.name
  description      = each.value.description
  type             = "SecureString"
  key_id           = var.kms_key_arn
  value_wo         = "unset"
  value_wo_version = 1

  tags = var.tags

  lifecycle {
    ignore_changes = [description, key_id, type, tier, allowed_pattern, data_type, value_wo_version]
  }
}

# Before the providers were selectable the stack had one parameter.
moved {
  from = aws_ssm_parameter.secret
  to   = aws_ssm_parameter.secret["standard"]
}

# ignore_changes keeps applies working when the key drifted; this says so
# instead of hiding it (a warning: the function still reads the secret).
check "secrets_use_the_stack_key" {
  assert {
    condition = alltrue([for parameter in aws_ssm_parameter.secret : parameter.key_id == var.kms_key_arn])
    error_message = format(
      "These signing-secret parameters are not encrypted with the stack's key (%s): %s. Put each again with its secret_put_commands entry (it passes --key-id).",
      var.kms_key_arn,
      join(", ", [for parameter in aws_ssm_parameter.secret : "${parameter.name} (${parameter.key_id})" if parameter.key_id != var.kms_key_arn]),
    )
  }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days input, 30 days by default as the stack's contract requires; these are operational logs without payment data or secrets (the durable record is the DynamoDB table with point-in-time recovery). Raise it per environment where an audit policy asks for a year.
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:A DLQ only receives failed asynchronous invocations; a Function URL invokes synchronously, so a failure is a 5xx the payment provider sees and retries (its own retry queue is the dead-letter path).
  #checkov:skip=CKV_AWS_117:No VPC resource to reach: the function calls only AWS APIs (DynamoDB, SSM, KMS, SQS, X-Ray, CloudWatch Logs) over TLS with IAM-signed requests; a VPC would need a NAT gateway or an interface endpoint per service and add cold-start latency without reducing exposure.
  #checkov:skip=CKV_AWS_272:The package is zipped from the reviewed repository by this same apply and pinned by source_code_hash; Lambda code signing needs an AWS Signer profile and signed S3 artifacts from a separate pipeline, which this stack does not have (optional hardening, tracked outside this module).
  function_name    = var.function_name
  description      = "Verifies, validates and stores signed payment webhooks."
  role             = var.role_arn
  filename         = archive_file.package.output_path
  source_code_hash = data.archive_file.this.output_base64sha256
  handler          = "handler.handler"
  runtime          = var.runtime
  architectures    = ["arm64"]
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  # null = unreserved (the provider's -1).
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = merge(
      {
        TABLE_NAME                  = var.table_name
        SIGNATURE_TOLERANCE_SECONDS = tostring(var.signature_tolerance_seconds)
        # Empty = no quarantine (the handler treats an empty value as unset).
        QUARANTINE_QUEUE_URL = var.quarantine_queue_url
      },
      # WEBHOOK_SECRET_PARAM / STRIPE_SECRET_PARAM / ADYEN_HMAC_KEY_PARAM, only
      # for the enabled providers: an unset variable turns that path off (404).
      { for key, parameter in var.secret_parameters : parameter.environment_variable => aws_ssm_parameter.secret[key].name },
      var.payments_table_name == "" ? {} : { PAYMENTS_TABLE_NAME = var.payments_table_name },
      var.event_retention_days == null ? {} : { EVENT_RETENTION_DAYS = tostring(var.event_retention_days) },
    )
  }

  tracing_config {
    mode = "Active"
  }

  # JSON: Lambda's own platform events become JSON and are filtered by
  # system_log_level (WARN drops START/END/REPORT, about 0.4 KB per request);
  # the function's request line is already one JSON object on stdout, which
  # Lambda ships unchanged and, having no "level" key, counts as INFO - so
  # application_log_level must stay INFO or lower, or the metric filters and
  # every alarm on them go blind (validated in variables.tf).
  logging_config {
    log_format            = "JSON"
    application_log_level = var.application_log_level
    system_log_level      = var.system_log_level
    log_group             = aws_cloudwatch_log_group.this.name
  }

  # The log group must exist (with its retention and key) before the first
  # invocation could create an unencrypted one.
  depends_on = [aws_cloudwatch_log_group.this]

  tags = var.tags
}

# Function URL permissions. With authorization_type NONE the aws provider's
# CreateFunctionUrlConfig itself calls AddPermission twice, with the statement
# ids FunctionURLAllowPublicAccess and FunctionURLAllowInvokeAction, and goes on
# when a statement with that id already exists (internal/service/lambda/
# function_url.go, hashicorp/aws >= 6.28). Terraform does not track those
# writes. So the stack declares exactly those two statements itself, under the
# provider's ids, and creates them before the URL: the provider then finds them
# ("already exists") and adds nothing, each permission exists once, nothing
# races on the function's policy, and Terraform owns (and on destroy removes)
# both. See README "Function URL permissions".
resource "aws_lambda_permission" "function_url_public_access" {
  #checkov:skip=CKV_AWS_301:This is the public Function URL itself (auth type NONE is required for third-party webhook senders); the permission is limited to lambda:InvokeFunctionUrl with function_url_auth_type NONE, and the handler rejects every request without a valid signature (401).
  statement_id           = "FunctionURLAllowPublicAccess"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "function_url_invoke_action" {
  #checkov:skip=CKV_AWS_301:Since October 2025 a public Function URL also needs lambda:InvokeFunction; invoked_via_function_url = true restricts this statement to calls arriving through the Function URL, so the function cannot be invoked directly through the Lambda API by anyone outside the account.
  statement_id             = "FunctionURLAllowInvokeAction"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.this.function_name
  principal                = "*"
  invoked_via_function_url = true
}

resource "aws_lambda_function_url" "this" {
  #checkov:skip=CKV_AWS_258:Payment providers cannot sign requests with AWS SigV4 (AWS_IAM); every request is authenticated by the provider's HMAC-SHA256 signature over the raw body, verified in constant time before anything is parsed or stored (docs/behaviour.md, "Receiving a delivery" and "Providers").
  function_name      = aws_lambda_function.this.function_name
  authorization_type = "NONE" # the webhook signature is the authentication
  invoke_mode        = "BUFFERED"

  # Our statements first, so the provider's own AddPermission calls find them.
  depends_on = [
    aws_lambda_permission.function_url_public_access,
    aws_lambda_permission.function_url_invoke_action,
  ]
}

moved {
  from = aws_lambda_permission.invoke_function_url
  to   = aws_lambda_permission.function_url_public_access
}

moved {
  from = aws_lambda_permission.invoke_via_function_url
  to   = aws_lambda_permission.function_url_invoke_action
}

# Lambda refuses a reservation that leaves the account fewer than 100 unreserved
# concurrent executions (InvalidParameterValueException "... below its minimum
# value of [100]"), and the function is then left tainted. New accounts often
# have a quota of 10, where no reservation is possible at all. This check reads
# the account's quota at plan time and warns; it never fails the plan (a check
# block's findings, and a failure of its data source, are warnings).
check "reserved_concurrency_fits_the_account" {
  data "aws_servicequotas_service_quota" "concurrent_executions" {
    service_code = "lambda"
    quota_code   = "L-B99A9384" # Concurrent executions
  }

  assert {
    condition = var.reserved_concurrency == null ? true : data.aws_servicequotas_service_quota.concurrent_executions.value - var.reserved_concurrency >= 100
    error_message = var.reserved_concurrency == null ? "" : format(
      "reserved_concurrency = %d will fail to apply: this account's Lambda concurrency quota (Service Quotas L-B99A9384) is %d, and Lambda keeps at least 100 unreserved, so at most %d can be reserved (less if other functions reserve some). Set reserved_concurrency = null (unreserved) or at most %d, or request a quota increase in Service Quotas before applying.",
      var.reserved_concurrency,
      data.aws_servicequotas_service_quota.concurrent_executions.value,
      max(data.aws_servicequotas_service_quota.concurrent_executions.value - 100, 0),
      max(data.aws_servicequotas_service_quota.concurrent_executions.value - 100, 0),
    )
  }
}

# The check above cannot tell this account's quota from AWS's default: when
# GetServiceQuota answers NoSuchResource (no applied quota recorded), the aws
# provider keeps the value of GetAWSDefaultServiceQuota without saying so - and
# then the check passes on exactly the small accounts it exists for. The applied
# quota's ARN names the account; the default's has an empty account field
# (arn:aws:servicequotas:<region>::lambda/L-B99A9384), so this says which one the
# check used. A warning, like the check above.
check "applied_concurrency_quota_was_read" {
  data "aws_servicequotas_service_quota" "applied_or_default" {
    service_code = "lambda"
    quota_code   = "L-B99A9384" # Concurrent executions
  }

  assert {
    condition = var.reserved_concurrency == null || split(":", data.aws_servicequotas_service_quota.applied_or_default.arn)[4] != ""
    error_message = format(
      "Could not read this account's applied Lambda concurrency quota (Service Quotas GetServiceQuota for L-B99A9384 answered NoSuchResource), so the reserved_concurrency check used AWS's default of %d, which may not be this account's quota (new accounts often have 10). Read the real one with `aws lambda get-account-settings --query AccountLimit.ConcurrentExecutions` before applying reserved_concurrency = %s.",
      data.aws_servicequotas_service_quota.applied_or_default.default_value,
      var.reserved_concurrency == null ? "null" : tostring(var.reserved_concurrency),
    )
  }
}

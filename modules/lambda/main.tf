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

# The signing secrets: one SSM SecureString per enabled provider, named here and
# given to the function by name. Terraform does not create or read them: the
# operator puts each one (`secret_put_commands`: --type SecureString --key-id
# <the stack's key> --value file://...). The aws provider's aws_ssm_parameter
# reads the value back with decryption on every refresh (so the planning role
# would need kms:Decrypt on what signs money), `terraform import` copies the
# decrypted value into state, and any change of description or key_id makes it
# PutParameter an empty value (write-only value_wo is not re-sent), which AWS
# refuses, on every later apply (internal/service/ssm/parameter.go, 6.47). With
# no resource, none of that can happen; README "Secrets: Terraform never holds them".
# Until a secret is put, requests on its path answer 500 secret_unavailable.
#
# Stacks created before kept the parameters (and the operator's secrets in them):
# forget them without deleting anything.
removed {
  from = aws_ssm_parameter.secret

  lifecycle {
    destroy = false
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
      { for key, parameter in var.secret_parameters : parameter.environment_variable => parameter.name },
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
  #checkov:skip=CKV_AWS_258:Payment providers cannot sign requests with AWS SigV4 (AWS_IAM); every request is authenticated by the provider's HMAC-SHA256 signature over the raw body, verified in constant time before anything is parsed or stored (CONTRACT sections 1 and 4).
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

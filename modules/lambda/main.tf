# Fixed file mode and no generated files keep the zip's hash the same on every
# machine and run, so a plan shows no spurious code change.
data "archive_file" "this" {
  type             = "zip"
  source_dir       = var.source_dir
  output_path      = var.package_output_path
  output_file_mode = "0644"
  excludes         = ["__pycache__", "**/__pycache__", "*.pyc", "**/*.pyc", ".mypy_cache", "**/.mypy_cache", "README.md"]
}

# One SecureString per enabled provider. The value Terraform writes is a
# placeholder; the operator puts the real secret with `aws ssm put-parameter
# --overwrite --key-id <kms_key_arn>`. `value_wo` is write-only: Terraform sends
# it to SSM once (when value_wo_version changes) and never stores it, and the
# provider's refresh, which reads the parameter with decryption, keeps no value
# in state either (`has_value_wo`). Until the secret is put every request on
# that path is refused (5xx), never accepted. Keep name, description and key
# fixed once deployed: hashicorp/aws 6.x re-puts the value on any such update
# and, without a new value_wo_version, has none to put.
resource "aws_ssm_parameter" "secret" {
  for_each = var.secret_parameters

  name             = each.value.name
  description      = each.value.description
  type             = "SecureString"
  key_id           = var.kms_key_arn
  value_wo         = "unset"
  value_wo_version = 1

  tags = var.tags
}

# Before the providers were selectable the stack had one parameter.
moved {
  from = aws_ssm_parameter.secret
  to   = aws_ssm_parameter.secret["standard"]
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
  filename         = data.archive_file.this.output_path
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

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
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

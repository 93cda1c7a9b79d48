# Fixed file mode and no generated files keep the zip's hash the same on every
# machine and run, so a plan shows no spurious code change.
data "archive_file" "this" {
  type             = "zip"
  source_dir       = var.source_dir
  output_path      = var.package_output_path
  output_file_mode = "0644"
  excludes         = ["__pycache__", "**/__pycache__", "*.pyc", "**/*.pyc", ".mypy_cache", "**/.mypy_cache", "README.md"]
}

resource "aws_ssm_parameter" "secret" {
  name        = var.secret_parameter_name
  description = "Standard Webhooks signing secret(s) of ${var.function_name}, whitespace-separated (several during rotation)."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  # Placeholder only: the real secret is put with `aws ssm put-parameter
  # --overwrite` so it never sits in Terraform state. Until then every request
  # is refused (5xx), never accepted.
  value = "unset"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days input, 30 days by default as the stack's contract requires; these are operational logs without payment data or secrets (the durable record is the DynamoDB table with point-in-time recovery). Raise it per environment where an audit policy asks for a year.
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
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

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = {
      TABLE_NAME                  = var.table_name
      WEBHOOK_SECRET_PARAM        = aws_ssm_parameter.secret.name
      SIGNATURE_TOLERANCE_SECONDS = tostring(var.signature_tolerance_seconds)
      # Empty = no quarantine (the handler treats an empty value as unset).
      QUARANTINE_QUEUE_URL = var.quarantine_queue_url
    }
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
}

resource "aws_lambda_function_url" "this" {
  #checkov:skip=CKV_AWS_258:Payment providers cannot sign requests with AWS SigV4 (AWS_IAM); every request is authenticated by the Standard Webhooks HMAC-SHA256 signature over id, timestamp and raw body, verified in constant time with a replay window before anything is parsed or stored (CONTRACT section 2).
  function_name      = aws_lambda_function.this.function_name
  authorization_type = "NONE" # the webhook signature is the authentication
  invoke_mode        = "BUFFERED"
}

# Since October 2025 a public Function URL needs both statements.
resource "aws_lambda_permission" "invoke_function_url" {
  #checkov:skip=CKV_AWS_301:This is the public Function URL itself (auth type NONE is required for third-party webhook senders); the permission is limited to lambda:InvokeFunctionUrl with function_url_auth_type NONE, and the handler rejects every request without a valid HMAC signature (401).
  statement_id           = "AllowPublicInvokeFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "invoke_via_function_url" {
  #checkov:skip=CKV_AWS_301:Since October 2025 a public Function URL also needs lambda:InvokeFunction; invoked_via_function_url = true restricts this statement to calls arriving through the Function URL, so the function cannot be invoked directly through the Lambda API by anyone outside the account.
  statement_id             = "AllowInvokeFunctionViaUrlOnly"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.this.function_name
  principal                = "*"
  invoked_via_function_url = true
}

# Every input set, as a production environment might.
module "webhook" {
  source = "../.."
  providers = {
    aws = aws.deploy
  }

  environment_suffix          = var.environment_suffix
  name_prefix                 = "acme-payments"
  reserved_concurrency        = 50
  lambda_timeout_seconds      = 10
  lambda_memory_mb            = 512
  lambda_runtime              = "python3.12"
  signature_tolerance_seconds = 180
  log_retention_days          = 90
  kms_deletion_window_days    = 14
  table_deletion_protection   = true
  quarantine_retention_days   = 7
  alarm_sns_topic_arn         = "arn:aws:sns:eu-west-1:123456789012:payments-oncall"
  enabled_providers           = ["standard", "stripe"]
  operator_role_arns          = var.operator_role_arns

  tags = {
    CostCenter = "payments"
    DataClass  = "confidential"
  }
}

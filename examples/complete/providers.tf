# A team's deployment: the pipeline's credentials assume a deploy role in the
# target account, the provider refuses any other account, and the organisation's
# default tags reach every resource. The module receives this configuration
# through `providers` and holds none of its own.
provider "aws" {
  alias               = "deploy"
  region              = var.aws_region
  allowed_account_ids = var.allowed_account_ids

  dynamic "assume_role" {
    for_each = var.deploy_role_arn == null ? [] : [var.deploy_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "payment-webhook-deploy"
    }
  }

  default_tags {
    tags = var.default_tags
  }
}

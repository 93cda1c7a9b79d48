terraform {
  # 1.11: write-only arguments (the secret parameters' value_wo); OpenTofu
  # has them since 1.11 as well.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.28.0 added `invoked_via_function_url` to aws_lambda_permission, which
      # Function URLs with auth type NONE need since October 2025.
      version = ">= 6.28, < 7.0"
    }
    # A root configuration pins every provider its module tree installs (archive
    # is used by modules/lambda); the rule only sees this module's own resources.
    # tflint-ignore: terraform_unused_required_providers
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
  }
}

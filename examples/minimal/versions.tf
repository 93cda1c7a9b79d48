terraform {
  required_version = ">= 1.11.0"

  # An example is a root configuration: it pins every provider its module tree
  # installs. Both are used by the webhook module, none by this file, which
  # terraform_unused_required_providers cannot see.
  required_providers {
    # tflint-ignore: terraform_unused_required_providers
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.28, < 7.0"
    }
    # tflint-ignore: terraform_unused_required_providers
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3.0"
    }
  }
}

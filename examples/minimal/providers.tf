# The deployment's provider configuration lives here, not in the webhook module:
# region and credentials from this file and the environment.
provider "aws" {
  region = var.aws_region
}

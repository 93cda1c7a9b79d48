# The smallest deployment: only the required input.
module "webhook" {
  source = "../.."

  environment_suffix = var.environment_suffix
}

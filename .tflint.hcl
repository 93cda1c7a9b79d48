# TFLint configuration: the terraform ruleset with the rules terraform-aws-modules
# enforce. `make lint` runs `tflint --recursive` with this file for the root
# module, every module and every example.
#
# The AWS ruleset (github.com/terraform-linters/tflint-ruleset-aws) is a separate
# plugin downloaded from GitHub releases by `tflint --init`. The offline Go module
# proxy of the build machines does not serve it, so it is not declared here (TFLint
# fails on a declared plugin that is not installed). tools/lint.sh adds it when
# TFLINT_AWS_RULESET names a version (CI does; see .github/workflows/ci.yml).

config {
  format           = "compact"
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

rule "terraform_comment_syntax" {
  enabled = true
}

rule "terraform_deprecated_index" {
  enabled = true
}

rule "terraform_deprecated_interpolation" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_module_pinned_source" {
  enabled = true
}

rule "terraform_module_version" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
  format  = "snake_case"
}

rule "terraform_required_providers" {
  enabled = true
}

rule "terraform_required_version" {
  enabled = true
}

rule "terraform_standard_module_structure" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_unused_declarations" {
  enabled = true
}

rule "terraform_unused_required_providers" {
  enabled = true
}

rule "terraform_workspace_remote" {
  enabled = true
}

output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "function_url" {
  description = "The Function URL."
  value       = aws_lambda_function_url.this.function_url
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "secret_parameter_names" {
  description = "Name of each enabled provider's signing-secret parameter, by provider key."
  value       = { for key, parameter in aws_ssm_parameter.secret : key => parameter.name }
}

output "package_path" {
  description = "Path of the zip that was uploaded."
  value       = archive_file.package.output_path
}

output "package_base64sha256" {
  description = "Base64 SHA-256 of the zip (stable across machines)."
  value       = data.archive_file.this.output_base64sha256
}

output "secret_put_commands" {
  description = "The AWS CLI command that puts each provider's secret(s), by provider key: the stack's key, the value read from a file (never typed on a command line)."
  value = {
    for key, parameter in var.secret_parameters : key => join(" ", [
      "aws ssm put-parameter --overwrite --type SecureString",
      "--region ${split(":", var.kms_key_arn)[3]} --key-id ${var.kms_key_arn}",
      "--name ${parameter.name} --description '${replace(parameter.description, "'", "")}'",
      "--value file://${key}-secret.txt",
    ])
  }
}

output "role_arn" {
  description = "ARN of the execution role, available only once its policy is attached (so a function created with it never runs, or is checked by Lambda, without its permissions)."
  value       = aws_iam_role.this.arn

  depends_on = [aws_iam_role_policy.this]
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "policy_json" {
  description = "The inline least-privilege policy attached to the role."
  value       = data.aws_iam_policy_document.this.json
}

variable "environment_suffix" {
  description = "Suffix of every resource name."
  type        = string
  default     = "example"
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

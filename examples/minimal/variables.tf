variable "environment_suffix" {
  description = "Suffix of every resource name."
  type        = string
  default     = "example"
}

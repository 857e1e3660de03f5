variable "region" {
  description = "AWS Region of the keys, the trail's home Region, log groups and alarms (org.yaml region)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS Region code such as us-east-1."
  }
}

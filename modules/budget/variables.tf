################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the budget."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the budget."
  type        = map(string)
  default     = {}
}

################################################################################
# Budget
################################################################################

variable "name" {
  description = "Name of the budget (unique in the account)."
  type        = string

  validation {
    condition     = length(var.name) <= 100 && can(regex("^[^:\\\\]+$", var.name))
    error_message = "name must be 1-100 characters without : or \\."
  }
}

variable "limit_usd" {
  description = "Monthly limit in USD (for example the estimate `byok cost` prints)."
  type        = number

  validation {
    condition     = var.limit_usd > 0
    error_message = "limit_usd must be positive."
  }
}

variable "services" {
  description = "Cost Explorer SERVICE dimension values the budget counts."
  type        = list(string)
  default     = ["AWS CloudTrail", "AWS Key Management Service", "AmazonCloudWatch"]

  validation {
    condition     = length(var.services) > 0
    error_message = "At least one service is required."
  }
}

variable "alert_emails" {
  description = "Addresses AWS Budgets e-mails when a threshold is crossed (at most 10)."
  type        = list(string)

  validation {
    condition     = length(var.alert_emails) >= 1 && length(var.alert_emails) <= 10
    error_message = "Between 1 and 10 e-mail addresses (AWS Budgets' limit per notification)."
  }
}

variable "actual_threshold_percent" {
  description = "Alert when the month's actual spend exceeds this percentage of the limit."
  type        = number
  default     = 80

  validation {
    condition     = var.actual_threshold_percent > 0 && var.actual_threshold_percent <= 1000
    error_message = "actual_threshold_percent must be in (0, 1000]."
  }
}

variable "forecast_threshold_percent" {
  description = "Alert when the month's forecast spend exceeds this percentage of the limit."
  type        = number
  default     = 100

  validation {
    condition     = var.forecast_threshold_percent > 0 && var.forecast_threshold_percent <= 1000
    error_message = "forecast_threshold_percent must be in (0, 1000]."
  }
}

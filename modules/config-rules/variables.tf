################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the rules (the account must already record with AWS Config in this Region)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the rules."
  type        = map(string)
  default     = {}
}

variable "name_prefix" {
  description = "Prefix of the rule names (<prefix>-key-rotation-enabled, ...)."
  type        = string

  validation {
    condition     = length(var.name_prefix) <= 90 && can(regex("^[A-Za-z0-9_-]+$", var.name_prefix))
    error_message = "name_prefix must be 1-90 characters of A-Z a-z 0-9 _ - (rule names have at most 128)."
  }
}

variable "maximum_execution_frequency" {
  description = "How often AWS Config evaluates the periodic rules."
  type        = string
  default     = "TwentyFour_Hours"

  validation {
    condition     = contains(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"], var.maximum_execution_frequency)
    error_message = "maximum_execution_frequency must be One_Hour, Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours."
  }
}

################################################################################
# What the rules check
################################################################################

variable "kms_key_ids" {
  description = "IDs of the keys that must not be pending deletion (empty: every key of the account)."
  type        = list(string)
  default     = []
}

variable "trail_bucket_name" {
  description = "S3 bucket the multi-Region trail must deliver to."
  type        = string
}

variable "trail_log_group_arn" {
  description = "CloudWatch Logs group ARN the multi-Region trail must send to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:.+$", var.trail_log_group_arn))
    error_message = "trail_log_group_arn must be a CloudWatch Logs group ARN."
  }
}

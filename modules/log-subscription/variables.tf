################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the subscription filters (and the role or permissions they need)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the role (Firehose destinations)."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of each subscription filter, of the role (Firehose) and prefix of the Lambda permission statement ids."
  type        = string

  validation {
    condition     = length(var.name) <= 48 && can(regex("^[A-Za-z0-9+=,.@_-]+$", var.name))
    error_message = "name must be 1-48 characters of A-Z a-z 0-9 + = , . @ _ - (it also names an IAM role)."
  }
}

################################################################################
# Subscription
################################################################################

variable "destination_arn" {
  description = "The SIEM's entry point in this account and Region: a Firehose delivery stream ARN or a Lambda function ARN."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(firehose:[a-z0-9-]+:[0-9]{12}:deliverystream/[A-Za-z0-9_.-]{1,64}|lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?)$", var.destination_arn))
    error_message = "destination_arn must be a Firehose delivery stream ARN or a Lambda function ARN."
  }
}

variable "log_group_names" {
  description = "Log groups to subscribe, by a stable key (for example trail, vendor-slack). CloudWatch Logs allows two subscription filters per log group."
  type        = map(string)

  validation {
    condition     = alltrue([for k, v in var.log_group_names : can(regex("^[A-Za-z0-9_-]{1,40}$", k)) && length(v) > 0])
    error_message = "Keys must be 1-40 characters of A-Z a-z 0-9 _ -, values log group names."
  }
}

variable "filter_pattern" {
  description = "CloudWatch Logs filter pattern; the empty string sends every event."
  type        = string
  default     = ""
}

################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the topic, metric filters and alarms."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of the topic, metric filter and alarm names."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name_prefix))
    error_message = "name_prefix must be 1-200 characters of A-Z a-z 0-9 _ -."
  }
}

variable "tags" {
  description = "Tags applied to the topic and the alarms."
  type        = map(string)
  default     = {}
}

################################################################################
# Metric filters and alarms
################################################################################

variable "cloudtrail_log_group_name" {
  description = "CloudWatch Logs group the CloudTrail trail delivers to (cloudtrail module output cloudwatch_log_group_name)."
  type        = string

  validation {
    condition     = length(var.cloudtrail_log_group_name) <= 512 && can(regex("^[A-Za-z0-9_/.#-]+$", var.cloudtrail_log_group_name))
    error_message = "cloudtrail_log_group_name must be a CloudWatch Logs group name."
  }
}

variable "cis_controls" {
  description = "CIS AWS Foundations Benchmark v3.0.0 section 4 controls to create: default (4.1, 4.3, 4.4, 4.5, 4.7, 4.8, 4.15: key access and its evidence) or all (adds 4.2, 4.6, 4.9-4.14; 4.16 has no metric filter). Patterns: controls.json."
  type        = string
  default     = "default"

  validation {
    condition     = contains(["default", "all"], var.cis_controls)
    error_message = "cis_controls must be default or all."
  }
}

variable "key_ids" {
  description = "Map of name to KMS key id of this deployment's keys: the non-CIS alarms (KeyPolicyChanges, GrantCreated, ...) fire only for these keys (and their multi-Region replicas, which share the id). Empty: no such alarm."
  type        = map(string)
  default     = {}
}

variable "disabled_controls" {
  description = "Controls not to create, by name: a CIS control's name (UnauthorizedAPICalls, RootAccountUsage, ... as in controls.json) or a key event (KeyPolicyChanges, KeyMaterialImported, KeyMaterialDeleted, KeyRotationDisabled, GrantCreated, KeyReplicated, PrimaryRegionUpdated)."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for c in var.disabled_controls : contains(concat(
        [for x in jsondecode(file("${path.module}/controls.json")).cis : x.name],
        [for x in jsondecode(file("${path.module}/controls.json")).key_events.events : x.name],
      ), c)
    ])
    error_message = "disabled_controls may only name controls of controls.json (cis[].name, key_events.events[].name)."
  }
}

variable "namespace" {
  description = "CloudWatch metric namespace of the metric filters and alarms."
  type        = string
  default     = "CISBenchmark"
}

variable "period" {
  description = "Alarm evaluation period, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.period) || (var.period >= 60 && var.period % 60 == 0)
    error_message = "period must be 10, 30 or a multiple of 60 seconds."
  }
}

variable "evaluation_periods" {
  description = "Number of periods over which the metric is compared with the threshold."
  type        = number
  default     = 1

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a positive whole number."
  }
}

################################################################################
# SNS topic
################################################################################

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic (each must confirm the subscription). May be empty with sns_topic_arn: the existing topic keeps its own subscribers."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alarm email must look like name@domain.tld."
  }
}

variable "sns_topic_arn" {
  description = "ARN of an existing SNS topic the alarms notify (an account baseline's). Null: the module creates <name_prefix>-kms-alarms, encrypted with kms_key_arn. An existing topic's policy must let CloudWatch alarms of this account publish (and its key, if any, let cloudwatch.amazonaws.com use it)."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be an SNS topic ARN."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the alarm topic the module creates (its policy must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*). Not used with sns_topic_arn."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

################################################################################
# Imported key material expiry
################################################################################

variable "expiring_key_ids" {
  description = "Map of name to key id of keys with imported key material: each gets an alarm on the AWS/KMS SecondsUntilKeyMaterialExpiration metric before its material expires."
  type        = map(string)
  default     = {}
}

variable "material_expiry_warning_days" {
  description = "Days before imported key material expires at which its alarm fires (1-365)."
  type        = number
  default     = 30

  validation {
    condition     = var.material_expiry_warning_days >= 1 && var.material_expiry_warning_days <= 365 && floor(var.material_expiry_warning_days) == var.material_expiry_warning_days
    error_message = "material_expiry_warning_days must be a whole number between 1 and 365."
  }
}

################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the trail and everything it needs."
  type        = bool
  default     = true
}

variable "name" {
  description = "Trail name; also the prefix of the bucket, log group, role, topic and key alias names. Lowercase letters, digits and hyphens, 3-32 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Trail
################################################################################

variable "insight_types" {
  description = "CloudTrail Insights types to enable (ApiCallRateInsight, ApiErrorRateInsight). Insights events are billed separately."
  type        = list(string)
  default     = ["ApiCallRateInsight", "ApiErrorRateInsight"]

  validation {
    condition     = alltrue([for t in var.insight_types : contains(["ApiCallRateInsight", "ApiErrorRateInsight"], t)])
    error_message = "insight_types may only contain ApiCallRateInsight and ApiErrorRateInsight."
  }
}

variable "existing_trail" {
  description = "Use an existing trail instead of creating one (an account baseline's, or the organization trail): its ARN and the CloudWatch Logs group it delivers to, in this account and Region (the alarms' metric filters go there). The module then creates only the two KMS keys: no trail, bucket, log group, delivery role or topic."
  type = object({
    arn            = string
    log_group_name = string
  })
  default = null

  validation {
    condition     = var.existing_trail == null || can(regex("^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]{3,128}$", var.existing_trail.arn))
    error_message = "existing_trail.arn must be a CloudTrail trail ARN."
  }

  validation {
    condition     = var.existing_trail == null || can(regex("^[A-Za-z0-9_/.#-]{1,512}$", var.existing_trail.log_group_name))
    error_message = "existing_trail.log_group_name must be a CloudWatch Logs group name."
  }
}

################################################################################
# CloudWatch Logs
################################################################################

variable "kms_log_group_names" {
  description = "CloudWatch Logs groups (in this account and Region) that may be encrypted with the trail key: the vendors' log groups. The key policy names exactly these (kms:EncryptionContext:aws:logs:arn), not every log group of the account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.kms_log_group_names : can(regex("^[A-Za-z0-9_/.#-]{1,512}$", n))])
    error_message = "kms_log_group_names must hold CloudWatch Logs group names."
  }
}

variable "log_retention_days" {
  description = "Retention of the trail's CloudWatch Logs group, in days (a value CloudWatch Logs accepts; at least 365 recommended)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

################################################################################
# KMS key
################################################################################

variable "break_glass_role_arn" {
  description = "The only principal (aws:PrincipalArn) that may disable or schedule deletion of the trail and alarm keys. Null: nobody may, until a reviewed policy change names one."
  type        = string
  default     = null

  validation {
    # Generated rule: compiler/model/types.py terraform_validations() (tests check they agree)
    condition     = var.break_glass_role_arn == null || can(regex("^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]{1,512})$", var.break_glass_role_arn))
    error_message = "break_glass_role_arn must be an IAM role, user or account-root ARN."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the trail or alarm key is deleted (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "kms_rotation_period_in_days" {
  description = "Days between automatic rotations of the trail and alarm keys (90-2560)."
  type        = number
  default     = 365

  validation {
    condition     = var.kms_rotation_period_in_days >= 90 && var.kms_rotation_period_in_days <= 2560 && floor(var.kms_rotation_period_in_days) == var.kms_rotation_period_in_days
    error_message = "kms_rotation_period_in_days must be a whole number between 90 and 2560."
  }
}

################################################################################
# S3 bucket
################################################################################

variable "bucket_name" {
  description = "Name of the trail bucket. Null: <name>-cloudtrail-<account id>."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
  }
}

variable "access_log_bucket_name" {
  description = "Existing bucket that receives the trail bucket's S3 server access logs (CIS v3.0.0 3.4), under the prefix <bucket name>/. Null: the module creates <name>-cloudtrail-access-<account id>."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket_name))
    error_message = "access_log_bucket_name must be a valid S3 bucket name."
  }
}

variable "object_lock" {
  description = "Object Lock default retention of the trail bucket's log files ({mode = GOVERNANCE or COMPLIANCE, days}). Null: no Object Lock. COMPLIANCE cannot be shortened or removed by anyone, the account root included, until each file's retention ends."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || try(contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock.mode) && var.object_lock.days >= 1 && floor(var.object_lock.days) == var.object_lock.days, false)
    error_message = "object_lock.mode must be GOVERNANCE or COMPLIANCE and object_lock.days a positive whole number."
  }
}

variable "s3_force_destroy" {
  description = "Let S3 delete the buckets with their log files once Terraform may destroy them (the buckets carry prevent_destroy: only after `terraform state rm`, never by a plan). Keep false outside test environments."
  type        = bool
  default     = false
}

variable "s3_transition_to_glacier_days" {
  description = "Days after which log files move to S3 Glacier Flexible Retrieval."
  type        = number
  default     = 90

  validation {
    condition     = var.s3_transition_to_glacier_days >= 0 && floor(var.s3_transition_to_glacier_days) == var.s3_transition_to_glacier_days
    error_message = "s3_transition_to_glacier_days must be a non-negative whole number."
  }
}

variable "s3_expiration_days" {
  description = "Days after which log files expire. Null: never (keep audit logs)."
  type        = number
  default     = null

  validation {
    condition     = var.s3_expiration_days == null || try(var.s3_expiration_days >= 1 && floor(var.s3_expiration_days) == var.s3_expiration_days, false)
    error_message = "s3_expiration_days must be null or a positive whole number."
  }
}

variable "s3_noncurrent_version_expiration_days" {
  description = "Days after which noncurrent (overwritten or deleted) object versions expire."
  type        = number
  default     = 365

  validation {
    condition     = var.s3_noncurrent_version_expiration_days >= 1 && floor(var.s3_noncurrent_version_expiration_days) == var.s3_noncurrent_version_expiration_days
    error_message = "s3_noncurrent_version_expiration_days must be a positive whole number."
  }
}

################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the role, its policy and the log group."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the role and the log group."
  type        = map(string)
  default     = {}
}

################################################################################
# Role
################################################################################

variable "name" {
  description = "Name of the IAM role the vendor assumes."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (1-64 characters of A-Z a-z 0-9 + = , . @ _ -)."
  }
}

variable "trusted_principal_arns" {
  description = "AWS principals (account root or role ARNs) of the vendor that may assume the role."
  type        = list(string)

  validation {
    condition     = length(var.trusted_principal_arns) > 0
    error_message = "At least one trusted principal ARN is required."
  }

  validation {
    # Generated rule: compiler/model/types.py terraform_validations() (tests check they agree)
    condition     = alltrue([for a in var.trusted_principal_arns : can(regex("^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]{1,512})$", a))])
    error_message = "Each trusted principal must be an IAM account root, role or user ARN (arn:aws:iam::<12 digits>:root|role/...|user/...)."
  }
}

variable "external_id" {
  description = "ExternalId the vendor must present (sts:ExternalId). Not a secret, but unique per customer."
  type        = string

  validation {
    # Generated rule: compiler/model/types.py terraform_validations() (tests check they agree)
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[A-Za-z0-9_+=,.@:/-]+$", var.external_id))
    error_message = "external_id must be 2-1224 characters of A-Z a-z 0-9 _ + = , . @ : / - (STS ExternalId)."
  }
}

variable "actions" {
  description = "CloudWatch Logs actions the vendor may perform on the log group (no wildcards)."
  type        = list(string)
  default     = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]

  validation {
    # Generated rule: compiler/model/types.py terraform_validations() (tests check they agree)
    condition     = length(var.actions) > 0 && alltrue([for a in var.actions : can(regex("^logs:[A-Za-z]+$", a))])
    error_message = "actions must be a non-empty list of logs:<Action> names without wildcards."
  }
}

variable "role_path" {
  description = "Path of the IAM role."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must start and end with /."
  }
}

variable "role_description" {
  description = "Description of the IAM role. Null: a description naming the log group."
  type        = string
  default     = null
}

variable "max_session_duration" {
  description = "Maximum session duration of the role, in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of a permissions boundary policy for the role. Null: none."
  type        = string
  default     = null
}

################################################################################
# Log group
################################################################################

variable "log_group_name" {
  description = "Name of the CloudWatch Logs group created for the vendor's logs."
  type        = string

  validation {
    condition     = length(var.log_group_name) <= 512 && can(regex("^[A-Za-z0-9_/.#-]+$", var.log_group_name)) && !startswith(var.log_group_name, "aws/")
    error_message = "log_group_name must be 1-512 characters of A-Z a-z 0-9 _ / . # - and must not start with aws/."
  }
}

variable "log_retention_days" {
  description = "Retention of the log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the log group (its policy must allow logs.<region>.amazonaws.com)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

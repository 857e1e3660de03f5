################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the analyzer (see create_analyzer) and the archive rules."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the analyzer."
  type        = map(string)
  default     = {}
}

################################################################################
# Analyzer
################################################################################

variable "create_analyzer" {
  description = "Create the analyzer. False: attach the archive rules to an existing analyzer named analyzer_name (an account has at most one account-level external access analyzer per Region)."
  type        = bool
  default     = true
}

variable "analyzer_name" {
  description = "Name of the analyzer to create, or of the existing one when create_analyzer is false."
  type        = string

  validation {
    condition     = length(var.analyzer_name) <= 255 && can(regex("^[A-Za-z][A-Za-z0-9_.-]*$", var.analyzer_name))
    error_message = "analyzer_name must be 1-255 characters of A-Z a-z 0-9 _ . - starting with a letter."
  }
}

variable "type" {
  description = "Zone of trust: ACCOUNT (principals outside this account are external) or ORGANIZATION (outside the AWS Organization; only in the management or delegated administrator account)."
  type        = string
  default     = "ACCOUNT"

  validation {
    condition     = contains(["ACCOUNT", "ORGANIZATION"], var.type)
    error_message = "type must be ACCOUNT or ORGANIZATION."
  }
}

################################################################################
# Archive rules
################################################################################

variable "archive_rules" {
  description = "Rule name => the KMS key ARN and the external principals (values of principal.AWS: account ids and principal ARNs) whose findings on that key are expected and archived. At most 20 principals per rule (an Access Analyzer criterion takes 20 values)."
  type = map(object({
    resource_arn = string
    principals   = list(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for name, r in var.archive_rules : length(name) <= 255 && can(regex("^[A-Za-z][A-Za-z0-9_.-]*$", name))])
    error_message = "Each rule name must be 1-255 characters of A-Z a-z 0-9 _ . - starting with a letter."
  }

  validation {
    condition     = alltrue([for r in var.archive_rules : length(r.principals) >= 1 && length(r.principals) <= 20])
    error_message = "Each rule names 1 to 20 principals."
  }

  validation {
    condition     = alltrue([for r in var.archive_rules : alltrue([for p in r.principals : p != "*" && can(regex("^([0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:.+)$", p))])])
    error_message = "Principals must be 12-digit account ids or IAM principal ARNs, never \"*\"."
  }
}

################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the key and its alias."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the key."
  type        = map(string)
  default     = {}
}

################################################################################
# Key
################################################################################

variable "description" {
  description = "Description of the key, shown in the KMS console."
  type        = string
  default     = "Customer managed key shared with a SaaS vendor (managed by byok-compiler)"

  validation {
    condition     = length(var.description) <= 8192
    error_message = "The key description must be at most 8192 characters."
  }
}

variable "policy" {
  description = "Key policy as a JSON string (compiled by byok-compiler). Passed through unchanged."
  type        = string

  validation {
    condition     = can(jsondecode(var.policy).Statement)
    error_message = "The key policy must be a JSON document with a Statement element."
  }

  validation {
    condition     = length(var.policy) <= 32768
    error_message = "A KMS key policy is limited to 32 KiB."
  }
}

variable "enable_key_rotation" {
  description = "Whether automatic rotation of the key material is enabled. Ignored when imported_key_material is true (AWS cannot rotate imported material)."
  type        = bool
  default     = true
}

variable "rotation_period_in_days" {
  description = "Days between automatic rotations (90-2560)."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560 && floor(var.rotation_period_in_days) == var.rotation_period_in_days
    error_message = "rotation_period_in_days must be a whole number between 90 and 2560."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period, in days, between scheduling deletion and deleting the key (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "multi_region" {
  description = "Whether to create a multi-Region primary key. Cannot be changed after creation."
  type        = bool
  default     = false
}

variable "key_spec" {
  description = "KMS key spec. Asymmetric and HMAC keys cannot rotate automatically (set enable_key_rotation = false) and cannot hold imported material here."
  type        = string
  default     = "SYMMETRIC_DEFAULT"

  # https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html
  validation {
    condition     = contains(["SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"], var.key_spec)
    error_message = "key_spec must be a KMS key spec (SYMMETRIC_DEFAULT, RSA_*, ECC_*, SM2, HMAC_*)."
  }
}

variable "key_usage" {
  description = "KMS key usage: ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT (must suit key_spec)."
  type        = string
  default     = "ENCRYPT_DECRYPT"

  # https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-usage.html
  validation {
    condition     = contains(["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"], var.key_usage)
    error_message = "key_usage must be ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT."
  }
}

variable "is_enabled" {
  description = "Whether the key is enabled. Disabling the key cuts the vendor off completely."
  type        = bool
  default     = true
}

variable "imported_key_material" {
  description = "Create an aws_kms_external_key (key material imported by you, no automatic rotation) instead of an aws_kms_key."
  type        = bool
  default     = false
}

variable "key_material_base64" {
  description = "Base64-encoded 256-bit key material to import at creation (imported_key_material only; it never expires). When null the key stays in PendingImport until material is imported out of band (byok import-material, which also sets the expiry: valid_to is ignored after creation). Stored in state."
  type        = string
  default     = null
  sensitive   = true
}

################################################################################
# Alias
################################################################################

variable "alias_name" {
  description = "Alias of the key, e.g. alias/acme-slack-prod. Must start with alias/ and must not use the reserved alias/aws/ prefix."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.alias_name)) && !startswith(var.alias_name, "alias/aws/")
    error_message = "alias_name must match ^alias/[a-zA-Z0-9/_-]{1,250}$ and must not start with alias/aws/."
  }
}

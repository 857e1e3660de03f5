################################################################################
# Key
#
# One customer managed key shared with a SaaS vendor. The key policy is compiled
# by byok-compiler and passed in verbatim (var.policy); this module never edits it.
################################################################################

locals {
  create_generated = var.create && !var.imported_key_material
  create_external  = var.create && var.imported_key_material
}

# Symmetric key with AWS-generated material and automatic rotation
# https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
resource "aws_kms_key" "this" {
  count = local.create_generated ? 1 : 0

  description              = var.description
  key_usage                = var.key_usage
  customer_master_key_spec = var.key_spec
  multi_region             = var.multi_region
  deletion_window_in_days  = var.deletion_window_in_days
  is_enabled               = var.is_enabled

  enable_key_rotation     = var.enable_key_rotation
  rotation_period_in_days = var.enable_key_rotation ? var.rotation_period_in_days : null

  # Keep the lockout safety check: AWS refuses a policy that would lock the caller out.
  # https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html#KMS-PutKeyPolicy-request-BypassPolicyLockoutSafetyCheck
  policy                             = var.policy
  bypass_policy_lockout_safety_check = false

  tags = var.tags

  # Deleting a key makes everything encrypted under it unreadable for good, so Terraform never
  # does it: removing the key from the configuration (a for_each instance, or create = false)
  # fails the plan with "Instance cannot be destroyed". A key leaves only through a decommission
  # in org.yaml and the break-glass runbook (README, "Decommissioning a key"): `terraform state
  # rm` of this resource, then `aws kms schedule-key-deletion` as the break-glass role.
  # https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#prevent_destroy
  lifecycle {
    prevent_destroy = true
  }
}

# Key with imported (BYOK) material: automatic rotation is not available for it
# https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html
resource "aws_kms_external_key" "this" {
  count = local.create_external ? 1 : 0

  description             = var.description
  multi_region            = var.multi_region
  deletion_window_in_days = var.deletion_window_in_days
  enabled                 = nonsensitive(var.key_material_base64 != null) ? var.is_enabled : null
  key_material_base64     = var.key_material_base64

  policy                             = var.policy
  bypass_policy_lockout_safety_check = false

  tags = var.tags

  # Deleting a key makes everything encrypted under it unreadable for good, so Terraform never
  # does it: removing the key from the configuration (a for_each instance, or create = false)
  # fails the plan with "Instance cannot be destroyed". A key leaves only through a decommission
  # in org.yaml and the break-glass runbook (README, "Decommissioning a key"): `terraform state
  # rm` of this resource, then `aws kms schedule-key-deletion` as the break-glass role.
  # https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#prevent_destroy
  #
  # valid_to is the expiry of material imported out of band (`byok import-material`): the
  # provider reads it back from DescribeKey ValidTo, and a change of it re-imports
  # key_material_base64 (null here: empty material), so Terraform must never plan one
  # (issue 24; provider resourceExternalKeyRead sets valid_to, resourceExternalKeyUpdate
  # re-imports on HasChange("valid_to")).
  # https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/kms_external_key
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [valid_to]
  }
}

################################################################################
# Alias
################################################################################

# https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html
resource "aws_kms_alias" "this" {
  count = var.create ? 1 : 0

  name          = var.alias_name
  target_key_id = try(aws_kms_key.this[0].key_id, aws_kms_external_key.this[0].id)
}

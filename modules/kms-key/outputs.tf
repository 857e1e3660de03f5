################################################################################
# Key
################################################################################

output "key_arn" {
  description = "ARN of the key (what the vendor registers)."
  value       = try(aws_kms_key.this[0].arn, aws_kms_external_key.this[0].arn, null)
}

output "key_id" {
  description = "Globally unique identifier of the key."
  value       = try(aws_kms_key.this[0].key_id, aws_kms_external_key.this[0].id, null)
}

output "key_policy" {
  description = "Key policy attached to the key (JSON)."
  value       = try(aws_kms_key.this[0].policy, aws_kms_external_key.this[0].policy, null)
}

output "key_rotation_enabled" {
  description = "Whether automatic rotation is enabled (always false for imported key material)."
  value       = try(aws_kms_key.this[0].enable_key_rotation, var.create ? false : null)
}

################################################################################
# Alias
################################################################################

output "alias_arn" {
  description = "ARN of the alias."
  value       = try(aws_kms_alias.this[0].arn, null)
}

output "alias_name" {
  description = "Name of the alias (alias/...)."
  value       = try(aws_kms_alias.this[0].name, null)
}

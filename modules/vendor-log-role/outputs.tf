################################################################################
# Role
################################################################################

output "role_arn" {
  description = "ARN of the role to register with the vendor."
  value       = try(aws_iam_role.this[0].arn, null)
}

output "role_name" {
  description = "Name of the role."
  value       = try(aws_iam_role.this[0].name, null)
}

output "external_id" {
  description = "ExternalId the vendor must present when assuming the role."
  value       = var.create ? var.external_id : null
}

################################################################################
# Log group
################################################################################

output "log_group_name" {
  description = "Name of the log group the vendor writes to."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "log_group_arn" {
  description = "ARN of the log group the vendor writes to."
  value       = try(aws_cloudwatch_log_group.this[0].arn, null)
}

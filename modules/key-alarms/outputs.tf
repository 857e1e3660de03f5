################################################################################
# SNS topic
################################################################################

output "sns_topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic the alarms notify."
  value       = try(aws_sns_topic.this[0].arn, null)
}

output "subscription_arns" {
  description = "Map of email address to SNS subscription ARN."
  value       = { for k, v in aws_sns_topic_subscription.this : k => v.arn }
}

################################################################################
# Metric filters and alarms
################################################################################

output "alarm_arns" {
  description = "Map of control name to CloudWatch alarm ARN."
  value       = { for k, v in aws_cloudwatch_metric_alarm.this : k => v.arn }
}

output "metric_filter_names" {
  description = "Map of control name to CloudWatch Logs metric filter name."
  value       = { for k, v in aws_cloudwatch_log_metric_filter.this : k => v.name }
}

output "cis_control_id" {
  description = "CIS control id of the disable/schedule-deletion alarm for var.cis_version."
  value       = local.cis_control_ids[var.cis_version]
}

output "cis_trail_control_id" {
  description = "CIS control id of the CloudTrail configuration changes alarm for var.cis_version."
  value       = local.cis_trail_control_ids[var.cis_version]
}

output "material_expiry_alarm_arns" {
  description = "Map of key name to the ARN of its imported-material expiry alarm."
  value       = { for k, v in aws_cloudwatch_metric_alarm.material_expiry : k => v.arn }
}

################################################################################
# SNS topic
################################################################################

output "sns_topic_arn" {
  description = "ARN of the SNS topic the alarms notify: the one created (KMS-encrypted), or var.sns_topic_arn."
  value       = local.topic_arn
}

output "subscription_arns" {
  description = "Map of email address to SNS subscription ARN."
  value       = { for k, v in aws_sns_topic_subscription.this : k => v.arn }
}

################################################################################
# Metric filters and alarms
################################################################################

output "alarm_arns" {
  description = "Map of control (CIS-<id>-<name>, or a key event's name) to CloudWatch alarm ARN."
  value       = { for k, v in aws_cloudwatch_metric_alarm.this : k => v.arn }
}

output "metric_filter_names" {
  description = "Map of filter key (a CIS control, or <key event>/<chunk>) to CloudWatch Logs metric filter name."
  value       = { for k, v in aws_cloudwatch_log_metric_filter.this : k => v.name }
}

output "cis_controls" {
  description = "Map of created CIS AWS Foundations Benchmark v3.0.0 control id to its alarm name."
  value       = { for k, v in local.cis : v.cis_control => aws_cloudwatch_metric_alarm.this[k].alarm_name }
}

output "material_expiry_alarm_arns" {
  description = "Map of key name to the ARN of its imported-material expiry alarm."
  value       = { for k, v in aws_cloudwatch_metric_alarm.material_expiry : k => v.arn }
}

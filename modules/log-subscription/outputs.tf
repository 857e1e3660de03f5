################################################################################
# Subscription
################################################################################

output "subscription_filters" {
  description = "Log group name => subscription filter name."
  value       = { for k, f in aws_cloudwatch_log_subscription_filter.this : f.log_group_name => f.name }
}

output "role_arn" {
  description = "ARN of the role CloudWatch Logs assumes to write into the Firehose stream (null for Lambda)."
  value       = try(aws_iam_role.this[0].arn, null)
}

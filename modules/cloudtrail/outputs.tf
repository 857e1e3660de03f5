################################################################################
# Trail
################################################################################

output "trail_arn" {
  description = "ARN of the trail."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "trail_name" {
  description = "Name of the trail."
  value       = try(aws_cloudtrail.this[0].name, null)
}

################################################################################
# S3 bucket
################################################################################

output "bucket_name" {
  description = "Name of the S3 bucket that receives the log files."
  value       = try(aws_s3_bucket.this[0].id, null)
}

output "bucket_arn" {
  description = "ARN of the S3 bucket that receives the log files."
  value       = try(aws_s3_bucket.this[0].arn, null)
}

################################################################################
# CloudWatch Logs
################################################################################

output "cloudwatch_log_group_name" {
  description = "Name of the CloudWatch Logs group the trail delivers to (input of the key-alarms module)."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "cloudwatch_log_group_arn" {
  description = "ARN of the CloudWatch Logs group the trail delivers to."
  value       = try(aws_cloudwatch_log_group.this[0].arn, null)
}

output "cloudwatch_logs_role_arn" {
  description = "ARN of the role CloudTrail assumes to write to CloudWatch Logs."
  value       = try(aws_iam_role.this[0].arn, null)
}

################################################################################
# KMS key
################################################################################

output "kms_key_arn" {
  description = "ARN of the trail's own KMS key; its policy also lets CloudWatch Logs (log groups of this account), CloudTrail and CloudWatch alarms (encrypted SNS topics) use it."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "kms_key_id" {
  description = "ID of the trail's own KMS key."
  value       = try(aws_kms_key.this[0].key_id, null)
}

################################################################################
# SNS topic
################################################################################

output "sns_topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic that receives log file delivery notifications."
  value       = try(aws_sns_topic.this[0].arn, null)
}

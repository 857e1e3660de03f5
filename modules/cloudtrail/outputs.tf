################################################################################
# Trail
################################################################################

output "trail_arn" {
  description = "ARN of the trail: the one created, or var.existing_trail.arn."
  value       = var.create ? try(aws_cloudtrail.this[0].arn, local.trail_arn) : null
}

output "trail_name" {
  description = "Name of the trail."
  value       = var.create ? try(aws_cloudtrail.this[0].name, reverse(split("/", local.trail_arn))[0]) : null
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

output "access_log_bucket_name" {
  description = "Name of the bucket that receives the trail bucket's S3 server access logs."
  value       = local.own_trail ? local.access_log_bucket_name : null
}

################################################################################
# CloudWatch Logs
################################################################################

output "cloudwatch_log_group_name" {
  description = "Name of the CloudWatch Logs group the trail delivers to (input of the key-alarms module): the one created, or var.existing_trail.log_group_name."
  value       = var.create ? try(aws_cloudwatch_log_group.this[0].name, local.log_group_name) : null
}

output "cloudwatch_log_group_arn" {
  description = "ARN of the CloudWatch Logs group the trail delivers to."
  value       = var.create ? try(aws_cloudwatch_log_group.this[0].arn, local.log_group_arn) : null
}

output "cloudwatch_logs_role_arn" {
  description = "ARN of the role CloudTrail assumes to write to CloudWatch Logs."
  value       = try(aws_iam_role.this[0].arn, null)
}

################################################################################
# KMS key
################################################################################

output "kms_key_arn" {
  description = "ARN of the trail's own KMS key (log files, delivery topic); its policy also lets CloudWatch Logs encrypt the log groups of var.kms_log_group_names (the vendors')."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "kms_key_id" {
  description = "ID of the trail's own KMS key."
  value       = try(aws_kms_key.this[0].key_id, null)
}

output "alarm_kms_key_arn" {
  description = "ARN of the alarm path's KMS key: it encrypts the trail's CloudWatch Logs group, and CloudWatch alarms may use it for an encrypted topic (input kms_key_arn of the key-alarms module)."
  value       = try(aws_kms_key.alarms[0].arn, null)
}

output "alarm_kms_key_id" {
  description = "ID of the alarm path's KMS key."
  value       = try(aws_kms_key.alarms[0].key_id, null)
}

################################################################################
# SNS topic
################################################################################

output "sns_topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic that receives log file delivery notifications."
  value       = try(aws_sns_topic.this[0].arn, null)
}

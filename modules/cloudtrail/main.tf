data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # An existing trail (an account baseline's or the organization's) replaces the one this module
  # would create: the module then creates only the trail key (vendor log groups) and the alarm
  # key (alarm topic), and the alarms read the existing trail's CloudWatch Logs group.
  own_trail = var.create && var.existing_trail == null

  account_root   = "arn:${local.partition}:iam::${local.account_id}:root"
  trail_arn      = var.existing_trail != null ? var.existing_trail.arn : "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${var.name}"
  bucket_name    = coalesce(var.bucket_name, "${var.name}-cloudtrail-${local.account_id}")
  bucket_arn     = "arn:${local.partition}:s3:::${local.bucket_name}"
  log_group_name = var.existing_trail != null ? var.existing_trail.log_group_name : "/aws/cloudtrail/${var.name}"
  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"

  # S3 server access logs of the trail bucket (CIS AWS Foundations Benchmark v3.0.0 3.4, "Ensure
  # S3 bucket access logging is enabled on the CloudTrail S3 bucket"): into a bucket of their own
  # unless var.access_log_bucket_name names an existing one.
  create_access_log_bucket = local.own_trail && var.access_log_bucket_name == null
  access_log_bucket_name   = coalesce(var.access_log_bucket_name, "${var.name}-cloudtrail-access-${local.account_id}")
}

################################################################################
# Trail
################################################################################

resource "aws_cloudtrail" "this" {
  count = local.own_trail ? 1 : 0

  name                          = var.name
  s3_bucket_name                = aws_s3_bucket.this[0].id
  enable_logging                = true
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.this[0].arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.this[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.this[0].arn
  # The topic NAME, not its ARN: AWS accepts both, moto only resolves a name.
  sns_topic_name = aws_sns_topic.this[0].name

  # Every management event, read-only (KMS Decrypt, GenerateDataKey, ...) and write (PutKeyPolicy,
  # ScheduleKeyDeletion, ...), from every source: no ExcludeManagementEventSources. Explicit, so
  # GetEventSelectors answers it and `byok audit` checks it (issue 24).
  # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html
  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }

  # CloudTrail Insights: unusual API call and error rates (management events)
  # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html
  dynamic "insight_selector" {
    for_each = toset(var.insight_types)

    content {
      insight_type = insight_selector.value
    }
  }

  tags = var.tags

  depends_on = [
    aws_s3_bucket_policy.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_iam_role_policy.this,
    aws_sns_topic_policy.this,
  ]
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  account_root   = "arn:${local.partition}:iam::${local.account_id}:root"
  trail_arn      = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${var.name}"
  bucket_name    = coalesce(var.bucket_name, "${var.name}-cloudtrail-${local.account_id}")
  bucket_arn     = "arn:${local.partition}:s3:::${local.bucket_name}"
  log_group_name = "/aws/cloudtrail/${var.name}"
  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
}

################################################################################
# Trail
################################################################################

resource "aws_cloudtrail" "this" {
  count = var.create ? 1 : 0

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

################################################################################
# SNS topic (log file delivery notifications)
################################################################################

resource "aws_sns_topic" "this" {
  count = local.own_trail ? 1 : 0

  name              = "${var.name}-cloudtrail-delivery"
  kms_master_key_id = aws_kms_key.this[0].arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "this" {
  count = local.own_trail ? 1 : 0

  arn = aws_sns_topic.this[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # CloudTrail publishes delivery notifications, for this trail only
      # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html
      {
        Sid       = "AWSCloudTrailSNSPolicy"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "SNS:Publish"
        Resource  = aws_sns_topic.this[0].arn
        Condition = {
          StringEquals = { "aws:SourceArn" = local.trail_arn }
        }
      },
    ]
  })
}

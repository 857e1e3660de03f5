################################################################################
# CloudWatch Logs delivery
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = local.own_trail ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  # The log group is the alarms' evidence: it outlives the deployment. A destroy (or removing the
  # trail) only forgets it; delete it by hand once its retention no longer matters.
  # https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/cloudwatch_log_group#skip_destroy
  skip_destroy = true
  # The alarm path's key: a disabled trail key must not stop the events that report it.
  kms_key_id = aws_kms_key.alarms[0].arn

  tags = var.tags
}

resource "aws_iam_role" "this" {
  count = local.own_trail ? 1 : 0

  name        = "${var.name}-cloudtrail-cloudwatch-logs"
  description = "Lets CloudTrail trail ${var.name} deliver events to ${local.log_group_name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # CloudTrail assumes this role to write to CloudWatch Logs, for this trail of this account
      # only (confused deputy: aws:SourceArn and aws:SourceAccount)
      # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
      {
        Sid       = "CloudTrailAssumeRole"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = {
            "aws:SourceArn"     = local.trail_arn
            "aws:SourceAccount" = local.account_id
          }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  count = local.own_trail ? 1 : 0

  name = "deliver-to-cloudwatch-logs"
  role = aws_iam_role.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # Create streams in and put events into the trail's log group only
      # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
      {
        Sid      = "AWSCloudTrailCreateLogStreamAndPutLogEvents"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${local.log_group_arn}:log-stream:*"
      },
    ]
  })
}

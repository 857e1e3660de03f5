data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # CloudWatch Logs delivers to a Firehose stream or a Lambda function of the same account and
  # Region as the log groups (cross-account delivery needs a Logs destination instead).
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
  firehose = can(regex("^arn:aws[a-z-]*:firehose:", var.destination_arn))
  lambda   = can(regex("^arn:aws[a-z-]*:lambda:", var.destination_arn))

  log_group_arns = {
    for k, name in var.log_group_names : k => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"
  }
}

################################################################################
# Firehose: a role CloudWatch Logs assumes, allowed to put records into that one stream only
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample
################################################################################

resource "aws_iam_role" "this" {
  count = var.create && local.firehose ? 1 : 0

  name        = var.name
  description = "CloudWatch Logs delivers the byok log groups to ${var.destination_arn}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudWatchLogsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "logs.amazonaws.com" }
        Action    = "sts:AssumeRole"
        # Confused-deputy protection as AWS documents it for subscription filters.
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          StringLike   = { "aws:SourceArn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:*" }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  count = var.create && local.firehose ? 1 : 0

  name = "put-records-into-siem-stream"
  role = aws_iam_role.this[0].id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PutIntoThisStreamOnly"
        Effect   = "Allow"
        Action   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
        Resource = [var.destination_arn]
      },
    ]
  })
}

################################################################################
# Lambda: CloudWatch Logs may invoke the function, for these log groups of this account only
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample
################################################################################

resource "aws_lambda_permission" "this" {
  for_each = var.create && local.lambda ? var.log_group_names : {}

  statement_id   = "${var.name}-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = var.destination_arn
  principal      = "logs.amazonaws.com"
  source_arn     = "${local.log_group_arns[each.key]}:*"
  source_account = local.account_id
}

################################################################################
# One subscription filter per log group
################################################################################

resource "aws_cloudwatch_log_subscription_filter" "this" {
  for_each = var.create ? var.log_group_names : {}

  name            = var.name
  log_group_name  = each.value
  filter_pattern  = var.filter_pattern
  destination_arn = var.destination_arn
  role_arn        = local.firehose ? aws_iam_role.this[0].arn : null

  depends_on = [aws_iam_role_policy.this, aws_lambda_permission.this]
}

################################################################################
# KMS key of the alarm path (the trail's CloudWatch Logs group, the alarm topic)
################################################################################

resource "aws_kms_key" "alarms" {
  count = var.create ? 1 : 0

  description             = "Encrypts the alarm path of CloudTrail trail ${var.name}: its CloudWatch Logs group and the alarm topic"
  key_usage               = "ENCRYPT_DECRYPT"
  deletion_window_in_days = var.kms_deletion_window_in_days
  enable_key_rotation     = true
  rotation_period_in_days = var.kms_rotation_period_in_days

  bypass_policy_lockout_safety_check = false

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [local.account_root_statement],
      [for st in [
        # CloudWatch Logs encrypts the trail's log group only
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        {
          Sid       = "CloudWatchLogsEncryptTrailLogGroup"
          Effect    = "Allow"
          Principal = { Service = "logs.${local.region}.amazonaws.com" }
          Action    = local.logs_key_actions
          Resource  = "*"
          Condition = {
            ArnEquals = {
              "kms:EncryptionContext:aws:logs:arn" = local.log_group_arn
            }
          }
        },
      ] : st if local.own_trail],
      [
        # CloudWatch alarms of this account publish to the KMS-encrypted alarm topic (key-alarms module)
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
        {
          Sid       = "CloudWatchAlarmsEncryptedTopic"
          Effect    = "Allow"
          Principal = { Service = "cloudwatch.amazonaws.com" }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
          Resource  = "*"
          Condition = {
            StringEquals = {
              "aws:SourceAccount" = local.account_id
            }
          }
        },
      ],
      local.guard_statements,
    )
  })

  tags = var.tags
}

resource "aws_kms_alias" "alarms" {
  count = var.create ? 1 : 0

  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms[0].key_id
}

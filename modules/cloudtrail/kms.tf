################################################################################
# KMS key of the trail (its bucket, its delivery topic, the vendors' log groups)
#
# The alarm path (the trail's CloudWatch Logs group and the alarm topic) has its own key,
# alarm_key.tf, so disabling this key cannot also silence the alarm that reports it.
################################################################################

locals {
  # Guard rails both audit keys carry, the same statements (and Sids) as every vendor key the
  # compiler writes. Neither covers kms:DescribeKey.
  guard_statements = [
    # Only the break-glass role disables, schedules deletion of, imports or deletes material of,
    # or moves the primary Region of the key (compiler/compile/guards.py says why each).
    # aws:PrincipalArn is the role ARN for a role session. Without a break-glass role nobody
    # may (the Deny is unconditional): decommissioning first needs a policy change that names one.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    merge(
      {
        Sid       = "OnlyBreakGlassDisablesOrDeletes"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action = [
          "kms:DeleteImportedKeyMaterial",
          "kms:DisableKey",
          "kms:ImportKeyMaterial",
          "kms:ScheduleKeyDeletion",
          "kms:UpdatePrimaryRegion",
        ]
        Resource = "*"
      },
      var.break_glass_role_arn == null ? {} : {
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = var.break_glass_role_arn } }
      },
    ),
    # Grants only for AWS resources: account-root delegation would otherwise let any IAM principal
    # of the account grant anyone use of the key. BoolIfExists also denies when the key is absent.
    # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
    {
      Sid       = "GrantsOnlyForAwsResources"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "kms:CreateGrant"
      Resource  = "*"
      Condition = { BoolIfExists = { "kms:GrantIsForAWSResource" = "false" } }
    },
    # Neither key is multi-Region: nobody replicates it (a replica would take a policy of its
    # caller's choosing). The vendor keys carry the same Sid with their declared Regions.
    # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-replica-region
    {
      Sid       = "ReplicasOnlyInDeclaredRegions"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "kms:ReplicateKey"
      Resource  = "*"
    },
  ]

  # What CloudTrail needs of the trail key (only for the trail this module creates)
  cloudtrail_statements = [
    # CloudTrail encrypts log files for trails in this account only
    # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    {
      Sid       = "CloudTrailEncryptLogs"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "kms:GenerateDataKey*"
      Resource  = "*"
      Condition = {
        StringLike = {
          "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"
        }
        StringEquals = {
          "aws:SourceArn" = local.trail_arn
        }
      }
    },
    # CloudTrail checks the key when the trail is created or updated
    # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    {
      Sid       = "CloudTrailDescribeKey"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "kms:DescribeKey"
      Resource  = "*"
      Condition = {
        StringEquals = {
          "aws:SourceArn" = local.trail_arn
        }
      }
    },
    # CloudTrail publishes delivery notifications to the KMS-encrypted SNS topic
    # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    {
      Sid       = "CloudTrailEncryptedTopic"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
      Condition = {
        StringEquals = {
          "aws:SourceArn" = local.trail_arn
        }
      }
    },
  ]

  # What CloudWatch Logs needs of a key that encrypts log groups (the trail key's vendor log
  # groups, the alarm key's trail log group)
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
  logs_key_actions = [
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
  ]

  # CloudWatch Logs encrypts the named log groups only (the vendors' log groups), not any log
  # group of the account: the encryption context of every CloudWatch Logs request is the log
  # group's ARN, "kms:EncryptionContext:aws:logs:arn"
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
  log_group_statements = [for st in [
    {
      Sid       = "CloudWatchLogsEncryptLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${local.region}.amazonaws.com" }
      Action    = local.logs_key_actions
      Resource  = "*"
      Condition = {
        ArnEquals = {
          "kms:EncryptionContext:aws:logs:arn" = sort([
            for n in var.kms_log_group_names : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${n}"
          ])
        }
      }
    },
  ] : st if length(var.kms_log_group_names) > 0]

  # Account root: delegate to IAM and keep the key manageable
  # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
  account_root_statement = {
    Sid       = "AccountRoot"
    Effect    = "Allow"
    Principal = { AWS = local.account_root }
    Action    = "kms:*"
    Resource  = "*"
  }
}

resource "aws_kms_key" "this" {
  count = var.create ? 1 : 0

  description             = "Encrypts CloudTrail trail ${var.name}: log files, delivery topic, vendor log groups"
  key_usage               = "ENCRYPT_DECRYPT"
  deletion_window_in_days = var.kms_deletion_window_in_days
  enable_key_rotation     = true
  rotation_period_in_days = var.kms_rotation_period_in_days

  bypass_policy_lockout_safety_check = false

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [local.account_root_statement],
      [for st in local.cloudtrail_statements : st if local.own_trail],
      local.log_group_statements,
      local.guard_statements,
    )
  })

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.create ? 1 : 0

  name          = "alias/${var.name}-cloudtrail"
  target_key_id = aws_kms_key.this[0].key_id
}

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

  # Guard rails both audit keys carry, the same statements (and Sids) as every vendor key the
  # compiler writes. Neither covers kms:DescribeKey.
  guard_statements = [
    # Only the break-glass role disables or schedules deletion of the key. aws:PrincipalArn is the
    # role ARN for a role session. Without a break-glass role nobody may (the Deny is
    # unconditional): decommissioning first needs a policy change that names one.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    merge(
      {
        Sid       = "OnlyBreakGlassDisablesOrDeletes"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = ["kms:DisableKey", "kms:ScheduleKeyDeletion"]
        Resource  = "*"
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
  ]

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

################################################################################
# KMS key of the trail (its bucket, its delivery topic, the vendors' log groups)
#
# The alarm path (the trail's CloudWatch Logs group and the alarm topic) has its own key below,
# so disabling this key cannot also silence the alarm that reports it.
################################################################################

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
    Statement = concat([
      local.account_root_statement,
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
      # CloudWatch Logs encrypts log groups of this account in this Region
      # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
      {
        Sid       = "CloudWatchLogsEncryptLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
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
    ], local.guard_statements)
  })

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.create ? 1 : 0

  name          = "alias/${var.name}-cloudtrail"
  target_key_id = aws_kms_key.this[0].key_id
}

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
    Statement = concat([
      local.account_root_statement,
      # CloudWatch Logs encrypts the trail's log group only
      # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
      {
        Sid       = "CloudWatchLogsEncryptTrailLogGroup"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnEquals = {
            "kms:EncryptionContext:aws:logs:arn" = local.log_group_arn
          }
        }
      },
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
    ], local.guard_statements)
  })

  tags = var.tags
}

resource "aws_kms_alias" "alarms" {
  count = var.create ? 1 : 0

  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms[0].key_id
}

################################################################################
# S3 bucket
################################################################################

resource "aws_s3_bucket" "this" {
  count = var.create ? 1 : 0

  # checkov:skip=CKV_AWS_18: no server access logging: it needs a second bucket outside this module. Reads of the log files are NOT recorded (the trail records management events only, no S3 data events; logging data events on the bucket that receives them would loop). The bucket policy admits only this trail's writes; log file validation detects tampering
  # checkov:skip=CKV_AWS_144: cross-Region replication is a DR choice left to the organization; the trail is multi-Region and versioned
  # checkov:skip=CKV2_AWS_62: no consumer for S3 event notifications; delivery notifications come from the trail's SNS topic
  bucket        = local.bucket_name
  force_destroy = var.s3_force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "trail-logs"
    status = "Enabled"

    filter {}

    transition {
      days          = var.s3_transition_to_glacier_days
      storage_class = "GLACIER"
    }

    dynamic "expiration" {
      for_each = var.s3_expiration_days != null ? [var.s3_expiration_days] : []

      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.s3_noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # CloudTrail checks the bucket ACL before delivering, for this trail only
      # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
      {
        Sid       = "AWSCloudTrailAclCheck"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = local.bucket_arn
        Condition = {
          StringEquals = { "aws:SourceArn" = local.trail_arn }
        }
      },
      # CloudTrail writes log files under AWSLogs/<account>/, for this trail only
      # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
      {
        Sid       = "AWSCloudTrailWrite"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${local.bucket_arn}/AWSLogs/${local.account_id}/*"
        Condition = {
          StringEquals = {
            "s3:x-amz-acl"  = "bucket-owner-full-control"
            "aws:SourceArn" = local.trail_arn
          }
        }
      },
      # Refuse every request that is not sent over TLS
      # https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# CloudWatch Logs delivery
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  # The alarm path's key: a disabled trail key must not stop the events that report it.
  kms_key_id = aws_kms_key.alarms[0].arn

  tags = var.tags
}

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

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
  count = var.create ? 1 : 0

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
        Resource = "${aws_cloudwatch_log_group.this[0].arn}:log-stream:*"
      },
    ]
  })
}

################################################################################
# SNS topic (log file delivery notifications)
################################################################################

resource "aws_sns_topic" "this" {
  count = var.create ? 1 : 0

  name              = "${var.name}-cloudtrail-delivery"
  kms_master_key_id = aws_kms_key.this[0].arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "this" {
  count = var.create ? 1 : 0

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

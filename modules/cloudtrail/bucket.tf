################################################################################
# S3 bucket
################################################################################

resource "aws_s3_bucket" "this" {
  count = local.own_trail ? 1 : 0

  # checkov:skip=CKV_AWS_144: cross-Region replication is a DR choice left to the organization; the trail is multi-Region and versioned
  # checkov:skip=CKV2_AWS_62: no consumer for S3 event notifications; delivery notifications come from the trail's SNS topic
  bucket        = local.bucket_name
  force_destroy = var.s3_force_destroy

  tags = var.tags

  # The trail's evidence outlives the deployment: a plan that would delete the bucket fails
  # ("Instance cannot be destroyed"). README, "Decommissioning": `terraform state rm` it first.
  lifecycle {
    prevent_destroy = true
  }
}

# Server access logs of the trail bucket: who read or deleted the log files (the trail records
# management events only). CIS AWS Foundations Benchmark v3.0.0 3.4.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
resource "aws_s3_bucket_logging" "this" {
  count = local.own_trail ? 1 : 0

  bucket        = aws_s3_bucket.this[0].id
  target_bucket = local.access_log_bucket_name
  target_prefix = "${local.bucket_name}/"

  depends_on = [aws_s3_bucket_policy.access_logs]
}

# Optional Object Lock on the trail bucket (versioned): log files cannot be deleted or
# overwritten for var.object_lock.days, even by the account root in COMPLIANCE mode. AWS can
# enable it on an existing versioned bucket.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html
resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = local.own_trail && var.object_lock != null ? 1 : 0

  bucket              = aws_s3_bucket.this[0].id
  object_lock_enabled = "Enabled"

  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = local.own_trail ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = local.own_trail ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = local.own_trail ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = local.own_trail ? 1 : 0

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
  count = local.own_trail ? 1 : 0

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
  count = local.own_trail ? 1 : 0

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

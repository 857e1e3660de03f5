################################################################################
# Server access log bucket of the trail bucket (unless var.access_log_bucket_name)
#
# S3 delivers server access logs with SSE-S3 only: a target bucket whose default encryption is
# SSE-KMS does not receive them. Delivery is authorised by a bucket policy for the logging
# service principal, limited to the trail bucket and this account (ACLs are off).
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
################################################################################

resource "aws_s3_bucket" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0

  # checkov:skip=CKV_AWS_18: this is the access-log bucket of the trail bucket; logging its own accesses into itself would loop (S3 advises a separate target)
  # checkov:skip=CKV_AWS_144: cross-Region replication is a DR choice left to the organization
  # checkov:skip=CKV2_AWS_62: no consumer for S3 event notifications
  # checkov:skip=CKV_AWS_145: S3 server access log delivery supports SSE-S3 target buckets only (SSE-KMS default encryption is not supported for the target): AES256 below
  bucket        = local.access_log_bucket_name
  force_destroy = var.s3_force_destroy

  tags = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.access_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "access-logs"
    status = "Enabled"

    filter {}

    transition {
      days          = var.s3_transition_to_glacier_days
      storage_class = "GLACIER"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.s3_noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # S3 delivers the trail bucket's access logs, for that bucket of this account only
      # https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general
      {
        Sid       = "S3ServerAccessLogsPolicy"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "arn:${local.partition}:s3:::${local.access_log_bucket_name}/${local.bucket_name}/*"
        Condition = {
          ArnLike      = { "aws:SourceArn" = local.bucket_arn }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      # Refuse every request that is not sent over TLS
      # https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:${local.partition}:s3:::${local.access_log_bucket_name}", "arn:${local.partition}:s3:::${local.access_log_bucket_name}/*"]
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

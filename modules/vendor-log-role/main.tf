data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Built from the name (not the resource attribute) so the policy is known at plan time.
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.log_group_name}"
}

################################################################################
# Log group
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  # The vendor's key-usage logs are evidence: they outlive the deployment (a destroy, or the
  # vendor's removal, only forgets the log group). Delete it by hand when it no longer matters.
  # https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/cloudwatch_log_group#skip_destroy
  skip_destroy = true

  tags = var.tags
}

################################################################################
# Role
################################################################################

resource "aws_iam_role" "this" {
  # checkov:skip=CKV_AWS_61: checkov cannot resolve var.trusted_principal_arns through the generated module; it is validated to hold IAM ARNs only (never "*") and every statement requires sts:ExternalId
  count = var.create ? 1 : 0

  name                 = var.name
  path                 = var.role_path
  description          = coalesce(var.role_description, "Lets the vendor write its logs into ${var.log_group_name}")
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # The vendor's principals assume the role only with the ExternalId agreed with us
      # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html
      {
        Sid       = "VendorAssumeRoleWithExternalId"
        Effect    = "Allow"
        Principal = { AWS = var.trusted_principal_arns }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "sts:ExternalId" = var.external_id }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  count = var.create ? 1 : 0

  name = "write-vendor-log-group"
  role = aws_iam_role.this[0].id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # Only var.actions, only on this one log group and its streams
      # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
      {
        Sid      = "WriteVendorLogGroup"
        Effect   = "Allow"
        Action   = sort(distinct(var.actions))
        Resource = [local.log_group_arn, "${local.log_group_arn}:log-stream:*"]
      },
    ]
  })
}

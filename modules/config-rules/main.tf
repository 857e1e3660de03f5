################################################################################
# AWS Config managed rules for the keys and the trail: an alternative (or a second opinion) to
# the metric alarms for accounts that use AWS Config. Each rule is AWS's, by identifier:
# https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html
# The account must already record with AWS Config (a configuration recorder in this Region):
# PutConfigRule fails without one. This module creates no recorder.
################################################################################

locals {
  rules = {
    # Automatic rotation on for each customer managed key.
    # https://docs.aws.amazon.com/config/latest/developerguide/cmk-backing-key-rotation-enabled.html
    "key-rotation-enabled" = {
      identifier = "CMK_BACKING_KEY_ROTATION_ENABLED"
      parameters = null
    }
    # These keys (kmsKeyIds) are not pending deletion.
    # https://docs.aws.amazon.com/config/latest/developerguide/kms-cmk-not-scheduled-for-deletion.html
    "key-not-scheduled-for-deletion" = {
      identifier = "KMS_CMK_NOT_SCHEDULED_FOR_DELETION"
      parameters = length(var.kms_key_ids) > 0 ? jsonencode({ kmsKeyIds = join(",", sort(var.kms_key_ids)) }) : null
    }
    # A multi-Region trail with management events, read and write, into this bucket and log group.
    # https://docs.aws.amazon.com/config/latest/developerguide/multi-region-cloudtrail-enabled.html
    "multi-region-trail" = {
      identifier = "MULTI_REGION_CLOUD_TRAIL_ENABLED"
      parameters = jsonencode({
        s3BucketName              = var.trail_bucket_name
        cloudWatchLogsLogGroupArn = var.trail_log_group_arn
        includeManagementEvents   = "true"
        readWriteType             = "ALL"
      })
    }
    # At least one trail with log file validation, KMS encryption, global events, all management
    # events. https://docs.aws.amazon.com/config/latest/developerguide/cloudtrail-security-trail-enabled.html
    "security-trail" = {
      identifier = "CLOUDTRAIL_SECURITY_TRAIL_ENABLED"
      parameters = null
    }
  }
}

resource "aws_config_config_rule" "this" {
  for_each = var.create ? local.rules : {}

  name                        = "${var.name_prefix}-${each.key}"
  description                 = "byok: AWS Config managed rule ${each.value.identifier}"
  input_parameters            = each.value.parameters
  maximum_execution_frequency = var.maximum_execution_frequency

  source {
    owner             = "AWS"
    source_identifier = each.value.identifier
  }

  tags = var.tags
}

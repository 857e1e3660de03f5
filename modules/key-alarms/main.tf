locals {
  # CIS AWS Foundations Benchmark control "Ensure a log metric filter and alarm exist for
  # disabling or scheduled deletion of customer created CMKs", by benchmark version
  # (numbering as in github.com/turbot/steampipe-mod-aws-compliance, cis_v120 ... cis_v600).
  # https://www.cisecurity.org/benchmark/amazon_web_services
  cis_control_ids = {
    "v1.2.0" = "3.7"
    "v1.4.0" = "4.7"
    "v3.0.0" = "4.7"
    "v5.0.0" = "4.7"
    "v6.0.0" = "5.7"
  }
  # ... and "Ensure a log metric filter and alarm exist for CloudTrail configuration changes"
  # (AWS Security Hub CloudWatch.5), same numbering source.
  cis_trail_control_ids = {
    "v1.2.0" = "3.5"
    "v1.4.0" = "4.5"
    "v3.0.0" = "4.5"
    "v5.0.0" = "4.5"
    "v6.0.0" = "5.5"
  }

  # One entry per control, keyed by a stable name: for_each addresses never shift.
  all_controls = {
    # CIS: KMS key disabled or scheduled for deletion (pattern verbatim from the benchmark remediation)
    # https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-creating-cloudwatch-alarm.html
    DisableOrDeleteCMK = {
      description = "A customer managed KMS key was disabled or scheduled for deletion"
      pattern     = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
      cis_control = local.cis_control_ids[var.cis_version]
    }
    # CIS: CloudTrail configuration changes (pattern verbatim from the benchmark remediation)
    # https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-5
    CloudTrailChanges = {
      description = "A CloudTrail trail was created, updated, deleted, started or stopped"
      pattern     = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
      cis_control = local.cis_trail_control_ids[var.cis_version]
    }
    # The rest are not CIS controls (the benchmark has no pattern for them); each watches one
    # KMS API call in the benchmark's own filter style.
    # https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html
    # A key policy was replaced (vendor access may have widened or narrowed)
    KeyPolicyChanges = {
      description = "The key policy of a KMS key was changed (PutKeyPolicy)"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = PutKeyPolicy) }"
      cis_control = null
    }
    # Imported key material was deleted: the key is unusable until the same material is imported
    KeyMaterialDeleted = {
      description = "Imported key material of a KMS key was deleted (DeleteImportedKeyMaterial)"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DeleteImportedKeyMaterial) }"
      cis_control = null
    }
    # Automatic rotation was turned off
    KeyRotationDisabled = {
      description = "Automatic rotation of a KMS key was disabled (DisableKeyRotation)"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DisableKeyRotation) }"
      cis_control = null
    }
    # A grant gives use of a key outside the key policy
    GrantCreated = {
      description = "A grant was created on a KMS key (CreateGrant)"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = CreateGrant) }"
      cis_control = null
    }
    # A multi-Region key was replicated: the replica has its own key policy
    KeyReplicated = {
      description = "A multi-Region KMS key was replicated to another Region (ReplicateKey)"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = ReplicateKey) }"
      cis_control = null
    }
  }

  controls = { for k, v in local.all_controls : k => v if var.create && !contains(var.disabled_controls, k) }
}

################################################################################
# SNS topic
################################################################################

resource "aws_sns_topic" "this" {
  count = var.create ? 1 : 0

  name              = "${var.name_prefix}-kms-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "this" {
  for_each = var.create ? toset(var.alarm_emails) : toset([])

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Metric filters
################################################################################

# Metric filters on the CloudTrail log group
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each = local.controls

  name           = "${var.name_prefix}-${each.key}"
  log_group_name = var.cloudtrail_log_group_name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.key
    namespace = var.namespace
    value     = "1"
  }
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.controls

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.namespace
  metric_name         = aws_cloudwatch_log_metric_filter.this[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = var.period
  evaluation_periods  = var.evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this[0].arn]

  tags = merge(
    var.tags,
    { Control = each.key },
    each.value.cis_control == null ? {} : {
      CISBenchmark = "CIS AWS Foundations Benchmark ${var.cis_version}"
      CISVersion   = var.cis_version
      CISControl   = each.value.cis_control
    },
  )
}

################################################################################
# Imported key material about to expire
################################################################################

# KMS publishes SecondsUntilKeyMaterialExpiration (AWS/KMS, dimension KeyId) for keys whose
# imported material expires; when it expires KMS deletes it and the key becomes unusable until
# the same material is imported again. The alarm fires material_expiry_warning_days before.
# https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
# No data (material that never expires, or not imported yet) is not an alarm.
resource "aws_cloudwatch_metric_alarm" "material_expiry" {
  for_each = var.create ? var.expiring_key_ids : {}

  alarm_name          = "${var.name_prefix}-KeyMaterialExpiry-${each.key}"
  alarm_description   = "Imported key material of ${each.key} expires in less than ${var.material_expiry_warning_days} days: re-import it (byok import-material)"
  namespace           = "AWS/KMS"
  metric_name         = "SecondsUntilKeyMaterialExpiration"
  dimensions          = { KeyId = each.value }
  statistic           = "Minimum"
  period              = 86400
  evaluation_periods  = 1
  threshold           = var.material_expiry_warning_days * 86400
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this[0].arn]

  tags = merge(var.tags, { Control = "KeyMaterialExpiry" })
}

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

  # One entry per control, keyed by a stable name: for_each addresses never shift.
  all_controls = {
    # CIS: KMS key disabled or scheduled for deletion (pattern verbatim from the benchmark remediation)
    # https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-creating-cloudwatch-alarm.html
    DisableOrDeleteCMK = {
      description = "A customer managed KMS key was disabled or scheduled for deletion"
      pattern     = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
      cis_control = local.cis_control_ids[var.cis_version]
    }
    # Not a CIS control: a key policy was replaced (vendor access may have widened or narrowed)
    KeyPolicyChanges = {
      description = "The key policy of a KMS key was changed (PutKeyPolicy)"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = PutKeyPolicy) }"
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

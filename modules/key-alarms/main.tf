locals {
  # The controls, their patterns and their sources: controls.json, which `byok audit` reads too
  # (one source for both). CIS AWS Foundations Benchmark v3.0.0, section 4: the Remediation
  # step's metric filter pattern of each control, verbatim (see the file's `note` and `sources`).
  catalog = jsondecode(file("${path.module}/controls.json"))

  # Default: the controls that bear on key access and its evidence (4.1, 4.3, 4.4, 4.5, 4.7,
  # 4.8, 4.15); cis_controls = "all" adds the rest with a metric filter (4.2, 4.6, 4.9-4.14).
  # 4.16 (Security Hub enabled) has no metric filter and is not created here.
  cis = {
    for c in local.catalog.cis : "CIS-${c.id}-${c.name}" => {
      pattern     = c.pattern
      description = "CIS AWS Foundations Benchmark v3.0.0 ${c.id} (${c.title}; ${c.level}): the benchmark's metric filter pattern, verbatim."
      cis_control = c.id
    }
    if var.create && (var.cis_controls == "all" || c.set == "default") && !contains(var.disabled_controls, c.name)
  }

  # Not CIS controls: one KMS API call each, scoped to this deployment's keys by key id
  # (var.key_ids), in chunks so no pattern exceeds CloudWatch Logs' 1024 characters. Every chunk
  # is one metric filter; the filters of one control publish its one metric.
  ev          = local.catalog.key_events
  key_chunks  = chunklist(sort(keys(var.key_ids)), local.ev.chunk)
  key_enabled = { for e in local.ev.events : e.name => e if var.create && length(var.key_ids) > 0 && !contains(var.disabled_controls, e.name) }
  key_filters = {
    for pair in setproduct(keys(local.key_enabled), range(length(local.key_chunks))) :
    "${pair[0]}/${pair[1]}" => {
      control = pair[0]
      name    = pair[1] == 0 ? "${var.name_prefix}-${pair[0]}" : "${var.name_prefix}-${pair[0]}-${pair[1] + 1}"
      pattern = "${format(local.ev.prefix, local.key_enabled[pair[0]].event)}${join(local.ev.join, [for k in local.key_chunks[pair[1]] : format(local.ev.term, var.key_ids[k])])}${local.ev.suffix}"
    }
  }

  filters = merge(
    { for k, v in local.cis : k => { control = k, name = "${var.name_prefix}-${k}", pattern = v.pattern } },
    local.key_filters,
  )
  alarms = merge(
    { for k, v in local.cis : k => { description = v.description, cis_control = v.cis_control } },
    { for k, e in local.key_enabled : k => { description = e.description, cis_control = null } },
  )

  topic_arn = var.sns_topic_arn != null ? var.sns_topic_arn : try(aws_sns_topic.this[0].arn, null)
}

################################################################################
# SNS topic (or an existing one: var.sns_topic_arn)
################################################################################

resource "aws_sns_topic" "this" {
  count = var.create && var.sns_topic_arn == null ? 1 : 0

  name              = "${var.name_prefix}-kms-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.kms_key_arn != null
      error_message = "kms_key_arn is required when the module creates the alarm topic (sns_topic_arn is null)."
    }
  }
}

resource "aws_sns_topic_subscription" "this" {
  for_each = var.create ? toset(var.alarm_emails) : toset([])

  topic_arn = local.topic_arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Metric filters
################################################################################

# Metric filters on the CloudTrail log group
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each = local.filters

  name           = each.value.name
  log_group_name = var.cloudtrail_log_group_name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.value.control
    namespace = var.namespace
    value     = "1"
  }
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.namespace
  metric_name         = each.key
  statistic           = "Sum"
  period              = var.period
  evaluation_periods  = var.evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topic_arn]

  tags = merge(
    var.tags,
    { Control = each.key },
    each.value.cis_control == null ? {} : {
      CISBenchmark = "CIS AWS Foundations Benchmark v3.0.0"
      CISVersion   = "v3.0.0"
      CISControl   = each.value.cis_control
    },
  )

  depends_on = [aws_cloudwatch_log_metric_filter.this]
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
  alarm_actions       = [local.topic_arn]

  tags = merge(var.tags, { Control = "KeyMaterialExpiry" })
}

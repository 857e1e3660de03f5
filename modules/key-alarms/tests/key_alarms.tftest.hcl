# Plan-only unit tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {}

# The topic ARN is computed; give it a value during plan so alarm_actions can be checked.
override_resource {
  target          = aws_sns_topic.this
  override_during = plan
  values = {
    arn = "arn:aws:sns:us-east-1:111122223333:acme-byok-kms-alarms"
  }
}

variables {
  name_prefix               = "acme-byok"
  cloudtrail_log_group_name = "/aws/cloudtrail/acme-byok"
  alarm_emails              = ["secops@acme.example", "oncall@acme.example"]
  kms_key_arn               = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  tags                      = { CostCenter = "security" }
}

run "cis_metric_filter_is_verbatim" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["DisableOrDeleteCMK"].pattern == "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
    error_message = "The CIS metric filter pattern must be the benchmark's text, verbatim."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["DisableOrDeleteCMK"].log_group_name == "/aws/cloudtrail/acme-byok"
    error_message = "The metric filter must watch the CloudTrail log group."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["KeyPolicyChanges"].pattern == "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = PutKeyPolicy) }"
    error_message = "The PutKeyPolicy metric filter pattern is wrong."
  }

  assert {
    condition     = alltrue([for f in aws_cloudwatch_log_metric_filter.this : f.metric_transformation[0].namespace == "CISBenchmark" && f.metric_transformation[0].value == "1"])
    error_message = "Metric filters must emit 1 into the CISBenchmark namespace."
  }

  assert {
    condition     = keys(output.metric_filter_names) == ["CloudTrailChanges", "DisableOrDeleteCMK", "GrantCreated", "KeyMaterialDeleted", "KeyPolicyChanges", "KeyReplicated", "KeyRotationDisabled"]
    error_message = "metric_filter_names must be keyed by control name."
  }
}

# CIS AWS Foundations Benchmark 4.5 (v1.4.0/v3.0.0; 3.5 in v1.2.0) = Security Hub CloudWatch.5,
# "Ensure a log metric filter and alarm exist for CloudTrail configuration changes"; the pattern
# is the benchmark's remediation text, verbatim.
# https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-5
run "cis_cloudtrail_changes_filter_is_verbatim" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["CloudTrailChanges"].pattern == "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
    error_message = "The CIS 4.5 CloudTrail changes pattern must be verbatim."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["CloudTrailChanges"].tags["CISControl"] == "4.5" && output.cis_trail_control_id == "4.5"
    error_message = "CIS v1.4.0 must map CloudTrail configuration changes to control 4.5."
  }
}

# KMS API calls without a CIS pattern: one filter each, in the benchmark's filter style.
# https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html
run "kms_lifecycle_filters" {
  command = plan

  assert {
    condition = {
      for k in ["KeyMaterialDeleted", "KeyRotationDisabled", "GrantCreated", "KeyReplicated"] :
      k => aws_cloudwatch_log_metric_filter.this[k].pattern
      } == {
      KeyMaterialDeleted  = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DeleteImportedKeyMaterial) }"
      KeyRotationDisabled = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DisableKeyRotation) }"
      GrantCreated        = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = CreateGrant) }"
      KeyReplicated       = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = ReplicateKey) }"
    }
    error_message = "The KMS lifecycle metric filter patterns are wrong."
  }

  assert {
    condition     = alltrue([for k in ["KeyMaterialDeleted", "KeyRotationDisabled", "GrantCreated", "KeyReplicated"] : !contains(keys(aws_cloudwatch_metric_alarm.this[k].tags), "CISControl")])
    error_message = "Controls without a CIS number must not be tagged as CIS controls."
  }
}

run "alarms_notify_encrypted_topic" {
  command = plan

  assert {
    condition     = aws_sns_topic.this[0].kms_master_key_id == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
    error_message = "The alarm topic must be KMS-encrypted with var.kms_key_arn."
  }

  assert {
    condition     = toset(keys(aws_sns_topic_subscription.this)) == toset(["secops@acme.example", "oncall@acme.example"])
    error_message = "There must be one email subscription per address."
  }

  assert {
    condition     = alltrue([for s in aws_sns_topic_subscription.this : s.protocol == "email"])
    error_message = "Subscriptions must use the email protocol."
  }

  assert {
    condition = alltrue([
      for a in aws_cloudwatch_metric_alarm.this :
      a.namespace == "CISBenchmark" && a.alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:acme-byok-kms-alarms"]) && a.threshold == 1 && a.comparison_operator == "GreaterThanOrEqualToThreshold" && a.statistic == "Sum"
    ])
    error_message = "Alarms must fire on Sum >= 1 in CISBenchmark and notify the alarm topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["DisableOrDeleteCMK"].metric_name == "DisableOrDeleteCMK"
    error_message = "The alarm must watch the metric its filter emits."
  }
}

run "alarms_tagged_with_cis_control_v1_4_0" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["DisableOrDeleteCMK"].tags["CISVersion"] == "v1.4.0" && aws_cloudwatch_metric_alarm.this["DisableOrDeleteCMK"].tags["CISControl"] == "4.7"
    error_message = "CIS v1.4.0 must tag the alarm with control 4.7."
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.this["KeyPolicyChanges"].tags), "CISControl")
    error_message = "The PutKeyPolicy alarm is not a CIS control and must not carry a CIS control tag."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["KeyPolicyChanges"].tags["CostCenter"] == "security"
    error_message = "var.tags must reach the alarms."
  }
}

run "cis_v1_2_0_control_id" {
  command = plan

  variables {
    cis_version = "v1.2.0"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["DisableOrDeleteCMK"].tags["CISControl"] == "3.7" && output.cis_control_id == "3.7" && output.cis_trail_control_id == "3.5"
    error_message = "CIS v1.2.0 must map to controls 3.7 and 3.5."
  }
}

run "cis_v3_0_0_control_id" {
  command = plan

  variables {
    cis_version = "v3.0.0"
  }

  assert {
    condition     = output.cis_control_id == "4.7"
    error_message = "CIS v3.0.0 must map to control 4.7."
  }
}

run "cis_v5_0_0_control_id" {
  command = plan

  variables {
    cis_version = "v5.0.0"
  }

  assert {
    condition     = output.cis_control_id == "4.7"
    error_message = "CIS v5.0.0 must map to control 4.7."
  }
}

run "cis_v6_0_0_control_id" {
  command = plan

  variables {
    cis_version = "v6.0.0"
  }

  assert {
    condition     = output.cis_control_id == "5.7" && output.cis_trail_control_id == "5.5"
    error_message = "CIS v6.0.0 must map to controls 5.7 and 5.5."
  }
}

run "disabled_control_is_dropped" {
  command = plan

  variables {
    disabled_controls = ["CloudTrailChanges", "KeyPolicyChanges", "KeyMaterialDeleted", "KeyRotationDisabled", "GrantCreated", "KeyReplicated"]
  }

  assert {
    condition     = keys(aws_cloudwatch_metric_alarm.this) == ["DisableOrDeleteCMK"] && keys(aws_cloudwatch_log_metric_filter.this) == ["DisableOrDeleteCMK"]
    error_message = "A disabled control must have neither filter nor alarm."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_sns_topic_subscription.this) == 0 && length(aws_cloudwatch_metric_alarm.this) == 0 && length(aws_cloudwatch_log_metric_filter.this) == 0
    error_message = "create = false must not create any resource."
  }

  assert {
    condition     = output.sns_topic_arn == null && length(output.alarm_arns) == 0
    error_message = "Outputs must be empty when create = false."
  }
}

run "rejects_unknown_disabled_control" {
  command = plan

  variables {
    disabled_controls = ["KeyPolicyChange"]
  }

  expect_failures = [var.disabled_controls]
}

run "rejects_invalid_email" {
  command = plan

  variables {
    alarm_emails = ["not-an-email"]
  }

  expect_failures = [var.alarm_emails]
}

run "rejects_unknown_cis_version" {
  command = plan

  variables {
    cis_version = "v2.0.0"
  }

  expect_failures = [var.cis_version]
}

run "imported_material_expiry_alarm" {
  command = plan

  variables {
    expiring_key_ids             = { "acme-vendor-prod" = "1234abcd-12ab-34cd-56ef-1234567890ab" }
    material_expiry_warning_days = 14
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.material_expiry) == 1
    error_message = "One expiry alarm per key with imported material."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.material_expiry["acme-vendor-prod"].namespace == "AWS/KMS" &&
      aws_cloudwatch_metric_alarm.material_expiry["acme-vendor-prod"].metric_name == "SecondsUntilKeyMaterialExpiration" &&
      aws_cloudwatch_metric_alarm.material_expiry["acme-vendor-prod"].dimensions["KeyId"] == "1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    error_message = "The expiry alarm must watch AWS/KMS SecondsUntilKeyMaterialExpiration of the key."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.material_expiry["acme-vendor-prod"].threshold == 1209600 &&
      aws_cloudwatch_metric_alarm.material_expiry["acme-vendor-prod"].comparison_operator == "LessThanThreshold"
    )
    error_message = "The expiry alarm must fire material_expiry_warning_days before expiry."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.material_expiry["acme-vendor-prod"].alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:acme-byok-kms-alarms"])
    error_message = "The expiry alarm must notify the alarm topic."
  }
}

run "no_expiry_alarm_without_imported_material" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.material_expiry) == 0
    error_message = "No expiry alarm without keys with imported material."
  }
}

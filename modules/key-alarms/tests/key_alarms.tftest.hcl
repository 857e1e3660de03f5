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
  key_ids = {
    "acme-slack-prod" = "1234abcd-12ab-34cd-56ef-1234567890ab"
    "acme-zoom-prod"  = "mrk-1234abcd12ab34cd56ef1234567890ab"
  }
}

# CIS AWS Foundations Benchmark v3.0.0 section 4, the default set: the controls that bear on
# key access and its evidence. Patterns as the benchmark's Remediation step prints them
# (steampipe-mod-aws-compliance cis_v300 docs @ a1d0b446; /work notes cis-section4.md), written
# out here, not read from controls.json, so a change to the file shows.
run "cis_default_set_verbatim" {
  command = plan

  assert {
    condition = keys(local.cis) == [
      "CIS-4.1-UnauthorizedAPICalls", "CIS-4.15-OrganizationsChanges", "CIS-4.3-RootAccountUsage",
      "CIS-4.4-IAMPolicyChanges", "CIS-4.5-CloudTrailChanges", "CIS-4.7-DisableOrDeleteCMK",
      "CIS-4.8-S3BucketPolicyChanges",
    ]
    error_message = "The default set is CIS v3.0.0 4.1, 4.3, 4.4, 4.5, 4.7, 4.8 and 4.15."
  }

  assert {
    condition = {
      for k in ["CIS-4.1-UnauthorizedAPICalls", "CIS-4.3-RootAccountUsage", "CIS-4.5-CloudTrailChanges", "CIS-4.7-DisableOrDeleteCMK"] :
      k => aws_cloudwatch_log_metric_filter.this[k].pattern
      } == {
      "CIS-4.1-UnauthorizedAPICalls" = "{ ($.errorCode =\"*UnauthorizedOperation\") || ($.errorCode =\"AccessDenied*\") && ($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") && ($.eventName!=\"HeadBucket\") }"
      "CIS-4.3-RootAccountUsage"     = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
      "CIS-4.5-CloudTrailChanges"    = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
      "CIS-4.7-DisableOrDeleteCMK"   = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
    }
    error_message = "CIS v3.0.0 patterns must be the benchmark's Remediation text, verbatim."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["CIS-4.4-IAMPolicyChanges"].pattern == "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"
    error_message = "CIS 4.4 must be verbatim (line-wrap damage of the copied text repaired)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["CIS-4.7-DisableOrDeleteCMK"].alarm_name == "acme-byok-CIS-4.7-DisableOrDeleteCMK" &&
      startswith(aws_cloudwatch_metric_alarm.this["CIS-4.7-DisableOrDeleteCMK"].alarm_description, "CIS AWS Foundations Benchmark v3.0.0 4.7 (Ensure disabling or scheduled deletion of customer created CMKs is monitored; L2)") &&
      aws_cloudwatch_metric_alarm.this["CIS-4.7-DisableOrDeleteCMK"].tags["CISVersion"] == "v3.0.0" &&
      aws_cloudwatch_metric_alarm.this["CIS-4.7-DisableOrDeleteCMK"].tags["CISControl"] == "4.7"
    )
    error_message = "Each CIS alarm carries its control id in its name, description and tags (v3.0.0)."
  }

  assert {
    condition     = alltrue([for f in aws_cloudwatch_log_metric_filter.this : f.log_group_name == "/aws/cloudtrail/acme-byok" && f.metric_transformation[0].namespace == "CISBenchmark" && f.metric_transformation[0].value == "1"])
    error_message = "Metric filters watch the CloudTrail log group and emit 1 into CISBenchmark."
  }
}

run "cis_all_adds_the_rest" {
  command = plan

  variables {
    cis_controls = "all"
  }

  assert {
    condition     = sort([for k, v in local.cis : v.cis_control]) == sort(["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15"])
    error_message = "cis_controls = all creates every section 4 control with a metric filter (4.16 has none)."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["CIS-4.9-AWSConfigChanges"].pattern == "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"
    error_message = "CIS 4.9 must be the v3.0.0 Remediation text."
  }
}

# Not CIS: one KMS API call each, only on this deployment's keys (by key id in the record's
# resources[0].ARN; a replica shares its primary's id).
run "key_events_scoped_to_our_keys" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["GrantCreated/0"].pattern == "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = CreateGrant) && (($.resources[0].ARN = \"*:key/1234abcd-12ab-34cd-56ef-1234567890ab\") || ($.resources[0].ARN = \"*:key/mrk-1234abcd12ab34cd56ef1234567890ab\")) }"
    error_message = "GrantCreated must match only CreateGrant on the deployment's keys."
  }

  assert {
    condition     = toset(keys(local.key_enabled)) == toset(["GrantCreated", "KeyMaterialDeleted", "KeyMaterialImported", "KeyPolicyChanges", "KeyReplicated", "KeyRotationDisabled", "PrimaryRegionUpdated"])
    error_message = "The key events are the seven of controls.json."
  }

  assert {
    condition = (
      aws_cloudwatch_log_metric_filter.this["KeyPolicyChanges/0"].name == "acme-byok-KeyPolicyChanges" &&
      aws_cloudwatch_metric_alarm.this["KeyPolicyChanges"].metric_name == "KeyPolicyChanges" &&
      !contains(keys(aws_cloudwatch_metric_alarm.this["KeyPolicyChanges"].tags), "CISControl")
    )
    error_message = "A key event has one filter per chunk and one alarm, not tagged as CIS."
  }
}

run "many_keys_are_chunked_under_the_pattern_limit" {
  command = plan

  variables {
    key_ids = { for i in range(23) : format("key-%02d", i) => format("mrk-%032d", i) }
  }

  assert {
    condition     = length([for k, f in aws_cloudwatch_log_metric_filter.this : k if startswith(k, "GrantCreated/")]) == 3
    error_message = "23 keys in chunks of 10 make three GrantCreated filters."
  }

  assert {
    condition     = alltrue([for f in aws_cloudwatch_log_metric_filter.this : length(f.pattern) <= 1024])
    error_message = "No metric filter pattern may exceed 1024 characters."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.this["GrantCreated/2"].name == "acme-byok-GrantCreated-3" && aws_cloudwatch_log_metric_filter.this["GrantCreated/2"].metric_transformation[0].name == "GrantCreated"
    error_message = "Every chunk's filter publishes the control's one metric."
  }
}

run "no_key_events_without_keys" {
  command = plan

  variables {
    key_ids = {}
  }

  assert {
    condition     = length(local.key_filters) == 0 && length(local.cis) == 7
    error_message = "Without key ids there is no key event alarm; the CIS ones stay."
  }
}

run "alarms_notify_encrypted_topic" {
  command = plan

  assert {
    condition     = aws_sns_topic.this[0].kms_master_key_id == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
    error_message = "The alarm topic must be KMS-encrypted with var.kms_key_arn."
  }

  assert {
    condition     = toset(keys(aws_sns_topic_subscription.this)) == toset(["secops@acme.example", "oncall@acme.example"]) && alltrue([for s in aws_sns_topic_subscription.this : s.protocol == "email"])
    error_message = "There must be one email subscription per address."
  }

  assert {
    condition = alltrue([
      for a in aws_cloudwatch_metric_alarm.this :
      a.namespace == "CISBenchmark" && a.alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:acme-byok-kms-alarms"]) && a.threshold == 1 && a.comparison_operator == "GreaterThanOrEqualToThreshold" && a.statistic == "Sum"
    ])
    error_message = "Alarms must fire on Sum >= 1 in CISBenchmark and notify the alarm topic."
  }
}

run "existing_topic_is_reused" {
  command = plan

  variables {
    sns_topic_arn = "arn:aws:sns:us-east-1:111122223333:baseline-security-alarms"
    kms_key_arn   = null
    alarm_emails  = []
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_sns_topic_subscription.this) == 0
    error_message = "With sns_topic_arn the module creates no topic."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:baseline-security-alarms"])]) && output.sns_topic_arn == "arn:aws:sns:us-east-1:111122223333:baseline-security-alarms"
    error_message = "Every alarm notifies the existing topic."
  }
}

run "disabled_control_is_dropped" {
  command = plan

  variables {
    disabled_controls = ["UnauthorizedAPICalls", "GrantCreated"]
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.this), "CIS-4.1-UnauthorizedAPICalls") && !contains(keys(aws_cloudwatch_metric_alarm.this), "GrantCreated") && !contains(keys(aws_cloudwatch_log_metric_filter.this), "GrantCreated/0") && length(aws_cloudwatch_metric_alarm.this) == 12
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

run "rejects_unknown_cis_set" {
  command = plan

  variables {
    cis_controls = "v1.4.0"
  }

  expect_failures = [var.cis_controls]
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

# Plan-only unit tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
      arn        = "arn:aws:iam::111122223333:user/test"
      user_id    = "AIDATEST"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }
}

# Computed attributes are unknown during plan unless overridden for the plan phase.
override_resource {
  target          = aws_kms_key.this
  override_during = plan
  values = {
    arn    = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
    key_id = "00000000-0000-0000-0000-000000000001"
  }
}

override_resource {
  target          = aws_kms_key.alarms
  override_during = plan
  values = {
    arn    = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
    key_id = "00000000-0000-0000-0000-000000000003"
  }
}

override_resource {
  target          = aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "acme-byok-cloudtrail-111122223333"
    arn = "arn:aws:s3:::acme-byok-cloudtrail-111122223333"
  }
}

override_resource {
  target          = aws_cloudwatch_log_group.this
  override_during = plan
  values = {
    arn = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/acme-byok"
  }
}

variables {
  name               = "acme-byok"
  log_retention_days = 400
  tags               = { CostCenter = "security" }
}

run "trail_is_multi_region_validated_encrypted_with_insights" {
  command = plan

  assert {
    condition     = aws_cloudtrail.this[0].is_multi_region_trail == true
    error_message = "The trail must be multi-Region."
  }

  assert {
    condition     = aws_cloudtrail.this[0].enable_log_file_validation == true
    error_message = "Log file validation must be enabled."
  }

  assert {
    condition     = aws_cloudtrail.this[0].include_global_service_events == true
    error_message = "The trail must include global service events."
  }

  assert {
    condition     = aws_cloudtrail.this[0].kms_key_id == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
    error_message = "The trail must be encrypted with its own KMS key."
  }

  assert {
    condition     = toset([for s in aws_cloudtrail.this[0].insight_selector : s.insight_type]) == toset(["ApiCallRateInsight", "ApiErrorRateInsight"])
    error_message = "Both ApiCallRateInsight and ApiErrorRateInsight must be enabled."
  }

  assert {
    condition     = aws_cloudtrail.this[0].cloud_watch_logs_group_arn == "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/acme-byok:*"
    error_message = "The trail must deliver to its CloudWatch Logs group."
  }

  assert {
    condition     = aws_cloudtrail.this[0].sns_topic_name == "acme-byok-cloudtrail-delivery"
    error_message = "sns_topic_name must be the topic NAME (moto does not resolve an ARN)."
  }

  assert {
    condition     = aws_cloudtrail.this[0].s3_bucket_name == "acme-byok-cloudtrail-111122223333"
    error_message = "The trail must deliver to the module's bucket."
  }
}

run "bucket_is_hardened" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this[0].block_public_acls,
      aws_s3_bucket_public_access_block.this[0].block_public_policy,
      aws_s3_bucket_public_access_block.this[0].ignore_public_acls,
      aws_s3_bucket_public_access_block.this[0].restrict_public_buckets,
    ])
    error_message = "All four public access block settings must be true."
  }

  assert {
    condition     = aws_s3_bucket.this[0].bucket == "acme-byok-cloudtrail-111122223333"
    error_message = "Default bucket name must be <name>-cloudtrail-<account id>."
  }

  assert {
    condition     = aws_s3_bucket.this[0].force_destroy == false
    error_message = "force_destroy must default to false."
  }

  assert {
    condition     = aws_s3_bucket_versioning.this[0].versioning_configuration[0].status == "Enabled"
    error_message = "Bucket versioning must be enabled."
  }

  assert {
    condition = (
      one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" &&
      one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).kms_master_key_id == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001" &&
      one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).bucket_key_enabled == true
    )
    error_message = "Default encryption must be SSE-KMS with the trail key and an S3 Bucket Key."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this[0].rule[0].status == "Enabled"
    error_message = "The lifecycle rule must be enabled."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this[0].rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_s3_bucket_policy.this[0].policy).Statement :
      s.Condition["StringEquals"]["aws:SourceArn"] == "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-byok"
      if s.Effect == "Allow"
    ])
    error_message = "Every Allow in the bucket policy must be limited to this trail by aws:SourceArn."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.this[0].policy).Statement :
      try(s.Condition.Bool["aws:SecureTransport"], null) == "false" && s.Action == "s3:*"
      if s.Effect == "Deny"
    ])
    error_message = "The bucket policy must deny requests without TLS."
  }
}

run "key_policy_and_log_group" {
  command = plan

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation == true
    error_message = "The trail key must rotate."
  }

  assert {
    condition = (
      [for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Condition if s.Sid == "CloudTrailEncryptLogs"][0]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"] == "arn:aws:cloudtrail:*:111122223333:trail/*" &&
      [for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Condition if s.Sid == "CloudTrailEncryptLogs"][0]["StringEquals"]["aws:SourceArn"] == "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-byok"
    )
    error_message = "CloudTrail may only generate data keys for this account's trails, from this trail."
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Sid], "CloudWatchLogsEncryptLogGroups")
    error_message = "Without kms_log_group_names CloudWatch Logs may not use the trail key at all."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_kms_key.alarms[0].policy).Statement : s.Principal.Service if s.Sid == "CloudWatchAlarmsEncryptedTopic"], "cloudwatch.amazonaws.com")
    error_message = "The alarm key policy must let CloudWatch alarms publish to encrypted topics."
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Sid], "CloudWatchAlarmsEncryptedTopic")
    error_message = "The trail key must not serve the alarm topic (one DisableKey would silence its own alarm)."
  }

  assert {
    condition     = [for s in jsondecode(aws_kms_key.alarms[0].policy).Statement : s.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"] if s.Sid == "CloudWatchLogsEncryptTrailLogGroup"] == ["arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/acme-byok"]
    error_message = "The alarm key may encrypt the trail's log group only."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].retention_in_days == 400 && aws_cloudwatch_log_group.this[0].kms_key_id == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
    error_message = "The trail's log group must be encrypted with the alarm key and keep var.log_retention_days."
  }

  assert {
    condition     = output.alarm_kms_key_arn == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
    error_message = "Output alarm_kms_key_arn is wrong."
  }

  assert {
    condition     = aws_sns_topic.this[0].kms_master_key_id == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
    error_message = "The delivery topic must be KMS-encrypted."
  }

  assert {
    condition     = output.cloudwatch_log_group_name == "/aws/cloudtrail/acme-byok"
    error_message = "Output cloudwatch_log_group_name is wrong."
  }

  assert {
    condition     = output.kms_key_arn == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
    error_message = "Output kms_key_arn is wrong."
  }
}

run "cloudwatch_logs_role_trust_names_this_trail" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Condition.StringEquals == {
      "aws:SourceArn"     = "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-byok"
      "aws:SourceAccount" = "111122223333"
    }
    error_message = "The CloudWatch Logs role trust needs aws:SourceArn and aws:SourceAccount."
  }
}

run "only_break_glass_disables_or_deletes_audit_keys" {
  command = plan

  variables {
    break_glass_role_arn = "arn:aws:iam::111122223333:role/BreakGlassKms"
  }

  assert {
    condition = alltrue([
      for k in [aws_kms_key.this[0], aws_kms_key.alarms[0]] : [
        for s in jsondecode(k.policy).Statement : s if s.Sid == "OnlyBreakGlassDisablesOrDeletes"
        ] == [{
          Sid       = "OnlyBreakGlassDisablesOrDeletes"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = ["kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:ImportKeyMaterial", "kms:ScheduleKeyDeletion", "kms:UpdatePrimaryRegion"]
          Resource  = "*"
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/BreakGlassKms" } }
      }]
    ])
    error_message = "Audit keys: the break-glass-only actions are denied to others."
  }

  assert {
    condition = alltrue([
      for k in [aws_kms_key.this[0], aws_kms_key.alarms[0]] : [
        for s in jsondecode(k.policy).Statement : s if s.Sid == "ReplicasOnlyInDeclaredRegions"
      ] == [{ Sid = "ReplicasOnlyInDeclaredRegions", Effect = "Deny", Principal = { AWS = "*" }, Action = "kms:ReplicateKey", Resource = "*" }]
    ])
    error_message = "Neither audit key may be replicated."
  }

  assert {
    condition = alltrue([
      for k in [aws_kms_key.this[0], aws_kms_key.alarms[0]] : [
        for s in jsondecode(k.policy).Statement : s.Condition if s.Sid == "GrantsOnlyForAwsResources"
      ] == [{ BoolIfExists = { "kms:GrantIsForAWSResource" = "false" } }]
    ])
    error_message = "Both audit keys must deny CreateGrant unless the grant is for an AWS resource."
  }

  assert {
    condition = alltrue([
      for k in [aws_kms_key.this[0], aws_kms_key.alarms[0]] : !anytrue([
        for s in jsondecode(k.policy).Statement : contains(flatten([s.Action]), "kms:DescribeKey") || contains(flatten([s.Action]), "kms:*") if s.Effect == "Deny"
      ])
    ])
    error_message = "No Deny may cover kms:DescribeKey."
  }
}

run "without_break_glass_nobody_disables_or_deletes" {
  command = plan

  assert {
    condition = alltrue([
      for k in [aws_kms_key.this[0], aws_kms_key.alarms[0]] : [
        for s in jsondecode(k.policy).Statement : s if s.Sid == "OnlyBreakGlassDisablesOrDeletes"
        ] == [{
          Sid       = "OnlyBreakGlassDisablesOrDeletes"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = ["kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:ImportKeyMaterial", "kms:ScheduleKeyDeletion", "kms:UpdatePrimaryRegion"]
          Resource  = "*"
      }]
    ])
    error_message = "Without a break-glass role the Deny must be unconditional."
  }
}

run "rejects_bad_break_glass_arn" {
  command = plan

  variables {
    break_glass_role_arn = "BreakGlassKms"
  }

  expect_failures = [var.break_glass_role_arn]
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_cloudtrail.this) == 0 && length(aws_s3_bucket.this) == 0 && length(aws_kms_key.this) == 0 && length(aws_kms_key.alarms) == 0
    error_message = "create = false must not create any resource."
  }

  assert {
    condition     = output.trail_arn == null && output.kms_key_arn == null
    error_message = "Outputs must be null when create = false."
  }
}

run "rejects_invalid_retention" {
  command = plan

  variables {
    log_retention_days = 100
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_uppercase_name" {
  command = plan

  variables {
    name = "Acme"
  }

  expect_failures = [var.name]
}

# Issue 24: the trail key lets CloudWatch Logs encrypt the named log groups only, not every log
# group of the account (kms:EncryptionContext:aws:logs:arn is the log group's ARN).
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
run "trail_key_scoped_to_named_log_groups" {
  command = plan

  variables {
    kms_log_group_names = ["/byok/acme/slack", "/byok/acme/zoom"]
  }

  assert {
    condition = [for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Condition if s.Sid == "CloudWatchLogsEncryptLogGroups"] == [{
      ArnEquals = {
        "kms:EncryptionContext:aws:logs:arn" = [
          "arn:aws:logs:us-east-1:111122223333:log-group:/byok/acme/slack",
          "arn:aws:logs:us-east-1:111122223333:log-group:/byok/acme/zoom",
        ]
      }
    }]
    error_message = "Only the named log groups may use the trail key."
  }
}

# Issue 24: the evidence outlives the deployment; CIS v3.0.0 3.4 access logging.
run "evidence_is_kept_and_access_logged" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this[0].skip_destroy == true
    error_message = "The trail's log group must survive a destroy (skip_destroy)."
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == "acme-byok-cloudtrail-access-111122223333" && aws_s3_bucket_logging.this[0].target_prefix == "acme-byok-cloudtrail-111122223333/"
    error_message = "The trail bucket's server access logs go to the access-log bucket (CIS v3.0.0 3.4)."
  }

  assert {
    condition = (
      one(one(aws_s3_bucket_server_side_encryption_configuration.access_logs[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256" &&
      aws_s3_bucket_versioning.access_logs[0].versioning_configuration[0].status == "Enabled" &&
      aws_s3_bucket_public_access_block.access_logs[0].restrict_public_buckets
    )
    error_message = "The access-log bucket is SSE-S3 (what S3 log delivery supports), versioned and private."
  }

  assert {
    condition = [for s in jsondecode(aws_s3_bucket_policy.access_logs[0].policy).Statement : s.Condition if s.Sid == "S3ServerAccessLogsPolicy"] == [{
      ArnLike      = { "aws:SourceArn" = "arn:aws:s3:::acme-byok-cloudtrail-111122223333" }
      StringEquals = { "aws:SourceAccount" = "111122223333" }
    }]
    error_message = "Only S3 log delivery for the trail bucket of this account may write access logs."
  }

  assert {
    condition     = length(aws_s3_bucket_object_lock_configuration.this) == 0
    error_message = "Object Lock is opt-in."
  }
}

run "existing_access_log_bucket_and_object_lock" {
  command = plan

  variables {
    access_log_bucket_name = "acme-baseline-access-logs"
    object_lock            = { mode = "COMPLIANCE", days = 365 }
  }

  assert {
    condition     = length(aws_s3_bucket.access_logs) == 0 && aws_s3_bucket_logging.this[0].target_bucket == "acme-baseline-access-logs"
    error_message = "An existing access-log bucket is used, not created."
  }

  assert {
    condition = (
      aws_s3_bucket_object_lock_configuration.this[0].object_lock_enabled == "Enabled" &&
      aws_s3_bucket_object_lock_configuration.this[0].rule[0].default_retention[0].mode == "COMPLIANCE" &&
      aws_s3_bucket_object_lock_configuration.this[0].rule[0].default_retention[0].days == 365
    )
    error_message = "object_lock sets the trail bucket's default retention."
  }
}

run "rejects_bad_object_lock" {
  command = plan

  variables {
    object_lock = { mode = "LEGAL_HOLD", days = 1 }
  }

  expect_failures = [var.object_lock]
}

# An existing trail (an account baseline's): only the two keys are created; the alarms read the
# existing trail's log group; the trail key serves no trail.
run "existing_trail_creates_only_the_keys" {
  command = plan

  variables {
    existing_trail = {
      arn            = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"
      log_group_name = "aws-controltower/CloudTrailLogs"
    }
    kms_log_group_names = ["/byok/acme/slack"]
  }

  assert {
    condition = (
      length(aws_cloudtrail.this) == 0 && length(aws_s3_bucket.this) == 0 && length(aws_s3_bucket.access_logs) == 0 &&
      length(aws_cloudwatch_log_group.this) == 0 && length(aws_iam_role.this) == 0 && length(aws_sns_topic.this) == 0 &&
      length(aws_kms_key.this) == 1 && length(aws_kms_key.alarms) == 1
    )
    error_message = "With existing_trail only the trail key and the alarm key are created."
  }

  assert {
    condition     = output.cloudwatch_log_group_name == "aws-controltower/CloudTrailLogs" && output.trail_arn == "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail" && output.trail_name == "org-trail"
    error_message = "The outputs name the existing trail and its log group."
  }

  assert {
    condition     = [for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Sid] == ["AccountRoot", "CloudWatchLogsEncryptLogGroups", "OnlyBreakGlassDisablesOrDeletes", "GrantsOnlyForAwsResources", "ReplicasOnlyInDeclaredRegions"]
    error_message = "The trail key serves no trail when the trail is someone else's."
  }
}

# Plan-only unit tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {}

variables {
  name_prefix         = "acme-byok"
  kms_key_ids         = ["2222-key", "1111-key"]
  trail_bucket_name   = "acme-byok-cloudtrail-111122223333"
  trail_log_group_arn = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/acme-byok"
  tags                = { CostCenter = "security" }
}

run "aws_managed_rules_for_keys_and_trail" {
  command = plan

  assert {
    condition = jsonencode({ for k, r in aws_config_config_rule.this : k => one(r.source).source_identifier }) == jsonencode({
      "key-not-scheduled-for-deletion" = "KMS_CMK_NOT_SCHEDULED_FOR_DELETION"
      "key-rotation-enabled"           = "CMK_BACKING_KEY_ROTATION_ENABLED"
      "multi-region-trail"             = "MULTI_REGION_CLOUD_TRAIL_ENABLED"
      "security-trail"                 = "CLOUDTRAIL_SECURITY_TRAIL_ENABLED"
    })
    error_message = "The rules must be AWS's managed rules for rotation, deletion and the trail."
  }

  assert {
    condition     = alltrue([for r in aws_config_config_rule.this : one(r.source).owner == "AWS" && r.maximum_execution_frequency == "TwentyFour_Hours" && r.tags["CostCenter"] == "security"])
    error_message = "Every rule must be AWS-owned, periodic and tagged."
  }
}

run "rules_name_these_keys_and_this_trail" {
  command = plan

  assert {
    condition     = jsondecode(aws_config_config_rule.this["key-not-scheduled-for-deletion"].input_parameters).kmsKeyIds == "1111-key,2222-key"
    error_message = "The deletion rule must check exactly var.kms_key_ids."
  }

  assert {
    condition     = jsondecode(aws_config_config_rule.this["multi-region-trail"].input_parameters).cloudWatchLogsLogGroupArn == "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/acme-byok" && jsondecode(aws_config_config_rule.this["multi-region-trail"].input_parameters).s3BucketName == "acme-byok-cloudtrail-111122223333"
    error_message = "The trail rule must name this trail's bucket and log group."
  }

  assert {
    condition     = aws_config_config_rule.this["key-rotation-enabled"].name == "acme-byok-key-rotation-enabled"
    error_message = "Rule names must carry var.name_prefix."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_config_config_rule.this) == 0
    error_message = "create = false must not create any resource."
  }
}

run "rejects_bad_frequency" {
  command = plan

  variables {
    maximum_execution_frequency = "Daily"
  }

  expect_failures = [var.maximum_execution_frequency]
}

# Plan-only unit tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {}

variables {
  alias_name              = "alias/acme-slack-prod"
  description             = "acme slack prod"
  rotation_period_in_days = 180
  deletion_window_in_days = 14
  tags                    = { CostCenter = "security" }
  policy                  = <<-JSON
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "AccountRoot",
          "Effect": "Allow",
          "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
          "Action": "kms:*",
          "Resource": "*"
        }
      ]
    }
  JSON
}

run "generated_key_rotates_and_keeps_policy" {
  command = plan

  assert {
    condition     = length(aws_kms_key.this) == 1 && length(aws_kms_external_key.this) == 0
    error_message = "Expected exactly one aws_kms_key and no aws_kms_external_key."
  }

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation == true
    error_message = "Automatic key rotation must be enabled."
  }

  assert {
    condition     = aws_kms_key.this[0].rotation_period_in_days == 180
    error_message = "rotation_period_in_days was not passed through."
  }

  assert {
    condition     = aws_kms_key.this[0].deletion_window_in_days == 14
    error_message = "deletion_window_in_days was not passed through."
  }

  assert {
    condition     = jsondecode(aws_kms_key.this[0].policy) == jsondecode(var.policy)
    error_message = "The key policy must be passed through unchanged."
  }

  assert {
    condition     = jsondecode(aws_kms_key.this[0].policy).Statement[0].Sid == "AccountRoot"
    error_message = "The key policy lost its AccountRoot statement."
  }

  assert {
    condition     = aws_kms_key.this[0].bypass_policy_lockout_safety_check == false
    error_message = "The policy lockout safety check must never be bypassed."
  }

  assert {
    condition     = aws_kms_key.this[0].multi_region == false && aws_kms_key.this[0].customer_master_key_spec == "SYMMETRIC_DEFAULT"
    error_message = "Expected a single-Region SYMMETRIC_DEFAULT key by default."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/acme-slack-prod"
    error_message = "Alias name was not passed through."
  }

  assert {
    condition     = aws_kms_key.this[0].tags["CostCenter"] == "security"
    error_message = "Tags were not passed through."
  }

  assert {
    condition     = output.alias_name == "alias/acme-slack-prod"
    error_message = "Output alias_name is wrong."
  }
}

run "multi_region_key" {
  command = plan

  variables {
    multi_region = true
  }

  assert {
    condition     = aws_kms_key.this[0].multi_region == true
    error_message = "multi_region was not passed through."
  }
}

run "rotation_can_be_disabled" {
  command = plan

  variables {
    enable_key_rotation = false
  }

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation == false
    error_message = "enable_key_rotation = false was not passed through."
  }
}

run "imported_key_material_uses_external_key" {
  command = plan

  variables {
    imported_key_material = true
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_external_key.this) == 1
    error_message = "imported_key_material must create an aws_kms_external_key instead of an aws_kms_key."
  }

  assert {
    condition     = jsondecode(aws_kms_external_key.this[0].policy) == jsondecode(var.policy)
    error_message = "The key policy must be passed through unchanged to the external key."
  }

  assert {
    condition     = aws_kms_external_key.this[0].deletion_window_in_days == 14
    error_message = "deletion_window_in_days was not passed through to the external key."
  }

  assert {
    condition     = aws_kms_external_key.this[0].bypass_policy_lockout_safety_check == false
    error_message = "The policy lockout safety check must never be bypassed."
  }

  assert {
    condition     = output.key_rotation_enabled == false
    error_message = "Imported key material cannot rotate; key_rotation_enabled must be false."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_external_key.this) == 0 && length(aws_kms_alias.this) == 0
    error_message = "create = false must not create any resource."
  }

  assert {
    condition     = output.key_arn == null && output.alias_name == null
    error_message = "Outputs must be null when create = false."
  }
}

run "rejects_deletion_window_below_7" {
  command = plan

  variables {
    deletion_window_in_days = 6
  }

  expect_failures = [var.deletion_window_in_days]
}

run "rejects_deletion_window_above_30" {
  command = plan

  variables {
    deletion_window_in_days = 31
  }

  expect_failures = [var.deletion_window_in_days]
}

run "rejects_rotation_period_below_90" {
  command = plan

  variables {
    rotation_period_in_days = 89
  }

  expect_failures = [var.rotation_period_in_days]
}

run "rejects_rotation_period_above_2560" {
  command = plan

  variables {
    rotation_period_in_days = 2561
  }

  expect_failures = [var.rotation_period_in_days]
}

run "rejects_alias_without_prefix" {
  command = plan

  variables {
    alias_name = "acme-slack-prod"
  }

  expect_failures = [var.alias_name]
}

run "rejects_reserved_aws_alias" {
  command = plan

  variables {
    alias_name = "alias/aws/s3"
  }

  expect_failures = [var.alias_name]
}

run "rejects_non_json_policy" {
  command = plan

  variables {
    policy = "not json"
  }

  expect_failures = [var.policy]
}

run "imported_key_material_with_material_is_enabled" {
  command = plan

  variables {
    imported_key_material = true
    key_material_base64   = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" # 32 zero bytes, test only
  }

  assert {
    condition     = aws_kms_external_key.this[0].enabled == true
    error_message = "A key with imported material must be enabled by default."
  }
}

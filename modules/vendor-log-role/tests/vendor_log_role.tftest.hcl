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

variables {
  name                   = "acme-slack-logging"
  trusted_principal_arns = ["arn:aws:iam::152659312504:root"]
  external_id            = "slack-ekm-Abc123"
  log_group_name         = "/byok/acme/slack"
  log_retention_days     = 731
  kms_key_arn            = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  tags                   = { CostCenter = "security" }
}

run "trust_requires_external_id" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_iam_role.this[0].assume_role_policy).Statement) == 1
    error_message = "The trust policy must have exactly one statement."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Condition.StringEquals["sts:ExternalId"] == "slack-ekm-Abc123"
    error_message = "The trust policy must require sts:ExternalId (StringEquals)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Principal.AWS == ["arn:aws:iam::152659312504:root"]
    error_message = "The trust policy must name exactly var.trusted_principal_arns."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Action == "sts:AssumeRole"
    error_message = "The trust policy must allow sts:AssumeRole only."
  }
}

run "policy_is_scoped_to_one_log_group" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.this[0].policy).Statement[0].Resource == [
      "arn:aws:logs:us-east-1:111122223333:log-group:/byok/acme/slack",
      "arn:aws:logs:us-east-1:111122223333:log-group:/byok/acme/slack:log-stream:*",
    ]
    error_message = "The inline policy must name exactly the vendor's log group and its streams."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this[0].policy).Statement[0].Action == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    error_message = "The inline policy must grant exactly var.actions."
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.this[0].policy).Statement) == 1 && jsondecode(aws_iam_role_policy.this[0].policy).Statement[0].Effect == "Allow"
    error_message = "The inline policy must be a single Allow statement."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.this[0].name == "/byok/acme/slack" &&
      aws_cloudwatch_log_group.this[0].retention_in_days == 731 &&
      aws_cloudwatch_log_group.this[0].kms_key_id == "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001" &&
      aws_cloudwatch_log_group.this[0].skip_destroy == true
    )
    error_message = "The log group must be created with var.log_group_name, KMS encryption and var.log_retention_days, and survive a destroy (skip_destroy)."
  }

  assert {
    condition     = aws_iam_role.this[0].name == "acme-slack-logging" && aws_iam_role.this[0].tags["CostCenter"] == "security"
    error_message = "Role name and tags were not passed through."
  }
}

run "custom_actions" {
  command = plan

  variables {
    actions = ["logs:PutLogEvents", "logs:CreateLogStream", "logs:PutLogEvents"]
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this[0].policy).Statement[0].Action == ["logs:CreateLogStream", "logs:PutLogEvents"]
    error_message = "Actions must be de-duplicated and sorted."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_iam_role.this) == 0 && length(aws_iam_role_policy.this) == 0 && length(aws_cloudwatch_log_group.this) == 0
    error_message = "create = false must not create any resource."
  }

  assert {
    condition     = output.role_arn == null && output.log_group_name == null
    error_message = "Outputs must be null when create = false."
  }
}

run "rejects_wildcard_actions" {
  command = plan

  variables {
    actions = ["logs:*"]
  }

  expect_failures = [var.actions]
}

run "rejects_invalid_principal" {
  command = plan

  variables {
    trusted_principal_arns = ["*"]
  }

  expect_failures = [var.trusted_principal_arns]
}

run "rejects_empty_principals" {
  command = plan

  variables {
    trusted_principal_arns = []
  }

  expect_failures = [var.trusted_principal_arns]
}

# STS accepts `_` in an ExternalId ([\w+=,.@:/-]), and so does the compiler: so must the module.
# https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_RequestParameters
run "accepts_every_sts_external_id_character" {
  command = plan

  variables {
    external_id = "acme_slack-EKM+=,.@:/09"
  }

  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Condition.StringEquals["sts:ExternalId"] == "acme_slack-EKM+=,.@:/09"
    error_message = "An ExternalId with `_` must reach the trust policy."
  }
}

run "rejects_invalid_external_id" {
  command = plan

  variables {
    external_id = "x"
  }

  expect_failures = [var.external_id]
}

run "rejects_non_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/aws/logs"
  }

  expect_failures = [var.kms_key_arn]
}

# Plan-only unit tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

override_resource {
  target          = aws_iam_role.this
  override_during = plan
  values = {
    arn = "arn:aws:iam::111122223333:role/acme-byok-siem"
  }
}

variables {
  name            = "acme-byok-siem"
  destination_arn = "arn:aws:firehose:us-east-1:111122223333:deliverystream/siem"
  log_group_names = {
    "trail"        = "/aws/cloudtrail/acme-byok"
    "vendor-slack" = "/byok/acme/slack"
  }
}

run "firehose_subscription_with_a_least_privilege_role" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role_policy.this[0].policy).Statement[0].Action == ["firehose:PutRecord", "firehose:PutRecordBatch"] && jsondecode(aws_iam_role_policy.this[0].policy).Statement[0].Resource == ["arn:aws:firehose:us-east-1:111122223333:deliverystream/siem"] && length(jsondecode(aws_iam_role_policy.this[0].policy).Statement) == 1
    error_message = "The role may only put records into the SIEM stream."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Principal.Service == "logs.amazonaws.com" && jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "111122223333" && jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Condition.StringLike["aws:SourceArn"] == "arn:aws:logs:us-east-1:111122223333:*"
    error_message = "Only CloudWatch Logs of this account and Region may assume the role."
  }

  assert {
    condition     = toset([for f in aws_cloudwatch_log_subscription_filter.this : f.log_group_name]) == toset(["/aws/cloudtrail/acme-byok", "/byok/acme/slack"]) && alltrue([for f in aws_cloudwatch_log_subscription_filter.this : f.destination_arn == "arn:aws:firehose:us-east-1:111122223333:deliverystream/siem" && f.role_arn == "arn:aws:iam::111122223333:role/acme-byok-siem" && f.filter_pattern == ""])
    error_message = "Every log group must be subscribed to the stream through the role."
  }

  assert {
    condition     = length(aws_lambda_permission.this) == 0
    error_message = "A Firehose destination needs no Lambda permission."
  }
}

run "lambda_subscription_with_a_permission_per_log_group" {
  command = plan

  variables {
    destination_arn = "arn:aws:lambda:us-east-1:111122223333:function:siem-forwarder"
  }

  assert {
    condition     = length(aws_iam_role.this) == 0 && length(aws_iam_role_policy.this) == 0 && output.role_arn == null
    error_message = "A Lambda destination needs no role."
  }

  assert {
    condition     = aws_lambda_permission.this["vendor-slack"].principal == "logs.amazonaws.com" && aws_lambda_permission.this["vendor-slack"].source_arn == "arn:aws:logs:us-east-1:111122223333:log-group:/byok/acme/slack:*" && aws_lambda_permission.this["vendor-slack"].source_account == "111122223333" && aws_lambda_permission.this["vendor-slack"].action == "lambda:InvokeFunction"
    error_message = "Only Logs, per subscribed log group of this account, may invoke it."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_iam_role.this) == 0 && length(aws_cloudwatch_log_subscription_filter.this) == 0 && length(aws_lambda_permission.this) == 0
    error_message = "create = false must not create any resource."
  }
}

run "rejects_other_destinations" {
  command = plan

  variables {
    destination_arn = "arn:aws:kinesis:us-east-1:111122223333:stream/siem"
  }

  expect_failures = [var.destination_arn]
}

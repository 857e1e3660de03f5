# Plan-only unit tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {}

variables {
  name         = "acme-byok"
  limit_usd    = 27.4
  alert_emails = ["secops@acme.example", "kms-oncall@acme.example"]
  tags         = { CostCenter = "security" }
}

run "monthly_cost_budget_on_the_byok_services" {
  command = plan

  assert {
    condition     = aws_budgets_budget.this[0].budget_type == "COST" && aws_budgets_budget.this[0].time_unit == "MONTHLY" && aws_budgets_budget.this[0].limit_unit == "USD"
    error_message = "The budget must be a monthly cost budget in USD."
  }

  assert {
    condition     = aws_budgets_budget.this[0].limit_amount == "27.40"
    error_message = "limit_usd must be sent with two decimals."
  }

  assert {
    condition     = one(aws_budgets_budget.this[0].cost_filter).name == "Service" && one(aws_budgets_budget.this[0].cost_filter).values == tolist(["AWS CloudTrail", "AWS Key Management Service", "AmazonCloudWatch"])
    error_message = "The budget must count KMS, CloudTrail and CloudWatch spend only."
  }
}

run "alerts_on_actual_and_forecast" {
  command = plan

  assert {
    condition = jsonencode(sort([
      for n in aws_budgets_budget.this[0].notification : "${n.notification_type}:${n.threshold}:${n.comparison_operator}:${n.threshold_type}:${join(",", sort(n.subscriber_email_addresses))}"
      ])) == jsonencode([
      "ACTUAL:80:GREATER_THAN:PERCENTAGE:kms-oncall@acme.example,secops@acme.example",
      "FORECASTED:100:GREATER_THAN:PERCENTAGE:kms-oncall@acme.example,secops@acme.example",
    ])
    error_message = "Alerts: e-mail at 80% actual and 100% forecast spend."
  }

  assert {
    condition     = aws_budgets_budget.this[0].tags["CostCenter"] == "security" && aws_budgets_budget.this[0].name == "acme-byok"
    error_message = "Name and tags were not passed through."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_budgets_budget.this) == 0 && output.budget_name == null
    error_message = "create = false must not create any resource."
  }
}

run "rejects_a_zero_limit" {
  command = plan

  variables {
    limit_usd = 0
  }

  expect_failures = [var.limit_usd]
}

run "rejects_no_recipient" {
  command = plan

  variables {
    alert_emails = []
  }

  expect_failures = [var.alert_emails]
}

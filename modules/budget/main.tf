################################################################################
# Budget: the month's spend on the services the keys, the trail and the log groups are billed
# under, with an alert on actual spend and one on forecast spend.
# https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html
################################################################################

resource "aws_budgets_budget" "this" {
  count = var.create ? 1 : 0

  name         = var.name
  budget_type  = "COST"
  limit_amount = format("%.2f", var.limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  # Cost Explorer's SERVICE dimension values (`aws ce get-dimension-values --dimension SERVICE`).
  # The filter covers the whole account's spend on these services, not only these resources.
  cost_filter {
    name   = "Service"
    values = sort(distinct(var.services))
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    notification_type          = "ACTUAL"
    threshold                  = var.actual_threshold_percent
    threshold_type             = "PERCENTAGE"
    subscriber_email_addresses = sort(distinct(var.alert_emails))
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    notification_type          = "FORECASTED"
    threshold                  = var.forecast_threshold_percent
    threshold_type             = "PERCENTAGE"
    subscriber_email_addresses = sort(distinct(var.alert_emails))
  }

  tags = var.tags
}

################################################################################
# Budget
################################################################################

output "budget_name" {
  description = "Name of the budget."
  value       = try(aws_budgets_budget.this[0].name, null)
}

output "budget_arn" {
  description = "ARN of the budget."
  value       = try(aws_budgets_budget.this[0].arn, null)
}

output "limit_usd" {
  description = "The monthly limit, as sent (two decimals)."
  value       = try(aws_budgets_budget.this[0].limit_amount, null)
}

################################################################################
# Rules
################################################################################

output "rule_names" {
  description = "Names of the AWS Config rules, by control."
  value       = { for k, r in aws_config_config_rule.this : k => r.name }
}

output "rule_arns" {
  description = "ARNs of the AWS Config rules, by control."
  value       = { for k, r in aws_config_config_rule.this : k => r.arn }
}

################################################################################
# Analyzer
################################################################################

output "analyzer_arn" {
  description = "ARN of the analyzer created here (null when an existing analyzer is used)."
  value       = try(aws_accessanalyzer_analyzer.this[0].arn, null)
}

output "analyzer_name" {
  description = "Name of the analyzer the archive rules belong to (null when create is false)."
  value       = var.create ? local.analyzer_name : null
}

################################################################################
# Archive rules
################################################################################

output "archive_rule_names" {
  description = "Names of the archive rules, sorted."
  value       = sort(keys(aws_accessanalyzer_archive_rule.this))
}

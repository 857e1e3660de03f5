output "keys" {
  description = "Map of key name (<vendor>-<env>) to {key_arn, key_id, alias_name}."
  value       = module.byok.keys
}

output "logging" {
  description = "Map of app (vendor) to {role_arn, log_group_name} for vendors that ship logs to us."
  value       = module.byok.logging
}

output "trail" {
  description = "The CloudTrail trail: {arn, bucket_name, log_group_name}."
  value       = module.byok.trail
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the key alarms notify."
  value       = module.byok.alarm_topic_arn
}

output "handoff" {
  description = "Map of key name to everything to send the vendor (key ARN, role ARN, ExternalId, ...)."
  value       = module.byok.handoff
}

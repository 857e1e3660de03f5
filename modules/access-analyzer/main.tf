################################################################################
# Analyzer (external access): every resource of the zone of trust shared outside it is a finding
# https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html
################################################################################

resource "aws_accessanalyzer_analyzer" "this" {
  count = var.create && var.create_analyzer ? 1 : 0

  analyzer_name = var.analyzer_name
  type          = var.type

  tags = var.tags
}

locals {
  # The analyzer the rules belong to: the one created here, or an existing one of that name (an
  # account has at most one account-level analyzer per type and Region).
  analyzer_name = var.create_analyzer ? try(aws_accessanalyzer_analyzer.this[0].analyzer_name, var.analyzer_name) : var.analyzer_name
}

################################################################################
# Archive rules: a finding on exactly this key for exactly these principals is expected access
# (the reviewed vendor grants); any other external principal stays an active finding.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-filter-keys.html
################################################################################

resource "aws_accessanalyzer_archive_rule" "this" {
  for_each = var.create ? var.archive_rules : {}

  analyzer_name = local.analyzer_name
  rule_name     = each.key

  filter {
    criteria = "resourceType"
    eq       = ["AWS::KMS::Key"]
  }

  filter {
    criteria = "resource"
    eq       = [each.value.resource_arn]
  }

  filter {
    criteria = "principal.AWS"
    eq       = sort(distinct(each.value.principals))
  }
}

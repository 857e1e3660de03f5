# Plan-only unit tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {}

variables {
  analyzer_name = "acme-byok"
  archive_rules = {
    "acme-byok-slack-prod" = {
      resource_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
      principals   = ["arn:aws:iam::152659312504:root", "152659312504"]
    }
    "acme-byok-zoom-prod" = {
      resource_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
      principals   = ["409910850980", "arn:aws:iam::409910850980:root", "409910850980"]
    }
  }
  tags = { CostCenter = "security" }
}

run "account_analyzer_with_one_rule_per_key" {
  command = plan

  assert {
    condition     = aws_accessanalyzer_analyzer.this[0].type == "ACCOUNT" && aws_accessanalyzer_analyzer.this[0].analyzer_name == "acme-byok"
    error_message = "The analyzer must be an ACCOUNT analyzer named var.analyzer_name."
  }

  assert {
    condition     = toset(keys(aws_accessanalyzer_archive_rule.this)) == toset(["acme-byok-slack-prod", "acme-byok-zoom-prod"])
    error_message = "There must be one archive rule per entry of var.archive_rules."
  }

  assert {
    condition     = aws_accessanalyzer_analyzer.this[0].tags["CostCenter"] == "security"
    error_message = "Tags were not passed through."
  }
}

run "rules_name_exactly_the_key_and_its_principals" {
  command = plan

  assert {
    condition = jsonencode({
      for f in aws_accessanalyzer_archive_rule.this["acme-byok-zoom-prod"].filter : f.criteria => f.eq
      }) == jsonencode({
      "resourceType"  = ["AWS::KMS::Key"]
      "resource"      = ["arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"]
      "principal.AWS" = ["409910850980", "arn:aws:iam::409910850980:root"]
    })
    error_message = "Each rule must match only its key and exactly its principals."
  }

  assert {
    condition     = aws_accessanalyzer_archive_rule.this["acme-byok-slack-prod"].analyzer_name == "acme-byok"
    error_message = "Archive rules must belong to the analyzer."
  }
}

run "organization_zone_of_trust" {
  command = plan

  variables {
    type = "ORGANIZATION"
  }

  assert {
    condition     = aws_accessanalyzer_analyzer.this[0].type == "ORGANIZATION"
    error_message = "var.type must reach the analyzer."
  }
}

run "existing_analyzer_gets_only_rules" {
  command = plan

  variables {
    create_analyzer = false
    analyzer_name   = "org-wide-analyzer"
  }

  assert {
    condition     = length(aws_accessanalyzer_analyzer.this) == 0 && aws_accessanalyzer_archive_rule.this["acme-byok-zoom-prod"].analyzer_name == "org-wide-analyzer"
    error_message = "With create_analyzer = false the rules must attach to the existing analyzer and none may be created."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_accessanalyzer_analyzer.this) == 0 && length(aws_accessanalyzer_archive_rule.this) == 0 && output.analyzer_name == null
    error_message = "create = false must not create any resource."
  }
}

run "rejects_wildcard_principal" {
  command = plan

  variables {
    archive_rules = {
      "acme-byok-any" = {
        resource_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
        principals   = ["*"]
      }
    }
  }

  expect_failures = [var.archive_rules]
}

run "rejects_bad_type" {
  command = plan

  variables {
    type = "ACCOUNT_UNUSED_ACCESS"
  }

  expect_failures = [var.type]
}

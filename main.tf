################################################################################
# Hand-owned root module
#
# Everything organization-specific is compiled by `byok generate` into ./generated
# from org.yaml and vendors/*.yaml; this file only configures the provider and
# state. Do not put resources here.
################################################################################

# Remote state: keep it encrypted, versioned and locked. Example (fill in, then
# `terraform init -migrate-state`):
#
# terraform {
#   backend "s3" {
#     bucket       = "acme-terraform-state-111122223333"
#     key          = "byok/terraform.tfstate"
#     region       = "us-east-1"
#     encrypt      = true
#     kms_key_id   = "alias/acme-terraform-state"
#     use_lockfile = true # S3 native locking, Terraform >= 1.10; use dynamodb_table on older versions
#   }
# }

locals {
  # The account and Region generated/ was compiled for (org.yaml `account_id` and `region`).
  # The provider works only there: another Region cannot be chosen, and credentials of another
  # account fail the plan before anything is created.
  organization = jsondecode(file("${path.module}/generated/organization.json"))
}

provider "aws" {
  region              = local.organization.region
  allowed_account_ids = [local.organization.account_id]

  default_tags {
    tags = {
      ManagedBy = "terraform"
      Project   = "byok-compiler"
    }
  }
}

module "byok" {
  source = "./generated"
}

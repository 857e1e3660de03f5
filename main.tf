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

provider "aws" {
  region = var.region

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

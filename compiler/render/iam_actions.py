"""The IAM actions the deployer role needs per kind of resource `generated/` declares
(render/permissions.py builds the policies from them), as the AWS provider's create, read,
update and delete of each Terraform resource type calls them: the recording of `make e2e`
(tests/e2e/calls.py) shows every call, and names the actions with the Service Authorization
Reference.
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

# kms-key, the cloudtrail module's two keys, replicas (replicas.tf), aliases. ReplicateKey needs
# kms:CreateKey in the replica's Region and kms:ReplicateKey on the primary.
# https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-auth.html
# Tags given to CreateKey (and ReplicateKey) are authorized as kms:TagResource on no key yet:
# Resource "*". https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html
KMS_NO_RESOURCE = ("kms:CreateKey", "kms:ListAliases", "kms:TagResource")
KMS_KEYS = (
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
KMS_ALIASES = ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")
TRAIL = (
    "cloudtrail:AddTags",
    "cloudtrail:CreateTrail",
    "cloudtrail:DeleteTrail",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetInsightSelectors",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:ListTags",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:RemoveTags",
    "cloudtrail:StartLogging",
    "cloudtrail:UpdateTrail",
)
# aws_s3_bucket reads every sub-resource of the bucket after each create and refresh;
# aws_s3_bucket_logging and aws_s3_bucket_object_lock_configuration put theirs (PutBucketLogging
# also removes the logging, PutBucketObjectLockConfiguration the default retention).
BUCKET = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLogging",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:PutBucketLogging",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
LOG_GROUPS = (
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteMetricFilter",
    "logs:DeleteRetentionPolicy",
    "logs:DescribeMetricFilters",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:PutMetricFilter",
    "logs:PutRetentionPolicy",
    "logs:TagResource",
    "logs:UntagResource",
)
SUBSCRIPTIONS = (
    "logs:DeleteSubscriptionFilter",
    "logs:DescribeSubscriptionFilters",
    "logs:PutSubscriptionFilter",
)
ROLES = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
TOPICS = (
    "sns:CreateTopic",
    "sns:DeleteTopic",
    "sns:GetSubscriptionAttributes",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:TagResource",
    "sns:Unsubscribe",
    "sns:UntagResource",
)
ALARMS = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
)
# AWS Budgets authorizes its API with budgets:ViewBudget / budgets:ModifyBudget.
# https://docs.aws.amazon.com/cost-management/latest/userguide/billing-permissions-ref.html
BUDGETS = (
    "budgets:ListTagsForResource",
    "budgets:ModifyBudget",
    "budgets:TagResource",
    "budgets:UntagResource",
    "budgets:ViewBudget",
)
ANALYZER = (
    "access-analyzer:CreateAnalyzer",
    "access-analyzer:DeleteAnalyzer",
    "access-analyzer:GetAnalyzer",
    "access-analyzer:ListTagsForResource",
    "access-analyzer:TagResource",
    "access-analyzer:UntagResource",
)
ARCHIVE_RULES = (
    "access-analyzer:CreateArchiveRule",
    "access-analyzer:DeleteArchiveRule",
    "access-analyzer:GetArchiveRule",
    "access-analyzer:UpdateArchiveRule",
)
CONFIG = (
    "config:DeleteConfigRule",
    "config:DescribeConfigRules",
    "config:ListTagsForResource",
    "config:PutConfigRule",
    "config:TagResource",
    "config:UntagResource",
)
LAMBDA = ("lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission")


# The auditor: reads only (live/state.py, live/analyzer.py, live/activity.py).
# `byok audit` reads each role generated/ declares: its trust policy, inline and attached
# policies (live/chain_state.py), judged with the engine
AUDIT_ROLES = (
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
)
AUDIT_POLICIES = ("iam:GetPolicy", "iam:GetPolicyVersion")
READ_KEYS = (
    "kms:DescribeKey",
    "kms:GetKeyLastUsage",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
)
ANALYZER_CHECKS = ("access-analyzer:CheckNoNewAccess", "access-analyzer:ValidatePolicy")
ANALYZER_FINDINGS = ("access-analyzer:GetAnalyzer", "access-analyzer:ListFindings")

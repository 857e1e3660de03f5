"""The E3xx (resolve: org x vendor catalogue) codes of the diagnostic catalogue, as (code,
title, description): `codes.CATALOGUE` makes each a `Code`; nothing else reads this module."""

from __future__ import annotations

RESOLVE_CODES: tuple[tuple[str, str, str], ...] = (
    ("E301", "unknown vendor", "The app names a vendor with no file under vendors/."),
    ("E302", "unknown revocation scope", "The vendor does not declare this revocation scope."),
    (
        "E303",
        "revocation value does not match the scope pattern",
        "Each revoked value must match the scope's `pattern` from the vendor file.",
    ),
    ("E304", "missing parameter", "The vendor needs a parameter the app does not supply."),
    ("E305", "unknown parameter", "The app supplies a parameter the vendor does not declare."),
    ("E306", "bad parameter value", "A parameter value does not match the vendor's pattern."),
    (
        "E307",
        "unknown environment",
        "A revocation or suspension names an environment the app does not have.",
    ),
    ("E308", "vendor without principals", "A vendor file must grant at least one principal."),
    ("E309", "unsupported revocation", "The vendor does not support suspension or revocation."),
    ("E310", "unsupported key option", "A key option contradicts the vendor's requirements."),
    ("E311", "duplicate key", "Two apps produce the same key name or alias."),
    (
        "E312",
        "unknown KMS action",
        "The action is not in the KMS action catalogue (compiler/data/kms_actions.json).",
    ),
    ("E313", "unknown condition key", "The condition key is not a known global or KMS key."),
    (
        "E314",
        "forbidden condition key",
        "KMS rejects these condition keys in key policies "
        "(aws:ResourceTag, kms:ResourceAliases, ...).",
    ),
    (
        "E315",
        "ForAllValues on a single-valued key",
        "KMS rejects `ForAllValues` with kms:EncryptionContext:* (OverlyPermissiveCondition).",
    ),
    ("E316", "unknown condition operator", "The operator is not an IAM condition operator."),
    (
        "E317",
        "lockout-prone administrators",
        "A key administrator is also the vendor, or no "
        "principal of the organization can manage the key.",
    ),
    (
        "E318",
        "set operator with IfExists",
        "AWS documents `ForAnyValue:`/`ForAllValues:` and `...IfExists` each on its own, not "
        "together; the compiler refuses to guess what the pair does (on a missing key in "
        "particular).",
    ),
    (
        "E319",
        "plain operator on a multi-valued key",
        "AWS documents only `ForAnyValue:`/`ForAllValues:` for multi-valued condition keys "
        "(aws:TagKeys, kms:EncryptionContextKeys, ...); how a plain operator reads a list is "
        "undocumented.",
    ),
    (
        "E320",
        "key removed without a decommission",
        "`generated/` holds a key that org.yaml no longer produces (an app or environment was "
        "removed). Deleting the key would make everything the vendor encrypted under it "
        "unreadable (Terraform refuses: `prevent_destroy`): restore it, or declare it under "
        '`decommissions:` (README, "Decommissioning a key").',
    ),
    (
        "E321",
        "decommissioned key still in use",
        "A decommission names a key that an app of org.yaml still produces.",
    ),
    (
        "E322",
        "decommission confirmed in the future",
        "`vendor_confirmed` is the date the vendor confirmed re-encryption or deletion: it "
        "cannot be after today.",
    ),
    (
        "E323",
        "stale generated/",
        "`byok diff` reviews the files Terraform applies: a file under `generated/` differs "
        "from what org.yaml and vendors/ compile to (hand edit, or `byok generate` not run).",
    ),
    (
        "E325",
        "revocation on an unconfirmed context key",
        "The scope's context key is `verified: false`: if the vendor does not send exactly that "
        "key, the Deny matches nothing and the revocation fails open. Confirm the key (and set "
        "`verified: true` with its source) or acknowledge the gap on the revocation with "
        "`unconfirmed_context_key: {reason: ..., ticket: ...}`.",
    ),
    (
        "E326",
        "incomplete revocation actions",
        "`revocation.actions` must cover every permission the vendor's grants give that accesses "
        "data (all but metadata reads such as kms:DescribeKey), after wildcard expansion; "
        "otherwise a suspension or revocation leaves the vendor reading data.",
    ),
    (
        "E330",
        "not an STS ExternalId",
        "The logging ExternalId must be 2-1224 characters of A-Z a-z 0-9 _ + = , . @ : / - "
        "(what STS and the vendor-log-role module accept), whatever the vendor's pattern allows.",
    ),
    ("E340", "replica in the primary's Region", "`replica_regions` lists org.yaml `region`."),
    ("E341", "duplicate replica Region", "A Region is listed twice in `replica_regions`."),
    ("E342", "replicas of a single-Region key", "Only a multi-Region key has replicas."),
    ("E343", "replicas of imported key material", "Replicate only AWS-generated material."),
    ("E344", "contradictory key origin", "`origin` and `imported_key_material` disagree."),
    ("E345", "replacement of an unknown environment", "The app does not list it."),
    ("E346", "replacement generations out of order", "Generations are 2, 3, ... once each."),
    ("E347", "duplicate stack", "Each account and Region is one stack, not the org's own."),
    ("E348", "environment in two stacks", "An environment's keys live in one stack."),
    ("E349", "stack identity in another account", "Stack roles are of the stack account."),
    # Issue 22: the reviewed state of a key (README, "Incidents").
    (
        "E350",
        "key state of an unknown environment",
        "No such environment in the app.",
    ),
    ("E351", "duplicate key state", "An environment has one entry in `key_states`."),
    (
        "E352",
        "key disabled without a break-glass role",
        "Every key policy denies kms:DisableKey to all but the break-glass role: without one, "
        "Terraform cannot disable the key.",
    ),
    (
        "E353",
        "key state of imported key material",
        "Terraform does not manage the key state of a key whose material is imported outside it.",
    ),
    # Issue 17: per-grant principals, key specs, the organization's own statements.
    ("E360", "list parameter outside principals", "A list feeds a condition or ExternalId."),
    ("E361", "customer grant without principals", "`party: customer` names no principals."),
    ("E362", "key usage not valid for the spec", "Missing or impossible `key.usage`."),
    ("E363", "action the key spec cannot perform", "E.g. kms:GenerateDataKey on an RSA key."),
    ("E364", "automatic rotation impossible", "AWS rotates only symmetric encryption keys."),
    ("E365", "organization statement allows everyone", "`*` without a condition."),
    ("E366", "org statement exceeds revocation", "Gives the vendor an unrevoked data action."),
    ("E367", "service principal on a vendor grant", "A service acts for the customer."),
    (
        "E368",
        "alarms without a recipient",
        "`alarms` names neither `emails` nor an existing SNS topic (`topic_arn`): the alarms "
        "would notify nobody.",
    ),
    (
        "E369",
        "existing trail or topic elsewhere",
        "`trail.existing.arn` or `alarms.topic_arn` is not in org.yaml's account and Region, "
        "where the metric filters and alarms are created.",
    ),
    (
        "E380",
        "stack name too long in a shared account",
        "A stack in an account another root deploys to names its trail and log roles with its "
        "Region; one would exceed AWS's length limit.",
    ),
    (
        "E381",
        "SIEM destination elsewhere",
        "`siem.destination_arn` is not in org.yaml's account and Region: CloudWatch Logs "
        "subscription filters deliver to a Firehose stream or Lambda function of the log "
        "groups' own account and Region only.",
    ),
)

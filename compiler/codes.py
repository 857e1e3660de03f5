"""The diagnostic code catalogue: every code defined once, with a title and a description.

Codes by stage: E1xx load, E2xx model, E3xx resolve, E4xx compile, E5xx verify, Wxxx warnings.
`docs/diagnostics.md` is generated from `CATALOGUE` (`byok docs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    title: str
    description: str

    @property
    def severity(self) -> Severity:
        return "warning" if self.code.startswith("W") else "error"


_KMS_DOC = "https://docs.aws.amazon.com/kms/latest/developerguide"
_CODES = (
    # E1xx: load (bytes -> YAML nodes)
    Code(
        "E101", "YAML syntax error", "The file is not valid YAML (tabs for indentation included)."
    ),
    Code("E102", "duplicate key", "A mapping repeats a key; YAML would silently keep the last."),
    Code(
        "E103",
        "anchors and aliases",
        "Anchors/aliases are refused: they hide values and allow alias bombs.",
    ),
    Code("E104", "bad encoding", "The file is not UTF-8 or contains control characters (NUL...)."),
    Code("E105", "file too large", "Input files are capped at 8 MiB."),
    Code("E106", "nesting too deep", "Mappings and lists nest at most 32 levels."),
    Code(
        "E107",
        "bad document",
        "The file is empty, holds several documents, or its top level is not a mapping.",
    ),
    Code("E108", "unreadable file", "The file or directory cannot be read."),
    Code("E109", "bad key", "Mapping keys must be plain strings."),
    # E2xx: model (YAML nodes -> typed config)
    Code(
        "E201",
        "unknown field",
        "The field is not part of the schema; unknown fields are errors "
        "so that a typo never silently drops a condition.",
    ),
    Code("E202", "missing field", "A required field is absent."),
    Code(
        "E203",
        "wrong type",
        "The value has the wrong type (e.g. a list where a string is expected).",
    ),
    Code(
        "E204",
        "invalid value",
        "The value does not match its format (account id, ARN, "
        "region, e-mail, date, name, URL...).",
    ),
    Code(
        "E205",
        "out of range",
        "A number is outside its allowed range (e.g. deletion window 7-30 days).",
    ),
    Code("E206", "duplicate entry", "Two list entries share a name that must be unique."),
    # E3xx: resolve (org x vendor catalog)
    Code("E301", "unknown vendor", "The app names a vendor with no file under vendors/."),
    Code("E302", "unknown revocation scope", "The vendor does not declare this revocation scope."),
    Code(
        "E303",
        "revocation value does not match the scope pattern",
        "Each revoked value must match the scope's `pattern` from the vendor file.",
    ),
    Code("E304", "missing parameter", "The vendor needs a parameter the app does not supply."),
    Code("E305", "unknown parameter", "The app supplies a parameter the vendor does not declare."),
    Code("E306", "bad parameter value", "A parameter value does not match the vendor's pattern."),
    Code(
        "E307",
        "unknown environment",
        "A revocation or suspension names an environment the app does not have.",
    ),
    Code("E308", "vendor without principals", "A vendor file must grant at least one principal."),
    Code("E309", "unsupported revocation", "The vendor does not support suspension or revocation."),
    Code("E310", "unsupported key option", "A key option contradicts the vendor's requirements."),
    Code("E311", "duplicate key", "Two apps produce the same key name or alias."),
    Code(
        "E312",
        "unknown KMS action",
        "The action is not in the KMS action catalogue (compiler/data/kms_actions.json).",
    ),
    Code("E313", "unknown condition key", "The condition key is not a known global or KMS key."),
    Code(
        "E314",
        "forbidden condition key",
        "KMS rejects these condition keys in key policies "
        "(aws:ResourceTag, kms:ResourceAliases, ...).",
    ),
    Code(
        "E315",
        "ForAllValues on a single-valued key",
        "KMS rejects `ForAllValues` with kms:EncryptionContext:* (OverlyPermissiveCondition).",
    ),
    Code("E316", "unknown condition operator", "The operator is not an IAM condition operator."),
    Code(
        "E317",
        "lockout-prone administrators",
        "A key administrator is also the vendor, or no "
        "principal of the organization can manage the key.",
    ),
    Code(
        "E318",
        "set operator with IfExists",
        "AWS documents `ForAnyValue:`/`ForAllValues:` and `...IfExists` each on its own, not "
        "together; the compiler refuses to guess what the pair does (on a missing key in "
        "particular).",
    ),
    Code(
        "E319",
        "plain operator on a multi-valued key",
        "AWS documents only `ForAnyValue:`/`ForAllValues:` for multi-valued condition keys "
        "(aws:TagKeys, kms:EncryptionContextKeys, ...); how a plain operator reads a list is "
        "undocumented.",
    ),
    Code(
        "E320",
        "key removed without a decommission",
        "`generated/` holds a key that org.yaml no longer produces (an app or environment was "
        "removed). Deleting the key would make everything the vendor encrypted under it "
        "unreadable (Terraform refuses: `prevent_destroy`): restore it, or declare it under "
        '`decommissions:` (README, "Decommissioning a key").',
    ),
    Code(
        "E321",
        "decommissioned key still in use",
        "A decommission names a key that an app of org.yaml still produces.",
    ),
    Code(
        "E322",
        "decommission confirmed in the future",
        "`vendor_confirmed` is the date the vendor confirmed re-encryption or deletion: it "
        "cannot be after today.",
    ),
    Code(
        "E323",
        "stale generated/",
        "`byok diff` reviews the files Terraform applies: a file under `generated/` differs "
        "from what org.yaml and vendors/ compile to (hand edit, or `byok generate` not run).",
    ),
    Code(
        "E325",
        "revocation on an unconfirmed context key",
        "The scope's context key is `verified: false`: if the vendor does not send exactly that "
        "key, the Deny matches nothing and the revocation fails open. Confirm the key (and set "
        "`verified: true` with its source) or acknowledge the gap on the revocation with "
        "`unconfirmed_context_key: {reason: ..., ticket: ...}`.",
    ),
    Code(
        "E326",
        "incomplete revocation actions",
        "`revocation.actions` must cover every permission the vendor's grants give that accesses "
        "data (all but metadata reads such as kms:DescribeKey), after wildcard expansion; "
        "otherwise a suspension or revocation leaves the vendor reading data.",
    ),
    Code(
        "E330",
        "not an STS ExternalId",
        "The logging ExternalId must be 2-1224 characters of A-Z a-z 0-9 _ + = , . @ : / - "
        "(what STS and the vendor-log-role module accept), whatever the vendor's pattern allows.",
    ),
    Code("E340", "replica in the primary's Region", "`replica_regions` lists org.yaml `region`."),
    Code("E341", "duplicate replica Region", "A Region is listed twice in `replica_regions`."),
    Code("E342", "replicas of a single-Region key", "Only a multi-Region key has replicas."),
    Code("E343", "replicas of imported key material", "Replicate only AWS-generated material."),
    Code("E344", "contradictory key origin", "`origin` and `imported_key_material` disagree."),
    Code("E345", "replacement of an unknown environment", "The app does not list it."),
    Code("E346", "replacement generations out of order", "Generations are 2, 3, ... once each."),
    Code("E347", "duplicate stack", "Each account and Region is one stack, not the org's own."),
    Code("E348", "environment in two stacks", "An environment's keys live in one stack."),
    Code("E349", "stack identity in another account", "Stack roles are of the stack account."),
    # Issue 17: per-grant principals, key specs, the organization's own statements.
    Code("E360", "list parameter outside principals", "A list feeds a condition or ExternalId."),
    Code("E361", "customer grant without principals", "`party: customer` names no principals."),
    Code("E362", "key usage not valid for the spec", "Missing or impossible `key.usage`."),
    Code("E363", "action the key spec cannot perform", "E.g. kms:GenerateDataKey on an RSA key."),
    Code("E364", "automatic rotation impossible", "AWS rotates only symmetric encryption keys."),
    Code("E365", "organization statement allows everyone", "`*` without a condition."),
    Code("E366", "org statement exceeds revocation", "Gives the vendor an unrevoked data action."),
    Code("E367", "service principal on a vendor grant", "A service acts for the customer."),
    Code(
        "E368",
        "alarms without a recipient",
        "`alarms` names neither `emails` nor an existing SNS topic (`topic_arn`): the alarms "
        "would notify nobody.",
    ),
    Code(
        "E369",
        "existing trail or topic elsewhere",
        "`trail.existing.arn` or `alarms.topic_arn` is not in org.yaml's account and Region, "
        "where the metric filters and alarms are created.",
    ),
    Code(
        "E380",
        "stack name too long in a shared account",
        "A stack in an account another root deploys to names its trail and log roles with its "
        "Region; one would exceed AWS's length limit.",
    ),
    # E4xx: compile (resolved keys -> policy IR)
    Code("E401", "duplicate Sid", "Two statements of one policy share a Sid."),
    Code(
        "E402",
        "policy too large",
        f"A key policy is over 32,768 bytes ({_KMS_DOC}/key-policy-overview.html).",
    ),
    # E5xx: verify (lints and proofs over the compiled policies)
    Code("E501", "unknown action in policy", "A compiled statement names an unknown KMS action."),
    Code("E502", "unknown condition key in policy", "A compiled statement uses an unknown key."),
    Code(
        "E503",
        "forbidden condition key in policy",
        "A compiled statement uses a key KMS rejects in key policies.",
    ),
    Code("E504", "ForAllValues on kms:EncryptionContext", "See E315."),
    Code(
        "E505",
        "public Allow",
        "An Allow with Principal `*` and no condition opens the key to everyone.",
    ),
    Code(
        "E506",
        "kms:* to an external account",
        "Full control of the key granted outside the organization's account.",
    ),
    Code(
        "E507",
        "lockout",
        "The organization's account or key administrators could not call "
        "kms:PutKeyPolicy on the key any more, or the break-glass role could not call the "
        "break-glass-only actions (kms:DisableKey, kms:ScheduleKeyDeletion, ...).",
    ),
    Code("E508", "revocation not effective", "A revoked request is still allowed."),
    Code("E509", "collateral damage", "Revocations changed a decision they should not touch."),
    Code(
        "E510",
        "revocations widen access",
        "The policy with revocations allows a request the policy without them denies.",
    ),
    Code("E511", "check failed", "A verification check raised an exception; checks fail closed."),
    Code(
        "E512",
        "administrators can use the key",
        "Key administrators must manage, not use, the key.",
    ),
    Code(
        "E513",
        "Allow statement changed by revocations",
        "Revocations must add Deny statements only.",
    ),
    Code(
        "E517",
        "suspension incomplete",
        "A suspended vendor principal may still call a granted data action.",
    ),
    Code(
        "E518",
        "context key not required",
        "A vendor request without a context key its vendor file declares always present "
        "is allowed.",
    ),
    Code(
        "E520",
        "break-glass-only action not guarded",
        "A principal other than the break-glass role may call kms:DisableKey, "
        "kms:ScheduleKeyDeletion, kms:DeleteImportedKeyMaterial, kms:ImportKeyMaterial or "
        "kms:UpdatePrimaryRegion on the key.",
    ),
    Code(
        "E521",
        "grants not guarded",
        "A principal may call kms:CreateGrant for a grant that is not for an AWS resource "
        "(kms:GrantIsForAWSResource false or absent) without its vendor declaring `create_grant`.",
    ),
    Code(
        "E522",
        "undeclared kms:CreateGrant",
        "A vendor grant allows kms:CreateGrant but the vendor file does not declare "
        "`create_grant` (with its source); every key denies such grants, so the grant would "
        "do nothing.",
    ),
    Code(
        "E523",
        "replication not guarded",
        "A principal may call kms:ReplicateKey into a Region the key does not declare in "
        "`replica_regions` (or the guard denies a declared one): a replica gets a key policy of "
        "its caller's choosing and escapes every revocation and suspension.",
    ),
    Code("E530", "replica policy differs from the primary's", "KMS never copies key policies."),
    Code("E531", "old key not decrypt-only", "A replaced key in its grace period allows more."),
    # Warnings
    Code(
        "W101",
        "unverified vendor fact",
        "A fact marked `verified: false` reaches a generated "
        "policy or Terraform input; confirm it with the vendor.",
    ),
    Code(
        "W102",
        "expired revocation",
        "A revocation's `expires` date has passed; it stays in force until removed from org.yaml.",
    ),
    Code("W103", "policy near the size limit", "A key policy uses over 90% of 32,768 bytes."),
    Code("W104", "duplicate revocation value", "The same value is revoked twice in one scope."),
    Code(
        "W107",
        "stale acknowledgement",
        "A revocation acknowledges an unconfirmed context key, but the vendor file now marks the "
        "scope `verified: true`; remove `unconfirmed_context_key`.",
    ),
    Code(
        "W108",
        "no break-glass role",
        "org.yaml names no `break_glass` role, so nobody may disable, schedule deletion of, "
        "import or delete material of any key; decommissioning or importing material first "
        "needs a reviewed change that adds one.",
    ),
    Code("W110", "replacement grace period over", "Decommission the replaced key."),
    Code("W130", "organization statement expired", "Past `expires`: removed from the policy."),
)
_ACCEPTANCE_CODES = (
    Code(
        "E210",
        "not an acceptable warning",
        "An `accepted_warnings` entry names a code that is not a warning in the catalogue; "
        "errors cannot be accepted.",
    ),
    Code(
        "W120",
        "accepted warning expired",
        "An `accepted_warnings` entry's `expires` date has passed: the warning it accepted is "
        "reported again until the entry is renewed (with a reason) or removed.",
    ),
    Code(
        "W121",
        "acceptance matches no warning",
        "An `accepted_warnings` entry matches no warning of this run (fixed, or the target is "
        "misspelt): remove it so it cannot silently accept a future warning.",
    ),
)
CATALOGUE: dict[str, Code] = {c.code: c for c in (*_CODES, *_ACCEPTANCE_CODES)}

"""Stage 2, model: located YAML -> frozen pydantic models (`Vendor`, `Org`).

Every model keeps a `where` handle on its YAML mapping, so later stages can point at any field
or list item (`model.where.at("actions", 2)`); `Where` compares equal to every other `Where`,
so a location never affects equality. Pydantic errors are mapped back to `file:line:col`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError

from ..diagnostics import CompileError
from ..load import LMap, LNode, LScalar, LSeq
from ..policy import keyspecs
from .base import Fact, Model, NoWhere, Where
from .destructions import Destruction
from .errors import validation_diagnostics
from .features import AccessAnalyzer, Behaviour, Budget, ConfigRules, NotCovered, Siem
from .lifecycle import Decommission as Decommission
from .lifecycle import KeyState as KeyState
from .lifecycle import LenientDate, Ticket
from .monitoring import Alarms, Trail
from .types import (
    LOGS_ACTION_PATTERN,
    AccountId,
    HttpsUrl,
    IamArn,
    Name,
    ParamName,
    Regex,
    Region,
    ScopeName,
    Slug,
    Text,
    ValueStr,
)


class ParamRef(Model):
    parameter: ParamName


class Parameter(Model):
    name: ParamName
    description: Text
    pattern: Regex


# A service principal (`ec2.amazonaws.com`), as a key policy's `Principal.Service` names it.
ServiceName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,100}\.amazonaws\.com(\.cn)?$")]


class Principal(Fact):
    """Exactly one of: a fixed ARN, a service principal, or an organization parameter (one ARN
    or a list of ARNs in org.yaml)."""

    arn: IamArn | None = None
    service: ServiceName | None = None
    parameter: ParamName | None = None


class VendorCondition(Model):
    operator: Annotated[str, Field(pattern=r"^[A-Za-z:]{2,60}$")]
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9:/._\-*?]{3,200}$")]
    values: Annotated[tuple[ValueStr | ParamRef, ...], Field(min_length=1)]


class Grant(Fact):
    name: Name
    actions: Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(min_length=1)]
    conditions: tuple[VendorCondition, ...] = ()
    # The grant's own principals (default: the vendor's `principals`). `party: customer` marks
    # principals that are the organization's own but that the vendor uses (Databricks assumes
    # its EBS cross-account role): a suspension of the vendor denies them too, a revocation (by
    # the vendor's encryption context) does not.
    principals: Annotated[tuple[Principal, ...], Field(min_length=1)] | None = None
    party: Literal["vendor", "customer"] = "vendor"


def _key_spec(value: str) -> str:
    if value not in keyspecs.KEY_SPECS:
        raise ValueError(f"unknown key spec `{value}` (one of {', '.join(keyspecs.KEY_SPECS)})")
    return value


def _key_usage(value: str) -> str:
    if value not in keyspecs.KEY_USAGES:
        raise ValueError(f"unknown key usage `{value}` (one of {', '.join(keyspecs.KEY_USAGES)})")
    return value


class KeyRequirements(Fact):
    spec: Annotated[str, AfterValidator(_key_spec)] = "SYMMETRIC_DEFAULT"
    # Required when the spec allows several usages (RSA, ECC, SM2); see `keyspecs`.
    usage: Annotated[str, AfterValidator(_key_usage)] | None = None
    multi_region: Literal["required", "optional", "unsupported"]
    automatic_rotation: Literal["supported", "unsupported"]
    replacement_needs_new_arn: bool


class KillSwitch(Fact):
    supported: bool


class AlwaysPresent(Fact):
    """The vendor documents that every request it makes with the key carries the scope's
    context key; its Allow statements then require the key (a request without it is denied)."""


class Scope(Fact):
    name: ScopeName
    description: Text
    context_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/\-]{1,128}$")]
    pattern: Regex
    always_present: AlwaysPresent | None = None


class Revocation(Model):
    actions: Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(min_length=1)]
    kill_switch: KillSwitch
    scopes: tuple[Scope, ...] = ()
    # How long until a Deny (or a disabled key) stops the vendor: its caches, its retries.
    takes_effect: Behaviour | None = None
    # Whether and how long the vendor keeps plaintext data keys (a Deny stops new requests only).
    data_key_caching: Behaviour | None = None
    # How access comes back after a revocation or suspension is lifted.
    restore: Behaviour | None = None


class Logging(Fact):
    principals: Annotated[tuple[Principal, ...], Field(min_length=1)]
    external_id_parameter: ParamName
    actions: Annotated[
        tuple[Annotated[str, Field(pattern=LOGS_ACTION_PATTERN)], ...], Field(min_length=1)
    ]


class CreateGrantNeed(Fact):
    """The vendor documents that it creates grants on the key itself (not through an AWS
    service): its principals are exempt from the key's Deny on `kms:CreateGrant` for grants
    that are not for AWS resources. Absent: every grant not for an AWS resource is denied."""


class Vendor(Model):
    name: Slug
    display_name: Text
    product: Text
    homepage: HttpsUrl
    parameters: tuple[Parameter, ...] = ()
    principals: tuple[Principal, ...]
    grants: Annotated[tuple[Grant, ...], Field(min_length=1)]
    key: KeyRequirements
    revocation: Revocation
    logging: Logging | None = None
    create_grant: CreateGrantNeed | None = None
    # What stays under the vendor's own keys (empty: nothing is documented publicly).
    not_covered: tuple[NotCovered, ...] = ()


class KeyOptions(Model):
    rotation_period_days: Annotated[int, Field(ge=90, le=2560)] | None = None
    deletion_window_days: Annotated[int, Field(ge=7, le=30)] | None = None
    multi_region: bool | None = None
    imported_key_material: bool | None = None
    # KMS's own spelling of the same choice (CreateKey `Origin`): EXTERNAL = imported material.
    origin: Literal["AWS_KMS", "EXTERNAL"] | None = None
    # Regions a multi-Region key is replicated to (AWS KMS does not copy the key policy to a
    # replica: each replica gets the same compiled policy file, see render/replicas.py).
    replica_regions: Annotated[tuple[Region, ...], Field(min_length=1, max_length=20)] | None = None


class Defaults(Model):
    rotation_period_days: Annotated[int, Field(ge=90, le=2560)] = 365
    deletion_window_days: Annotated[int, Field(ge=7, le=30)] = 30
    multi_region: bool = False
    imported_key_material: bool = False
    # `byok import-material`: imported material expires this many days after the import
    # (ImportKeyMaterial ValidTo, at most 365 days ahead); absent: it never expires.
    imported_material_valid_days: Annotated[int, Field(ge=1, le=365)] | None = None


# AWS tag character set (ASCII subset); `aws:` is reserved for AWS's own tags.
def _not_aws(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key `{key}` uses the reserved `aws:` prefix")
    return key


TagKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/=+@ -]{1,128}$"), AfterValidator(_not_aws)]
TagValue = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/=+@ -]{0,256}$")]


class Acknowledgement(Model):
    """The organization's explicit, reviewed acceptance of a known gap (why, and its ticket)."""

    reason: Text
    ticket: Ticket


class Suspension(Model):
    reason: Text
    ticket: Ticket
    environments: tuple[Name, ...] | None = None


class RevocationEntry(Suspension):
    scope: ScopeName
    values: Annotated[tuple[ValueStr, ...], Field(min_length=1)]
    expires: LenientDate | None = None
    # A revocation on a scope whose context key the vendor has not confirmed may deny nothing:
    # it compiles only with this acknowledgement (E325 otherwise).
    unconfirmed_context_key: Acknowledgement | None = None


class OrgCondition(Model):
    operator: Annotated[str, Field(pattern=r"^[A-Za-z:]{2,60}$")]
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9:/._\-*?]{3,200}$")]
    values: Annotated[tuple[ValueStr, ...], Field(min_length=1)]


class ExtraStatement(Model):
    """The organization's own reviewed statement on an app's keys. Unlike a revocation, an
    expired one leaves the policy (W130), and `byok diff` shows the removal."""

    name: Name
    effect: Literal["Allow", "Deny"]
    principals: Annotated[tuple[IamArn | Literal["*"], ...], Field(min_length=1)]
    actions: Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(min_length=1)]
    conditions: tuple[OrgCondition, ...] = ()
    reason: Text
    ticket: Ticket
    expires: LenientDate | None = None
    environments: tuple[Name, ...] | None = None


ParamValue = ValueStr | Annotated[tuple[ValueStr, ...], Field(min_length=1, max_length=20)]


class Replacement(Model):
    """A planned replacement of an environment's key (manual rotation, suspected compromise):
    generation N is a new key `<vendor>-<env>-gN` beside generation N-1. Step 1 adds the entry
    (both keys, full access); step 2 sets `decrypt_only_until` (the old key keeps only
    kms:Decrypt for the vendor, a grace period to re-encrypt); step 3 decommissions the old key
    (`decommissions:`). README, "Replacing a key"."""

    environment: Name
    generation: Annotated[int, Field(ge=2, le=99)]
    reason: Text
    ticket: Ticket
    decrypt_only_until: LenientDate | None = None


class App(Model):
    vendor: Slug
    environments: Annotated[tuple[Name, ...], Field(min_length=1, max_length=20)]
    parameters: Annotated[dict[ParamName, ParamValue], NoWhere] = Field(default_factory=dict)
    statements: tuple[ExtraStatement, ...] = ()
    key: KeyOptions = Field(default_factory=KeyOptions)
    suspension: Suspension | None = None
    revocations: tuple[RevocationEntry, ...] = ()
    replacements: tuple[Replacement, ...] = ()
    # The reviewed state of the app's keys (README, "Incidents"): `enabled: false` disables an
    # environment's keys through Terraform; `enabled: true` lets a plan enable them again.
    key_states: tuple[KeyState, ...] = ()


class AcceptedWarning(Model):
    """A warning the organization accepts for one target, with why, its ticket and optionally
    until when (accept.py); `--strict` then passes. `target` is the warning's subject as
    `byok generate` names it: `<vendor or file>: <what>`, e.g. `slack: logging role`."""

    code: Annotated[str, Field(pattern=r"^W[0-9]{3}$")]
    target: Text
    reason: Text
    ticket: Ticket
    expires: LenientDate | None = None


class Stack(Model):
    """Environments whose keys live in another account and/or Region: one Terraform root of its
    own under `generated/stacks/<account_id>-<region>/` (README, "Several accounts"). Its key
    administrators and break-glass role are identities of that account."""

    account_id: AccountId
    region: Region
    environments: Annotated[tuple[Name, ...], Field(min_length=1)]
    key_administrators: Annotated[tuple[IamArn, ...], Field(min_length=1)]
    break_glass: IamArn | None = None


# The byok-compiler release this organization is compiled with, like Terraform's
# `required_version` but exact: output bytes may differ between releases (version.py checks it
# before the rest of org.yaml is modelled, so a newer file's fields do not hide the reason).
BYOK_VERSION_PATTERN = r"^[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)$"
ByokVersion = Annotated[str, Field(pattern=BYOK_VERSION_PATTERN, max_length=64)]


class Org(Model):
    organization: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,20}$")]
    byok_version: ByokVersion | None = None
    account_id: AccountId
    region: Region
    key_administrators: Annotated[tuple[IamArn, ...], Field(min_length=1)]
    break_glass: IamArn | None = None
    alarms: Alarms
    trail: Trail = Field(default_factory=Trail)
    defaults: Defaults = Field(default_factory=Defaults)
    tags: Annotated[dict[TagKey, TagValue], NoWhere] = Field(default_factory=dict)
    apps: Annotated[tuple[App, ...], Field(min_length=1)]
    decommissions: tuple[Decommission, ...] = ()
    destructions: tuple[Destruction, ...] = ()
    accepted_warnings: tuple[AcceptedWarning, ...] = ()
    stacks: tuple[Stack, ...] = ()
    # Optional AWS features around the keys (model/features.py; README, "Around the keys").
    access_analyzer: AccessAnalyzer = Field(default_factory=AccessAnalyzer)
    budget: Budget | None = None
    siem: Siem | None = None
    config_rules: ConfigRules | None = None


# --------------------------------------------------------------------------- validation


def _with_where(node: LNode) -> Any:
    if isinstance(node, LScalar):
        return node.value
    if isinstance(node, LSeq):
        return tuple(_with_where(n) for n in node.items)
    out: dict[str, Any] = {k: _with_where(v) for k, v in node.items.items()}
    out["@where"] = Where(node)
    return out


def build(cls: type[Model], root: LMap) -> Any:
    """Validate `root` as `cls`; raise `CompileError` with one diagnostic per problem."""
    try:
        return cls.model_validate(_with_where(root))
    except ValidationError as exc:
        raise CompileError(validation_diagnostics(cls, root, exc)) from exc

"""Canonical records as pydantic models (docs/architecture.md, "Events and topics").

Field names are the contract: they are fixed, additions must be optional.

Longer than the ~400 lines a module should be, on purpose: this is the contract every service,
the schemas (`shared/schemas/`) and the AsyncAPI document are generated from, and it reads as one
document, record after record, the way a party integrating with the system reads it. Each record
is a plain model; nothing here has behaviour beyond validating its fields.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from pnm.shared.contracts.limits import (
    ARRIVAL_CONTAINERS_MAX,
    COMMODITIES_MAX,
    CONTAINERS_MAX,
    DOCUMENT_REFERENCES_MAX,
    GOODS_MAX,
    Code,
    Container,
    Description,
    Identifier,
    Mass,
    Name,
    OptionalCode,
    OptionalName,
    Packages,
    Reference,
    Text,
    Version,
    in_utc,
)
from pnm.shared.text import unstorable


class Record(BaseModel):
    """Base of every canonical record: unknown fields are refused so typos surface as 422;
    numbers are finite (JSON's NaN and Infinity, or 1e999, are no quantity)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # NUL and lone surrogates are valid JSON but no database or partner can keep them.
        # (Run for every field of every record: kept to the cheapest checks.)
        if isinstance(value, str):
            if unstorable(value):
                raise ValueError(_UNSTORABLE_TEXT)
        elif isinstance(value, list) and any(isinstance(t, str) and unstorable(t) for t in value):
            raise ValueError(_UNSTORABLE_TEXT)
        elif isinstance(value, datetime):
            in_utc(value)
        return value


_UNSTORABLE_TEXT = "contains a NUL character or an unpaired surrogate"


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
UnLocode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{3}$")]
HsCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,10}$")]


class Mode(StrEnum):
    SEA = "sea"
    AIR = "air"
    ROAD = "road"
    RAIL = "rail"


class Procedure(StrEnum):
    IMPORT = "import"
    TRANSIT = "transit"
    TRANSHIPMENT = "transhipment"
    WAREHOUSE = "warehouse"


class Party(Record):
    name: Name
    country: CountryCode
    eori: OptionalCode | None = None


class TransportDocument(Record):
    type: Literal["BL", "HBL", "AWB", "HAWB", "CMR"]
    number: Code


class GoodsItem(Record):
    item: int = Field(ge=1, le=GOODS_MAX)
    hs_code: HsCode | None
    description: Description
    gross_mass_kg: Mass
    packages: Packages | None = None
    country_of_origin: CountryCode | None = None


class ManifestLine(Record):
    manifest_id: Identifier
    line_id: Identifier
    version: Version
    withdrawn: bool = False
    mode: Mode
    vessel_imo: OptionalCode | None = None
    vessel_name: OptionalName | None = None
    voyage: OptionalCode | None = None
    flight_number: OptionalCode | None = None
    port_of_discharge: UnLocode
    terminal: Identifier
    eta: AwareDatetime
    transport_document: TransportDocument
    containers: list[Container] = Field(default_factory=list, max_length=CONTAINERS_MAX)
    procedure: Procedure
    consignor: Party
    consignee: Party
    country_of_origin: CountryCode | None = None
    place_of_loading: UnLocode | None = None
    document_references: list[Code] = Field(
        default_factory=list, max_length=DOCUMENT_REFERENCES_MAX
    )
    goods: list[GoodsItem] = Field(min_length=1, max_length=GOODS_MAX)

    @property
    def key(self) -> str:
        return line_key(self.manifest_id, self.line_id)


def line_key(manifest_id: str, line_id: str) -> str:
    """Partition key and identity of a manifest line across services."""
    return f"{manifest_id}/{line_id}"


# A manifest line's identity inside a service, (manifest_id, line_id); `line_key` is its string.
LineKey = tuple[str, str]


class Arrival(Record):
    manifest_id: Identifier
    arrived_at: AwareDatetime
    containers: list[Container] | None = Field(default=None, max_length=ARRIVAL_CONTAINERS_MAX)


class EtaUpdate(Record):
    """The expected arrival of a vessel or flight changed (or only that of some containers)."""

    manifest_id: Identifier
    eta: AwareDatetime
    containers: list[Container] | None = Field(default=None, max_length=ARRIVAL_CONTAINERS_MAX)


class ChedType(StrEnum):
    CHED_PP = "CHED-PP"
    CHED_P = "CHED-P"
    CHED_A = "CHED-A"
    CHED_D = "CHED-D"


class PreNotificationStatus(StrEnum):
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    REPLACED = "replaced"


# The statuses in which a pre-notification stands: not refused, cancelled or replaced.
ACTIVE_STATUSES = frozenset({PreNotificationStatus.SUBMITTED, PreNotificationStatus.VALIDATED})


class Commodity(Record):
    cn_code: HsCode
    description: Description
    net_mass_kg: Mass
    packages: Packages | None = None
    species: OptionalName | None = None


class Control(Record):
    regime: Literal["full", "transfer", "reduced"]
    inspection_point: OptionalCode | None = None


class LeadTimeCompliance(Record):
    """Computed by the pre-notification service at intake: was it notified in time?"""

    on_time: bool
    deadline: datetime
    rule: Literal["one_working_day", "derogation_hours", "wood_working_days"]
    # Additive: the BCP it was computed for (TRACES code; None: no known BCP) and the version
    # of the BCP table that says so (docs/border-control-posts.md).
    bcp: str | None = None
    bcp_table: str | None = None


class IntakeFlag(Record):
    """A problem that does not refuse the record (e.g. a container check digit that fails)."""

    field: str
    value: str | None
    rule: str
    message: str


class PreNotification(Record):
    reference: Reference
    system: Literal["client-import", "vgc", "traces", "written"]
    ched_type: ChedType
    version: Version
    status: PreNotificationStatus
    submitted_at: AwareDatetime
    bcp: Code
    expected_arrival: AwareDatetime
    mode: Mode | None = None
    vessel_imo: OptionalCode | None = None
    vessel_name: OptionalName | None = None
    flight_number: OptionalCode | None = None
    transport_document: OptionalCode | None = None
    containers: list[Container] = Field(default_factory=list, max_length=CONTAINERS_MAX)
    consignor: Party
    importer: Party
    country_of_origin: CountryCode
    commodities: list[Commodity] = Field(min_length=1, max_length=COMMODITIES_MAX)
    control: Control
    # Set by the pre-notification service on what it publishes; ignored on input.
    raw_reference: Reference | None = None
    lead_time: LeadTimeCompliance | None = None
    flags: list[IntakeFlag] = Field(default_factory=list)
    entered_by: OptionalName | None = None


class Regime(StrEnum):
    PHYTO = "phyto"
    VET = "vet"


class DecisionStatus(StrEnum):
    NOT_CONTROLLED = "not_controlled"
    EXEMPT = "exempt"
    NOTIFIED = "notified"
    NOTIFIED_LATE = "notified_late"
    AWAITING_NOTIFICATION = "awaiting_notification"
    OVERDUE = "overdue"
    REVIEW = "review"
    INVALID_NOTIFICATION = "invalid_notification"
    UNNOTIFIED = "unnotified"


class Reason(Record):
    code: str
    text: str
    # Additive: on a selection reason, the risk indicator that selected the goods
    # (`cn:<prefix>` or `keyword:<phrase>`), so outcomes can be counted per indicator.
    indicator: str | None = None


class RegimeDecision(Record):
    regime: Regime
    status: DecisionStatus
    references: list[str]
    reasons: list[Reason]


class Contribution(Record):
    field: str
    level: str
    weight: float


# A summary's description is cut to this length: a decision must stay far below the broker's
# message size even for a line of 999 items with 4,000-character descriptions.
SUMMARY_DESCRIPTION_MAX = 200


class GoodsSummary(Record):
    """A goods item of the decided line as the manifest has it (its description cut), so the
    holds service can estimate an inspection fee without reading the manifest service's data."""

    item: int = Field(ge=1, le=GOODS_MAX)
    cn_code: HsCode | None
    description: Annotated[str, StringConstraints(max_length=SUMMARY_DESCRIPTION_MAX)]
    gross_mass_kg: Mass
    packages: Packages | None = None
    country_of_origin: CountryCode | None = None


def goods_summary(line: ManifestLine) -> list[GoodsSummary]:
    """The line's goods; an item without its own origin has the line's. Every field comes from
    the validated line (the description cut to the summary's length), so it is not validated
    again."""
    return [
        GoodsSummary.model_construct(
            item=g.item,
            cn_code=g.hs_code,
            description=g.description[:SUMMARY_DESCRIPTION_MAX],
            gross_mass_kg=g.gross_mass_kg,
            packages=g.packages,
            country_of_origin=g.country_of_origin or line.country_of_origin,
        )
        for g in line.goods
    ]


class Decision(Record):
    manifest_id: str
    line_id: str
    line_version: int
    decision_number: int = Field(ge=1)
    status: DecisionStatus
    regimes: list[Regime]
    per_regime: list[RegimeDecision]
    references: list[str]
    reasons: list[Reason]
    explanation: list[Contribution]
    indicator_set_version: str
    decided_at: datetime
    # Optional additions (allowed by the contract) so the holds service can address the
    # terminal without reading the manifest service's data.
    terminal: str | None = None
    containers: list[str] = Field(default_factory=list)
    transport_document: str | None = None
    goods: list[GoodsSummary] = Field(default_factory=list, max_length=GOODS_MAX)


class Authority(StrEnum):
    PD = "PD"
    NVWA = "NVWA"


class TerminalInstruction(Record):
    instruction_id: str
    hold_id: str
    action: Literal["block", "release"]
    terminal: str
    containers: list[str]
    transport_document: str | None
    manifest_id: str
    line_id: str
    authority: Authority
    reason: str
    issued_at: datetime
    sequence: int = Field(ge=1)
    # Additive: where the goods must go for inspection when it is not this terminal (an
    # approved inspection centre); None: they stay here.
    destination: str | None = None


class TerminalAck(Record):
    instruction_id: Code
    terminal: Identifier
    result: Literal["applied", "rejected"]
    detail: Text | None = None
    at: AwareDatetime


class IrregularityParty(Record):
    role: Literal["consignor", "consignee", "importer", "declarant", "carrier", "other"]
    name: Name
    eori: OptionalCode | None = None


class Irregularity(Record):
    irregularity_id: str
    hold_id: str
    manifest_id: str
    line_id: str
    regime: Regime
    finding: str
    measures_statement: str
    authority: Authority
    recorded_by: str
    recorded_at: datetime
    # Additive: what DFB needs besides (docs/irregularities.md).
    goods: str | None = None
    parties: list[IrregularityParty] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    bcp: str | None = None
    terminal: str | None = None
    containers: list[str] = Field(default_factory=list)


class CaseChanged(Record):
    """A pre-arrival case changed (docs/cases.md): opened, a contact recorded, a written
    pre-notification linked, or closed with its outcome."""

    case_id: str
    manifest_id: str
    line_id: str
    state: str
    action: Literal["opened", "contact_recorded", "notification_linked", "closed"]
    # Every written pre-notification linked so far: the line is to be matched as if it quoted
    # them (document_references).
    references: list[str]
    outcome: str | None = None
    indicators: list[str] = Field(default_factory=list)
    at: datetime
    by: str


class FeedStatus(Record):
    """Health of one pre-notification feed (Client Import, VGC, ...), and its emergency state."""

    system: Literal["client-import", "vgc", "traces", "written", "dmf"]
    last_record_at: datetime | None
    last_heartbeat_at: datetime | None
    emergency: bool
    emergency_since: datetime | None = None
    emergency_declared_by: str | None = None
    note: str | None = None
    at: datetime


class Watermark(Record):
    """Stamped by an outbox relay on every partition of a topic that asks for it: every event
    of the topic committed before `watermark` (the database's clock) was published before
    this one, each on its partition. On the pre-notification topic it lets the matcher know
    that it has every pre-notification accepted before a moment (docs/watermark.md)."""

    partition: int = Field(ge=0)
    partitions: int = Field(ge=1)
    watermark: datetime


class CertificateOverdue(Record):
    """Reduced check: the original phytosanitary certificate did not arrive within 48 hours."""

    reference: str
    ched_type: ChedType
    importer: Party
    expected_arrival: datetime
    due_at: datetime
    detected_at: datetime


class HoldStateChanged(Record):
    """Published by the holds service on every hold state change."""

    hold_id: str
    manifest_id: str
    line_id: str
    regime: Regime
    authority: Authority
    state: str
    terminal: str
    containers: list[str]
    at: datetime
    # Additive: the named transition, the state before it, the block's status at the
    # terminal, why, and who (a token subject, or the service itself).
    transition: str | None = None
    previous_state: str | None = None
    block_status: str | None = None
    reason: str | None = None
    by: str | None = None
    # Additive: why people must look at the hold now (`block_rejected`, `block_unanswered`, ...:
    # docs/terminal-protocol.md), or None.
    escalation: str | None = None

"""Stage 1, normalise: the comparable facts of a manifest line and of a pre-notification.

Computed once when a record comes in and kept beside it, so that candidate search and scoring
never re-parse records. Invalid check digits are kept: a typo is evidence, not noise."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import InitVar, dataclass, field
from datetime import datetime
from typing import Any

from pnm.matcher.domain.keys import (
    STRONG_PREFIXES,
    eori_number,
    reference_key,
    set_keys,
    vessel_key,
)
from pnm.matcher.domain.quantity import total_packages
from pnm.shared.contracts.records import (
    ACTIVE_STATUSES,
    ChedType,
    ManifestLine,
    Mode,
    PreNotification,
    PreNotificationStatus,
)
from pnm.shared.identifiers import (
    container_number,
    party_name,
    transport_document_number,
)


@dataclass(frozen=True, slots=True)
class Goods:
    hs_code: str | None
    description: str
    mass_kg: float
    headings: tuple[str, ...] = ()  # for goods without a usable code: their keywords' headings
    packages: int | None = None


@dataclass(frozen=True, slots=True)
class NotificationFacts:
    reference: str
    ched_type: ChedType
    status: PreNotificationStatus
    submitted_at: datetime
    expected_arrival: datetime
    bcp: str
    inspection_point: str | None
    transfer: bool
    containers: frozenset[str]
    transport_document: str | None
    vessel: str | None
    importer: str
    commodities: tuple[Goods, ...]
    net_mass_kg: float
    mode: Mode | None = None  # with `bcp`, which BCP was notified (NLAMS by air: Schiphol)
    packages: int | None = None  # declared packages, when every commodity gives them
    importer_eori: str | None = None
    # The block keys as stored beside the facts, when they are read back: not computed again.
    keys: InitVar[Iterable[str] | None] = None
    strong_keys: frozenset[str] = field(init=False)
    block_keys: frozenset[str] = field(init=False)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __post_init__(self, keys: Iterable[str] | None) -> None:
        if keys is not None:
            block = frozenset(keys)
            strong = frozenset(k for k in block if k.startswith(STRONG_PREFIXES))
            object.__setattr__(self, "strong_keys", strong)
            object.__setattr__(self, "block_keys", block)
            return
        # Blocking keys (stage 4): containers, transport document, the reference itself.
        set_keys(
            self,
            self.containers,
            self.transport_document,
            {reference_key(self.reference)},
            self.vessel,
            self.importer,
            self.importer_eori,
        )

    @classmethod
    def of(cls, record: PreNotification) -> NotificationFacts:
        commodities = tuple(
            Goods(c.cn_code, c.description, c.net_mass_kg, packages=c.packages)
            for c in record.commodities
        )
        return cls(
            reference=record.reference,
            ched_type=record.ched_type,
            status=record.status,
            submitted_at=record.submitted_at,
            expected_arrival=record.expected_arrival,
            bcp=record.bcp.upper(),
            inspection_point=record.control.inspection_point,
            transfer=record.control.regime == "transfer",
            containers=frozenset(container_number(c).value for c in record.containers),
            transport_document=transport_document_number(record.transport_document)
            if record.transport_document
            else None,
            vessel=vessel_key(
                record.mode, record.vessel_imo, record.vessel_name, record.flight_number
            ),
            importer=party_name(record.importer.name),
            commodities=commodities,
            net_mass_kg=sum(c.mass_kg for c in commodities),
            mode=record.mode,
            packages=total_packages(c.packages for c in commodities),
            importer_eori=eori_number(record.importer.eori),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "ched_type": self.ched_type.value,
            "status": self.status.value,
            "submitted_at": self.submitted_at.isoformat(),
            "expected_arrival": self.expected_arrival.isoformat(),
            "bcp": self.bcp,
            "inspection_point": self.inspection_point,
            "transfer": self.transfer,
            "containers": sorted(self.containers),
            "transport_document": self.transport_document,
            "vessel": self.vessel,
            "importer": self.importer,
            "commodities": [
                [g.hs_code, g.description, g.mass_kg, g.packages] for g in self.commodities
            ],
            "mode": self.mode.value if self.mode else None,
            "importer_eori": self.importer_eori,
        }

    @classmethod
    def from_json(
        cls, data: dict[str, Any], block_keys: Iterable[str] | None = None
    ) -> NotificationFacts:
        """`block_keys`: as stored with these facts (`block_keys` of the same version)."""
        # Facts stored before packages were kept have three fields per commodity.
        commodities = tuple(
            Goods(g[0], g[1], g[2], packages=g[3] if len(g) > 3 else None)
            for g in data["commodities"]
        )
        return cls(
            reference=data["reference"],
            ched_type=ChedType(data["ched_type"]),
            status=PreNotificationStatus(data["status"]),
            submitted_at=datetime.fromisoformat(data["submitted_at"]),
            expected_arrival=datetime.fromisoformat(data["expected_arrival"]),
            bcp=data["bcp"],
            inspection_point=data["inspection_point"],
            transfer=data["transfer"],
            containers=frozenset(data["containers"]),
            transport_document=data["transport_document"],
            vessel=data["vessel"],
            importer=data["importer"],
            commodities=commodities,
            net_mass_kg=sum(c.mass_kg for c in commodities),
            mode=Mode(data["mode"]) if data.get("mode") else None,  # absent in older facts
            packages=total_packages(c.packages for c in commodities),
            importer_eori=data.get("importer_eori"),  # absent in older facts
            keys=block_keys,
        )


@dataclass(frozen=True, slots=True)
class LineFacts:
    containers: frozenset[str]
    transport_document: str
    quoted: frozenset[str]
    vessel: str | None
    consignee: str
    gross_mass_kg: float
    mode: Mode | None = None  # with the port of discharge, the line's BCP
    packages: int | None = None  # the line's packages, when every goods item gives them
    consignee_eori: str | None = None
    strong_keys: frozenset[str] = field(init=False)
    block_keys: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        set_keys(
            self,
            self.containers,
            self.transport_document,
            self.quoted,
            self.vessel,
            self.consignee,
            self.consignee_eori,
        )

    @classmethod
    def of(cls, record: ManifestLine, linked: Iterable[str] = ()) -> LineFacts:
        """`linked`: references customs linked to the line's case (docs/cases.md), quoted by
        every version of the line as if its document references named them."""
        return cls(
            containers=frozenset(container_number(c).value for c in record.containers),
            transport_document=transport_document_number(record.transport_document.number),
            quoted=frozenset(
                reference_key(r) for r in (*record.document_references, *linked) if reference_key(r)
            ),
            vessel=vessel_key(
                record.mode, record.vessel_imo, record.vessel_name, record.flight_number
            ),
            consignee=party_name(record.consignee.name),
            gross_mass_kg=sum(g.gross_mass_kg for g in record.goods),
            mode=record.mode,
            packages=total_packages(g.packages for g in record.goods),
            consignee_eori=eori_number(record.consignee.eori),
        )

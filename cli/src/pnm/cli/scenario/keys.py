"""The keys a pre-notification of a generated day is given: how it ties to its manifest lines
(containers, transport document, a quoted reference, vessel or flight and importer), and the
typos and transpositions on either side, one per line at most."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pnm.cli.scenario.plan import PlannedLine, Scene
from pnm.cli.scenario.writing import mistyped, quoted_reference, respaced, transposed
from pnm.shared.contracts.records import Mode

Key = Literal[
    "containers",
    "pn_typo",
    "pn_transposed",
    "manifest_typo",
    "manifest_transposed",
    "document",
    "document_typo",
    "quoted",
    "vessel_and_importer",
]
SEA_KEYS: dict[Key, float] = {
    "containers": 58,
    "pn_typo": 6,
    "pn_transposed": 4,
    "manifest_typo": 4,
    "manifest_transposed": 3,
    "document": 12,
    "document_typo": 3,
    "quoted": 5,
    "vessel_and_importer": 5,
}
AIR_KEYS: dict[Key, float] = {
    "document": 68,
    "document_typo": 7,
    "quoted": 8,
    "vessel_and_importer": 17,
}
TYPO_KEYS = ("pn_typo", "pn_transposed", "manifest_typo", "manifest_transposed", "document_typo")


class Keys:
    """Keys pre-notifications, writing a manifest-side typo into the line itself."""

    def __init__(self, day: Scene) -> None:
        self.day = day

    def key(self, lines: list[PlannedLine], submitted: datetime, varied: bool, alone: bool) -> Key:
        line, sea = lines[0], lines[0].call.mode is Mode.SEA
        exact: Key = "containers" if sea else "document"
        if len(lines) > 1:  # one notification for a group: all containers, or by flight
            key: Key = (
                ("pn_typo" if self.day.chance(0.1) else "containers")
                if sea
                else ("vessel_and_importer")
            )
        else:
            key = self.day.pick(SEA_KEYS if sea else AIR_KEYS) if varied else exact
        if (
            (key == "vessel_and_importer" and not alone)
            or (key in TYPO_KEYS and any(member.mistyped for member in lines))
            # A manifest quotes only a reference that exists when it is filed.
            or (key == "quoted" and submitted > line.filed_at - timedelta(minutes=30))
        ):
            key = exact
        self.day.seen[f"key: {key.replace('_', ' ')}"] += 1
        return key

    def apply_key(
        self, key: Key, lines: list[PlannedLine], reference: str, alone: bool
    ) -> tuple[list[str], str | None]:
        """The containers and transport document the pre-notification gives; a manifest-side
        typo or a quoted reference is written into the line itself. Without containers and
        document a notification also ties to its importer's lines on the vessel or flight, so
        it goes without them only when `alone`."""
        line = lines[0]
        containers = [c for member in lines for c in member.containers]
        with_bill = line.call.mode is Mode.SEA and len(lines) == 1 and self.day.chance(0.3)
        document = line.document.number if with_bill else None
        if key in ("pn_typo", "pn_transposed"):
            containers = self._misspelt_containers(containers, key == "pn_typo", lines)
        elif key in ("manifest_typo", "manifest_transposed"):
            line.manifest_containers = self._misspelt_containers(
                containers, key == "manifest_typo", lines
            )
            line.container_fixed = line.manifest_containers != containers and self.day.chance(0.4)
        elif key in ("document", "document_typo"):
            return [], self._document_as_notified(line, key == "document_typo")
        elif key == "quoted":
            line.references.append(quoted_reference(reference, self.day.rng))
            if not (alone and self.day.chance(0.5)):
                return (containers, document) if containers else ([], line.document.number)
            line.by_vessel = True
            return [], None
        elif key == "vessel_and_importer":
            for member in lines:
                member.by_vessel = True
            return [], None
        return containers, document

    def _misspelt_containers(
        self, containers: list[str], typo: bool, lines: list[PlannedLine]
    ) -> list[str]:
        i = self.day.rng.randrange(len(containers))
        for _ in range(20):
            variant = (
                mistyped(containers[i], self.day.rng, first=4)
                if typo
                else transposed(containers[i], self.day.rng)
            )
            if variant and self.day.containers.claim_variant(variant, containers[i]):
                for member in lines:
                    member.mistyped = True
                return [*containers[:i], variant, *containers[i + 1 :]]
        return containers

    def _document_as_notified(self, line: PlannedLine, typo: bool) -> str:
        number = line.document.number
        if typo:
            for _ in range(20):
                variant = mistyped(number, self.day.rng, first=len(number) - 7)
                if self.day.documents.claim_variant(variant, number):
                    line.mistyped = True
                    return variant
        if self.day.chance(0.3):  # the same number with other separators
            self.day.seen["transport document written with other separators"] += 1
            return respaced(number)
        return number

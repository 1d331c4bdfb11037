"""The manifests of a generated day as they are filed: each line's versions (a first version
with a flaw that an amendment corrects, an older version received after the newer one), the
forwarder named instead of the importer, ETA updates, arrivals of whole calls and of containers
discharged one batch after another."""

from __future__ import annotations

from datetime import datetime, timedelta

from pnm.cli.replay_input import ScenarioEvent
from pnm.cli.scenario.catalogue import FORWARDERS
from pnm.cli.scenario.plan import Call, PlannedLine, Scene
from pnm.shared.contracts.records import Arrival, EtaUpdate, GoodsItem, ManifestLine, Party


class Manifest:
    """Writes the day's manifest records from the plan."""

    def __init__(self, day: Scene) -> None:
        self.day = day
        self.arrived: set[str] = set()  # line keys

    def emit_line(self, line: PlannedLine) -> None:
        consignee = line.consignee
        if not line.by_vessel and line.document.type == "BL" and self.day.chance(0.05):
            consignee = self.day.choose(FORWARDERS).party()
            self.day.seen["consignee is a forwarder, not the importer"] += 1
        first = self._line_record(line, consignee, version=1, at=line.filed_at)
        history = [(line.filed_at, first)]
        amend_from = line.filed_at + timedelta(minutes=20)
        amend_to = min(self.day.end - timedelta(minutes=3), line.filed_at + timedelta(hours=30))
        flawed = self._flawed_first(line, first) if amend_from < amend_to else None
        if flawed:
            label, first = flawed
            at = self.day.between(amend_from, amend_to)
            history = [(line.filed_at, first), (at, self._line_record(line, consignee, 2, at))]
            self.day.seen[f"line amended: {label}"] += 1
            if self.day.chance(0.3):
                stale = self.day.between(
                    at + timedelta(minutes=1), self.day.end - timedelta(minutes=2)
                )
                history.append((stale, first))
                self.day.seen["older line version received after the newer one"] += 1
        line.final = max((record for _, record in history), key=lambda r: r.version)
        self.day.events.extend(ScenarioEvent("manifest.line", at, record) for at, record in history)

    def _flawed_first(
        self, line: PlannedLine, first: ManifestLine
    ) -> tuple[str, ManifestLine] | None:
        """When the line will be amended: what was wrong in the first version."""
        if line.withdrawn:
            return "withdrawn", first
        if line.container_fixed:
            return "container number corrected", first
        roll, goods = self.day.rng.random(), first.goods
        if roll < 0.01 and line.regimes and len(goods) == 1:
            vague = goods[0].model_copy(update={"hs_code": None, "description": "Foodstuffs"})
            return "goods declared vaguely at first", first.model_copy(update={"goods": [vague]})
        if roll < 0.025 and len(goods) == 1 and goods[0].hs_code is not None:
            missing = goods[0].model_copy(update={"hs_code": None})
            return "HS code added", first.model_copy(update={"goods": [missing]})
        if roll < 0.04:
            heavier = [g.model_copy(update={"gross_mass_kg": g.gross_mass_kg * 2}) for g in goods]
            return "gross mass corrected", first.model_copy(update={"goods": heavier})
        return None

    def _line_record(
        self, line: PlannedLine, consignee: Party, version: int, at: datetime
    ) -> ManifestLine:
        call, amended = line.call, version > 1
        return ManifestLine(
            manifest_id=call.manifest_id,
            line_id=line.line_id,
            version=version,
            withdrawn=line.withdrawn and amended,
            mode=call.mode,
            vessel_imo=call.vessel[1] if call.vessel else None,
            vessel_name=call.vessel[0] if call.vessel else None,
            voyage=call.vessel[2] if call.vessel else None,
            flight_number=call.flight.number if call.flight else None,
            port_of_discharge=line.port or call.port,
            terminal=call.terminal,
            eta=call.eta_known_at(at),
            transport_document=line.document,
            containers=(
                line.containers if line.container_fixed and amended else line.manifest_containers
            ),
            procedure=line.procedure,
            consignor=line.consignor,
            consignee=consignee,
            country_of_origin=line.items[0].origin,
            place_of_loading=call.loading,
            document_references=line.references,
            goods=[
                GoodsItem(
                    item=n,
                    hs_code=item.hs_code,
                    description=item.description,
                    gross_mass_kg=item.gross_kg,
                    packages=max(1, round(item.gross_kg / item.goods.kg_per_package)),
                    country_of_origin=item.origin,
                )
                for n, item in enumerate(line.items, start=1)
            ],
        )

    def emit_call(self, call: Call) -> None:
        if call.eta_update_at:
            update = EtaUpdate(manifest_id=call.manifest_id, eta=call.eta)
            self.day.events.append(ScenarioEvent("manifest.eta", call.eta_update_at, update))
        if call.arrival_at:
            arrival = Arrival(manifest_id=call.manifest_id, arrived_at=call.arrival_at)
            self.day.events.append(ScenarioEvent("manifest.arrival", call.arrival_at, arrival))
            self.arrived.update(line.key for line in call.lines)
        start = call.first_discharge(self.day.end)
        if start:
            self._discharge(call, start)

    def _discharge(self, call: Call, start: datetime) -> None:
        """Containers come off in batches; the rest is still on board at the end of the day."""
        candidates = [line for line in call.lines if not line.container_fixed]
        self.day.rng.shuffle(candidates)
        discharged = candidates[: int(len(candidates) * self.day.rng.uniform(0.4, 0.8))]
        batches = self.day.rng.randint(2, 3)
        span = self.day.end - timedelta(minutes=10) - start
        for n in range(batches):
            batch = discharged[n::batches]
            at = start + span * (n + self.day.rng.random()) / batches
            at = at.replace(microsecond=0)
            containers = [c for line in batch for c in line.manifest_containers]
            arrival = Arrival(manifest_id=call.manifest_id, arrived_at=at, containers=containers)
            self.day.events.append(ScenarioEvent("manifest.arrival", at, arrival))
            self.arrived.update(line.key for line in batch)
        self.day.seen["vessel discharging container by container at the end of the day"] += 1

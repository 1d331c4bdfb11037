"""The importer's EORI number names the party whatever its name is written like.

Found on the corpus day schiphol-2026-03-11 (NLSPL-TK6501-20260311/0019): the pre-notification
gives only the flight and the importer "Jansen Fruit Import B.V.", the line's consignee is
"Janen Fruit Import B.V." with the same EORI number. "Fruit" and "import" tell no company from
another, so the weak block (flight with a telling word of the name) never met and the line was
`overdue`, a hold once arrived. The EORI number is the operator's registration: the same number
is the same party."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from replaying import InMemory

from pnm.shared.contracts.records import ChedType, Decision, DecisionStatus, PreNotification
from pnm.testing.records import BASE_ETA, manifest_line, prenotification

CHED = "CHEDP.NL.2026.0009001"


def _notice(name: str, eori: str | None) -> PreNotification:
    notice = prenotification(
        CHED, ched_type=ChedType.CHED_P, cn_code="02013000", description="frozen beef",
        containers=[], net_mass_kg=16_500,
    )  # fmt: skip
    importer = notice.importer.model_copy(update={"name": name, "eori": eori})
    return notice.model_copy(update={"importer": importer})


def _decided(notice: PreNotification, consignee: str, eori: str | None) -> Decision:
    line = manifest_line("EO-1", "1", hs_code="020130", description="frozen beef", containers=[])
    party = line.consignee.model_copy(update={"name": consignee, "eori": eori})
    line = line.model_copy(update={"consignee": party})

    async def run() -> Decision:
        matcher = InMemory()
        await matcher.replay.receive(notice, notice.submitted_at)
        await matcher.replay.receive(line, BASE_ETA - timedelta(days=2))
        await matcher.replay.advance(BASE_ETA - timedelta(hours=1))
        return (await matcher.decisions())[("EO-1", "1")]

    return asyncio.run(run())


def test_the_same_eori_number_is_the_same_importer_however_the_name_is_written() -> None:
    decided = _decided(
        _notice("Jansen Fruit Import B.V.", "NL555363751"), "Janen Fruit Import B.V.", "NL555363751"
    )
    assert decided.status is DecisionStatus.NOTIFIED, decided.reasons
    assert decided.references == [CHED]


def test_another_eori_number_does_not_make_a_name_the_same() -> None:
    decided = _decided(
        _notice("Jansen Fruit Import B.V.", "NL555363751"), "Janen Fruit Import B.V.", "NL999888777"
    )
    assert decided.status is not DecisionStatus.NOTIFIED, decided.reasons

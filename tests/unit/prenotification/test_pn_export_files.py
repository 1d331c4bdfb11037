"""A CSV export written by `pnm.testing.files` reads back as the same records: the writer the
tests and the intake benchmark use is the inverse of what the service reads."""

from __future__ import annotations

from pnm.prenotification.adapters.files import parse_file
from pnm.shared.contracts.records import ChedType, Commodity, PreNotification
from pnm.testing.files import prenotification_csv
from pnm.testing.records import container, prenotification


def test_an_export_reads_back_as_the_records_it_was_written_from() -> None:
    beef = prenotification(
        "CHEDP.NL.2026.0010001", ched_type=ChedType.CHED_P, cn_code="02013000",
        description="Frozen boneless beef", containers=[container(1), container(2)],
        packages=1_100,
    )  # fmt: skip
    grapes = prenotification(
        "CHEDPP.NL.2026.0010002", ched_type=ChedType.CHED_PP, cn_code="08061010",
        description="Fresh table grapes", containers=[container(3)],
    )  # fmt: skip
    grapes = grapes.model_copy(
        update={
            "commodities": [
                *grapes.commodities,
                Commodity(cn_code="08104010", description="Blueberries", net_mass_kg=2_000.0),
            ]
        }
    )
    rows = parse_file(prenotification_csv([beef, grapes]), "csv")
    assert [r.problem for r in rows] == [None, None]
    assert [PreNotification.model_validate(r.payload) for r in rows] == [beef, grapes]

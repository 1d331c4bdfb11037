"""The record builders of `pnm.testing.records`: what a case names lands in the record, and the
rest is what the tests take as given (CONTRIBUTING.md, "Set up, and run one test")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from pnm.shared.contracts.limits import GOODS_MAX
from pnm.shared.contracts.records import ChedType, GoodsItem, Party
from pnm.testing.records import (
    BASE_ETA,
    IMPORTER,
    STARTED,
    container,
    largest_line,
    manifest_line,
    prenotification,
)


def test_a_line_carries_the_quantities_references_and_consignee_it_is_given() -> None:
    forwarder = Party(name="Portside Forwarding B.V.", country="NL")
    line = manifest_line(
        "T-1", "1", hs_code="020130", description="beef", containers=[container(1)],
        gross_mass_kg=7_000, packages=600, document_references=["CHEDP.NL.2026.0000001"],
        consignee=forwarder, port_of_discharge="NLAMS",
    )  # fmt: skip
    [goods] = line.goods
    assert (goods.gross_mass_kg, goods.packages) == (7_000, 600)
    assert line.document_references == ["CHEDP.NL.2026.0000001"]
    assert line.consignee == forwarder
    assert line.port_of_discharge == "NLAMS"


def test_a_line_by_default_quotes_nothing_and_is_the_importers() -> None:
    line = manifest_line(
        "T-1", "1", hs_code="020130", description="beef", containers=[container(1)]
    )
    assert line.document_references == []
    assert line.consignee == IMPORTER
    assert line.port_of_discharge == "NLRTM"
    assert line.eta == BASE_ETA
    assert line.goods[0].packages == 1200


def test_the_largest_line_has_every_item_it_may_have_numbered_in_order() -> None:
    line = manifest_line(
        "T-1", "1", hs_code="020130", description="beef", containers=[container(1)]
    )
    item = GoodsItem(item=1, hs_code="080510", description="lemons", gross_mass_kg=1)
    largest = largest_line(line, item)
    assert [g.item for g in largest.goods] == list(range(1, GOODS_MAX + 1))
    assert {g.description for g in largest.goods} == {"lemons"}
    assert largest.model_copy(update={"goods": line.goods}) == line


def test_a_notification_carries_the_mass_packages_importer_and_time_it_is_given() -> None:
    other = Party(name="Jansen BV", country="NL")
    at = BASE_ETA - timedelta(hours=2)
    notice = prenotification(
        "CHEDP.NL.2026.0000001", ched_type=ChedType.CHED_P, cn_code="0201", description="beef",
        containers=[], net_mass_kg=13_000, packages=700, importer=other, submitted_at=at,
    )  # fmt: skip
    [commodity] = notice.commodities
    assert (commodity.net_mass_kg, commodity.packages) == (13_000, 700)
    assert notice.importer == other
    assert notice.submitted_at == at


def test_a_notification_by_default_is_16_5_t_a_container_submitted_ahead() -> None:
    notice = prenotification(
        "CHEDP.NL.2026.0000001", ched_type=ChedType.CHED_P, cn_code="0201", description="beef",
        containers=[container(1), container(2)],
    )  # fmt: skip
    [commodity] = notice.commodities
    assert (commodity.net_mass_kg, commodity.packages) == (33_000, None)
    assert notice.importer == IMPORTER
    assert notice.submitted_at < STARTED
    assert notice.system == "vgc"


def test_a_mass_of_nothing_is_refused_not_taken_for_the_default() -> None:
    with pytest.raises(ValidationError, match="net_mass_kg"):
        prenotification(
            "CHEDP.NL.2026.0000001", ched_type=ChedType.CHED_P, cn_code="0201",
            description="beef", containers=[container(1)], net_mass_kg=0.0,
        )  # fmt: skip

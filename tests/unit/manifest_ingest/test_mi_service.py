"""Manifest ingest's service layer (pnm.manifest_ingest.handlers) over its store in memory:
what a line's versions come out as, what is refused and kept, re-submission, ETA updates and
arrivals, and the events staged for each."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from manifest_fakes import MemoryLineStore

from pnm.manifest_ingest import handlers
from pnm.shared.contracts.records import EtaUpdate, ManifestLine
from pnm.shared.contracts.topics import (
    MANIFEST_ARRIVALS,
    MANIFEST_ETA,
    MANIFEST_FEEDS,
    MANIFEST_LINES,
    EventType,
)
from pnm.shared.http import DomainError
from pnm.shared.intake.model import Submission
from pnm.testing.records import BASE_ETA, arrival, container, manifest_line

NOW = BASE_ETA - timedelta(days=2)
KEY = ("MAN-1", "1")


def line(version: int = 1, **changes: Any) -> ManifestLine:
    return manifest_line(
        *KEY,
        hs_code="020130",
        description="frozen beef",
        containers=[container(1), container(2)],
        version=version,
        **changes,
    )


def sent(*records: ManifestLine | dict[str, Any]) -> list[Submission]:
    return [
        Submission(r if isinstance(r, dict) else r.model_dump(mode="json"), "rest", "dmf", n)
        for n, r in enumerate(records)
    ]


def declare(store: MemoryLineStore, *records: ManifestLine | dict[str, Any]) -> list[str]:
    results = asyncio.run(handlers.declare(store, sent(*records), NOW))
    return [r.outcome for r in results]


def line_events(store: MemoryLineStore) -> list[tuple[str, int]]:
    return [(e.type, e.data["version"]) for e in store.staged(MANIFEST_LINES)]


def test_a_new_line_is_declared_kept_and_published() -> None:
    store = MemoryLineStore()
    assert declare(store, line()) == ["declared"]
    assert store.lines[KEY].line.version == 1
    assert set(store.history) == {(KEY, 1)}
    assert line_events(store) == [(EventType.MANIFEST_LINE_DECLARED, 1)]
    assert [e.subject for e in store.staged(MANIFEST_LINES)] == ["MAN-1/1"]
    assert [e.type for e in store.staged(MANIFEST_FEEDS)] == [EventType.DMF_FEED_ACTIVE]


def test_a_newer_version_amends_and_the_history_says_what_changed() -> None:
    store = MemoryLineStore()
    declare(store, line())
    assert declare(store, line(2, gross_mass_kg=20_000.0)) == ["amended"]
    assert store.lines[KEY].line.version == 2
    changes = store.history[(KEY, 2)].changes
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("goods.0.gross_mass_kg", 18_000.0, 20_000.0)
    ]
    assert line_events(store)[-1] == (EventType.MANIFEST_LINE_AMENDED, 2)


def test_a_withdrawal_is_kept_and_published_as_one() -> None:
    store = MemoryLineStore()
    declare(store, line())
    assert declare(store, line(2, withdrawn=True)) == ["withdrawn"]
    assert store.lines[KEY].line.withdrawn
    assert line_events(store)[-1] == (EventType.MANIFEST_LINE_WITHDRAWN, 2)


def test_an_older_or_the_same_version_is_ignored_and_not_published() -> None:
    store = MemoryLineStore()
    declare(store, line(2))
    assert declare(store, line(1), line(2)) == ["ignored", "ignored"]
    assert store.lines[KEY].line.version == 2
    assert line_events(store) == [(EventType.MANIFEST_LINE_DECLARED, 2)]


def test_in_one_batch_only_the_newest_version_counts_whatever_the_order() -> None:
    store = MemoryLineStore()
    assert declare(store, line(1), line(3), line(2)) == ["ignored", "declared", "ignored"]
    assert store.lines[KEY].line.version == 3
    assert set(store.history) == {(KEY, 3)}


def test_a_refused_line_is_kept_with_its_reasons_and_the_rest_is_stored() -> None:
    store = MemoryLineStore()
    late = line(eta=NOW + timedelta(days=400)).model_copy(update={"line_id": "2"})
    results = asyncio.run(handlers.declare(store, sent(line(), late, {"manifest_id": "X"}), NOW))
    assert [r.outcome for r in results] == ["declared", "rejected", "rejected"]
    assert [r.rejection_id for r in results] == [None, 1, 2]
    kept = store.rejections[1].refused
    assert kept.subject == "MAN-1/2" and kept.row_number == 1
    assert [r["field"] for r in kept.reasons] == ["eta"]
    assert store.rejections[2].refused.subject is None
    assert set(store.lines) == {KEY}


def test_a_refused_input_that_is_no_object_is_kept_as_far_as_it_can_be() -> None:
    store = MemoryLineStore()
    [result] = asyncio.run(handlers.declare(store, [Submission("no\x00line", "file")], NOW))
    assert result.outcome == "rejected"
    assert store.rejections[1].refused.payload == {"raw": "no\ufffdline"}


def test_a_corrected_line_closes_its_rejection_once() -> None:
    store = MemoryLineStore()
    wrong = line(eta=NOW + timedelta(days=400)).model_dump(mode="json")
    [refused] = asyncio.run(handlers.declare(store, sent(wrong), NOW))
    assert refused.rejection_id == 1
    right = line().model_dump(mode="json")
    result = asyncio.run(handlers.resubmit(store, 1, right, NOW))
    assert result.outcome == "declared"
    assert store.rejections[1].resubmitted_as == "MAN-1/1"
    assert store.open_rejections() == {}
    with pytest.raises(DomainError) as again:
        asyncio.run(handlers.resubmit(store, 1, right, NOW))
    assert again.value.status == 409
    with pytest.raises(DomainError) as unknown:
        asyncio.run(handlers.resubmit(store, 7, right, NOW))
    assert unknown.value.status == 404


def test_a_correction_refused_again_leaves_its_rejection_open() -> None:
    store = MemoryLineStore()
    wrong = line(eta=NOW + timedelta(days=400)).model_dump(mode="json")
    asyncio.run(handlers.declare(store, sent(wrong), NOW))
    result = asyncio.run(handlers.resubmit(store, 1, wrong, NOW))
    assert result.outcome == "rejected" and result.rejection_id == 2
    assert set(store.open_rejections()) == {1, 2}


def test_a_new_eta_moves_the_lines_not_withdrawn_that_carry_a_named_container() -> None:
    store = MemoryLineStore()
    other = manifest_line(
        "MAN-1", "2", hs_code="020130", description="beef", containers=[container(3)]
    )
    gone = manifest_line(
        "MAN-1", "3", hs_code="020130", description="beef", containers=[container(1)]
    )
    declare(store, line(), other, gone.model_copy(update={"withdrawn": True}))
    later = BASE_ETA + timedelta(days=1)
    # Named in another spelling: normalised before it is compared.
    spelt = f"{container(1)[:4].lower()} {container(1)[4:]}"
    moved = asyncio.run(
        handlers.update_eta(
            store, EtaUpdate(manifest_id="MAN-1", eta=later, containers=[spelt]), NOW
        )
    )
    assert moved == 1
    assert {k[1]: kept.eta for k, kept in store.lines.items()} == {
        "1": later,
        "2": BASE_ETA,
        "3": BASE_ETA,
    }
    assert [e.type for e in store.staged(MANIFEST_ETA)] == [EventType.ETA_UPDATED]
    whole = EtaUpdate(manifest_id="MAN-1", eta=later, containers=[])
    assert asyncio.run(handlers.update_eta(store, whole, NOW)) == 2


def test_an_eta_outside_the_intake_window_is_refused_and_nothing_moves() -> None:
    store = MemoryLineStore()
    declare(store, line())
    far = EtaUpdate(manifest_id="MAN-1", eta=NOW + timedelta(days=400))
    with pytest.raises(DomainError):
        asyncio.run(handlers.update_eta(store, far, NOW))
    assert store.lines[KEY].eta == BASE_ETA and store.staged(MANIFEST_ETA) == []


def test_an_arrival_is_recorded_with_its_containers_normalised_and_published() -> None:
    store = MemoryLineStore()
    spelt = f"{container(2)[:4].lower()}-{container(2)[4:]}"
    asyncio.run(handlers.record_arrival(store, arrival("MAN-1", BASE_ETA, [spelt]), NOW))
    asyncio.run(handlers.record_arrival(store, arrival("MAN-2", BASE_ETA), NOW))
    assert [(a.manifest_id, a.containers) for a in store.arrivals] == [
        ("MAN-1", (container(2),)),
        ("MAN-2", None),
    ]
    assert [e.subject for e in store.staged(MANIFEST_ARRIVALS)] == ["MAN-1", "MAN-2"]


def test_dmf_activity_is_published_at_most_once_a_minute_of_the_last() -> None:
    store = MemoryLineStore()
    for seconds in (0, 30, 95, 100):
        batch = [line(seconds + 1)]
        asyncio.run(handlers.declare(store, sent(*batch), NOW + timedelta(seconds=seconds)))
    assert [e.data["last_record_at"] for e in store.staged(MANIFEST_FEEDS)] == [
        NOW.isoformat().replace("+00:00", "Z"),
        (NOW + timedelta(seconds=95)).isoformat().replace("+00:00", "Z"),
    ]
    assert store.feed_clock == {"dmf": NOW + timedelta(seconds=100)}

"""The console's read model on a real PostgreSQL, fed through its handlers as the consumer
feeds them: events late, twice, or before what they refer to never take a row back; and a
queue of 6,000 rows pages, sorts, searches and filters without losing or repeating a row."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from infra import decision_record
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.console import views
from pnm.console.adapters.tables import case, decision_log, hold, line, messaging
from pnm.console.app import definition
from pnm.console.domain.queues import QUEUES_BY_NAME, QueueQuery, checked_query
from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import (
    Arrival,
    Authority,
    CaseChanged,
    DecisionStatus,
    EtaUpdate,
    HoldStateChanged,
    ManifestLine,
    Party,
    Record,
    Regime,
)
from pnm.shared.contracts.topics import (
    CASES,
    DECISIONS,
    HOLD_STATES,
    MANIFEST_ARRIVALS,
    MANIFEST_ETA,
    MANIFEST_LINES,
    EventType,
    Topic,
)
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.migrations import upgrade
from pnm.shared.service import ServiceContext
from pnm.testing.records import BASE_ETA, container, manifest_line

pytestmark = pytest.mark.integration

T0 = BASE_ETA - timedelta(days=1)
Event = tuple[Topic, CloudEvent]


class ReadModel:
    """The console's handlers, routed by topic and event type as its consumer routes them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        ctx = ServiceContext("console", engine, lambda: UnitOfWork(engine, messaging))
        self._routes = definition.subscriptions(ctx)

    async def apply(self, *events: Event) -> None:
        """One transaction, as one consumer batch."""
        async with UnitOfWork(self.engine, messaging) as uow:
            for topic, event in events:
                await self._routes[topic.name](uow, event)
            await uow.commit()

    async def line(self, manifest_id: str, line_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(line).where(line.c.manifest_id == manifest_id, line.c.line_id == line_id)
                )
            ).one()
        return dict(row._mapping)

    async def hold(self, hold_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(hold).where(hold.c.hold_id == hold_id))).one()
        return dict(row._mapping)


@pytest.fixture
async def model(database_url: str) -> AsyncIterator[ReadModel]:
    engine = make_engine(database_url)
    await upgrade(engine, definition)
    yield ReadModel(engine)
    await engine.dispose()


def event(topic: Topic, kind: str, subject: str, record: Record, at: datetime) -> Event:
    return topic, new_event(type=kind, source="/test", subject=subject, record=record, time=at)


def declared(record: ManifestLine, at: datetime = T0) -> Event:
    return event(MANIFEST_LINES, EventType.MANIFEST_LINE_DECLARED, record.key, record, at)


def decided(
    manifest_id: str,
    line_id: str,
    number: int,
    status: DecisionStatus,
    at: datetime,
    *,
    regime: Regime = Regime.VET,
    references: Sequence[str] = (),
    containers: Sequence[str] = (),
) -> Event:
    record = decision_record(
        manifest_id,
        line_id,
        number=number,
        status=status,
        regime=regime,
        containers=list(containers),
        references=list(references),
        decided_at=at,
    )
    return event(DECISIONS, EventType.DECISION_CHANGED, f"{manifest_id}/{line_id}", record, at)


def arrived(manifest_id: str, at: datetime, containers: list[str] | None = None) -> Event:
    record = Arrival(manifest_id=manifest_id, arrived_at=at, containers=containers)
    return event(MANIFEST_ARRIVALS, EventType.ARRIVAL, manifest_id, record, at)


def eta_updated(
    manifest_id: str, eta: datetime, sent: datetime, containers: list[str] | None = None
) -> Event:
    record = EtaUpdate(manifest_id=manifest_id, eta=eta, containers=containers)
    return event(MANIFEST_ETA, EventType.ETA_UPDATED, manifest_id, record, sent)


def hold_changed(
    hold_id: str, manifest_id: str, line_id: str, state: str, at: datetime, terminal: str
) -> Event:
    record = HoldStateChanged(
        hold_id=hold_id,
        manifest_id=manifest_id,
        line_id=line_id,
        regime=Regime.VET,
        authority=Authority.NVWA,
        state=state,
        terminal=terminal,
        containers=[],
        at=at,
    )
    return event(HOLD_STATES, EventType.HOLD_STATE_CHANGED, hold_id, record, at)


def beef(manifest_id: str, line_id: str, box: str, **changes: Any) -> ManifestLine:
    return manifest_line(
        manifest_id, line_id, hs_code="020130", description="Frozen beef", containers=[box]
    ).model_copy(update=changes)


# --- events out of order, twice, or before what they refer to --------------------------------


async def test_an_older_line_version_after_a_newer_one_changes_nothing(model: ReadModel) -> None:
    newer = beef("ORD-1", "1", container(1), version=2, eta=BASE_ETA + timedelta(hours=6))
    newer = newer.model_copy(update={"consignee": Party(name="Nieuwe Import B.V.", country="NL")})
    older = beef("ORD-1", "1", container(1), version=1)
    await model.apply(declared(newer))
    await model.apply(declared(older))
    row = await model.line("ORD-1", "1")
    assert (row["line_version"], row["importer"]) == (2, "Nieuwe Import B.V.")
    assert row["eta"] == BASE_ETA + timedelta(hours=6)


async def test_an_older_decision_after_a_newer_one_keeps_the_newer_and_the_first_warning(
    model: ReadModel,
) -> None:
    await model.apply(declared(beef("ORD-2", "1", container(2))))
    first_flag, second_flag = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    await model.apply(decided("ORD-2", "1", 3, DecisionStatus.UNNOTIFIED, second_flag))
    await model.apply(decided("ORD-2", "1", 2, DecisionStatus.OVERDUE, first_flag))
    await model.apply(decided("ORD-2", "1", 1, DecisionStatus.AWAITING_NOTIFICATION, T0))
    row = await model.line("ORD-2", "1")
    assert (row["decision_number"], row["status"], row["decided_at"]) == (
        3,
        "unnotified",
        second_flag,
    )
    # How early we warned: the overdue decision came first, though it was applied last.
    assert row["flagged_at"] == first_flag
    async with model.engine.connect() as conn:
        numbers = (
            await conn.scalars(
                select(decision_log.c.decision_number)
                .where(decision_log.c.manifest_id == "ORD-2")
                .order_by(decision_log.c.decision_number)
            )
        ).all()
    assert numbers == [1, 2, 3]


async def test_a_decision_before_its_line_and_the_line_after_it(model: ReadModel) -> None:
    box = container(3)
    await model.apply(decided("ORD-3", "1", 1, DecisionStatus.UNNOTIFIED, T0, containers=[box]))
    early = await model.line("ORD-3", "1")
    assert (early["status"], early["containers"], early["line_version"]) == (
        "unnotified",
        [box],
        None,
    )
    await model.apply(declared(beef("ORD-3", "1", box)))
    row = await model.line("ORD-3", "1")
    assert (row["status"], row["decision_number"], row["line_version"]) == ("unnotified", 1, 1)
    assert (row["bcp"], row["importer"], row["eta"]) == (
        "NLRTM",
        "Van der Berg Import B.V.",
        BASE_ETA,
    )
    async with model.engine.connect() as conn:
        page = await views.queue_page(
            conn,
            QUEUES_BY_NAME["unnotified"],
            checked_query(QUEUES_BY_NAME["unnotified"], QueueQuery(box)),
            None,
        )
    assert [(r["manifest_id"], r["line_id"]) for r in page.rows] == [("ORD-3", "1")]


async def test_every_event_applied_twice_leaves_the_same_rows(model: ReadModel) -> None:
    box = container(4)
    events = [
        declared(beef("ORD-4", "1", box)),
        decided("ORD-4", "1", 1, DecisionStatus.UNNOTIFIED, T0, containers=[box]),
        arrived("ORD-4", T0 + timedelta(hours=3)),
        eta_updated("ORD-4", BASE_ETA + timedelta(hours=2), T0 + timedelta(hours=1)),
        hold_changed("H-4", "ORD-4", "1", "instructed", T0 + timedelta(hours=4), "ECTDELTA"),
    ]
    await model.apply(*events)
    once = (await model.line("ORD-4", "1"), await model.hold("H-4"))
    await model.apply(*events)
    await model.apply(*reversed(events))
    assert (await model.line("ORD-4", "1"), await model.hold("H-4")) == once
    async with model.engine.connect() as conn:
        logged = (
            await conn.scalars(
                select(decision_log.c.decision_number).where(decision_log.c.manifest_id == "ORD-4")
            )
        ).all()
    assert logged == [1]


async def test_one_batch_gives_the_rows_of_its_events_applied_one_by_one(
    model: ReadModel,
) -> None:
    """Lines and decisions are staged per batch and written at its commit (docs/
    console-operations.md, "Keeping up"): versions, numbers and first moments come out as if
    every event had been applied in its own transaction."""

    def story(manifest_id: str) -> list[Event]:
        box = container(90)
        return [
            decided(manifest_id, "1", 3, DecisionStatus.UNNOTIFIED, T0 + timedelta(hours=3)),
            declared(beef(manifest_id, "1", box, version=2, eta=BASE_ETA + timedelta(hours=6))),
            eta_updated(manifest_id, BASE_ETA + timedelta(hours=1), T0 + timedelta(hours=1)),
            decided(manifest_id, "1", 1, DecisionStatus.AWAITING_NOTIFICATION, T0),
            declared(beef(manifest_id, "1", box, version=1)),
            arrived(manifest_id, T0 + timedelta(hours=2), [box]),
            decided(manifest_id, "1", 2, DecisionStatus.OVERDUE, T0 + timedelta(hours=1)),
            declared(beef(manifest_id, "2", box)),
        ]

    for one in story("ONE-BY-ONE"):
        await model.apply(one)
    await model.apply(*story("ONE-BATCH"))
    for line_id in ("1", "2"):
        alone = await model.line("ONE-BY-ONE", line_id)
        batched = await model.line("ONE-BATCH", line_id)
        named = ("manifest_id", "transport_document")  # made from the manifest's name
        assert {k: v for k, v in batched.items() if k not in named} == {
            k: v for k, v in alone.items() if k not in named
        }
    first = await model.line("ONE-BATCH", "1")
    assert (first["line_version"], first["decision_number"], first["flagged_at"]) == (
        2,
        3,
        T0 + timedelta(hours=1),
    )
    assert first["arrived_at"] == T0 + timedelta(hours=2)


async def test_a_hold_change_with_an_earlier_time_keeps_the_later_state_and_every_moment(
    model: ReadModel,
) -> None:
    requested, instructed, acknowledged = (T0 + timedelta(minutes=m) for m in (0, 5, 30))
    await model.apply(hold_changed("H-5", "ORD-5", "1", "acknowledged", acknowledged, "RWG"))
    await model.apply(hold_changed("H-5", "ORD-5", "1", "instructed", instructed, "RWG"))
    await model.apply(hold_changed("H-5", "ORD-5", "1", "requested", requested, "RWG"))
    row = await model.hold("H-5")
    assert (row["state"], row["changed_at"]) == ("acknowledged", acknowledged)
    # The terminal's time to answer needs both moments, whatever order they came in.
    assert (row["opened_at"], row["instructed_at"], row["acknowledged_at"]) == (
        requested,
        instructed,
        acknowledged,
    )


async def test_a_case_closed_before_its_opening_is_applied_stays_closed_and_opened_early(
    model: ReadModel,
) -> None:
    opened, closed = T0, T0 + timedelta(hours=8)

    def changed(action: str, state: str, at: datetime, kind: str) -> Event:
        record = CaseChanged(
            case_id="C-8",
            manifest_id="ORD-8",
            line_id="1",
            state=state,
            action=action,
            references=[],
            outcome="no_irregularity" if action == "closed" else None,
            at=at,
            by="test",
        )
        return event(CASES, kind, "ORD-8/1", record, at)

    await model.apply(changed("closed", "closed", closed, EventType.CASE_CLOSED))
    await model.apply(changed("opened", "open", opened, EventType.CASE_OPENED))
    async with model.engine.connect() as conn:
        row = (await conn.execute(select(case).where(case.c.case_id == "C-8"))).one()
    assert (row.state, row.opened_at, row.closed_at) == ("closed", opened, closed)


async def test_arrivals_of_some_containers_only_and_before_their_lines(model: ReadModel) -> None:
    a, b, c = container(51), container(52), container(53)
    first, later = T0 + timedelta(hours=1), T0 + timedelta(hours=5)
    await model.apply(declared(beef("ORD-6", "1", a)), declared(beef("ORD-6", "2", b)))
    await model.apply(arrived("ORD-6", first, containers=[a, c]))
    assert (await model.line("ORD-6", "1"))["arrived_at"] == first
    assert (await model.line("ORD-6", "2"))["arrived_at"] is None
    # Line 3 (container c) is declared only after its container arrived.
    await model.apply(declared(beef("ORD-6", "3", c)))
    assert (await model.line("ORD-6", "3"))["arrived_at"] == first
    # The whole vessel later: the lines not yet in get that time; the first arrival stays.
    await model.apply(arrived("ORD-6", later))
    assert [(await model.line("ORD-6", n))["arrived_at"] for n in "123"] == [first, later, first]
    # An earlier arrival applied late still counts as the first.
    await model.apply(arrived("ORD-6", T0, containers=[b]))
    assert (await model.line("ORD-6", "2"))["arrived_at"] == T0


async def test_eta_updates_follow_the_latest_sent_whatever_order_or_line_version(
    model: ReadModel,
) -> None:
    a, b = container(61), container(62)
    await model.apply(declared(beef("ORD-7", "1", a)), declared(beef("ORD-7", "2", b)))
    sooner, later, latest = (BASE_ETA + timedelta(hours=h) for h in (-3, 4, 9))
    # The vessel's ETA, then a container's own.
    await model.apply(eta_updated("ORD-7", later, T0 + timedelta(minutes=10)))
    await model.apply(eta_updated("ORD-7", sooner, T0 + timedelta(minutes=20), containers=[b]))
    assert [(await model.line("ORD-7", n))["eta"] for n in "12"] == [later, sooner]
    # An update sent before those, applied after them, changes nothing.
    await model.apply(eta_updated("ORD-7", latest, T0 + timedelta(minutes=5)))
    assert [(await model.line("ORD-7", n))["eta"] for n in "12"] == [later, sooner]
    # An amended line keeps the updated ETA (its declaration is older news), as the matcher does.
    await model.apply(declared(beef("ORD-7", "1", a, version=2), T0 + timedelta(minutes=30)))
    assert (await model.line("ORD-7", "1"))["eta"] == later
    # An update for a line not yet declared applies once it is.
    c = container(63)
    await model.apply(eta_updated("ORD-7", latest, T0 + timedelta(minutes=40), containers=[c]))
    await model.apply(declared(beef("ORD-7", "3", c)))
    assert (await model.line("ORD-7", "3"))["eta"] == latest


# --- a queue of 6,000 rows -------------------------------------------------------------------

LINES = 6_000
MANIFESTS = 20
BCPS = ("NLAMS", "NLRTM", "NLVLI")
TERMINALS = ("APMII", "APMT2", "ECTDELTA", "RWG", "SWISSPORT")
IMPORTERS = 40
UNDECLARED = 12  # decided lines whose declaration has not come yet: no ETA, sorted last
NOT_IN_QUEUE = 150  # notified lines: not in the unnotified queue


def seeded_key(i: int) -> tuple[str, str]:
    # Letters and digits of one length: the database's collation sorts them as Python does.
    return f"BULK{i % MANIFESTS:02d}", f"{i:05d}"


def seeded_line(i: int) -> ManifestLine:
    manifest_id, line_id = seeded_key(i)
    return manifest_line(
        manifest_id,
        line_id,
        hs_code="020130" if i % 2 == 0 else "080610",
        description="Frozen beef" if i % 2 == 0 else "Fresh table grapes",
        containers=[container(100_000 + i)],
        bill_of_lading=f"TD{i:06d}",
        terminal=TERMINALS[i % len(TERMINALS)],
        eta=BASE_ETA + timedelta(hours=i % 97),  # many lines share an ETA: ties to break
        consignee=Party(name=f"Importer {i % IMPORTERS:02d} B.V.", country="NL"),
        port_of_discharge=BCPS[i % len(BCPS)],
    )


def seeded_reference(i: int) -> str:
    return f"CHEDP.NL.2026.{i:07d}"


def seeded_decision(i: int) -> Event:
    manifest_id, line_id = seeded_key(i)
    status = DecisionStatus.INVALID_NOTIFICATION if i % 3 == 0 else DecisionStatus.UNNOTIFIED
    if i >= LINES:
        status = DecisionStatus.NOTIFIED
    return decided(
        manifest_id,
        line_id,
        1,
        status,
        T0 + timedelta(seconds=i),
        regime=Regime.VET if i % 2 == 0 else Regime.PHYTO,
        references=[seeded_reference(i)] if i % 3 == 0 else [],
        containers=[container(100_000 + i)],
    )


def seeded_hold(i: int) -> Event:
    manifest_id, line_id = seeded_key(i)
    at = T0 + timedelta(minutes=i % 61)  # ties again
    return hold_changed(
        f"HB{i:05d}", manifest_id, line_id, "instructed", at, seeded_line(i).terminal
    )


async def seed(model: ReadModel) -> None:
    declared_lines = [declared(seeded_line(i)) for i in range(LINES + NOT_IN_QUEUE)]
    decisions = [seeded_decision(i) for i in range(LINES + NOT_IN_QUEUE)]
    holds = [seeded_hold(i) for i in range(LINES)]
    # Decisions first for some lines, as a consumer of two topics may see them.
    events = decisions[: LINES // 2] + declared_lines + decisions[LINES // 2 :] + holds
    events += [
        decided(f"LATE{n:02d}", "00001", 1, DecisionStatus.UNNOTIFIED, T0)
        for n in range(UNDECLARED)
    ]
    for start in range(0, len(events), 1000):
        await model.apply(*events[start : start + 1000])


async def every_page(
    model: ReadModel, queue_name: str, query: QueueQuery, authority: Authority | None = None
) -> list[dict[str, Any]]:
    queue = QUEUES_BY_NAME[queue_name]
    rows: list[dict[str, Any]] = []
    async with model.engine.connect() as conn:
        page = 1
        while True:
            checked = checked_query(queue, QueueQuery(**{**query.__dict__, "page": page}))
            found = await views.queue_page(conn, queue, checked, authority)
            rows += found.rows
            assert found.total >= len(rows)
            if page >= found.last:
                break
            page += 1
    assert len(rows) == found.total
    return rows


def keys(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["manifest_id"], r["line_id"]) for r in rows]


async def test_six_thousand_rows_page_once_each_in_order_and_are_found(model: ReadModel) -> None:
    started = time.perf_counter()
    await seed(model)
    print(f"\nseeded {LINES} lines, decisions and holds in {time.perf_counter() - started:.1f} s")
    lines = {seeded_key(i): seeded_line(i) for i in range(LINES)}

    # Every row once, by ETA (undeclared last), ties by manifest and line.
    rows = await every_page(model, "unnotified", QueueQuery(size=200))
    expected = sorted(lines, key=lambda k: (lines[k].eta, k))
    expected += [(f"LATE{n:02d}", "00001") for n in range(UNDECLARED)]
    assert keys(rows) == expected

    # Descending by importer: a sort with 150 rows per value, still each row exactly once.
    by_importer = await every_page(
        model, "unnotified", QueueQuery(sort="importer", direction="desc", size=100)
    )
    ordered = sorted(lines, key=lambda k: k)
    ordered.sort(key=lambda k: lines[k].consignee.name, reverse=True)
    assert keys(by_importer) == ordered + [(f"LATE{n:02d}", "00001") for n in range(UNDECLARED)]

    # The holds waiting for a terminal, by time of change: each hold once.
    held = await every_page(model, "holds_waiting_terminal", QueueQuery(size=200))
    assert [r["hold_id"] for r in held] == [
        f"HB{i:05d}" for i in sorted(range(LINES), key=lambda i: (i % 61, seeded_key(i)))
    ]

    # Search: container, transport document, CHED reference (exactly one line each), importer.
    for i in (0, 2_997, 5_997):  # each with a CHED reference (i % 3 == 0)
        for text in (container(100_000 + i).lower(), f"TD{i:06d}", seeded_reference(i)):
            found = await every_page(model, "unnotified", QueueQuery(search=text))
            assert keys(found) == [seeded_key(i)], text
    importer = await every_page(model, "unnotified", QueueQuery(search="Importer 07 B.V."))
    assert sorted(keys(importer)) == sorted(k for k in lines if int(k[1]) % 40 == 7)
    box = await every_page(model, "holds_waiting_terminal", QueueQuery(search=container(100_042)))
    assert [r["hold_id"] for r in box] == ["HB00042"]

    # Filters narrow to exactly the matching rows, alone and together.
    nlams = await every_page(model, "unnotified", QueueQuery(bcp="NLAMS", size=200))
    assert sorted(keys(nlams)) == sorted(
        k for k, v in lines.items() if v.port_of_discharge == "NLAMS"
    )
    rwg = await every_page(model, "holds_waiting_terminal", QueueQuery(terminal="RWG", size=200))
    assert {r["terminal"] for r in rwg} == {"RWG"} and len(rwg) == LINES // len(TERMINALS)
    phyto = await every_page(model, "unnotified", QueueQuery(regime="phyto", size=200))
    assert sorted(keys(phyto)) == sorted(k for k in lines if int(k[1]) % 2 == 1)
    # A PD inspector sees only phytosanitary lines, without asking.
    assert keys(await every_page(model, "unnotified", QueueQuery(size=200), Authority.PD)) == keys(
        phyto
    )
    narrow = await every_page(
        model,
        "unnotified",
        QueueQuery(search="Importer 07", bcp="NLVLI", terminal="ECTDELTA", regime="phyto"),
    )
    assert sorted(keys(narrow)) == sorted(
        k
        for k, v in lines.items()
        if v.consignee.name.startswith("Importer 07")
        and v.port_of_discharge == "NLVLI"
        and v.terminal == "ECTDELTA"
        and int(k[1]) % 2 == 1
    )
    assert narrow  # the combination is not empty by construction

    # What one page costs at this size (measured, not asserted).
    queue = QUEUES_BY_NAME["unnotified"]
    async with model.engine.connect() as conn:
        for label_, query in (
            ("page 20 of 50 by ETA", QueueQuery(page=20)),
            ("search by container", QueueQuery(search=container(104_321))),
            ("bcp + regime, by importer", QueueQuery(bcp="NLRTM", regime="vet", sort="importer")),
        ):
            checked = checked_query(queue, query)
            started = time.perf_counter()
            await views.queue_page(conn, queue, checked, None)
            print(f"{label_}: {1000 * (time.perf_counter() - started):.1f} ms")

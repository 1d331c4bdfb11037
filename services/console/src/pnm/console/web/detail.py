"""The line detail page: why a line was flagged (docs/line-detail.md). HTTP only: it reads the
services' public APIs as the signed-in person, concurrently, and renders. Each section stands on
its own answer: a service that refuses the person or does not answer leaves that section's
refusal on the page, never a 500; a line manifest-ingest does not know is a 404 page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pnm.console import views
from pnm.console.adapters.services_api import ServicesApi, ServiceUnreachable
from pnm.console.domain.comparison import at_minute, side_by_side
from pnm.console.domain.explanation import ScoredCandidate, scored_candidates
from pnm.console.domain.labels import label
from pnm.console.domain.queues import QueryProblem
from pnm.console.settings import ConsoleSettings
from pnm.console.web.render import page
from pnm.console.web.session import Person, SignedIn
from pnm.console.web.waterfall import Threshold, figure, steps, waterfall_svg
from pnm.shared.contracts.limits import IDENTIFIER_MAX, IDENTIFIER_PATTERN
from pnm.shared.service import ServiceContext

# Columns beside the line: the decision's own references first, then the candidates it scored,
# those linked to the line's case, then those sharing a strong key (what the matcher's blocking
# considers). More would not fit beside the line; the rest is named, not shown.
CANDIDATES_SHOWN = 4
# A line of many containers: the key search asks for the first few (each is one request).
CONTAINERS_SEARCHED = 5
AUDIT_ENTRIES_MAX = 500  # per hold or case: a dossier longer than this is cut, and says so
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


@dataclass(frozen=True)
class ServiceRefusal:
    """What a service said instead of an answer (status None: it did not answer)."""

    service: str
    status: int | None
    detail: str


# Why a pre-notification stands beside the line (each in words on the page).
Why = Literal["decision", "scored", "case", "document", "container"]


@dataclass
class Candidate:
    reference: str
    why: list[Why]
    record: dict[str, Any] | ServiceRefusal | None = None


@dataclass
class LineDetail:
    manifest_id: str
    line_id: str
    line: dict[str, Any] | ServiceRefusal
    decision: dict[str, Any] | ServiceRefusal
    history: list[dict[str, Any]] | ServiceRefusal
    holds: list[dict[str, Any]] | ServiceRefusal
    cases: list[dict[str, Any]] | ServiceRefusal
    candidates: list[Candidate] = field(default_factory=list)
    not_shown: list[str] = field(default_factory=list)  # candidates beyond CANDIDATES_SHOWN
    searches: list[ServiceRefusal] = field(default_factory=list)  # key searches that failed
    thresholds: list[Threshold] | ServiceRefusal = field(default_factory=list)
    audit: list[dict[str, Any]] | ServiceRefusal = field(default_factory=list)
    audit_cut: bool = False

    @property
    def scored(self) -> list[ScoredCandidate]:
        if isinstance(self.decision, ServiceRefusal):
            return []
        return scored_candidates(self.decision.get("explanation") or [])


class LineNotFound(Exception):
    pass


async def _ask(api: ServicesApi, service: str, path: str, **params: Any) -> Any:
    """The service's answer, or its refusal (also when it does not answer at all)."""
    try:
        answer = await api.get(service, path, **params)
    except ServiceUnreachable as err:
        return ServiceRefusal(service, None, str(err.__cause__ or err))
    return answer.body if answer.ok else ServiceRefusal(service, answer.status, answer.detail)


def _path(*parts: str) -> str:
    return "".join(f"/{quote(p, safe='')}" for p in parts)


async def read_line(api: ServicesApi, manifest_id: str, line_id: str) -> LineDetail:
    """Everything the page shows, each part from the service that owns it."""
    key = _path(manifest_id, "lines", line_id)
    line, decision, history, holds, cases = await asyncio.gather(
        _ask(api, "manifest-ingest", f"/manifests{key}"),
        _ask(api, "matcher", f"/decisions{_path(manifest_id, line_id)}"),
        _ask(api, "matcher", f"/decisions{_path(manifest_id, line_id)}/history"),
        _ask(api, "holds", "/holds", manifest_id=manifest_id, line_id=line_id, limit=100),
        _ask(api, "holds", "/cases", manifest_id=manifest_id, line_id=line_id, limit=100),
    )
    if isinstance(line, ServiceRefusal) and line.status == 404:
        raise LineNotFound(line.detail)
    detail = LineDetail(manifest_id, line_id, line, decision, history, holds, cases)
    await asyncio.gather(
        _read_candidates(api, detail),
        _read_thresholds(api, detail),
        _read_audit(api, detail),
    )
    return detail


async def _read_candidates(api: ServicesApi, detail: LineDetail) -> None:
    found: dict[str, Candidate] = {}

    def note(reference: str, why: Why, record: dict[str, Any] | None = None) -> None:
        candidate = found.setdefault(reference, Candidate(reference, []))
        if why not in candidate.why:
            candidate.why.append(why)
        if record is not None and candidate.record is None:
            candidate.record = record

    if not isinstance(detail.decision, ServiceRefusal):
        for reference in detail.decision.get("references") or []:
            note(str(reference), "decision")
    for scored in detail.scored:
        if scored.reference:
            note(scored.reference, "scored")
    if not isinstance(detail.cases, ServiceRefusal):
        for case in detail.cases:
            for linked in case.get("references") or []:
                note(str(linked["reference"]), "case")
    for why, answer in await _key_searches(api, detail.line):
        if isinstance(answer, ServiceRefusal):
            detail.searches.append(answer)
            continue
        for record in answer:
            note(str(record["reference"]), why, record)
    shown = list(found.values())[:CANDIDATES_SHOWN]
    detail.not_shown = list(found)[CANDIDATES_SHOWN:]
    missing = [c for c in shown if c.record is None]
    records = await asyncio.gather(
        *(_ask(api, "prenotification", _path("prenotifications", c.reference)) for c in missing)
    )
    for candidate, record in zip(missing, records, strict=True):
        candidate.record = record
    detail.candidates = shown


async def _key_searches(
    api: ServicesApi, line: dict[str, Any] | ServiceRefusal
) -> list[tuple[Why, Any]]:
    """Pre-notifications sharing the line's transport document or a container."""
    if isinstance(line, ServiceRefusal):
        return []
    record = line.get("record") or {}
    asked: list[tuple[Why, Awaitable[Any]]] = []
    document = (record.get("transport_document") or {}).get("number")
    if document:
        asked.append(("document", _search(api, transport_document=document)))
    for box in (record.get("containers") or [])[:CONTAINERS_SEARCHED]:
        asked.append(("container", _search(api, container=box)))
    answers = await asyncio.gather(*(a for _, a in asked))
    return [(why, answer) for (why, _), answer in zip(asked, answers, strict=True)]


def _search(api: ServicesApi, **key: str) -> Awaitable[Any]:
    return _ask(api, "prenotification", "/prenotifications", limit=CANDIDATES_SHOWN, **key)


async def _read_thresholds(api: ServicesApi, detail: LineDetail) -> None:
    if isinstance(detail.decision, ServiceRefusal) or not detail.scored:
        return
    version = str(detail.decision.get("indicator_set_version") or "")
    document = await _ask(api, "matcher", _path("indicator-sets", version))
    if isinstance(document, ServiceRefusal):
        detail.thresholds = document
        return
    parameters = document.get("parameters") or {}
    detail.thresholds = [
        Threshold(name, float(parameters[f"{name}_threshold"]))
        for name in ("review", "match")
        if parameters.get(f"{name}_threshold") is not None
    ]


async def _read_audit(api: ServicesApi, detail: LineDetail) -> None:
    """The dossier of the line's holds and case(s), merged in the trail's order."""
    subjects: list[tuple[str, str]] = []
    for kind, found in (("hold", detail.holds), ("case", detail.cases)):
        if isinstance(found, ServiceRefusal):
            detail.audit = found
            return
        subjects.extend((kind, str(row[f"{kind}_id"])) for row in found)
    answers = await asyncio.gather(
        *(
            _ask(
                api,
                "holds",
                "/audit",
                subject_type=kind,
                subject_id=subject,
                limit=AUDIT_ENTRIES_MAX,
            )
            for kind, subject in subjects
        )
    )
    entries: dict[int, dict[str, Any]] = {}
    for answer in answers:
        if isinstance(answer, ServiceRefusal):
            detail.audit = answer
            return
        detail.audit_cut = detail.audit_cut or len(answer) >= AUDIT_ENTRIES_MAX
        entries.update((int(e["sequence"]), e) for e in answer)
    detail.audit = [entries[s] for s in sorted(entries)]


@dataclass(frozen=True)
class Chart:
    """One scored candidate's waterfall, and the same figures for the table."""

    candidate: ScoredCandidate
    svg: str
    rows: list[tuple[str, str, str]]  # label, weight, running total
    total: str


def _charts(person: Person, detail: LineDetail) -> list[Chart]:
    def t(key: str, **values: object) -> str:
        return label(person.language, key, **values)

    thresholds = detail.thresholds if isinstance(detail.thresholds, list) else []
    named = [Threshold(t(f"detail.threshold.{x.label}"), x.value) for x in thresholds]
    charts = []
    for number, scored in enumerate(detail.scored, start=1):
        bars = scored.bars()
        drawn = steps(bars)
        total = drawn[-1].end if drawn else 0.0
        who = scored.reference or t("detail.waterfall.unnamed")
        svg = waterfall_svg(
            bars,
            chart_id=f"waterfall-{number}",
            title=t("detail.waterfall.title", reference=who, regime=scored.regime or "-"),
            description=t(
                "detail.waterfall.desc",
                count=len(bars),
                total=figure(total),
                thresholds=", ".join(f"{x.label} {figure(x.value)}" for x in named) or "-",
            ),
            total_label=t("detail.waterfall.total"),
            axis_label=t("detail.waterfall.axis"),
            empty_text=t("detail.waterfall.empty"),
            thresholds=named,
        )
        rows = [(s.label, figure(s.weight, signed=True), figure(s.end)) for s in drawn]
        charts.append(Chart(scored, svg, rows, figure(total)))
    return charts


def _checked(name: str, value: str) -> str:
    if len(value) > IDENTIFIER_MAX or not _IDENTIFIER.match(value):
        raise QueryProblem(
            name, value, f"letters, digits, '.', '_', ':' or '-', at most {IDENTIFIER_MAX}"
        )
    return value


def _line_for_comparison(line: dict[str, Any]) -> dict[str, Any]:
    """The line's record with its current expected arrival (a later ETA update included)."""
    record = dict(line.get("record") or {})
    if line.get("eta"):
        record["eta"] = line["eta"]
    return record


def _records(candidates: Iterable[Candidate]) -> list[dict[str, Any]]:
    return [c.record for c in candidates if isinstance(c.record, dict)]


def _page(
    request: Request, template: str, person: Person, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page of this part, with the helpers its templates use."""
    return page(
        request,
        template,
        status_code=status_code,
        person=person,
        is_refusal=lambda value: isinstance(value, ServiceRefusal),
        moment=at_minute,
        figure=figure,
        audit_max=AUDIT_ENTRIES_MAX,
        **context,
    )


def router(ctx: ServiceContext, settings: ConsoleSettings) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/lines/{manifest_id}/{line_id}", response_class=HTMLResponse)
    async def line_detail(
        request: Request, person: SignedIn, manifest_id: str, line_id: str
    ) -> HTMLResponse:
        api = ServicesApi(settings, person.token)
        try:
            detail = await read_line(
                api, _checked("manifest_id", manifest_id), _checked("line_id", line_id)
            )
        except LineNotFound as err:
            return _page(request, "line_missing.html", person, 404, problem=str(err))
        comparable = [c for c in detail.candidates if isinstance(c.record, dict)]
        rows = (
            []
            if isinstance(detail.line, ServiceRefusal)
            else side_by_side(_line_for_comparison(detail.line), _records(comparable))
        )
        async with ctx.engine.connect() as conn:
            feeds = await views.feeds(conn)  # the emergency banner, as on every page
        return _page(
            request,
            "line.html",
            person,
            feeds=feeds,
            detail=detail,
            compared=comparable,
            refused=[c for c in detail.candidates if isinstance(c.record, ServiceRefusal)],
            rows=rows,
            charts=_charts(person, detail),
        )

    @routes.get("/lines/{manifest_id}/{line_id}/versions", response_class=HTMLResponse)
    async def line_versions(
        request: Request, person: SignedIn, manifest_id: str, line_id: str
    ) -> HTMLResponse:
        api = ServicesApi(settings, person.token)
        key = _path(_checked("manifest_id", manifest_id), "lines", _checked("line_id", line_id))
        versions = await _ask(api, "manifest-ingest", f"/manifests{key}/history")
        if isinstance(versions, ServiceRefusal) and versions.status == 404:
            return _page(request, "line_missing.html", person, 404, problem=versions.detail)
        return _page(
            request,
            "line_versions.html",
            person,
            manifest_id=manifest_id,
            line_id=line_id,
            versions=versions,
        )

    return routes

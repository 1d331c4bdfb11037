"""The overview's live parts (docs/kpis.md): the queue counts and arrivals, the KPIs with their
charts, and the banner. The overview page renders all three; each is also a fragment that htmx
asks for again, which answers 204 (nothing to swap) while its figures have not changed, so a
screen reader does not hear the banner again and the keyboard focus stays where it is."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from markupsafe import Markup

from pnm.console import kpi_views, views
from pnm.console.adapters.services_api import ServicesApi
from pnm.console.domain.kpis import NONE, feed_alerts
from pnm.console.domain.labels import label
from pnm.console.domain.queues import authority_scope
from pnm.console.settings import ConsoleSettings
from pnm.console.web.kpi_charts import Bar, bars, columns, figure
from pnm.console.web.render import page
from pnm.console.web.session import Person, SignedIn
from pnm.shared.case_outcomes import FALSE_POSITIVE
from pnm.shared.service import ServiceContext

# The order of statuses in the arrivals chart: what needs people first.
STATUS_ORDER = (
    "unnotified",
    "invalid_notification",
    "overdue",
    "review",
    "awaiting_notification",
    "notified_late",
    "notified",
    "exempt",
    "not_controlled",
)
UNDECIDED_SERIES = "undecided"
# The outcomes in the cases chart: the false positives last, side by side.
OUTCOME_ORDER = (
    "handed_to_authority",
    "prenotified_not_registered",
    *sorted(FALSE_POSITIVE),
)
DIGEST_CHARS = 16
SeenDigest = Annotated[str, Query(max_length=DIGEST_CHARS)]


def digest(*figures: Any) -> str:
    """A fingerprint of what a fragment shows (its figures and the words' language)."""
    return hashlib.sha256(repr(figures).encode()).hexdigest()[:DIGEST_CHARS]


def _listed(pairs: Sequence[tuple[str, Any]]) -> str:
    return "; ".join(f"{name}: {value}" for name, value in pairs) or "-"


def arrivals_chart(rows: Sequence[Mapping[str, Any]], hours: float, language: str) -> Markup:
    """Lines expected per BCP, stacked by status."""
    found = {row["status"] or UNDECIDED_SERIES for row in rows}
    known = (*STATUS_ORDER, UNDECIDED_SERIES)
    # A status this console does not know yet is drawn too, after the known ones.
    series = [s for s in known if s in found] + sorted(found - set(known))
    per_bcp: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = per_bcp.setdefault(row["bcp"] or NONE, {})
        counts[row["status"] or UNDECIDED_SERIES] = int(row["lines"])
    bcps = sorted(per_bcp)
    title = label(language, "overview.arrivals", hours=int(hours))
    desc = _listed(
        [(b, ", ".join(f"{s} {n}" for s, n in sorted(per_bcp[b].items()))) for b in bcps]
    )
    return bars(
        "arrivals",
        title,
        desc,
        [Bar(b, tuple(float(per_bcp[b].get(s, 0)) for s in series)) for b in bcps],
        label(language, "kpis.arrivals.axis"),
        series=series,
        tones=[f"tone-{s}" if s in known else "" for s in series],
    )


def outcome_name(language: str, outcome: str) -> str:
    """A case outcome in words; one this console does not know yet as the service named it."""
    return label(language, f"kpis.outcome.{outcome}") if outcome in OUTCOME_ORDER else outcome


def window_words(hours: float, language: str) -> str:
    """The KPIs' period in words: in days when it is whole days."""
    days = hours / 24
    if days.is_integer():
        return label(language, "kpis.window_days", days=int(days))
    return label(language, "kpis.window_hours", hours=figure(hours))


def kpi_charts(kpis: kpi_views.Kpis, language: str) -> dict[str, Markup]:
    def t(key: str, **values: Any) -> str:
        return label(language, key, **values)

    terminals = kpis.terminals
    holds = [(h.terminal, h.holds) for h in terminals]
    answered = [
        (h.terminal, round(h.median_ack_minutes, 1))
        for h in terminals
        if h.median_ack_minutes is not None
    ]
    indicators = kpis.indicators
    outcomes = [o for o in OUTCOME_ORDER if any(o in i.by_outcome for i in indicators)]
    outcomes += sorted({o for i in indicators for o in i.by_outcome} - set(outcomes))
    hourly = [(f"{start:%H}", n) for start, n in kpis.decisions]
    return {
        "holds": bars(
            "holds-per-terminal",
            t("kpis.holds.title"),
            _listed(holds),
            [Bar(name, (float(n),)) for name, n in holds],
            t("kpis.holds.axis"),
        ),
        "acknowledgement": bars(
            "time-to-acknowledgement",
            t("kpis.ack.title"),
            _listed(answered),
            [Bar(name, (m,)) for name, m in answered],
            t("kpis.ack.axis"),
            whole=False,
        ),
        "indicators": bars(
            "outcomes-per-indicator",
            t("kpis.cases.title"),
            _listed([(i.indicator, _listed(list(i.by_outcome.items()))) for i in indicators]),
            [
                Bar(i.indicator, tuple(float(i.by_outcome.get(o, 0)) for o in outcomes))
                for i in indicators
            ],
            t("kpis.cases.axis"),
            series=[outcome_name(language, o) for o in outcomes],
        ),
        "decisions": columns(
            "decisions-per-hour",
            t("kpis.decisions.title", hours=len(kpis.decisions)),
            _listed([(f"{start:%Y-%m-%d %H}:00", n) for start, n in kpis.decisions]),
            [(hour, float(n)) for hour, n in hourly],
            t("kpis.decisions.axis"),
            label_every=max(1, len(hourly) // 12),
        ),
    }


def router(ctx: ServiceContext, settings: ConsoleSettings) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    async def live_part(person: Person) -> dict[str, Any]:
        """The queue counts and the arrivals."""
        scope = authority_scope(person.roles)
        async with ctx.engine.connect() as conn:
            counts = await views.queue_counts(conn, scope)
            arrivals = await views.arrivals(
                conn, ctx.clock(), settings.arrivals_window_hours, scope
            )
        return {
            "counts": counts,
            "arrivals": arrivals,
            "arrivals_chart": arrivals_chart(
                arrivals, settings.arrivals_window_hours, person.language
            ),
            "hours": settings.arrivals_window_hours,
            "refresh": int(settings.refresh_seconds),
            "live_digest": digest(counts, arrivals, person.language),
        }

    async def kpi_part(person: Person) -> dict[str, Any]:
        now = ctx.clock()
        async with ctx.engine.connect() as conn:
            kpis = await kpi_views.kpis(
                conn,
                now,
                settings.kpi_window_hours,
                settings.decision_chart_hours,
                authority_scope(person.roles),
            )
        gaps = await kpi_views.reconciliations(
            ServicesApi(settings, person.token), settings.reconciled_services
        )
        return {
            "kpis": kpis,
            "charts": kpi_charts(kpis, person.language),
            "reconciliations": gaps,
            "outcome_name": lambda outcome: outcome_name(person.language, outcome),
            "kpi_refresh": int(settings.kpi_refresh_seconds),
            "window": window_words(settings.kpi_window_hours, person.language),
            # The window's start moves with the clock: it is left out, or nothing stays equal.
            "kpi_digest": digest(
                kpis.notified,
                kpis.warning,
                kpis.terminals,
                kpis.indicators,
                kpis.decisions,
                gaps,
                person.language,
            ),
        }

    async def banner_part(person: Person) -> dict[str, Any]:
        async with ctx.engine.connect() as conn:
            feeds = await views.feeds(conn)
        alerts = feed_alerts(feeds, ctx.clock(), settings.feed_quiet_minutes)
        return {
            "feeds": feeds,
            "alerts": alerts,
            "refresh": int(settings.refresh_seconds),
            "banner_digest": digest(alerts, person.language),
        }

    async def fragment(
        request: Request, person: Person, template: str, part: dict[str, Any], key: str, seen: str
    ) -> Response:
        if seen and seen == part[key]:
            return Response(status_code=204)
        return page(request, template, person=person, **part)

    @routes.get("/overview/live")
    async def overview_live(request: Request, person: SignedIn, seen: SeenDigest = "") -> Response:
        part = await live_part(person)
        return await fragment(request, person, "_overview_live.html", part, "live_digest", seen)

    @routes.get("/overview/kpis")
    async def overview_kpis(request: Request, person: SignedIn, seen: SeenDigest = "") -> Response:
        part = await kpi_part(person)
        return await fragment(request, person, "_kpis.html", part, "kpi_digest", seen)

    @routes.get("/banner")
    async def banner(request: Request, person: SignedIn, seen: SeenDigest = "") -> Response:
        part = await banner_part(person)
        return await fragment(request, person, "_banner.html", part, "banner_digest", seen)

    @routes.get("/")
    async def overview(request: Request, person: SignedIn) -> Response:
        parts = {**await live_part(person), **await kpi_part(person), **await banner_part(person)}
        return page(request, "overview.html", person=person, **parts)

    return routes

"""The work queues and who sees which (docs/console.md, "Work queues"). Pure: the views turn a
queue and a query into SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pnm.shared.competence import ROLE_OF_AUTHORITY
from pnm.shared.contracts.records import Authority
from pnm.shared.roles import INSPECTORS, OFFICIALS, Role

Source = Literal["line", "hold", "case"]
Direction = Literal["asc", "desc"]

PAGE_SIZES = (25, 50, 100, 200)
SEARCH_MAX_CHARS = 100  # a container, a document or a name: longer is refused, not cut


@dataclass(frozen=True)
class Queue:
    name: str
    source: Source
    statuses: tuple[str, ...] = ()  # line decisions
    hold_states: tuple[str, ...] = ()
    escalated: bool = False  # holds with an escalation, whatever their state
    open_cases: bool = False
    default_sort: str = "eta"
    # Who works it: the roles that see it in their list (every official may open any queue).
    workers: frozenset[str] = field(default_factory=frozenset)


EVERYONE = frozenset(OFFICIALS)
AUTHORITY_ROLES = frozenset(INSPECTORS)

QUEUES: tuple[Queue, ...] = (
    Queue("overdue", "line", statuses=("overdue",), workers=EVERYONE),
    Queue("unnotified", "line", statuses=("unnotified", "invalid_notification"), workers=EVERYONE),
    Queue(
        "review",
        "line",
        statuses=("review",),
        workers=frozenset({Role.CUSTOMS_PREARRIVAL, Role.ANALYST, Role.ADMIN}),
    ),
    Queue(
        "holds_waiting_release",
        "hold",
        # Blocked at the terminal (or under measures, or no longer needed): only the authority
        # lifts it (docs/console.md, "Work queues").
        hold_states=("acknowledged", "release_requested", "irregularity_recorded"),
        default_sort="changed",
        workers=frozenset({Role.PD_INSPECTOR, Role.NVWA_INSPECTOR, Role.ADMIN}),
    ),
    Queue(
        "holds_escalated",
        "hold",
        hold_states=("block_rejected", "release_rejected", "unaddressed"),
        escalated=True,
        default_sort="changed",
        workers=EVERYONE,
    ),
    Queue(
        "holds_waiting_terminal",
        "hold",
        hold_states=("requested", "instructed", "release_instructed"),
        default_sort="changed",
        workers=frozenset(
            {Role.CUSTOMS_PREARRIVAL, Role.PD_INSPECTOR, Role.NVWA_INSPECTOR, Role.ADMIN}
        ),
    ),
    Queue(
        "open_cases",
        "case",
        open_cases=True,
        default_sort="opened",
        workers=frozenset({Role.CUSTOMS_PREARRIVAL, Role.ANALYST, Role.ADMIN}),
    ),
)
QUEUES_BY_NAME = {q.name: q for q in QUEUES}

# What a queue may be sorted by, per source (column names of the views' select).
SORTS: dict[Source, tuple[str, ...]] = {
    "line": ("eta", "bcp", "terminal", "status", "decided", "importer"),
    "hold": ("changed", "eta", "terminal", "state", "authority", "bcp"),
    "case": ("opened", "changed", "eta", "bcp"),
}


def queues_for(roles: Iterable[str]) -> list[Queue]:
    """The queues a person works, in the order of the list above."""
    held = set(roles)
    return [q for q in QUEUES if q.workers & held]


def authority_scope(roles: Iterable[str]) -> Authority | None:
    """An inspector of one authority sees that authority's lines and holds (PD: phyto, NVWA:
    vet); customs, analysts, admins and anyone holding both see all."""
    held = set(roles)
    if held & (EVERYONE - AUTHORITY_ROLES):
        return None
    inspecting = [a for a, role in ROLE_OF_AUTHORITY.items() if role in held]
    return inspecting[0] if len(inspecting) == 1 else None


class QueryProblem(ValueError):
    """A queue query that cannot be answered: names the parameter, the value and the rule."""

    def __init__(self, parameter: str, value: str, rule: str) -> None:
        super().__init__(f"{parameter}={value[:60]!r}: {rule}")
        self.parameter = parameter
        self.value = value[:60]
        self.rule = rule


@dataclass(frozen=True)
class QueueQuery:
    search: str = ""
    bcp: str = ""
    terminal: str = ""
    regime: str = ""
    sort: str = ""
    direction: Direction = "asc"
    page: int = 1
    size: int = 50


def checked_query(queue: Queue, query: QueueQuery) -> QueueQuery:
    """The query with its defaults filled in, or a QueryProblem naming what is wrong."""
    if len(query.search) > SEARCH_MAX_CHARS:
        raise QueryProblem("q", query.search, f"at most {SEARCH_MAX_CHARS} characters")
    if "\x00" in query.search:
        raise QueryProblem("q", query.search.replace("\x00", "\\0"), "no NUL characters")
    sort = query.sort or queue.default_sort
    if sort not in SORTS[queue.source]:
        raise QueryProblem("sort", sort, f"one of {', '.join(SORTS[queue.source])}")
    if query.regime not in ("", "phyto", "vet"):
        raise QueryProblem("regime", query.regime, "phyto or vet")
    if query.size not in PAGE_SIZES:
        raise QueryProblem("size", str(query.size), f"one of {', '.join(map(str, PAGE_SIZES))}")
    if query.page < 1:
        raise QueryProblem("page", str(query.page), "1 or more")
    for name, value in (("bcp", query.bcp), ("terminal", query.terminal)):
        if len(value) > 35 or not all(c.isalnum() or c in "-_" for c in value):
            raise QueryProblem(name, value, "a code of letters, digits, - or _")
    return QueueQuery(
        search=query.search.strip(),
        bcp=query.bcp,
        terminal=query.terminal,
        regime=query.regime,
        sort=sort,
        direction=query.direction,
        page=query.page,
        size=query.size,
    )


def last_page(total: int, size: int) -> int:
    return max(1, -(-total // size))

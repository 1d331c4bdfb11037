"""Pages from templates, in the person's language, with the console's own address prefix (it is
mounted at /console in standalone and in `pnm serve all`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pnm.console.domain.labels import label
from pnm.console.domain.queues import queues_for
from pnm.console.web.session import language

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(moment: datetime | None) -> str:
    """A time as people at a Dutch port read it: UTC, to the minute."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


environment.filters["when"] = when


def base_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    person = context.get("person")
    if person is not None:
        # What every signed-in page shows around its content: the person's queues.
        context.setdefault("queues", queues_for(person.roles))
    body = environment.get_template(template).render(
        request=request,
        base=base_path(request),
        lang=lang,
        t=lambda key, **values: label(lang, key, **values),
        **context,
    )
    return HTMLResponse(body, status_code=status_code)

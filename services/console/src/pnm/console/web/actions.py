"""Actions by role (docs/console-actions.md): a subject's page (a hold, a case, the feeds, the
indicator sets, the written pre-notification form) with the forms the person's role is shown;
submitting one shows what exactly will be sent (Confirm / Cancel); confirming sends it to the
service as the person and shows the service's answer, success or refusal.

A reload of the result page posts the same confirmation again: its token goes to the service
as the Idempotency-Key, so the service answers as before and does nothing twice."""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pnm.console.adapters.services_api import Answer, ServicesApi
from pnm.console.domain.action_catalogue import ACTIONS, ACTIONS_BY_NAME, line_keys
from pnm.console.domain.actions import (
    CONFIRMATION_KEY_PATTERN,
    TARGET_PATTERN,
    ConsoleAction,
    FormProblem,
    Subject,
    checked,
    facts,
    offered,
)
from pnm.console.domain.labels import label
from pnm.console.domain.queues import QueryProblem
from pnm.console.settings import ConsoleSettings
from pnm.console.views import hold_prefill
from pnm.console.web.render import page
from pnm.console.web.session import NotSignedIn, Person, SignedIn, signed_in
from pnm.shared.service import ServiceContext

# Where each subject's page is in the console (the Cancel link and the way back).
PAGES: dict[Subject, str] = {
    "hold": "/holds/{target}",
    "case": "/cases/{target}",
    "feed": "/feeds",
    "indicator_set": "/indicator-sets",
    "written": "/written",
}
WRITTEN = "new"  # the written form's target: a new record, no id yet
FORM_FIELDS_MAX = 40  # more fields than any action has: a bigger form is refused unread
KEY_PREFIX = "console-"


class ReadRefused(Exception):
    """A service said no to a read the page needs: shown with its status and detail (one
    handler for every page: `refused_page`, registered in app.py)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.detail)
        self.answer = answer


def refused_page(request: Request, err: ReadRefused) -> HTMLResponse:
    """The error page, as the signed-in person: the service's 4xx as it is, anything else 502."""
    status = err.answer.status if 400 <= err.answer.status < 500 else 502
    problem = f"{err.answer.status}: {err.answer.detail}"
    try:
        person: Person | None = signed_in(request)
    except NotSignedIn:  # the token ran out since the route read it: no 500 for that
        person = None
    return page(request, "error.html", status_code=status, problem=problem, person=person)


def _target(value: str) -> str:
    if not TARGET_PATTERN.fullmatch(value):
        raise QueryProblem("id", value, "letters, digits, '.', '_', ':' or '-' (up to 100)")
    return value


def _action(name: str) -> ConsoleAction:
    try:
        return ACTIONS_BY_NAME[name]
    except KeyError:
        raise QueryProblem("action", name, f"one of {', '.join(ACTIONS_BY_NAME)}") from None


async def _read(api: ServicesApi, service: str, path: str) -> Any:
    answer = await api.get(service, path)
    if not answer.ok:
        raise ReadRefused(answer)
    return answer.body


def _pick(rows: list[dict[str, Any]], key: str, value: str, service: str) -> dict[str, Any]:
    found = next((r for r in rows if r.get(key) == value), None)
    if found is None:
        raise ReadRefused(Answer(404, {"detail": f"{service} knows no {key} {value!r}"}))
    return found


async def _subject(api: ServicesApi, kind: Subject, target: str) -> dict[str, Any]:
    """The subject as its service shows it now."""
    if kind == "hold":
        return dict(await _read(api, "holds", f"/holds/{target}"))
    if kind == "case":
        return dict(await _read(api, "holds", f"/cases/{target}"))
    if kind == "feed":
        return _pick(await _read(api, "prenotification", "/feeds"), "system", target, "feed")
    if kind == "indicator_set":
        sets = await _read(api, "matcher", "/indicator-sets")
        return _pick(sets, "version", target, "indicator set")
    return {}


def state_of(kind: Subject, subject: dict[str, Any]) -> str:
    """The subject's state as the actions' `states` name it."""
    if kind == "feed":
        return "emergency" if subject.get("emergency") else "normal"
    if kind == "indicator_set":
        return (
            "shipped" if subject.get("shipped") else "active" if subject.get("active") else "stored"
        )
    if kind == "written":
        return "new"
    return str(subject.get("state", ""))


def forms(
    kind: Subject,
    target: str,
    subject: dict[str, Any],
    person: Person,
    prefill: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What `_action_forms.html` renders for one subject."""
    return {
        "actions": offered(ACTIONS, kind, state_of(kind, subject), person.roles),
        "target": target,
        "facts": facts(subject),
        "values": prefill or {},
    }


async def _dry_run(api: ServicesApi, version: str, values: dict[str, str]) -> list[dict[str, Any]]:
    """Each line's decision now and under the set to be activated (nothing is written)."""
    rows = []
    for manifest_id, line_id in line_keys(values):
        now = await api.get("matcher", f"/decisions/{manifest_id}/{line_id}")
        trial = await api.get("matcher", f"/dry-run/{manifest_id}/{line_id}", indicator_set=version)
        rows.append(
            {
                "line": f"{manifest_id}/{line_id}",
                "now": now.body.get("status") if now.ok else f"{now.status}: {now.detail}",
                "trial": trial.body.get("status")
                if trial.ok
                else f"{trial.status}: {trial.detail}",
                "changes": now.ok
                and trial.ok
                and now.body.get("status") != trial.body.get("status"),
                "ok": now.ok and trial.ok,
            }
        )
    return rows


def _shown_body(body: dict[str, Any] | None) -> str:
    """The request body as it will be sent ("" when the address alone says it all)."""
    return "" if body is None else json.dumps(body, indent=2, ensure_ascii=False)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_fields=FORM_FIELDS_MAX, max_files=0)
    return {k: v for k, v in form.items() if isinstance(v, str)}


# What the result page shows of a service's answer: the subject's new state, not every column.
RESULT_FACTS = (
    "hold_id",
    "case_id",
    "irregularity_id",
    "system",
    "reference",
    "version",
    "state",
    "status",
    "outcome",
    "block_status",
    "destination",
    "released_by",
    "release_reason",
    "emergency",
    "emergency_since",
    "emergency_declared_by",
    "activated_by",
)


def shown_answer(body: Any) -> dict[str, str]:
    """The new state in a service's answer, for the result page."""
    if not isinstance(body, dict):
        return {}
    plain = facts(body)
    return {k: plain[k] for k in RESULT_FACTS if k in plain}


def router(ctx: ServiceContext, settings: ConsoleSettings) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/holds/{hold_id}", response_class=HTMLResponse)
    async def hold_page(request: Request, person: SignedIn, hold_id: str) -> HTMLResponse:
        target = _target(hold_id)
        hold = await _subject(ServicesApi(settings, person.token), "hold", target)
        async with ctx.engine.connect() as conn:
            prefill = await hold_prefill(conn, hold)
        return page(
            request,
            "hold.html",
            person=person,
            hold=hold,
            **forms("hold", target, hold, person, prefill),
        )

    @routes.get("/cases/{case_id}", response_class=HTMLResponse)
    async def case_page(request: Request, person: SignedIn, case_id: str) -> HTMLResponse:
        target = _target(case_id)
        found = await _subject(ServicesApi(settings, person.token), "case", target)
        return page(
            request, "case.html", person=person, case=found, **forms("case", target, found, person)
        )

    @routes.get("/feeds", response_class=HTMLResponse)
    async def feeds_page(request: Request, person: SignedIn) -> HTMLResponse:
        api = ServicesApi(settings, person.token)
        notified = await _read(api, "prenotification", "/feeds")
        manifests = await _read(api, "manifest-ingest", "/feeds")
        return page(
            request,
            "feeds.html",
            person=person,
            feeds=notified,
            manifest_feeds=manifests,
            forms_of={f["system"]: forms("feed", f["system"], f, person) for f in notified},
        )

    @routes.get("/indicator-sets", response_class=HTMLResponse)
    async def indicator_sets_page(request: Request, person: SignedIn) -> HTMLResponse:
        sets = await _read(ServicesApi(settings, person.token), "matcher", "/indicator-sets")
        return page(
            request,
            "indicator_sets.html",
            person=person,
            sets=sets,
            forms_of={s["version"]: forms("indicator_set", s["version"], s, person) for s in sets},
        )

    @routes.get("/written", response_class=HTMLResponse)
    async def written_page(request: Request, person: SignedIn) -> HTMLResponse:
        return page(request, "written.html", person=person, **forms("written", WRITTEN, {}, person))

    @routes.post("/actions/{name}/{target}/confirm", response_class=HTMLResponse)
    async def confirm(request: Request, person: SignedIn, name: str, target: str) -> HTMLResponse:
        """What exactly will be sent, with Confirm and Cancel; a bad form comes back with each
        problem named and the values kept."""
        action, target = _action(name), _target(target)
        form = await _form(request)
        api = ServicesApi(settings, person.token)
        subject = await _subject(api, action.subject, target)
        context: dict[str, Any] = {
            "action": action,
            "target": target,
            "facts": facts(subject),
            "back": PAGES[action.subject].format(target=target),
        }
        try:
            values = checked(action, form)
        except FormProblem as problem:
            return page(
                request,
                "action_confirm.html",
                status_code=422,
                person=person,
                problems=problem.problems,
                values=form,
                **context,
            )
        preview = await _dry_run(api, target, values) if action.preview == "dry_run" else []
        return page(
            request,
            "action_confirm.html",
            person=person,
            problems=[],
            values=values,
            request_line=f"POST /{action.service}{action.service_path(target)}",
            body=_shown_body(action.body(values)),
            preview=preview,
            key=secrets.token_urlsafe(24),
            **context,
        )

    @routes.post("/actions/{name}/{target}", response_class=HTMLResponse)
    async def act(request: Request, person: SignedIn, name: str, target: str) -> HTMLResponse:
        """Send the confirmed action as the person; show the service's answer."""
        action, target = _action(name), _target(target)
        form = await _form(request)
        key = form.get("key", "")
        if not CONFIRMATION_KEY_PATTERN.fullmatch(key):
            raise QueryProblem("key", key, label(person.language, "actions.key_rule"))
        try:
            values = checked(action, form)
        except FormProblem as problem:
            raise QueryProblem("form", "", str(problem)) from None
        answer = await ServicesApi(settings, person.token).post(
            action.service,
            action.service_path(target),
            action.body(values),
            idempotency_key=KEY_PREFIX + key,
        )
        status = 200 if answer.ok else answer.status if 400 <= answer.status < 500 else 502
        return page(
            request,
            "action_result.html",
            status_code=status,
            person=person,
            action=action,
            target=target,
            answer=answer,
            shown=shown_answer(answer.body),
            back=PAGES[action.subject].format(target=target),
        )

    return routes

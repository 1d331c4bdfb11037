"""What an action a person takes from the console is (docs/console-actions.md), as data: which
service route it calls, the form it asks for, who it is shown to and in which states, and how a
filled form is checked and becomes the request body. Pure: the web layer renders and sends them.
The actions themselves are listed in `action_catalogue`.

The console never decides who may do what: `roles` only chooses which forms to show, and the
service's answer (a 403 with its reason) is what the person sees."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

FieldKind = Literal["text", "textarea", "select", "moment", "number", "list"]
Subject = Literal["hold", "case", "feed", "indicator_set", "written"]
FormValues = Mapping[str, str]

# An id in a console address (a hold, a case, a feed, an indicator set version) that is put
# into a service's path: letters and digits first, so it can never be `..` or empty.
TARGET_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}")
# The token in a confirmation form that becomes the Idempotency-Key of the request it sends.
CONFIRMATION_KEY_PATTERN = re.compile(r"[A-Za-z0-9_\-]{16,64}")


@dataclass(frozen=True)
class FormField:
    name: str
    kind: FieldKind = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 2000
    pattern: str | None = None  # each value (each item of a list) must match it whole
    max_items: int = 99  # a list's items (one per line or separated by commas)


@dataclass(frozen=True)
class ConsoleAction:
    name: str  # also the words' key: actions.<name>.title / .says
    subject: Subject
    service: str
    path: str  # the service's route, `{target}` the subject's id
    roles: frozenset[str]  # shown to these roles (the service decides)
    fields: tuple[FormField, ...]
    body: Callable[[FormValues], dict[str, Any] | None]
    states: frozenset[str] = frozenset()  # offered in these subject states; empty: always
    preview: Literal["dry_run"] | None = None  # what the confirmation shows beside the body

    def service_path(self, target: str) -> str:
        return self.path.format(target=target)


class FormProblem(ValueError):
    """A form that cannot be sent: each problem names the field, the value and the rule."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def items(text: str) -> list[str]:
    """A list field's items: one per line or separated by commas, blanks left out."""
    return [part.strip() for part in re.split(r"[\n,]", text) if part.strip()]


def moment(text: str) -> str:
    """A browser's `datetime-local` value, read as UTC (the console shows every time in UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()


def _problem(field: FormField, value: str) -> str | None:
    shown = json.dumps(value[:60])
    if not value:
        return f"{field.name}: required" if field.required else None
    if len(value) > field.max_length:
        return f"{field.name}={shown}: at most {field.max_length} characters"
    if "\x00" in value:
        return f"{field.name}={shown}: no NUL characters"
    if field.kind == "select" and value not in field.choices:
        return f"{field.name}={shown}: one of {', '.join(field.choices)}"
    if field.kind == "moment":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f"{field.name}={shown}: a date and time (YYYY-MM-DDTHH:MM, UTC)"
    if field.kind == "number":
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not number > 0 or number == float("inf"):
            return f"{field.name}={shown}: a number above 0"
    values = items(value) if field.kind == "list" else [value]
    if len(values) > field.max_items:
        return f"{field.name}: at most {field.max_items} items"
    for one in values:
        if field.pattern and not re.fullmatch(field.pattern, one):
            return f"{field.name}={json.dumps(one[:60])}: must match {field.pattern}"
    return None


def checked(action: ConsoleAction, form: Mapping[str, str]) -> dict[str, str]:
    """The form's values for the action's fields, trimmed; FormProblem names every bad one."""
    values = {f.name: str(form.get(f.name, "")).strip() for f in action.fields}
    problems = [p for f in action.fields if (p := _problem(f, values[f.name])) is not None]
    if problems:
        raise FormProblem(problems)
    return values


def offered(
    actions: Iterable[ConsoleAction], subject: Subject, state: str, roles: Iterable[str]
) -> list[ConsoleAction]:
    """The actions shown on a subject's page to a person with `roles`, in its state."""
    held = set(roles)
    return [
        a
        for a in actions
        if a.subject == subject and a.roles & held and (not a.states or state in a.states)
    ]


def facts(subject: Mapping[str, Any]) -> dict[str, str]:
    """A subject's plain values as words can use them (`{terminal}`, `{containers}`)."""
    shown: dict[str, str] = {}
    for key, value in subject.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            shown[key] = ", ".join(value) or "-"
        elif isinstance(value, str | int | float | bool):
            shown[key] = str(value)
        elif value is None:
            shown[key] = "-"
    return shown

"""The actions a person takes from the console (docs/console-actions.md), as data: which
service route each calls, the form it asks for, who it is shown to and in which states, and
how a filled form becomes the request body. Pure: the web layer renders and sends them.

The console never decides who may do what: `roles` only chooses which forms to show, and the
service's answer (a 403 with its reason) is what the person sees."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pnm.console.domain.queues import ADMIN, ANALYST, CUSTOMS, NVWA, PD

FieldKind = Literal["text", "textarea", "select", "moment", "number", "list"]
Subject = Literal["hold", "case", "feed", "indicator_set", "written"]
Values = Mapping[str, str]

# An id in a console address (a hold, a case, a feed, an indicator set version) that is put
# into a service's path: letters and digits first, so it can never be `..` or empty.
TARGET_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}")
# The token in a confirmation form that becomes the Idempotency-Key of the request it sends.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_\-]{16,64}")
LINE_KEY = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}/[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}"


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 2000
    pattern: str | None = None  # each value (each item of a list) must match it whole
    max_items: int = 99  # a list's items (one per line or separated by commas)


@dataclass(frozen=True)
class Action:
    name: str  # also the words' key: actions.<name>.title / .says
    subject: Subject
    service: str
    path: str  # the service's route, `{target}` the subject's id
    roles: frozenset[str]  # shown to these roles (the service decides)
    fields: tuple[Field, ...]
    body: Callable[[Values], dict[str, Any] | None]
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


def _problem(field: Field, value: str) -> str | None:
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


def checked(action: Action, form: Mapping[str, str]) -> dict[str, str]:
    """The form's values for the action's fields, trimmed; FormProblem names every bad one."""
    values = {f.name: str(form.get(f.name, "")).strip() for f in action.fields}
    problems = [p for f in action.fields if (p := _problem(f, values[f.name])) is not None]
    if problems:
        raise FormProblem(problems)
    return values


def offered(
    actions: Iterable[Action], subject: Subject, state: str, roles: Iterable[str]
) -> list[Action]:
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


def _optional(values: Values, *names: str) -> dict[str, str]:
    return {n: values[n] for n in names if values.get(n)}


def _reason(values: Values) -> dict[str, Any]:
    return {"reason": values["reason"]}


def _irregularity(values: Values) -> dict[str, Any]:
    party = {"role": values["party_role"], "name": values["party_name"]}
    party |= {"eori": values["party_eori"]} if values.get("party_eori") else {}
    return {
        "finding": values["finding"],
        "measures_statement": values["measures_statement"],
        "goods": values["goods"],
        "parties": [party],
        "references": items(values["references"]),
        "bcp": values["bcp"],
    }


def _contact(values: Values) -> dict[str, Any]:
    return {
        "party_name": values["party_name"],
        "contacted_at": moment(values["contacted_at"]),
        "channel": values["channel"],
        "question": values["question"],
        "answer": values["answer"],
    } | _optional(values, "party_eori")


def _written(values: Values) -> dict[str, Any]:
    """A written (fax, e-mail) pre-notification as the prenotification service's record."""
    importer = {"name": values["importer_name"], "country": values["importer_country"]}
    importer |= {"eori": values["importer_eori"]} if values.get("importer_eori") else {}
    return {
        "reference": values["reference"],
        "system": "written",
        "ched_type": values["ched_type"],
        "version": 1,
        "status": "submitted",
        "submitted_at": moment(values["received_at"]),
        "bcp": values["bcp"],
        "expected_arrival": moment(values["expected_arrival"]),
        "mode": values["mode"],
        "containers": items(values["containers"]),
        "consignor": {"name": values["consignor_name"], "country": values["consignor_country"]},
        "importer": importer,
        "country_of_origin": values["country_of_origin"],
        "commodities": [
            {
                "cn_code": values["cn_code"],
                "description": values["description"],
                "net_mass_kg": float(values["net_mass_kg"]),
            }
        ],
        "control": {"regime": values["control_regime"]},
    } | _optional(values, "vessel_name", "transport_document")


REASON = Field("reason", "textarea")
NOTE = Field("note", "textarea", required=False)
COUNTRY = r"[A-Z]{2}"
AUTHORITIES = frozenset({PD, NVWA})
# The hold states in which each hold action can succeed (services/holds domain/hold.py): the
# form is not shown where the service would refuse it anyway.
RELEASABLE = frozenset(
    {
        "unaddressed",
        "instructed",
        "acknowledged",
        "block_rejected",
        "release_requested",
        "irregularity_recorded",
    }
)
IRREGULARITY_OPEN = RELEASABLE - {"irregularity_recorded"}
OPEN_CASE = frozenset({"open", "contacted"})

ACTIONS: tuple[Action, ...] = (
    Action(
        "hold.release",
        "hold",
        "holds",
        "/holds/{target}/release",
        AUTHORITIES,
        (REASON,),
        _reason,
        states=RELEASABLE,
    ),
    Action(
        "hold.irregularity",
        "hold",
        "holds",
        "/holds/{target}/irregularities",
        AUTHORITIES,
        (
            Field("finding", "textarea", max_length=4000),
            Field("measures_statement", "textarea", max_length=4000),
            Field("goods", "textarea", max_length=4000),
            Field(
                "party_role",
                "select",
                choices=("importer", "consignor", "consignee", "declarant", "carrier", "other"),
            ),
            Field("party_name", max_length=350),
            Field("party_eori", required=False, max_length=70),
            Field("references", "list", required=False, max_length=4000, max_items=99),
            Field("bcp", max_length=70),
        ),
        _irregularity,
        states=IRREGULARITY_OPEN,
    ),
    Action(
        "hold.refuse",
        "hold",
        "holds",
        "/holds/{target}/refuse",
        AUTHORITIES,
        (Field("outcome", "select", choices=("re_export", "destruction")), REASON),
        lambda v: {"outcome": v["outcome"], "reason": v["reason"]},
        states=frozenset({"irregularity_recorded"}),
    ),
    Action(
        "hold.destination",
        "hold",
        "holds",
        "/holds/{target}/destination",
        AUTHORITIES,
        (Field("destination", max_length=70), REASON),
        lambda v: {"destination": v["destination"], "reason": v["reason"]},
        states=frozenset(
            {"unaddressed", "instructed", "acknowledged", "release_requested"}
            | {"irregularity_recorded"}
        ),
    ),
    Action(
        "hold.block",
        "hold",
        "holds",
        "/holds/{target}/block",
        AUTHORITIES | {CUSTOMS},
        (REASON,),
        _reason,
        states=frozenset({"block_rejected"}),
    ),
    Action(
        "case.contact",
        "case",
        "holds",
        "/cases/{target}/contacts",
        frozenset({CUSTOMS}),
        (
            Field("party_name", max_length=350),
            Field("party_eori", required=False, max_length=70),
            Field("contacted_at", "moment"),
            Field(
                "channel",
                "select",
                choices=("phone", "email", "portal", "letter", "fax", "in_person"),
            ),
            Field("question", "textarea"),
            Field("answer", "textarea"),
        ),
        _contact,
        states=OPEN_CASE,
    ),
    Action(
        "case.link",
        "case",
        "holds",
        "/cases/{target}/references",
        frozenset({CUSTOMS}),
        (
            Field("reference", max_length=64),
            Field(
                "received_by", "select", choices=("fax", "email", "letter", "portal", "in_person")
            ),
        ),
        lambda v: {"reference": v["reference"], "received_by": v["received_by"]},
        states=OPEN_CASE,
    ),
    Action(
        "case.close",
        "case",
        "holds",
        "/cases/{target}/close",
        frozenset({CUSTOMS}),
        (
            Field(
                "outcome",
                "select",
                choices=(
                    "prenotified_not_registered",
                    "not_controlled",
                    "bilateral_agreement",
                    "handed_to_authority",
                ),
            ),
            NOTE,
        ),
        lambda v: {"outcome": v["outcome"]} | _optional(v, "note"),
        states=OPEN_CASE,
    ),
    Action(
        "feed.declare",
        "feed",
        "prenotification",
        "/feeds/{target}/emergency",
        AUTHORITIES | {ADMIN},
        (NOTE,),
        lambda v: {"action": "start"} | _optional(v, "note"),
        states=frozenset({"normal"}),
    ),
    Action(
        "feed.end",
        "feed",
        "prenotification",
        "/feeds/{target}/emergency",
        AUTHORITIES | {ADMIN},
        (NOTE,),
        lambda v: {"action": "end"} | _optional(v, "note"),
        states=frozenset({"emergency"}),
    ),
    Action(
        "indicator_set.activate",
        "indicator_set",
        "matcher",
        "/indicator-sets/{target}/activate",
        frozenset({ANALYST, ADMIN}),
        # The lines to try the set on first: the confirmation shows their dry run.
        (Field("lines", "list", max_length=2000, pattern=LINE_KEY, max_items=20),),
        lambda v: None,
        states=frozenset({"stored"}),
        preview="dry_run",
    ),
    Action(
        "written.enter",
        "written",
        "prenotification",
        "/written",
        AUTHORITIES | {ADMIN},
        (
            Field("reference", max_length=64),
            Field("ched_type", "select", choices=("CHED-PP", "CHED-P", "CHED-A", "CHED-D")),
            Field("received_at", "moment"),
            Field("bcp", max_length=70),
            Field("expected_arrival", "moment"),
            Field("mode", "select", choices=("sea", "air", "road", "rail")),
            Field("vessel_name", required=False, max_length=350),
            Field("transport_document", required=False, max_length=70),
            Field("containers", "list", required=False, max_length=20_000, max_items=999),
            Field("consignor_name", max_length=350),
            Field("consignor_country", max_length=2, pattern=COUNTRY),
            Field("importer_name", max_length=350),
            Field("importer_country", max_length=2, pattern=COUNTRY),
            Field("importer_eori", required=False, max_length=70),
            Field("country_of_origin", max_length=2, pattern=COUNTRY),
            Field("cn_code", max_length=10, pattern=r"[0-9]{4,10}"),
            Field("description", "textarea", max_length=4000),
            Field("net_mass_kg", "number", max_length=20),
            Field("control_regime", "select", choices=("full", "transfer", "reduced")),
        ),
        _written,
    ),
)
BY_NAME = {a.name: a for a in ACTIONS}


def line_keys(values: Values) -> list[tuple[str, str]]:
    """The (manifest_id, line_id) of each `MANIFEST/LINE` item of the activation's lines."""
    keys = []
    for item in items(values["lines"]):
        manifest_id, _, line_id = item.partition("/")
        keys.append((manifest_id, line_id))
    return keys

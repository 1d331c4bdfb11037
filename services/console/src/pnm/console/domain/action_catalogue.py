"""Every action a person can take from the console (docs/console-actions.md): its service
route, its form fields, the roles it is shown to and the states it is offered in, and how its
filled form becomes the request body. Pure data and functions over `actions`."""

from __future__ import annotations

from typing import Any

from pnm.console.domain.actions import ConsoleAction, FormField, FormValues, items, moment
from pnm.console.domain.queues import AUTHORITY_ROLES
from pnm.shared.roles import Role

# An item of an activation's lines: `MANIFEST/LINE`.
LINE_KEY = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}/[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}"


def _optional(values: FormValues, *names: str) -> dict[str, str]:
    return {n: values[n] for n in names if values.get(n)}


def _reason(values: FormValues) -> dict[str, Any]:
    return {"reason": values["reason"]}


def _irregularity(values: FormValues) -> dict[str, Any]:
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


def _contact(values: FormValues) -> dict[str, Any]:
    return {
        "party_name": values["party_name"],
        "contacted_at": moment(values["contacted_at"]),
        "channel": values["channel"],
        "question": values["question"],
        "answer": values["answer"],
    } | _optional(values, "party_eori")


def _written(values: FormValues) -> dict[str, Any]:
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


REASON = FormField("reason", "textarea")
NOTE = FormField("note", "textarea", required=False)
COUNTRY = r"[A-Z]{2}"
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
OPEN_CASE_STATES = frozenset({"open", "contacted"})

ACTIONS: tuple[ConsoleAction, ...] = (
    ConsoleAction(
        "hold.release",
        "hold",
        "holds",
        "/holds/{target}/release",
        AUTHORITY_ROLES,
        (REASON,),
        _reason,
        states=RELEASABLE,
    ),
    ConsoleAction(
        "hold.irregularity",
        "hold",
        "holds",
        "/holds/{target}/irregularities",
        AUTHORITY_ROLES,
        (
            FormField("finding", "textarea", max_length=4000),
            FormField("measures_statement", "textarea", max_length=4000),
            FormField("goods", "textarea", max_length=4000),
            FormField(
                "party_role",
                "select",
                choices=("importer", "consignor", "consignee", "declarant", "carrier", "other"),
            ),
            FormField("party_name", max_length=350),
            FormField("party_eori", required=False, max_length=70),
            FormField("references", "list", required=False, max_length=4000, max_items=99),
            FormField("bcp", max_length=70),
        ),
        _irregularity,
        states=IRREGULARITY_OPEN,
    ),
    ConsoleAction(
        "hold.refuse",
        "hold",
        "holds",
        "/holds/{target}/refuse",
        AUTHORITY_ROLES,
        (FormField("outcome", "select", choices=("re_export", "destruction")), REASON),
        lambda v: {"outcome": v["outcome"], "reason": v["reason"]},
        states=frozenset({"irregularity_recorded"}),
    ),
    ConsoleAction(
        "hold.destination",
        "hold",
        "holds",
        "/holds/{target}/destination",
        AUTHORITY_ROLES,
        (FormField("destination", max_length=70), REASON),
        lambda v: {"destination": v["destination"], "reason": v["reason"]},
        states=frozenset(
            {"unaddressed", "instructed", "acknowledged", "release_requested"}
            | {"irregularity_recorded"}
        ),
    ),
    ConsoleAction(
        "hold.block",
        "hold",
        "holds",
        "/holds/{target}/block",
        AUTHORITY_ROLES | {Role.CUSTOMS_PREARRIVAL},
        (REASON,),
        _reason,
        states=frozenset({"block_rejected"}),
    ),
    ConsoleAction(
        "case.contact",
        "case",
        "holds",
        "/cases/{target}/contacts",
        frozenset({Role.CUSTOMS_PREARRIVAL}),
        (
            FormField("party_name", max_length=350),
            FormField("party_eori", required=False, max_length=70),
            FormField("contacted_at", "moment"),
            FormField(
                "channel",
                "select",
                choices=("phone", "email", "portal", "letter", "fax", "in_person"),
            ),
            FormField("question", "textarea"),
            FormField("answer", "textarea"),
        ),
        _contact,
        states=OPEN_CASE_STATES,
    ),
    ConsoleAction(
        "case.link",
        "case",
        "holds",
        "/cases/{target}/references",
        frozenset({Role.CUSTOMS_PREARRIVAL}),
        (
            FormField("reference", max_length=64),
            FormField(
                "received_by", "select", choices=("fax", "email", "letter", "portal", "in_person")
            ),
        ),
        lambda v: {"reference": v["reference"], "received_by": v["received_by"]},
        states=OPEN_CASE_STATES,
    ),
    ConsoleAction(
        "case.close",
        "case",
        "holds",
        "/cases/{target}/close",
        frozenset({Role.CUSTOMS_PREARRIVAL}),
        (
            FormField(
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
        states=OPEN_CASE_STATES,
    ),
    ConsoleAction(
        "feed.declare",
        "feed",
        "prenotification",
        "/feeds/{target}/emergency",
        AUTHORITY_ROLES | {Role.ADMIN},
        (NOTE,),
        lambda v: {"action": "start"} | _optional(v, "note"),
        states=frozenset({"normal"}),
    ),
    ConsoleAction(
        "feed.end",
        "feed",
        "prenotification",
        "/feeds/{target}/emergency",
        AUTHORITY_ROLES | {Role.ADMIN},
        (NOTE,),
        lambda v: {"action": "end"} | _optional(v, "note"),
        states=frozenset({"emergency"}),
    ),
    ConsoleAction(
        "indicator_set.activate",
        "indicator_set",
        "matcher",
        "/indicator-sets/{target}/activate",
        frozenset({Role.ANALYST, Role.ADMIN}),
        # The lines to try the set on first: the confirmation shows their dry run.
        (FormField("lines", "list", max_length=2000, pattern=LINE_KEY, max_items=20),),
        lambda v: None,
        states=frozenset({"stored"}),
        preview="dry_run",
    ),
    ConsoleAction(
        "written.enter",
        "written",
        "prenotification",
        "/written",
        AUTHORITY_ROLES | {Role.ADMIN},
        (
            FormField("reference", max_length=64),
            FormField("ched_type", "select", choices=("CHED-PP", "CHED-P", "CHED-A", "CHED-D")),
            FormField("received_at", "moment"),
            FormField("bcp", max_length=70),
            FormField("expected_arrival", "moment"),
            FormField("mode", "select", choices=("sea", "air", "road", "rail")),
            FormField("vessel_name", required=False, max_length=350),
            FormField("transport_document", required=False, max_length=70),
            FormField("containers", "list", required=False, max_length=20_000, max_items=999),
            FormField("consignor_name", max_length=350),
            FormField("consignor_country", max_length=2, pattern=COUNTRY),
            FormField("importer_name", max_length=350),
            FormField("importer_country", max_length=2, pattern=COUNTRY),
            FormField("importer_eori", required=False, max_length=70),
            FormField("country_of_origin", max_length=2, pattern=COUNTRY),
            FormField("cn_code", max_length=10, pattern=r"[0-9]{4,10}"),
            FormField("description", "textarea", max_length=4000),
            FormField("net_mass_kg", "number", max_length=20),
            FormField("control_regime", "select", choices=("full", "transfer", "reduced")),
        ),
        _written,
    ),
)
ACTIONS_BY_NAME = {a.name: a for a in ACTIONS}


def line_keys(values: FormValues) -> list[tuple[str, str]]:
    """The (manifest_id, line_id) of each `MANIFEST/LINE` item of the activation's lines."""
    keys = []
    for item in items(values["lines"]):
        manifest_id, _, line_id = item.partition("/")
        keys.append((manifest_id, line_id))
    return keys

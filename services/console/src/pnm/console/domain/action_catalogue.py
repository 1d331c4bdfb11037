"""Every action a person can take from the console (docs/console-actions.md): its service
route, its form fields, the roles it is shown to and the states it is offered in, and how its
filled form becomes the request body. Pure data and functions over `actions`."""

from __future__ import annotations

from typing import Any

from pnm.console.domain.actions import Action, Field, Values, items, moment
from pnm.console.domain.queues import AUTHORITIES
from pnm.shared.roles import Role

# An item of an activation's lines: `MANIFEST/LINE`.
LINE_KEY = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}/[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}"


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
        AUTHORITIES | {Role.CUSTOMS_PREARRIVAL},
        (REASON,),
        _reason,
        states=frozenset({"block_rejected"}),
    ),
    Action(
        "case.contact",
        "case",
        "holds",
        "/cases/{target}/contacts",
        frozenset({Role.CUSTOMS_PREARRIVAL}),
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
        frozenset({Role.CUSTOMS_PREARRIVAL}),
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
        frozenset({Role.CUSTOMS_PREARRIVAL}),
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
        AUTHORITIES | {Role.ADMIN},
        (NOTE,),
        lambda v: {"action": "start"} | _optional(v, "note"),
        states=frozenset({"normal"}),
    ),
    Action(
        "feed.end",
        "feed",
        "prenotification",
        "/feeds/{target}/emergency",
        AUTHORITIES | {Role.ADMIN},
        (NOTE,),
        lambda v: {"action": "end"} | _optional(v, "note"),
        states=frozenset({"emergency"}),
    ),
    Action(
        "indicator_set.activate",
        "indicator_set",
        "matcher",
        "/indicator-sets/{target}/activate",
        frozenset({Role.ANALYST, Role.ADMIN}),
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
        AUTHORITIES | {Role.ADMIN},
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

"""The console's actions as data (domain/actions.py, domain/action_catalogue.py): forms are
checked field by field before anything is sent, each action is offered to the roles and in the
states it names, the filled forms become the services' request bodies, and every word they show
exists in both languages."""

from __future__ import annotations

import pytest

from pnm.console.domain.action_catalogue import ACTIONS, ACTIONS_BY_NAME, line_keys
from pnm.console.domain.actions import TARGET_PATTERN, FormProblem, checked, facts, offered
from pnm.console.domain.labels import LABELS
from pnm.console.web.actions import RESULT_FACTS
from pnm.shared.contracts.records import PreNotification


def test_a_missing_or_bad_field_is_named_with_its_value_and_rule() -> None:
    close = ACTIONS_BY_NAME["case.close"]
    with pytest.raises(FormProblem) as missing:
        checked(close, {"note": "x"})
    assert missing.value.problems == ["outcome: required"]
    with pytest.raises(FormProblem) as bad:
        checked(close, {"outcome": "guilty"})
    assert bad.value.problems == [
        'outcome="guilty": one of prenotified_not_registered, not_controlled, '
        "bilateral_agreement, handed_to_authority"
    ]
    with pytest.raises(FormProblem) as long:
        checked(ACTIONS_BY_NAME["hold.release"], {"reason": "x" * 2001})
    assert "at most 2000 characters" in long.value.problems[0]
    with pytest.raises(FormProblem) as lines:
        checked(ACTIONS_BY_NAME["indicator_set.activate"], {"lines": "M-1/1\n../etc"})
    assert lines.value.problems[0].startswith('lines="../etc": must match')


def test_release_is_shown_to_both_authorities_the_service_decides() -> None:
    for role in ("pd-inspector", "nvwa-inspector"):
        names = [a.name for a in offered(ACTIONS, "hold", "release_requested", {role})]
        assert names == ["hold.release", "hold.irregularity", "hold.destination"]
    assert offered(ACTIONS, "hold", "release_requested", {"customs-prearrival"}) == []
    assert offered(ACTIONS, "hold", "released", {"nvwa-inspector"}) == []
    refusable = offered(ACTIONS, "hold", "irregularity_recorded", {"nvwa-inspector"})
    assert [a.name for a in refusable] == ["hold.release", "hold.refuse", "hold.destination"]


def test_case_actions_for_customs_only_while_the_case_is_open() -> None:
    names = [a.name for a in offered(ACTIONS, "case", "contacted", {"customs-prearrival"})]
    assert names == ["case.contact", "case.link", "case.close"]
    assert offered(ACTIONS, "case", "closed", {"customs-prearrival"}) == []
    assert offered(ACTIONS, "case", "open", {"nvwa-inspector", "analyst"}) == []


def test_emergency_start_or_end_by_the_feeds_state() -> None:
    assert [a.name for a in offered(ACTIONS, "feed", "normal", {"pd-inspector"})] == [
        "feed.declare"
    ]
    assert [a.name for a in offered(ACTIONS, "feed", "emergency", {"admin"})] == ["feed.end"]
    assert ACTIONS_BY_NAME["feed.end"].body({"note": ""}) == {"action": "end"}


def test_bodies_are_what_the_services_take() -> None:
    irregularity = checked(
        ACTIONS_BY_NAME["hold.irregularity"],
        {
            "finding": "seal broken",
            "measures_statement": "detained",
            "goods": "beef",
            "party_role": "importer",
            "party_name": "Van der Berg",
            "references": "CHEDP.NL.2026.0000002,\n DOC-1",
            "bcp": "NLRTM",
        },
    )
    assert ACTIONS_BY_NAME["hold.irregularity"].body(irregularity) == {
        "finding": "seal broken",
        "measures_statement": "detained",
        "goods": "beef",
        "parties": [{"role": "importer", "name": "Van der Berg"}],
        "references": ["CHEDP.NL.2026.0000002", "DOC-1"],
        "bcp": "NLRTM",
    }
    contact = checked(
        ACTIONS_BY_NAME["case.contact"],
        {
            "party_name": "Van der Berg",
            "contacted_at": "2026-12-07T09:30",
            "channel": "phone",
            "question": "notified?",
            "answer": "tomorrow",
        },
    )
    assert (ACTIONS_BY_NAME["case.contact"].body(contact) or {})["contacted_at"] == (
        "2026-12-07T09:30:00+00:00"
    )
    assert ACTIONS_BY_NAME["indicator_set.activate"].body({"lines": "A/1"}) is None
    assert line_keys({"lines": "DEMO-1/1, DEMO-1/2\nX/3"}) == [
        ("DEMO-1", "1"),
        ("DEMO-1", "2"),
        ("X", "3"),
    ]


def test_a_written_entry_is_a_valid_prenotification_record() -> None:
    form = {
        "reference": "CHEDP.NL.2026.0000042",
        "ched_type": "CHED-P",
        "received_at": "2026-12-07T08:00",
        "bcp": "NLRTM",
        "expected_arrival": "2026-12-09T06:00",
        "mode": "sea",
        "vessel_name": "EMMA MAERSK",
        "containers": "PNMU1000013",
        "consignor_name": "Frigorifico del Sur S.A.",
        "consignor_country": "AR",
        "importer_name": "Van der Berg Import B.V.",
        "importer_country": "NL",
        "importer_eori": "NL111222333",
        "country_of_origin": "AR",
        "cn_code": "02013000",
        "description": "Frozen boneless beef",
        "net_mass_kg": "16500",
        "control_regime": "full",
    }
    written = ACTIONS_BY_NAME["written.enter"]
    record = PreNotification.model_validate(written.body(checked(written, form)))
    assert (record.system, record.importer.eori, record.commodities[0].net_mass_kg) == (
        "written",
        "NL111222333",
        16500.0,
    )
    with pytest.raises(FormProblem) as bad:
        checked(written, form | {"net_mass_kg": "-3", "importer_country": "Nederland"})
    assert [p.split(":")[0] for p in bad.value.problems] == [
        'importer_country="Nederland"',
        'net_mass_kg="-3"',
    ]


def test_targets_can_never_leave_their_route() -> None:
    assert TARGET_PATTERN.fullmatch("cdab0919-bf7a-426d-87ff-4e9e3332b2b8")
    assert TARGET_PATTERN.fullmatch("CHEDP.NL.2026.0000002")
    for bad in ("..", ".x", "a/b", "", "x" * 101, "a b"):
        assert not TARGET_PATTERN.fullmatch(bad)


def test_facts_are_plain_words() -> None:
    assert facts({"containers": ["A", "B"], "state": "x", "escalation": None, "n": 2}) == {
        "containers": "A, B",
        "state": "x",
        "escalation": "-",
        "n": "2",
    }


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_word_an_action_shows_exists(language: str) -> None:
    words = LABELS[language]
    for action in ACTIONS:
        assert f"actions.{action.name}.title" in words
        assert f"actions.{action.name}.says" in words
        for field in action.fields:
            assert f"actions.field.{field.name}" in words, field.name
            for choice in field.choices:
                assert f"actions.choice.{choice}" in words, choice
    for name in RESULT_FACTS:
        assert f"actions.result.{name}" in words, name
    actions_keys = {k for k in LABELS["en"] if k.startswith("actions.")}
    assert actions_keys == {k for k in LABELS["nl"] if k.startswith("actions.")}

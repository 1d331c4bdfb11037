"""What outsiders build against is generated from the code and committed: it must not drift."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pnm.cli.topics import topic_list
from pnm.shared.contracts.asyncapi import asyncapi_document, render
from pnm.shared.contracts.topics import ALL_TOPICS, terminal_topic_templates

REPO = Path(__file__).resolve().parents[3]


def test_committed_asyncapi_document_is_current() -> None:
    committed = (REPO / "shared" / "asyncapi.json").read_text()
    assert committed == render(), "regenerate: python -m pnm.shared.contracts.asyncapi"


def test_every_reference_in_the_asyncapi_document_resolves() -> None:
    document = asyncapi_document()
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(document)))
    assert refs
    for ref in refs:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def test_every_topic_and_its_dead_letter_twin_is_documented() -> None:
    addresses = {c["address"] for c in asyncapi_document()["channels"].values()}
    for topic in ALL_TOPICS:
        assert {topic.name, topic.dlq} <= addresses


def test_the_per_terminal_topics_are_one_channel_each_with_the_terminal_as_parameter() -> None:
    channels = asyncapi_document()["channels"].values()
    by_address = {c["address"]: c for c in channels}
    assert {t.name for t in terminal_topic_templates()} == {
        "holds.instructions.{terminal}.v1",
        "holds.acks.{terminal}.v1",
    }
    for topic in terminal_topic_templates():
        assert "terminal" in by_address[topic.name]["parameters"]
    assert not any("terminal-instructions" in a or "terminal-acks" in a for a in by_address)


def test_committed_topic_list_for_the_deploy_scripts_is_current() -> None:
    committed = (REPO / "deploy" / "topics.txt").read_text()
    assert committed == topic_list(), "regenerate: pnm topics --write deploy/topics.txt"

"""The AsyncAPI 3.0 document of every topic, generated from the topic table and the records,
so a terminal integrator can build against it without reading code. Committed as
`shared/asyncapi.json`; regenerate with `python -m pnm.shared.contracts.asyncapi`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Record
from pnm.shared.contracts.topics import (
    ALL_TOPICS,
    TERMINAL_CODE,
    TERMINAL_PARAMETER,
    Topic,
    terminal_topic_templates,
)

CONTENT_TYPE = "application/cloudevents+json"
REF = "#/components/schemas/{model}"


def _channel_id(name: str) -> str:
    return name.replace(".", "_").replace("-", "_").replace(" ", "_").translate({123: "", 125: ""})


def _kinds(topic: Topic) -> list[tuple[type[Record], list[str]]]:
    """The records a topic carries, each with the event types whose `data` it is."""
    others = dict(topic.others)
    main = [t for t in topic.event_types if t not in others]
    by_record: dict[type[Record], list[str]] = {topic.record: main}
    for event_type, record in topic.others:
        by_record.setdefault(record, []).append(event_type)
    return list(by_record.items())


def _message(
    topic: Topic, record: type[Record], event_types: list[str], schemas: dict[str, Any]
) -> dict[str, Any]:
    # A record of its own on the topic (a watermark) is addressed to each partition.
    key = topic.key if record is topic.record else "not used: sent to every partition"
    envelope = dict(schemas[CloudEvent.__name__])
    properties = dict(envelope["properties"])
    properties["type"] = {"type": "string", "enum": event_types}
    properties["data"] = {"$ref": REF.format(model=record.__name__)}
    return {
        "name": record.__name__,
        "contentType": CONTENT_TYPE,
        "summary": topic.description,
        "payload": {
            **envelope,
            "title": f"{record.__name__} event",
            "properties": properties,
        },
        "bindings": {"kafka": {"key": {"type": "string", "description": key}}},
    }


def asyncapi_document() -> dict[str, Any]:
    # Each registered terminal has its own two topics (broker ACLs let it read and write
    # only its own): one channel of each, with the terminal's code as a parameter.
    topics = ALL_TOPICS + terminal_topic_templates()
    records = {r: None for t in topics for r, _ in _kinds(t)}
    models = [(CloudEvent, "validation")] + [(r, "validation") for r in records]
    keyed, definitions = models_json_schema(models, ref_template=REF)  # type: ignore[arg-type]
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    for (model, _), schema in keyed.items():
        schemas.setdefault(model.__name__, schema)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in topics:
        cid = _channel_id(topic.name)
        kinds = _kinds(topic)
        for record, event_types in kinds:
            messages[record.__name__] = _message(topic, record, event_types, schemas)
        channels[cid] = {
            "address": topic.name,
            "description": f"{topic.description} Partition key: {topic.key}.",
            "messages": {
                r.__name__: {"$ref": f"#/components/messages/{r.__name__}"} for r, _ in kinds
            },
            "bindings": {"kafka": {"partitions": topic.partitions}},
            **_parameters(topic),
        }
        channels[cid + "_dlq"] = {
            "address": topic.dlq,
            "description": (
                f"Dead letters of {topic.name}: the original key and value, with headers "
                "dlq.origin.topic, dlq.origin.partition, dlq.origin.offset, dlq.consumer, "
                "dlq.error.class, dlq.error.message, dlq.attempts."
            ),
            "bindings": {"kafka": {"partitions": topic.partitions}},
            **_parameters(topic),
        }
        channel_ref = {"$ref": f"#/channels/{cid}"}
        refs = [{"$ref": f"#/channels/{cid}/messages/{r.__name__}"} for r, _ in kinds]
        operations[f"{_channel_id(topic.producer)}_sends_{cid}"] = {
            "action": "send",
            "channel": channel_ref,
            "messages": refs,
        }
        for consumer in topic.consumers:
            operations[f"{_channel_id(consumer)}_receives_{cid}"] = {
                "action": "receive",
                "channel": channel_ref,
                "messages": refs,
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "pnm: pre-notification matching events",
            "version": "1.0.0",
            "description": (
                "CloudEvents 1.0 in structured JSON mode on Kafka. `id` is unique and stable: "
                "consumers de-duplicate on it. Topic names may carry an environment prefix "
                "(PNM_KAFKA_TOPIC_PREFIX)."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"local": {"host": "localhost:9092", "protocol": "kafka"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _parameters(topic: Topic) -> dict[str, Any]:
    if TERMINAL_PARAMETER not in topic.name:
        return {}
    return {
        "parameters": {
            "terminal": {
                "description": (
                    "The terminal's code in the holds service's registry "
                    f"(pattern {TERMINAL_CODE.pattern}), e.g. ECTDELTA."
                )
            }
        }
    }


def render() -> str:
    return json.dumps(asyncapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("shared/asyncapi.json")
    target.write_text(render(), encoding="utf-8")
    print(target)

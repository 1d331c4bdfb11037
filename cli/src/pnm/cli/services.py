"""The services, by name: the four of the pipeline and the console (in the order of
`pnm.cli.service_names`, which names them without importing them)."""

from __future__ import annotations

from pnm.console.app import definition as console
from pnm.holds.app import definition as holds
from pnm.manifest_ingest.app import definition as manifest_ingest
from pnm.matcher.app import definition as matcher
from pnm.prenotification.app import definition as prenotification
from pnm.shared.service import ServiceDefinition

# The pipeline from inputs to holds; the console reads what it publishes.
PIPELINE: dict[str, ServiceDefinition] = {
    d.name: d for d in (prenotification, manifest_ingest, matcher, holds)
}
ALL: dict[str, ServiceDefinition] = {**PIPELINE, console.name: console}

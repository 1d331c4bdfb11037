"""The services' names, without importing them: the command line offers them as choices, and
`pnm replay` must start without loading the web stack (README, "Replay and evaluation")."""

from __future__ import annotations

PIPELINE_NAMES = ("prenotification", "manifest-ingest", "matcher", "holds")
SERVICE_NAMES = (*PIPELINE_NAMES, "console")

"""`pnm audit`: verify the holds service's audit trail in its database (the settings the
service uses: PNM_HOLDS_DATABASE_URL, else PNM_DATABASE_URL), export a closed range of it with
its verification hashes for the archive, and verify such an export on its own (docs/audit.md).
Each prints its result as JSON and exits 1 when the chain is broken."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pnm.holds import audit_views
from pnm.holds.audit import TrailCheck, snapshot, stored_entries, verify_trail
from pnm.holds.domain.audit_chain import (
    FORMAT,
    GENESIS,
    Entry,
    Head,
    Verifier,
    entry_from_json,
    entry_json,
)
from pnm.shared.db import make_engine
from pnm.shared.settings import service_settings

ARCHIVE_CHUNK = 10_000  # lines read or written at a time


def _engine(database_url: str | None) -> AsyncEngine:
    common, settings = service_settings("holds")
    return make_engine(database_url or settings.database_url or common.database_url)


def _report(result: dict[str, Any], ok: bool) -> int:
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


def anchor(text: str) -> tuple[int, str]:
    """`--anchor SEQUENCE:HASH`, as printed by an earlier verification (head) or export."""
    sequence, _, kept = text.partition(":")
    if not sequence.isdigit() or len(kept) != 64:
        raise ValueError(f"{text!r} is not SEQUENCE:HASH (a sequence number and 64 hex digits)")
    return int(sequence), kept.lower()


async def run_audit_verify(
    database_url: str | None = None, anchors: Sequence[tuple[int, str]] = ()
) -> int:
    """0 when the chain in the database is whole (and holds every anchor), 1 at a break."""
    engine = _engine(database_url)
    try:
        check = await verify_trail(engine, anchors=dict(anchors))
    finally:
        await engine.dispose()
    return _report(check.as_json(), check.ok)


async def _last_before(conn: AsyncConnection, until: str) -> int | None:
    """`until`: a sequence number (inclusive), or a time (RFC 3339)."""
    if until.isdigit():
        return int(until)
    moment = datetime.fromisoformat(until)
    if moment.tzinfo is None:
        raise ValueError(f"--until {until!r}: give the time with its offset (Z)")
    return await audit_views.last_sequence(conn, before=moment)


async def _start(conn: AsyncConnection, first: int) -> Head:
    if first == 1:
        return GENESIS
    previous = await audit_views.hash_of(conn, first - 1)
    if previous is None:
        raise ValueError(f"entry {first - 1} is not in the database: export from 1")
    return Head(first - 1, previous)


def _line(entry: Entry) -> bytes:
    return (json.dumps(entry_json(entry), sort_keys=True, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class Archive:
    """An export: `<name>.jsonl` (one entry a line) and `<name>.manifest.json`."""

    manifest: Path

    @property
    def lines(self) -> Path:
        return self.manifest.with_name(self.manifest.name.replace(".manifest.json", ".jsonl"))

    def create(self) -> BinaryIO:
        self.manifest.parent.mkdir(parents=True, exist_ok=True)
        return self.lines.open("wb")

    def discard(self) -> None:
        self.lines.unlink()

    def seal(self, manifest: dict[str, Any]) -> None:
        """The manifest last: an export without one is incomplete."""
        self.manifest.write_text(json.dumps(manifest, indent=2) + "\n")


async def run_audit_export(
    until: str, first: int, output: Path, database_url: str | None = None
) -> int:
    """Entries `first`..`until`, verified while written; the manifest names the range, the
    hash the range starts from, its last hash and the file's SHA-256. Nothing is removed."""
    engine = _engine(database_url)
    try:
        async with snapshot(engine) as conn:
            last = await _last_before(conn, until)
            if last is None or last < first:
                return _report({"ok": False, "detail": f"no entries {first}..{until}"}, False)
            start = await _start(conn, first)
            end = Head(last, await audit_views.hash_of(conn, last) or "")
            name = f"audit-{first:012d}-{last:012d}"
            archive = Archive(output / f"{name}.manifest.json")
            verifier = Verifier(start)
            digest = hashlib.sha256()
            with archive.create() as out:
                async for entries in stored_entries(
                    conn, first=first, last=last, chunk=ARCHIVE_CHUNK
                ):
                    whole = verifier.feed(entries)
                    for entry in entries:
                        line = _line(entry)
                        out.write(line)
                        digest.update(line)
                    if not whole:
                        break
            check = TrailCheck(verifier.entries, end, verifier.finish(end))
    finally:
        await engine.dispose()
    if not check.ok:
        archive.discard()
        return _report(check.as_json(), False)
    manifest = {
        "format": FORMAT,
        "file": archive.lines.name,
        "sha256": digest.hexdigest(),
        "first_sequence": first,
        "last_sequence": last,
        "entries": check.entries,
        "start_prev_hash": start.hash,
        "last_hash": end.hash,
        "exported_at": datetime.now(UTC).isoformat(),
    }
    archive.seal(manifest)
    return _report({"ok": True, "manifest": str(archive.manifest), **manifest}, True)


def _chunks(path: Path) -> Iterator[tuple[list[Entry], bytes]]:
    with path.open("rb") as lines:
        batch: list[bytes] = []
        for raw in lines:
            batch.append(raw)
            if len(batch) == ARCHIVE_CHUNK:
                yield [entry_from_json(json.loads(b)) for b in batch], b"".join(batch)
                batch = []
        if batch:
            yield [entry_from_json(json.loads(b)) for b in batch], b"".join(batch)


def run_audit_verify_archive(manifest_path: Path) -> int:
    """An export checked on its own, without the database: its SHA-256 and its chain from the
    manifest's start hash to its last hash."""
    manifest = json.loads(manifest_path.read_text())
    first, last = int(manifest["first_sequence"]), int(manifest["last_sequence"])
    verifier = Verifier(Head(first - 1, manifest["start_prev_hash"]))
    digest = hashlib.sha256()
    for entries, raw in _chunks(Archive(manifest_path).lines):
        digest.update(raw)
        verifier.feed(entries)
    end = Head(last, manifest["last_hash"])
    found = verifier.finish(end)
    result = TrailCheck(verifier.entries, end, found).as_json()
    result["sha256_matches"] = digest.hexdigest() == manifest["sha256"]
    return _report(result, found is None and result["sha256_matches"])

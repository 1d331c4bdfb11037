"""Export files taken in by upload or from a watched directory, each exactly once.

A file is recognised by its SHA-256, claimed in the same transaction as the records it brings,
so the same file sent twice or dropped twice is processed once. A row that cannot be read still
becomes an input (carrying its raw text), so it is refused with its row number and kept like
any other bad input: a bad row never blocks the good ones."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import UploadFile
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.shared import watched
from pnm.shared.contracts.limits import FILE_CELL_MAX, JSON_DEPTH_MAX, json_depth
from pnm.shared.db import UnitOfWork
from pnm.shared.http import DomainError
from pnm.shared.messaging.processor import is_transient
from pnm.shared.observability import log_fields
from pnm.shared.service import BackgroundLoop
from pnm.shared.text import shown, storable

log = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv")


class FileFormatError(ValueError):
    """The file as a whole cannot be read (not its rows: those are refused one by one)."""


@dataclass(frozen=True)
class Row:
    number: int  # 1-based line (JSONL) or row (CSV, the header is 1) where the record starts
    payload: Any
    # Why the row cannot be taken as a record at all (a reason: field, value, rule, message):
    # it is refused with this reason and kept as it is.
    problem: dict[str, Any] | None = None


def row_problem(field: str, value: Any, rule: str, message: str) -> dict[str, Any]:
    return {
        "field": field,
        "value": shown(value),
        "rule": rule,
        "message": message,
        "severity": "error",
    }


def file_format(name: str, declared: str | None = None) -> str:
    fmt = (declared or name.rsplit(".", 1)[-1]).lower()
    if fmt not in FORMATS:
        raise FileFormatError(f"unsupported file format {fmt!r}: use .jsonl or .csv")
    return fmt


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise FileFormatError(f"the file is not UTF-8 (byte {err.start})") from err


def parse_jsonl(text: str) -> Iterator[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        depth = json_depth(line)
        if depth > JSON_DEPTH_MAX:  # before parsing: the parser recurses
            yield Row(
                number,
                line,
                row_problem(
                    "",
                    None,
                    "json.depth",
                    f"the line nests {depth} deep; at most {JSON_DEPTH_MAX} levels are accepted",
                ),
            )
            continue
        try:
            yield Row(number, json.loads(line))
        except ValueError:  # not JSON, or a number too long to convert
            yield Row(number, line)


def read_csv(text: str, required: frozenset[str]) -> Iterator[Row]:
    """The data rows of a CSV export as `{column: cell}` (blank cells as None), numbered as
    in the file (the header is row 1). A row that cannot be read (a cell over
    FILE_CELL_MAX characters, a NUL, more cells than columns, broken quoting) comes with its
    problem: it refuses only itself."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None) or []
    missing = required - set(header)
    if missing:
        raise FileFormatError(f"CSV header lacks column(s): {', '.join(sorted(missing))}")
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:  # e.g. a cell over the csv module's own limit of 128 KiB
            yield Row(number, {}, row_problem("", None, "file.unreadable_row", str(err)))
            continue
        if not cells:
            number -= 1  # csv.DictReader skips blank lines without counting them
            continue
        problem = _cells_problem(header, cells)
        if problem is not None:
            yield Row(number, {"raw": ",".join(cells)}, problem)
            continue
        row = dict(zip(header, cells, strict=False))
        yield Row(number, {k: blank_to_none(v) for k, v in row.items()})


CsvRow = dict[str, str | None]


def read_grouped_csv(
    text: str,
    required: frozenset[str],
    key: Sequence[str],
    items: str,
    item: Callable[[CsvRow], dict[str, Any]],
    record: Callable[[CsvRow, list[dict[str, Any]]], dict[str, Any]],
) -> Iterator[Row]:
    """The records of a CSV export that has one item (a goods item, a commodity) per row: the
    rows with the same `key` columns make one record, numbered by its first row, whose own
    fields come from that row (`record(row, items)`) and whose list `items` holds each row's
    `item(row)`. A row without the first key column is a record of its own."""
    records: dict[tuple[str, ...], Row] = {}
    for read in read_csv(text, required):
        if read.problem is not None:
            yield read
            continue
        row: CsvRow = read.payload
        first, *rest = key
        grouped = (row.get(first) or f"row {read.number}", *(row.get(c) or "" for c in rest))
        if grouped in records:
            records[grouped].payload[items].append(item(row))
            continue
        records[grouped] = Row(read.number, record(row, [item(row)]))
    yield from records.values()


def _cells_problem(header: list[str], cells: list[str]) -> dict[str, Any] | None:
    if len(cells) > len(header):
        return row_problem(
            "",
            ",".join(cells),
            "file.extra_cells",
            f"the row has {len(cells)} cells; the header has {len(header)} columns",
        )
    for column, cell in zip(header, cells, strict=False):
        if len(cell) > FILE_CELL_MAX:
            return row_problem(
                column,
                cell,
                "file.cell_too_long",
                f"the cell has {len(cell)} characters; at most {FILE_CELL_MAX} are accepted",
            )
        if "\x00" in cell:
            return row_problem(column, cell, "text.nul", "the cell contains a NUL character")
    return None


def read_export(
    text: str, fmt: str, read_csv_records: Callable[[str], Iterable[Row]], limit: int
) -> list[Row]:
    """The records of an export file: one per line of JSON Lines, or as the service reads its
    CSV; refused as a whole when there are more than `limit`."""
    return capped(parse_jsonl(text) if fmt == "jsonl" else read_csv_records(text), limit)


def capped(rows: Iterable[Row], limit: int) -> list[Row]:
    """The records of one file, refused as a whole when there are more than `limit`."""
    taken: list[Row] = []
    for row in rows:
        if len(taken) == limit:
            raise FileFormatError(f"the file holds more than {limit} records")
        taken.append(row)
    return taken


def blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def csv_list(value: str | None) -> list[str]:
    """A CSV cell holding a list: items separated by spaces or semicolons."""
    return (value or "").replace(";", " ").split()


def csv_party(row: dict[str, str | None], prefix: str) -> dict[str, Any]:
    """A party from the `<prefix>_name`, `_country` and optional `_eori` cells."""
    return {
        "name": row.get(f"{prefix}_name"),
        "country": row.get(f"{prefix}_country"),
        **({"eori": row[f"{prefix}_eori"]} if row.get(f"{prefix}_eori") else {}),
    }


def intake_file_table(metadata: MetaData) -> Table:
    return Table(
        "intake_file",
        metadata,
        Column("sha256", Text, primary_key=True),
        Column("name", Text, nullable=False),
        Column("format", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("result", JSONB, nullable=False),
    )


class FileReceipt(BaseModel):
    """What `receive` says of every file; each service adds its own counts and results."""

    name: str
    sha256: str
    format: Literal["jsonl", "csv"]
    duplicate: bool  # this exact file was taken in before: nothing was done again
    records: int


# Takes the rows of one file in the caller's unit of work; returns the file's result (JSON).
ProcessRows = Callable[[UnitOfWork, list[Row], str], Awaitable[dict[str, Any]]]


async def receive(
    uow_factory: Callable[[], UnitOfWork],
    table: Table,
    name: str,
    content: bytes,
    parse: Callable[[str, str], list[Row]],
    process: ProcessRows,
) -> dict[str, Any]:
    """Take in one file once; a file seen before gives its first result with `duplicate`."""
    name = storable(name)  # a name is kept and quoted back: text the database can hold
    fmt = file_format(name)
    digest = hashlib.sha256(content).hexdigest()
    rows = parse(decode(content), fmt)
    async with uow_factory() as uow:
        claimed = await uow.conn.execute(
            pg_insert(table)
            .values(sha256=digest, name=name, format=fmt, result={})
            .on_conflict_do_nothing()
            .returning(table.c.sha256)
        )
        if claimed.first() is None:
            previous = (
                await uow.conn.execute(select(table.c.result).where(table.c.sha256 == digest))
            ).scalar_one()
            return {**previous, "duplicate": True}
        result = {
            "name": name,
            "sha256": digest,
            "format": fmt,
            "duplicate": False,
            "records": len(rows),
            **await process(uow, rows, f"{name} ({digest[:12]})"),
        }
        await uow.conn.execute(table.update().where(table.c.sha256 == digest).values(result=result))
        await uow.commit()
    return result


async def take_dropped_files(
    directory: Path,
    take: Callable[[str, bytes], Awaitable[dict[str, Any]]],
    quiet_seconds: float = 0.0,
) -> int:
    """Process every complete regular file in `directory` once; move it to processed/ (with its
    result) or failed/ (with the reason), each file on its own. See pnm.shared.watched for what
    is read and how."""
    taken = 0
    with watched.WatchedDirectory.open(directory) as inbox:
        for name in await asyncio.to_thread(inbox.waiting, quiet_seconds):
            try:
                content = await asyncio.to_thread(inbox.read, name, quiet_seconds)
                result = await take(name, content)
            except watched.NotReady:
                continue  # still being written: a later round
            except Exception as err:
                if is_transient(err):
                    raise  # the database is away, not the file's fault: a later round
                reason = (
                    str(err)
                    if isinstance(err, FileFormatError | watched.Unreadable)
                    else f"could not be taken in: {err!r}"
                )
                log.warning("dropped file refused", extra=log_fields(file=name, error=reason))
                await _file_away(inbox.fail, name, reason)
                continue
            target = f"{result['sha256'][:12]}-{name}"
            taken += await _file_away(inbox.done, name, target, result)
    return taken


async def _file_away(move: Callable[..., None], name: str, *args: Any) -> int:
    """Move a file out of the directory: 1, or 0 when the move itself failed (logged). The file
    then stays and comes round again (taken in once: a second time it is a duplicate), while
    the other files go on."""
    try:
        await asyncio.to_thread(move, name, *args)
    except OSError as err:
        log.error("dropped file could not be moved", extra=log_fields(file=name, error=repr(err)))
        return 0
    return 1


def watch_directory(
    directory: Path,
    interval: float,
    take: Callable[[str, bytes], Awaitable[dict[str, Any]]],
    quiet_seconds: float = 0.0,
) -> BackgroundLoop:
    async def loop(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await take_dropped_files(directory, take, quiet_seconds)
            except Exception as err:
                # The database is away or the directory itself is unusable (e.g. failed/ is a
                # link): the files stay where they are and are tried again on the next round.
                log.warning("drop directory round failed", extra=log_fields(error=repr(err)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=interval)

    return loop


async def uploaded(file: UploadFile) -> tuple[str, bytes]:
    """The name and content of an uploaded export file; 415 for a format we do not read."""
    name = file.filename or "upload"
    try:
        file_format(name)
    except FileFormatError as err:
        raise DomainError(415, str(err)) from err
    return name, await file.read()


@contextlib.contextmanager
def unreadable_is_422() -> Iterator[None]:
    """A file that cannot be read as a whole (encoding, CSV header) is the caller's 422."""
    try:
        yield
    except FileFormatError as err:
        raise DomainError(422, str(err)) from err

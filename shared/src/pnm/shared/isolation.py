"""Per-record isolation when storing a batch: one record the database refuses does not lose
the others of its request or file.

A batch is stored in a handful of statements. When the database refuses it because of the data
of one record (a value out of range, a constraint, an index row too large), the batch is
stored again record by record, each in its own savepoint, and only the records the database
still refuses are refused (and kept as rejections by the caller). Any other database error
(connection, deadlock, outage) fails the whole request as before: nothing is half-stored and
the client may send it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from pnm.shared.db import UnitOfWork
from pnm.shared.text import shown

T = TypeVar("T")

# SQLSTATE classes caused by the data of a record: 22 data exception, 23 integrity constraint
# violation, 54 program limit exceeded.
RECORD_ERROR_CLASSES = frozenset({"22", "23", "54"})


def caused_by_record(err: DBAPIError) -> bool:
    sqlstate = getattr(err.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in RECORD_ERROR_CLASSES


def refusal_reason(err: DBAPIError) -> dict[str, Any]:
    """The reason a record the database refused is kept with."""
    return {
        "field": "",
        "value": None,
        "rule": "store.refused",
        "message": f"the database refused the record: {shown(err.orig)}",
        "severity": "error",
    }


async def store_isolated(
    uow: UnitOfWork,
    items: Sequence[T],
    store: Callable[[Sequence[T]], Awaitable[None]],
    refuse: Callable[[T, DBAPIError], None],
) -> None:
    """`store(items)` at once; when the data of a record makes the database refuse that,
    `store([item])` for each, and `refuse(item, error)` for those it still refuses."""
    if not items:
        return
    try:
        async with uow.savepoint():
            await store(items)
        return
    except DBAPIError as err:
        if not caused_by_record(err):
            raise
    for item in items:
        try:
            async with uow.savepoint():
                await store([item])
        except DBAPIError as err:
            if not caused_by_record(err):
                raise
            refuse(item, err)

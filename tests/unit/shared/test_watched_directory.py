"""The watched directory on a real filesystem: only regular files, nothing followed, files
still being written left alone, and one bad file never stopping the others."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from pnm.shared.files import FileFormatError, take_dropped_files
from pnm.shared.watched import UnusableDirectory

AN_HOUR_AGO = time.time() - 3600


class Taker:
    """Records what it was given; fails for the names it is told to."""

    def __init__(self, failing: dict[str, Exception] | None = None) -> None:
        self.failing = failing or {}
        self.taken: dict[str, bytes] = {}

    async def __call__(self, name: str, content: bytes) -> dict[str, Any]:
        if name in self.failing:
            raise self.failing[name]
        self.taken[name] = content
        return {"sha256": hashlib.sha256(content).hexdigest(), "name": name}


def drop(directory: Path, name: str, content: str = "{}\n", age: float = 3600) -> Path:
    path = directory / name
    path.write_text(content)
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


async def test_a_poison_file_between_two_good_ones_goes_to_failed_alone(inbox: Path) -> None:
    for name in ("a.jsonl", "b.jsonl", "c.jsonl"):
        drop(inbox, name, f'{{"file": "{name}"}}\n')
    take = Taker({"b.jsonl": ValueError("cannot convert float infinity to integer")})
    assert await take_dropped_files(inbox, take) == 2
    assert sorted(take.taken) == ["a.jsonl", "c.jsonl"]
    assert names(inbox) == ["failed", "processed"]
    assert names(inbox / "failed") == ["b.jsonl", "b.jsonl.error.txt"]
    reason = (inbox / "failed" / "b.jsonl.error.txt").read_text()
    assert "ValueError('cannot convert float infinity to integer')" in reason
    assert len(list((inbox / "processed").glob("*.result.json"))) == 2


async def test_an_unreadable_file_says_why(inbox: Path) -> None:
    drop(inbox, "x.csv", "a,b\n")
    take = Taker({"x.csv": FileFormatError("CSV header lacks column(s): reference")})
    assert await take_dropped_files(inbox, take) == 0
    note = (inbox / "failed" / "x.csv.error.txt").read_text()
    assert note == "CSV header lacks column(s): reference\n"


async def test_a_database_outage_leaves_every_file_for_the_next_round(inbox: Path) -> None:
    drop(inbox, "a.jsonl")
    outage = OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))
    with pytest.raises(OperationalError):
        await take_dropped_files(inbox, Taker({"a.jsonl": outage}))
    assert names(inbox) == ["a.jsonl", "failed", "processed"]
    assert names(inbox / "failed") == []


async def test_a_link_to_an_outside_file_is_not_followed(inbox: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"password": "hunter2"}\n')
    (inbox / "link.jsonl").symlink_to(secret)
    (inbox / "dangling.jsonl").symlink_to(tmp_path / "nowhere")
    (inbox / "dir-link.jsonl").symlink_to(tmp_path)
    drop(inbox, "good.jsonl")
    take = Taker()
    assert await take_dropped_files(inbox, take) == 1
    assert list(take.taken) == ["good.jsonl"]
    failed = inbox / "failed"
    for name in ("link.jsonl", "dangling.jsonl", "dir-link.jsonl"):
        assert (failed / name).is_symlink()  # the link itself, moved
        assert "symbolic link" in (failed / f"{name}.error.txt").read_text()
    assert secret.read_text() == '{"password": "hunter2"}\n'
    assert not any("hunter2" in p.read_text() for p in (inbox / "processed").iterdir())


@pytest.mark.parametrize("sub", ["failed", "processed"])
async def test_a_subdirectory_replaced_by_a_link_is_never_written_through(
    inbox: Path, tmp_path: Path, sub: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (inbox / sub).symlink_to(elsewhere, target_is_directory=True)
    drop(inbox, "a.jsonl")
    take = Taker({"a.jsonl": ValueError("poison")} if sub == "failed" else None)
    with pytest.raises(UnusableDirectory, match=f"{sub}/ of the watched directory"):
        await take_dropped_files(inbox, take)
    assert take.taken == {}
    assert names(elsewhere) == []
    assert "a.jsonl" in names(inbox)


async def test_a_file_written_in_place_waits_for_the_quiet_period(inbox: Path) -> None:
    fresh = drop(inbox, "fresh.jsonl", age=0)
    drop(inbox, "old.jsonl")
    take = Taker()
    assert await take_dropped_files(inbox, take, quiet_seconds=60) == 1
    assert list(take.taken) == ["old.jsonl"]
    assert fresh.exists()
    os.utime(fresh, (AN_HOUR_AGO, AN_HOUR_AGO))  # the writer finished an hour ago
    assert await take_dropped_files(inbox, take, quiet_seconds=60) == 1
    assert "fresh.jsonl" in take.taken


async def test_tmp_and_dot_files_are_never_read(inbox: Path) -> None:
    drop(inbox, "export.jsonl.tmp")
    drop(inbox, ".hidden.jsonl")
    take = Taker()
    assert await take_dropped_files(inbox, take) == 0
    assert names(inbox) == [".hidden.jsonl", "export.jsonl.tmp", "failed", "processed"]


async def test_a_pipe_is_refused_without_being_opened(inbox: Path) -> None:
    os.mkfifo(inbox / "pipe.jsonl")
    assert await take_dropped_files(inbox, Taker()) == 0
    assert "not a regular file" in (inbox / "failed" / "pipe.jsonl.error.txt").read_text()


async def test_a_name_seen_before_in_failed_is_not_overwritten(inbox: Path) -> None:
    take = Taker({"x.jsonl": ValueError("first")})
    drop(inbox, "x.jsonl", "1\n")
    await take_dropped_files(inbox, take)
    take.failing["x.jsonl"] = ValueError("second")
    drop(inbox, "x.jsonl", "2\n")
    await take_dropped_files(inbox, take)
    failed = inbox / "failed"
    assert (failed / "x.jsonl").read_text() == "1\n"
    assert (failed / "x.jsonl.1").read_text() == "2\n"
    assert "second" in (failed / "x.jsonl.1.error.txt").read_text()


async def test_a_long_name_is_cut_to_fit_beside_its_note(inbox: Path) -> None:
    long = "x" * 240 + ".jsonl"
    drop(inbox, long)
    drop(inbox, "z.jsonl")
    take = Taker()
    assert await take_dropped_files(inbox, take) == 2
    assert names(inbox) == ["failed", "processed"]
    processed = names(inbox / "processed")
    assert len(processed) == 4
    assert all(len(name.encode()) <= 255 for name in processed)

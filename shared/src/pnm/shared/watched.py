"""A watched (drop) directory, handled so that what lands there cannot lead us astray.

Only regular files are read: a symbolic link, pipe or device is never opened and never followed
(it is moved, as itself, to failed/). Every name is resolved relative to a descriptor of the
directory, opened with O_NOFOLLOW, and processed/ and failed/ are opened once per round the same
way, so swapping a file or a subdirectory for a link between our steps leads nowhere else.
A file is left alone while it may still be being written: `*.tmp` and dot files never count,
and a file written in place must have been quiet (unchanged mtime) for a set time and must not
change while it is read."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUBDIRECTORIES = ("processed", "failed")
ERROR_FILE_CHARS = 4_000  # enough for any error; an error quoting a whole row is cut here
NAME_MAX_BYTES = 255  # a file name on Linux file systems


class Unreadable(Exception):
    """Not a file we may read (a link, a pipe, a device, no permission): it goes to failed/."""


class NotReady(Exception):
    """The file is still being written (or vanished): it is left for a later round."""


class UnusableDirectory(Exception):
    """The watched directory or one of its subdirectories is not a plain directory."""


@dataclass(frozen=True)
class WatchedDirectory:
    fd: int
    processed: int
    failed: int

    @classmethod
    @contextlib.contextmanager
    def open(cls, directory: Path) -> Iterator[WatchedDirectory]:
        """The directory (as configured: the operator's path may be a link) and its processed/
        and failed/ subdirectories (created if missing; never links), by descriptor."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as err:
            raise UnusableDirectory(
                f"cannot open the watched directory {directory}: {err}"
            ) from err
        subdirectories: list[int] = []
        try:
            for name in SUBDIRECTORIES:
                subdirectories.append(_subdirectory(fd, name))
            yield cls(fd, *subdirectories)
        finally:
            for descriptor in (*subdirectories, fd):
                os.close(descriptor)

    def waiting(self, quiet_seconds: float) -> list[str]:
        """Names to try this round, in name order: every entry but subdirectories, `*.tmp`,
        dot files and regular files modified within the last `quiet_seconds`."""
        now = time.time()
        names = []
        with os.scandir(self.fd) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith(".tmp"):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime < quiet_seconds:
                    continue
                names.append(entry.name)
        return sorted(names)

    def read(self, name: str, quiet_seconds: float) -> bytes:
        """The content of a regular file that did not change while it was read."""
        try:
            before = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError as err:
            raise NotReady(f"{name} vanished") from err
        _check_regular(before.st_mode)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self.fd)
        except FileNotFoundError as err:
            raise NotReady(f"{name} vanished") from err
        except OSError as err:
            if err.errno == errno.ELOOP:  # replaced by a link since we looked
                raise Unreadable("a symbolic link: only regular files are read") from err
            raise Unreadable(f"cannot open the file: {err.strerror}") from err
        with os.fdopen(fd, "rb") as file:
            opened = os.fstat(fd)
            _check_regular(opened.st_mode)
            if time.time() - opened.st_mtime < quiet_seconds:
                raise NotReady(f"{name} was written to within the quiet period")
            content = file.read()
            after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (opened.st_size, opened.st_mtime_ns) or len(
            content
        ) != after.st_size:
            raise NotReady(f"{name} changed while it was read")
        return content

    def done(self, name: str, target: str, result: dict[str, Any]) -> None:
        """Move the file to processed/ as `target`, its result beside it."""
        note = json.dumps(result, indent=2, default=str)
        self._file_away(name, self.processed, target, ".result.json", note)

    def fail(self, name: str, reason: str) -> None:
        """Move the entry (a link as itself) to failed/, the reason beside it."""
        self._file_away(name, self.failed, name, ".error.txt", reason[:ERROR_FILE_CHARS] + "\n")

    def _file_away(self, name: str, into: int, target: str, suffix: str, note: str) -> None:
        target = _free_name(into, _fitting(target, suffix), suffix)
        os.rename(name, target, src_dir_fd=self.fd, dst_dir_fd=into)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(target + suffix, flags, 0o644, dir_fd=into), "wb") as file:
            file.write(note.encode("utf-8", "replace"))


def _subdirectory(parent: int, name: str) -> int:
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, dir_fd=parent)
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
    except OSError as err:
        raise UnusableDirectory(
            f"{name}/ of the watched directory is not a plain directory (a link?): {err.strerror}"
        ) from err


def _check_regular(mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise Unreadable("a symbolic link: only regular files are read")
    if not stat.S_ISREG(mode):
        raise Unreadable("not a regular file (a pipe, socket or device): only files are read")


def _exists(directory: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _fitting(target: str, suffix: str) -> str:
    """`target`, cut so that it, a `.<n>` and `suffix` fit in a file name."""
    room = NAME_MAX_BYTES - len(suffix.encode()) - len(".999")
    raw = os.fsencode(target)
    return target if len(raw) <= room else os.fsdecode(raw[:room])


def _free_name(directory: int, target: str, suffix: str) -> str:
    """`target`, or `target.1`, `target.2`, ... when a file of that name is there already."""
    candidate, n = target, 0
    while _exists(directory, candidate) or _exists(directory, candidate + suffix):
        n += 1
        candidate = f"{target}.{n}"
    return candidate

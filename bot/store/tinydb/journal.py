"""The durable inbox: an append-only, crash-safe log of acknowledged events.

Acknowledging a webhook must not wait for the whole TinyDB file to be rewritten
(that costs time in proportion to the database). Instead the event is appended
here, fsync'd, and only then acknowledged; it is applied to the database
afterwards, and on startup everything after the last applied sequence number is
replayed from here.

The cost of an append is one small write plus one fsync, whatever the size of the
database, and concurrent appenders share that fsync (group commit): whoever finds
no commit in progress becomes the leader, writes every queued line with a single
write and a single fsync, and wakes the others. No background thread.

On disk: segment files ``journal-<first seq:012d>.jsonl`` (mode 0600), one line
``{"seq": n, "record": {...}}`` per record, sequence numbers contiguous across
segments. Only the newest segment can end in a torn line (older ones were fsync'd
before the next was created); that line was never acknowledged and is cut off on
open. Anything else that does not parse is corruption and stops the open.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.store.tinydb.atomic_file import fsync_dir

log = logging.getLogger(__name__)

_SEGMENT = re.compile(r"journal-(\d{12})\.jsonl")


class JournalError(Exception):
    """The journal cannot take or give records (closed, or an earlier write failed)."""


class JournalCorruptError(JournalError):
    """A segment holds something other than the expected records; never guess past it."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(f"journal segment {path} is corrupt: {detail}")


def segment_name(first_seq: int) -> str:
    return f"journal-{first_seq:012d}.jsonl"


def segment_starts(directory: Path) -> list[int]:
    """The first sequence number of each segment in `directory`, in order (none before it exists)."""
    if not directory.exists():
        return []
    return sorted(int(m.group(1)) for name in os.listdir(directory) if (m := _SEGMENT.fullmatch(name)))


def parse_line(line: bytes, expected_seq: int, path: Path, lineno: int) -> dict[str, Any]:
    """The record of one line, checked to be the next in sequence."""
    try:
        entry = json.loads(line)
    except ValueError as exc:
        raise JournalCorruptError(path, f"line {lineno} is not JSON ({exc})") from exc
    if not (isinstance(entry, dict) and isinstance(entry.get("record"), dict)):
        raise JournalCorruptError(path, f"line {lineno} is not a journal entry")
    if entry.get("seq") != expected_seq:
        raise JournalCorruptError(path, f"line {lineno} has seq {entry.get('seq')!r}, not {expected_seq}")
    return entry["record"]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_journal(directory: Path, *, after: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(seq, record) for every complete record after `after`, read-only, beside the process that appends.

    No lock and no repair: a last line without its newline is a write in progress, left alone and
    not returned. A segment deleted while reading (applied meanwhile) raises FileNotFoundError.
    """
    segments = segment_starts(directory)
    for first, following in zip(segments, [*segments[1:], None], strict=False):
        if following is not None and following - 1 <= after:
            continue
        path = directory / segment_name(first)
        data = path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        for lineno, line in enumerate(complete.split(b"\n")[:-1], start=1):
            seq = first + lineno - 1
            if seq > after:
                yield seq, parse_line(line, seq, path, lineno)


class Journal:
    """Append-only JSON-lines log with group commit; see the module docstring.

    `batch_ready` is a test hook: the leader waits (on a condition variable, woken
    by each new append) until ``batch_ready(number of queued records)`` is true
    before committing, which makes batching deterministic in tests.
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_segment_bytes: int = 4 * 1024 * 1024,
        batch_ready: Callable[[int], bool] | None = None,
    ) -> None:
        self._dir = Path(directory)
        self._max_segment_bytes = max_segment_bytes
        self._batch_ready = batch_ready or (lambda queued: True)
        self._lock = threading.Lock()
        self._committed = threading.Condition(self._lock)  # followers wait here for their fsync
        self._enqueued = threading.Condition(self._lock)  # a leader waits here for batch_ready
        self._queue: list[bytes] = []  # lines with sequence numbers, not yet written
        self._leading = False
        self._closed = False
        self._failed: BaseException | None = None
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._segments = segment_starts(self._dir)
        if not self._segments:
            self._segments = [1]
            self._next_seq = 1
        else:
            self._next_seq = self._replay()
        self._durable_seq = self._next_seq - 1
        self._fd, self._segment_size = self._open_segment(self._segments[-1])

    def _path(self, first_seq: int) -> Path:
        return self._dir / segment_name(first_seq)

    def _replay(self) -> int:
        """Check every segment, cut a torn last line off the newest; return the next sequence number."""
        expected = self._segments[0]
        for first in self._segments:
            path = self._path(first)
            if first != expected:
                raise JournalCorruptError(path, f"starts at seq {first}, expected {expected}")
            data = path.read_bytes()
            complete = data.rfind(b"\n") + 1
            if complete < len(data):
                if first != self._segments[-1]:
                    raise JournalCorruptError(path, "unterminated line in a segment that is not the newest")
                log.warning("journal %s: cutting off a torn last line (%d bytes)", path, len(data) - complete)
                with open(path, "r+b") as fh:
                    fh.truncate(complete)
                    os.fsync(fh.fileno())
            for lineno, line in enumerate(data[:complete].split(b"\n")[:-1], start=1):
                parse_line(line, expected, path, lineno)
                expected += 1
        return expected

    def _open_segment(self, first_seq: int) -> tuple[int, int]:
        """Open (creating if need be) the segment appends go to; return its fd and size."""
        path = self._path(first_seq)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if created:
            fsync_dir(self._dir)
        return fd, os.fstat(fd).st_size

    def append(self, record: dict[str, Any]) -> int:
        """Durably store `record` and return its sequence number; blocks until it is fsync'd."""
        if not isinstance(record, dict):
            raise TypeError(f"a journal record is a dict, not {type(record).__name__}")
        # ASCII-only JSON: one line per record whatever the text holds (even lone surrogates).
        body = json.dumps(record, separators=(",", ":"), allow_nan=False)
        with self._lock:
            if self._closed:
                raise JournalError("journal is closed")
            if self._failed is not None:
                raise JournalError("journal write failed; restart to recover") from self._failed
            seq = self._next_seq
            self._next_seq += 1
            self._queue.append(b'{"seq":%d,"record":%s}\n' % (seq, body.encode("ascii")))
            self._enqueued.notify()
            while self._durable_seq < seq:
                if self._failed is not None:
                    raise JournalError("journal write failed; restart to recover") from self._failed
                if self._leading:
                    self._committed.wait()
                else:
                    self._lead()
            return seq

    def _lead(self) -> None:
        """Commit everything queued with one write and one fsync. Called, and returns, with the lock held."""
        self._leading = True
        try:
            while not self._batch_ready(len(self._queue)):
                self._enqueued.wait()
            batch, self._queue = self._queue, []
            last_seq = self._next_seq - 1
            self._lock.release()
            try:
                self._write_batch(b"".join(batch), first_seq=last_seq - len(batch) + 1)
            finally:
                self._lock.acquire()
            self._durable_seq = last_seq
        except BaseException as exc:
            # After a failed write or fsync the file's contents are unknown, and a
            # later batch must never mark this one durable: stop here; a restart
            # replays what did reach the disk.
            self._failed = exc
            self._queue.clear()
            if not isinstance(exc, OSError):
                raise
        finally:
            self._leading = False
            self._committed.notify_all()

    def _write_batch(self, data: bytes, first_seq: int) -> None:
        """Only ever run by the leader, so the segment fd is not shared."""
        if self._segment_size and self._segment_size + len(data) > self._max_segment_bytes:
            fd, self._segment_size = self._open_segment(first_seq)
            os.close(self._fd)
            self._fd = fd
            with self._lock:
                self._segments.append(first_seq)
        _write_all(self._fd, data)
        os.fsync(self._fd)
        self._segment_size += len(data)

    @property
    def durable_seq(self) -> int:
        """Every record up to this sequence number is on disk."""
        with self._lock:
            return self._durable_seq

    def read_after(self, seq: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield (seq, record) for every durable record after `seq`, in order."""
        with self._lock:
            if self._closed:
                raise JournalError("journal is closed")
            segments = list(self._segments)
            last_seq = self._durable_seq
        ends = [*(nxt - 1 for nxt in segments[1:]), last_seq]
        for first, end in zip(segments, ends, strict=True):
            if end <= seq:
                continue
            path = self._path(first)
            with open(path, "rb") as fh:
                for lineno, line in enumerate(fh, start=1):
                    current = first + lineno - 1
                    if current > last_seq:
                        return
                    record = parse_line(line, current, path, lineno)
                    if current > seq:
                        yield current, record

    def discard_through(self, seq: int) -> None:
        """Delete the segments whose records are all <= `seq` (already applied); never the newest one,
        which also carries the sequence number across restarts."""
        with self._lock:
            keep = 0
            while keep < len(self._segments) - 1 and self._segments[keep + 1] - 1 <= seq:
                keep += 1
            doomed, self._segments = self._segments[:keep], self._segments[keep:]
        for first in doomed:
            self._path(first).unlink()
            # One at a time and in order, so a crash can only leave a suffix of the log.
            fsync_dir(self._dir)

    def close(self) -> None:
        """Wait for in-flight commits, then release the segment file; later calls raise JournalError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            while self._leading or self._queue:
                self._committed.wait()
            os.close(self._fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

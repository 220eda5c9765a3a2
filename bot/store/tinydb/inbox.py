"""The TinyDB store's `Inbox`: the journal, and the checkpoint in meta saying how far it is applied.

One process applies the journal in order, so a checkpoint is all it needs: the last applied sequence
number, stored with the effects it produced (a crash replays what comes after it).
"""

from __future__ import annotations

import threading
from itertools import islice, pairwise
from pathlib import Path
from typing import Any

from bot.store.ports import INBOX_CHECKPOINT, Meta
from bot.store.tinydb.atomic_file import fsync_dir
from bot.store.tinydb.journal import Journal, JournalError, parse_line, segment_name, segment_starts


class JournalInbox(Journal):
    def __init__(self, directory: Path, meta: Meta) -> None:
        super().__init__(directory)
        self._meta = meta

    def append(self, record: dict[str, Any], key: str = "") -> int:
        """Durably journal `record`; `key` is not needed: one process applies in journal order."""
        return super().append(record)

    def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        return list(islice(self.read_after(self.checkpoint()), limit))

    def applied(self, seq: int) -> None:
        self._meta.set(INBOX_CHECKPOINT, seq)

    def discard_applied(self) -> None:
        self.discard_through(self.checkpoint())

    def checkpoint(self) -> int:
        return int(self._meta.get(INBOX_CHECKPOINT, 0))


class JournalTail:
    """The inbox of a bot whose callbacks another process journals (the acknowledging front, see
    bot/front.py): read up to what that process says is on disk, applied here, old segments removed.

    Only records the writer reported durable are read: a line already written but not yet fsync'd could
    vanish in a power cut, and applying it would let a later record reuse its sequence number past the
    checkpoint. Never the newest segment is removed: the writer appends to it and it carries the sequence
    number across restarts.
    """

    def __init__(self, directory: Path, meta: Meta) -> None:
        self._dir = directory
        self._meta = meta
        self._lock = threading.Lock()
        self._durable = 0
        self._positions: dict[int, tuple[int, int]] = {}  # seq -> (segment, offset) of the last read

    def durable_through(self, seq: int) -> None:
        """The writer says every record up to `seq` is on disk (reports may arrive out of order)."""
        with self._lock:
            self._durable = max(self._durable, seq)

    @property
    def durable(self) -> int:
        with self._lock:
            return self._durable

    def append(self, record: dict[str, Any], key: str = "") -> int:
        raise JournalError("this process does not journal callbacks: the front process does")

    def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Up to `limit` durable records after the checkpoint, read from where the last call stopped (a
        segment is read from the record's offset, not parsed again from its start on every call)."""
        seq, durable = self.checkpoint() + 1, self.durable
        position = self._positions.get(seq) or self._find(seq)
        if position is None:
            return []
        segment, offset = position
        found: list[tuple[int, dict[str, Any]]] = []
        positions: dict[int, tuple[int, int]] = {}
        while len(found) < limit and seq <= durable:
            path = self._dir / segment_name(segment)
            with open(path, "rb") as fh:
                fh.seek(offset)
                for line in fh:
                    if len(found) >= limit or seq > durable or not line.endswith(b"\n"):
                        break
                    positions[seq] = (segment, offset)
                    found.append((seq, parse_line(line, seq, path, seq - segment + 1)))
                    offset += len(line)
                    seq += 1
            if len(found) >= limit or seq > durable or seq not in segment_starts(self._dir):
                break
            segment, offset = seq, 0  # this segment is done; the next one starts at seq
        positions[seq] = (segment, offset)
        self._positions = positions
        return found

    def _find(self, seq: int) -> tuple[int, int] | None:
        """Where record `seq` starts: its segment and byte offset (at start, or after a rollback)."""
        segments = [first for first in segment_starts(self._dir) if first <= seq]
        if not segments:
            return None
        segment = segments[-1]
        offset = 0
        with open(self._dir / segment_name(segment), "rb") as fh:
            for _ in range(seq - segment):
                line = fh.readline()
                if not line.endswith(b"\n"):
                    return None
                offset += len(line)
        return segment, offset

    def applied(self, seq: int) -> None:
        self._meta.set(INBOX_CHECKPOINT, seq)

    def discard_applied(self) -> None:
        applied = self.checkpoint()
        segments = segment_starts(self._dir)
        for first, following in pairwise(segments):
            if following - 1 > applied:
                break
            (self._dir / segment_name(first)).unlink(missing_ok=True)
            fsync_dir(self._dir)  # one at a time and in order: a crash leaves a suffix of the log
            self._positions = {}  # a remembered position may have been in it

    def checkpoint(self) -> int:
        return int(self._meta.get(INBOX_CHECKPOINT, 0))

    def close(self) -> None:
        """Nothing held open: the writer owns the files."""

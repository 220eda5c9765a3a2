"""Acknowledged callbacks -> applied snapshots, in the order they were received.

The HTTP handler only journals an event (durably) and answers; this worker
does the slow part (detail reads, user mapping, planning) after the answer.
The last applied journal sequence is stored with the state it produced, so a
crash replays exactly the events whose effects were not yet committed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from bot.model import Snapshot, dedupe_key
from bot.service import ApprovalService

log = logging.getLogger(__name__)

CHECKPOINT = "inbox_applied_seq"

Decoder = Callable[[dict[str, Any]], Snapshot | None]


class InboxProcessor:
    def __init__(
        self,
        service: ApprovalService,
        decoders: dict[str, Decoder],
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.service = service
        self.store = service.store
        self.decoders = decoders
        self.on_queued = on_queued
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._applied = self.store.meta(CHECKPOINT, 0)

    def record(self, source: str, payload: dict[str, Any]) -> int:
        """Durably journal one received event; returns once it is on disk."""
        seq = self.store.inbox.append({"source": source, **payload})
        self._wake.set()
        return seq

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="inbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the event in hand; the rest is replayed from the journal on the next start."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("inbox loop error")
            self._wake.wait(timeout=5.0)
            self._wake.clear()

    def run_once(self) -> int:
        """Apply every journaled event not applied yet; returns how many were handled."""
        handled = 0
        for seq, record in self.store.inbox.read_after(self._applied):
            if self._stopping.is_set():
                break
            self._apply(record)
            with self.store.transaction():
                self.store.set_meta(CHECKPOINT, seq)
            self._applied = seq
            handled += 1
        if handled:
            self.store.inbox.discard_through(self._applied)
            self.on_queued()
        with self._idle:
            self._idle.notify_all()
        return handled

    def _apply(self, record: dict[str, Any]) -> None:
        decoder = self.decoders.get(record.get("source", ""))
        if decoder is None:
            log.error("journal record from an unknown source skipped", extra={"source": record.get("source")})
            return
        try:
            snap = decoder(record)
        except ValueError as exc:
            log.error("journal record could not be decoded", extra={"error": str(exc)})
            return
        if snap is None:
            return
        key = dedupe_key(snap)
        if self.store.seen(key):
            log.info("duplicate delivery ignored", extra={"event": key})
            return
        result = self.service.apply_snapshot(self.service.complete(snap))
        with self.store.transaction():
            self.store.remember(key)
        log.info("event applied", extra={"event": key, "result": result.status})

    @property
    def applied_seq(self) -> int:
        return self._applied

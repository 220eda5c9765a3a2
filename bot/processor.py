"""Acknowledged callbacks -> applied snapshots, in the order they were received.

The HTTP handler only journals an event (durably) and answers; this worker
does the slow part (detail reads, user mapping, planning) after the answer.
The last applied journal sequence is stored with the state it produced, so a
crash replays exactly the events whose effects were not yet committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from itertools import islice
from typing import Any

from bot.model import Snapshot, dedupe_key
from bot.service import ApprovalService
from bot.worker import Worker

log = logging.getLogger(__name__)

CHECKPOINT = "inbox_applied_seq"
BATCH = 200  # events per group commit

Decoder = Callable[[dict[str, Any]], Snapshot | None]


class InboxProcessor(Worker):
    name = "inbox"

    def __init__(
        self,
        service: ApprovalService,
        decoders: dict[str, Decoder],
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__()
        self.service = service
        self.store = service.store
        self.decoders = decoders
        self.on_queued = on_queued
        self._applied = self.store.meta(CHECKPOINT, 0)

    def record(self, source: str, payload: dict[str, Any]) -> int:
        """Durably journal one received event; returns once it is on disk."""
        seq = self.store.inbox.append({"source": source, **payload})
        self.wake()
        return seq

    def run_once(self) -> None:
        self.apply_pending()

    def apply_pending(self) -> int:
        """Apply every journaled event not applied yet; returns how many were handled.

        Events are applied one by one but written in groups (one atomic write per batch), so
        a burst of callbacks does not rewrite the hot file once per event.
        """
        handled = 0
        while not self.stopping:
            batch = list(islice(self.store.inbox.read_after(self._applied), BATCH))
            if not batch:
                break
            for seq, record in batch:
                self._apply(seq, record)
                if self.stopping:
                    break
            self.store.commit()
            self.store.inbox.discard_through(self._applied)
            handled += len(batch)
            self.on_queued()
        return handled

    def _apply(self, seq: int, record: dict[str, Any]) -> None:
        """Slow work (detail reads, user lookups) first, then state, dedupe key and checkpoint together."""
        snap, key = self._decode(record)
        prepared = None
        if snap is not None and not self.store.seen(key):
            snap = self.service.complete(snap)
            prepared = (snap, self.service.resolve_people(snap))
        with self.store.transaction(commit=False):
            if prepared is not None and not self.store.seen(key):
                self.service.apply_snapshot(*prepared)
                self.store.remember(key)
            elif snap is not None:
                log.info("duplicate delivery ignored", extra={"event": key})
            self.store.set_meta(CHECKPOINT, seq)
        self._applied = seq

    def _decode(self, record: dict[str, Any]) -> tuple[Snapshot | None, str]:
        decoder = self.decoders.get(record.get("source", ""))
        if decoder is None:
            log.error("journal record from an unknown source skipped", extra={"source": record.get("source")})
            return None, ""
        try:
            snap = decoder(record)
        except ValueError as exc:
            log.error("journal record could not be decoded", extra={"error": str(exc)})
            return None, ""
        return snap, dedupe_key(snap) if snap is not None else ""

    @property
    def applied_seq(self) -> int:
        return self._applied

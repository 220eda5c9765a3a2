"""Acknowledged callbacks -> applied snapshots, in the order they were received.

The HTTP handler only journals an event (durably) and answers; this worker
does the slow part (detail reads, user mapping, planning) after the answer.
The last applied journal sequence is stored with the state it produced, so a
crash replays exactly the events whose effects were not yet committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.directory import LookupUnavailable
from bot.model import Snapshot, dedupe_key
from bot.service import ApprovalService
from bot.store import Decoder, StoreUnavailableError
from bot.worker import Worker

log = logging.getLogger(__name__)

BATCH = 200  # events per group commit
OUTAGE_PATIENCE = 6  # lookup attempts (5 s, 10 s, ... about 5 min) before notifying whoever is known
MAX_RETRY_WAIT = 300.0
STORE_RETRY_WAIT = 1.0


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
        self._applied = self.store.inbox.checkpoint()
        self._attempts: dict[int, int] = {}  # seq -> lookups that failed for it
        self._poisoned: set[int] = set()  # seqs that raised while being applied: skipped
        self._retry_in: float | None = None

    def record(self, source: str, payload: dict[str, Any]) -> int:
        """Durably journal one received event; returns once it is on disk."""
        record = {"source": source, **payload}
        snap, _key = self._decode(record)
        seq = self.store.inbox.append(record, key=snap.key if snap is not None else "")
        self.wake()
        return seq

    def run_once(self) -> float | None:
        self.apply_pending()
        return self._retry_in

    def apply_pending(self) -> int:
        """Apply every journaled event not applied yet; returns how many were handled.

        Events are applied one by one but written in groups (one atomic write per batch), so
        a burst of callbacks does not rewrite the hot file once per event. An event whose
        people cannot be looked up right now holds the queue (order matters) and is tried
        again with backoff; after OUTAGE_PATIENCE attempts it goes out to whoever is known.
        """
        handled = 0
        self._retry_in = None
        while not self.stopping:
            generation = self.store.generation
            batch = self.store.inbox.pending(BATCH)
            if not batch:
                break
            for seq, record in batch:
                outcome = self._apply(seq, record)
                if outcome != "applied" or self.store.generation != generation or self.stopping:
                    break
                handled += 1
            if self.store.generation != generation:  # rolled back here or elsewhere: replay
                self._applied = self.store.inbox.checkpoint()
                continue
            self.store.commit()
            self.store.inbox.discard_applied()
            self.on_queued()
            if outcome == "deferred":
                break
        return handled

    def _apply(self, seq: int, record: dict[str, Any]) -> str:
        """Slow work (detail reads, user lookups) first, then state, dedupe key and checkpoint together.

        Returns "applied", "deferred" (try later) or "rolled back" (this event was skipped).
        """
        snap, key = self._decode(record)
        prepared = None
        try:
            if snap is not None and seq not in self._poisoned and not self.store.dedupe.seen(key):
                snap = self.service.complete(snap)
                out_of_patience = self._attempts.get(seq, 0) >= OUTAGE_PATIENCE
                prepared = (snap, self.service.resolve_people(snap, tolerate_outage=out_of_patience))
            with self.store.transaction(commit=False):
                if prepared is not None and not self.store.dedupe.seen(key):
                    self.service.apply_snapshot(*prepared)
                    self.store.dedupe.remember(key)
                elif snap is not None and seq not in self._poisoned:
                    log.info("duplicate delivery ignored", extra={"event": key})
                self.store.inbox.applied(seq)
        except StoreUnavailableError as exc:  # passing: the event stays pending, nothing was stored
            self._retry_in = STORE_RETRY_WAIT
            log.warning("the store cannot answer now; will retry", extra={"event": key, "error": str(exc)})
            return "deferred"
        except LookupUnavailable as exc:
            attempts = self._attempts[seq] = self._attempts.get(seq, 0) + 1
            self._retry_in = min(MAX_RETRY_WAIT, 5.0 * 2 ** (attempts - 1))
            log.warning(
                "people on an approval cannot be looked up now; will retry",
                extra={"event": key, "attempts": attempts, "retry_in": self._retry_in, "error": str(exc)},
            )
            return "deferred"
        except Exception:
            # a bug or data the code did not foresee: skip this one event, keep the rest flowing
            log.exception("event could not be applied; skipped", extra={"event": key, "seq": seq})
            self._poisoned.add(seq)
            return "rolled back"
        self._attempts.pop(seq, None)
        self._poisoned.discard(seq)
        self._applied = seq
        return "applied"

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

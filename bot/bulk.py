"""Approving several embedded-engine requests at once: an approver with twenty small requests clears
them with one confirmation.

Each request goes through the same `Decider.act` as a single approval, one after the other, so each is
recorded, told and audited exactly as if it had been approved alone; a request that moved on meanwhile
(a colleague decided, the applicant revoked it) is refused by the engine and reported, never forced.
The approver hears the outcome of all of them in one message, and the audit channel gets one summary
line beside the lines of the decisions themselves; both wait in the outbox like any notice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from bot.model import Snapshot
from bot.provider_ports import Decider, NotAllowed, UnknownApproval
from bot.store import Store

log = logging.getLogger(__name__)

MAX_TOGETHER = 20  # what App Home offers at once: its "waiting for me" list shows the newest 20


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one request of a bulk approval: approved (`refused` empty), or why not in the
    engine's words (`NotAllowed.reason`, or "unknown") with who settled it first, when known."""

    key: str
    number: str
    template_name: str
    refused: str = ""
    decided_by: str | None = None
    decided_at: int | None = None
    status: int | None = None  # the request's status when it was refused for being finished


class BulkApprovals:
    def __init__(self, decider: Decider, store: Store, audit_channel: str = "") -> None:
        self.decider = decider
        self.store = store
        self.audit_channel = audit_channel

    def approve(self, actor: str, keys: Iterable[str], speech: str = "") -> list[BulkOutcome]:
        """Approves each of `keys` (at most MAX_TOGETHER, each once) as `actor`, then queues the
        outcome for them and a summary line for the audit channel."""
        outcomes = [self._one(actor, key, speech) for key in list(dict.fromkeys(keys))[:MAX_TOGETHER]]
        approved = sum(1 for outcome in outcomes if not outcome.refused)
        with self.store.transaction():
            self.store.outbox.enqueue(
                {
                    "approval_key": f"bulk:{actor}",
                    "user": actor,
                    "kind": "bulk",
                    "notice": {"outcomes": [asdict(outcome) for outcome in outcomes]},
                }
            )
            if self.audit_channel:
                summary = {"actor": actor, "count": len(outcomes), "approved": approved}
                self.store.outbox.enqueue(
                    {
                        "approval_key": f"bulk:{actor}",
                        "channel": self.audit_channel,
                        "kind": "audit",
                        "notice": {"bulk": summary},
                    }
                )
        log.info("bulk approval", extra={"count": len(outcomes), "approved": approved})
        return outcomes

    def _one(self, actor: str, key: str, speech: str) -> BulkOutcome:
        number = key.partition(":")[2] or key
        try:
            snap = self.decider.act(key, actor, "approve", speech=speech)
        except NotAllowed as exc:
            now = self._current(key)
            name = now.template_name if now else ""
            status = int(now.status) if now and exc.reason == "final" else None
            return BulkOutcome(key, number, name, exc.reason, exc.decided_by, exc.decided_at, status)
        except UnknownApproval:
            return BulkOutcome(key, number, "", "unknown")
        return BulkOutcome(key, snap.number, snap.template_name)

    def _current(self, key: str) -> Snapshot | None:
        try:
            return self.decider.current(key)
        except UnknownApproval:
            return None

"""Deciding embedded-engine approvals: from a Slack button or an approve link to a new state.

Each decision reads the stored approval, moves it on with an engine function
and applies the result, all under the store's lock: two approvers clicking at
the same moment are applied one after the other, and the second sees the
first's decision (and is told "already decided by X"), never overwrites it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.away import Absence, absence_in_force
from bot.codec import snapshot_from_dict
from bot.model import Action, ApprovalStatus, Snapshot
from bot.provider_ports import UnknownApproval
from bot.providers.local import engine
from bot.service import ApprovalService
from bot.store import Store

OPERATIONS: dict[str, Callable[..., Snapshot]] = {
    "approve": engine.approve,
    "reject": engine.reject,
    "transfer": engine.transfer,
    "add_approver": engine.add_approver,
    "return": engine.return_to,
    "comment": engine.comment,
    "urge": engine.urge,
    "revoke": engine.revoke,
}


class Decisions:
    """The embedded engine's `Decider`."""

    def __init__(
        self,
        store: Store,
        service: ApprovalService,
        *,
        allow_self_approval: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.service = service
        self.allow_self_approval = allow_self_approval
        self.clock = clock

    def current(self, key: str) -> Snapshot:
        doc = self.store.approvals.get(key)
        if doc is None or not key.startswith("local:"):
            raise UnknownApproval(key)
        return snapshot_from_dict(doc["snapshot"])

    def act(self, key: str, actor: str, operation: str, **details: Any) -> Snapshot:
        """Applies one decision by `actor`; raises NotAllowed (with the reason) when they may not."""
        now = int(self.clock())
        with self.store.transaction():
            snap = self.current(key)
            if operation == "approve":
                details.setdefault("allow_self", self.allow_self_approval)
            if operation == "comment":
                details.setdefault("comment_id", uuid.uuid4().hex[:12])
            if operation == "urge":
                details["last_urged"] = self.store.meta.get(f"urged:{key}")
            new = OPERATIONS[operation](snap, actor, now=now, **details)
            new = engine.delegate_current(
                new, away_lookup(self.store, now), now, allow_self=self.allow_self_approval
            )
            if operation == "urge":
                self.store.meta.set(f"urged:{key}", now)
            self.service.apply_snapshot(new, self.service.resolve_people(new))  # Slack ids: no lookups
        return new

    def expire(self, key: str) -> Snapshot:
        """The system ends `key` as expired: an engine transition applied like any decision."""
        with self.store.transaction():
            new = engine.expire(self.current(key), int(self.clock()))
            self.service.apply_snapshot(new, self.service.resolve_people(new))
        return new

    def hand_over(self, absence: Absence) -> list[str]:
        """Someone just went away: the shares already waiting on them in the current steps go to their
        delegate now, each approval applied (and its cards sent) like any move; the keys it moved."""
        now = int(self.clock())
        moved = []
        for doc in self.store.approvals.open():
            if not doc["key"].startswith("local:") or absence.user not in doc.get("slack", {}).get(
                "waiting", []
            ):
                continue
            with self.store.transaction():
                snap = self.current(doc["key"])
                if snap.status is not ApprovalStatus.PENDING:
                    continue
                lookup = away_lookup(self.store, now)
                new = engine.delegate_current(snap, lookup, now, allow_self=self.allow_self_approval)
                if new != snap:  # a share handed on (转审), so an earlier urge is not sent again
                    new = replace(new, action=Action.TRANSFER, event_time=now)
                    self.service.apply_snapshot(new, self.service.resolve_people(new), handover=True)
                    moved.append(new.key)
        return moved


def away_lookup(store: Store, now: float) -> engine.AwayLookup:
    """Who is away at `now`, as the engine asks it: their delegate and when they are back."""

    def lookup(user: str) -> tuple[str, int] | None:
        absence = absence_in_force(store, user, now)
        return (absence.delegate, absence.until) if absence else None

    return lookup

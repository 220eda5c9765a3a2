"""Reminders: an approval that has waited on the same people too long gets a nudge.

"Waiting since" is the approval's last activity: the current step has waited
on the same approvers since then. Each approver is nudged once after
`remind_after_hours`, then at most every `remind_every_hours`, and never in
their night (their Slack time zone; `quiet_hours` such as "21-8"). A nudge
updates their card in place and posts a short new message (an edit alone
notifies nobody). When each approver was last nudged is kept with the
approval, so it moves to the archive with it.

Reminders and digests are queued as notices; the Slack edge renders them when it delivers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.codec import snapshot_from_dict, snapshot_to_dict
from bot.model import ApprovalStatus, Snapshot
from bot.service import ApprovalService
from bot.store import Store

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Shanghai"


@dataclass(frozen=True)
class ReminderSettings:
    after_hours: int = 24
    every_hours: int = 24
    quiet_hours: tuple[int, int] = (21, 8)  # from, to (local hours); from > to spans midnight
    language: str = "zh_CN"
    digest_hour: int | None = None  # local hour of the daily digest; None: no digest


class Reminders:
    def __init__(
        self,
        store: Store,
        service: ApprovalService,
        time_zone: Callable[[str], str | None],
        settings: ReminderSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.service = service
        self.time_zone = time_zone  # Slack id -> their time zone name (None: unknown); the edge asks Slack
        self.settings = settings
        self.clock = clock

    def run_once(self) -> int:
        """Queue every reminder that is due now; returns how many."""
        now = int(self.clock())
        queued = 0
        for doc in self.store.approvals.open():
            snap = snapshot_from_dict(doc["snapshot"])
            hours = (now - snap.last_activity()) // 3600
            if snap.status is ApprovalStatus.PENDING and hours >= self.settings.after_hours:
                queued += self._remind(snap, now, hours)
        return queued

    def remind_now(self, snap: Snapshot) -> int:
        """Nudge the current approvers of `snap` now, because an admin asked: whatever the hour and
        however recently they were nudged. Returns how many were nudged (the unmapped cannot be)."""
        now = int(self.clock())
        return self._remind(snap, now, (now - snap.last_activity()) // 3600, asked=True)

    def _remind(self, snap: Snapshot, now: int, hours: int, *, asked: bool = False) -> int:
        people = self.service.resolve_people(snap, tolerate_outage=True)
        # a template whose DM cards are off has none to refresh: the nudge alone goes
        refresh_card = self.service.policies.for_snapshot(snap).direct_messages
        queued = 0
        for approver in snap.waiting_on():
            slack_id = people.slack_id(approver)
            if slack_id is None or (not asked and self.is_quiet(slack_id, now)):
                continue
            with self.store.transaction():
                doc = self.store.approvals.get(snap.key)
                if doc is None:
                    continue
                last = doc.setdefault("reminded", {}).get(slack_id, 0)
                if not asked and now - last < self.settings.every_hours * 3600:
                    continue
                if refresh_card:
                    self.store.outbox.enqueue(
                        {
                            "approval_key": snap.key,
                            "card_key": f"{snap.key}|approver_card:{approver}",
                            "user": slack_id,
                            "kind": "approver_card",
                            "notice": {"recipient": approver, "comment": None},
                        }
                    )
                self.store.outbox.enqueue(
                    {
                        "approval_key": snap.key,
                        "user": slack_id,
                        "kind": "reminder",
                        "notice": {"recipient": approver, "hours": hours},
                    }
                )
                doc["reminded"][slack_id] = now
                self.store.approvals.put(doc)
                queued += 1
        if queued:
            log.info("reminders queued", extra={"approval": snap.key, "count": queued, "waited_hours": hours})
        return queued

    def digest_once(self) -> int:
        """At each approver's digest hour (their time zone), one list of what waits for them; once a day."""
        if self.settings.digest_hour is None:
            return 0
        now = int(self.clock())
        waiting: dict[str, list[tuple[Snapshot, int]]] = {}
        names: dict[str, str] = {}
        for doc in self.store.approvals.open():
            snap = snapshot_from_dict(doc["snapshot"])
            if snap.status is not ApprovalStatus.PENDING:
                continue
            names.update(doc.get("slack", {}).get("ids", {}))
            for slack_id in doc.get("slack", {}).get("waiting", []):
                waiting.setdefault(slack_id, []).append((snap, (now - snap.last_activity()) // 3600))
        sent = 0
        for slack_id, items in waiting.items():
            local = datetime.fromtimestamp(now, self._zone(slack_id))
            key = f"digest:{slack_id}"
            if (
                local.hour != self.settings.digest_hour
                or self.store.meta.get(key) == local.date().isoformat()
            ):
                continue
            digest = {"items": [[snapshot_to_dict(s), h] for s, h in items], "names": dict(names)}
            with self.store.transaction():
                self.store.outbox.enqueue(
                    {
                        "approval_key": f"digest:{slack_id}",
                        "user": slack_id,
                        "kind": "digest",
                        "notice": digest,
                    }
                )
                self.store.meta.set(key, local.date().isoformat())
            sent += 1
        return sent

    def is_quiet(self, target: str, now: int) -> bool:
        """Whether `now` is in the quiet hours of `target`: a person's in their own time zone, a channel's
        (C…, G…: no zone of its own) in the bot's default zone, DEFAULT_TZ."""
        start, end = self.settings.quiet_hours
        hour = datetime.fromtimestamp(now, self._zone(target)).hour
        return (hour >= start or hour < end) if start > end else start <= hour < end

    def _zone(self, slack_id: str) -> ZoneInfo:
        """The person's Slack time zone (users.info), cached a day like other profile facts."""
        if slack_id[:1] in ("C", "G"):
            return ZoneInfo(DEFAULT_TZ)
        cached = self.store.people.cached_user(f"tz:{slack_id}")
        name = cached.get("tz") if cached else None
        if name is None:
            name = self.time_zone(slack_id) or DEFAULT_TZ
            self.store.people.cache_user(f"tz:{slack_id}", tz=name)
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:
            return ZoneInfo(DEFAULT_TZ)

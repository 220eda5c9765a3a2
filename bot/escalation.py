"""Escalation and expiry: a request nobody answers climbs, and in the end stops waiting, instead of rotting.

Per template (its policy: `bot.template_policy`, admins' stored overrides on top):

- `escalate_after_hours`: once the current step has waited that long (since it began: the latest
  decision outside it, else the filing), `escalate_to` (a person or a channel) is told, with the
  card. Once per step: the step is recorded with the approval, in the same commit as the notice, so
  neither a restart nor the next run tells again; a step that begins anew (a return) may climb again.
  Quiet hours hold as for reminders: a person in their own time zone, a channel in the bot's default
  zone (`bot.reminders.DEFAULT_TZ`).
- `expire_after_hours` after filing: a provider whose approvals the bot decides (the embedded engine)
  ends the request as expired, through its `Decider`; for any other (WeCom, FXiaoKe) nothing can be
  changed there, so the approval is marked overdue, once, and every card already out says so.

Each decision is on the approval's timeline (its cards) and in the audit channel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.codec import snapshot_from_dict
from bot.model import ApprovalStatus, Snapshot
from bot.provider_ports import NotAllowed, UnknownApproval
from bot.service import ApprovalService
from bot.store import Store
from bot.template_policy import Policies, TemplatePolicy, overridden

log = logging.getLogger(__name__)

Expire = Callable[[str], Snapshot]  # approval key -> the approval ended as expired (a Decider's `expire`)
Quiet = Callable[[str, int], bool]  # (a Slack user or channel id, unix time) -> whether it is their night


class TemplatePolicies:
    """Every template's policy as it holds now: the config's, with what admins stored on top."""

    def __init__(self, store: Store, configured: Policies, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.configured = configured
        self.clock = clock

    def current(self) -> Policies:
        return self.configured.with_overrides(self.store.policy_overrides.all())

    def of(self, provider: str, template_id: str) -> TemplatePolicy:
        return self.current().of(provider, template_id)

    def override(
        self, actor: str, provider: str, template_id: str, values: Mapping[str, Any]
    ) -> TemplatePolicy:
        """Stores `values` over what was stored before for the template (None clears a key back to the
        config's); refuses with `PolicyConfigError`, storing nothing, when the result cannot work."""
        template = f"{provider}:{template_id}"
        with self.store.transaction():
            stored = next((d for d in self.store.policy_overrides.all() if d["template"] == template), None)
            merged = {**(stored["values"] if stored else {}), **values}
            kept = {key: value for key, value in merged.items() if value is not None}
            policy = overridden(self.configured.of(provider, template_id), kept, template)
            doc = {
                "template": template,
                "provider": provider,
                "template_id": template_id,
                "values": kept,
                "by": actor,
                "at": int(self.clock()),
            }
            self.store.policy_overrides.put(doc)
        return policy


@dataclass(frozen=True)
class Due:
    """What one run found to do about one approval."""

    expire: bool = False
    escalate: bool = False


def due(snap: Snapshot, policy: TemplatePolicy, now: int) -> Due:
    """Whether `snap` has passed its expiry, or its current step its escalation time: a pure rule."""
    if snap.status is not ApprovalStatus.PENDING:
        return Due()
    expire, escalate = policy.expire_after_hours, policy.escalate_after_hours
    since = snap.step_waiting_since()
    return Due(
        expire=expire is not None and now - snap.apply_time >= expire * 3600,
        escalate=escalate is not None and since is not None and now - since >= escalate * 3600,
    )


def step_key(snap: Snapshot) -> str:
    """The current step and when it began: what an escalation is told once for."""
    node = snap.current_node()
    index = next((i for i, n in enumerate(snap.flow_nodes()) if n is node), -1)
    return f"{index}:{snap.step_waiting_since()}"


class Escalations:
    def __init__(
        self,
        store: Store,
        service: ApprovalService,
        policies: TemplatePolicies,
        expirers: Mapping[str, Expire],
        quiet: Quiet,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`expirers`: by provider name, how a provider whose approvals the bot decides ends one as
        expired; approvals of the others are marked overdue. `quiet`: the reminders' night."""
        self.store = store
        self.service = service
        self.policies = policies
        self.expirers = dict(expirers)
        self.quiet = quiet
        self.clock = clock

    def run_once(self) -> int:
        """Escalate, expire and mark overdue whatever is due now; returns how many approvals it acted on."""
        now = int(self.clock())
        policies = self.policies.current()
        acted = 0
        for doc in self.store.approvals.open():
            snap = snapshot_from_dict(doc["snapshot"])
            policy = policies.for_snapshot(snap)
            found = due(snap, policy, now)
            if found.expire and snap.provider in self.expirers:
                acted += self._expire(snap)
                continue  # ended: nothing waits to climb
            if found.expire:
                acted += self._mark_overdue(snap, policy, now)
            if found.escalate:
                acted += self._escalate(snap, policy, now)
        return acted

    def _expire(self, snap: Snapshot) -> int:
        try:
            self.expirers[snap.provider](snap.key)
        except (NotAllowed, UnknownApproval):  # decided (or gone) since it was read: nothing to end
            return 0
        log.info("approval expired", extra={"approval": snap.key})
        return 1

    def _mark_overdue(self, snap: Snapshot, policy: TemplatePolicy, now: int) -> int:
        """Once: the mark is kept with the approval, its cards refreshed and the audit told in one commit."""
        people = self.service.resolve_people(snap, tolerate_outage=True)
        with self.store.transaction():
            doc = self.store.approvals.get(snap.key)
            if doc is None or doc.get("overdue"):
                return 0
            doc["overdue"] = {"at": now, "after_hours": policy.expire_after_hours}
            self.store.approvals.put(doc)
            self.service.refresh_cards(snap, people)
            self.service.audit_event(snap, "overdue", hours=policy.expire_after_hours)
        log.info("approval overdue", extra={"approval": snap.key})
        return 1

    def _escalate(self, snap: Snapshot, policy: TemplatePolicy, now: int) -> int:
        """Tells `escalate_to` once per step, unless it is their night (the next run tells them then)."""
        target = policy.escalate_to
        if self.quiet(target, now):
            return 0
        step = step_key(snap)
        people = self.service.resolve_people(snap, tolerate_outage=True)
        with self.store.transaction():
            doc = self.store.approvals.get(snap.key)
            if doc is None or step in doc.get("escalated", {}):
                return 0
            doc.setdefault("escalated", {})[step] = {"at": now, "to": target}
            self.store.approvals.put(doc)
            address = {"channel": target} if is_channel(target) else {"user": target}
            self.store.outbox.enqueue(
                {
                    "approval_key": snap.key,
                    **address,
                    "kind": "escalation",
                    "notice": {"to": target, "since": snap.step_waiting_since()},
                }
            )
            self.service.refresh_cards(snap, people)
            self.service.audit_event(snap, "escalated", to=target)
        log.info("approval escalated", extra={"approval": snap.key, "step": step})
        return 1


def is_channel(target: str) -> bool:
    """A channel id (C…, G…) rather than a person's (U…, W…)."""
    return target[:1] in ("C", "G")

"""Use cases: apply what a provider reports, decide who is told, queue it.

A callback and a sweep both end in `apply_snapshot`, which only notifies what
is new compared with the stored state: a missed callback is recovered by the
next sweep, and a retried one is never notified twice.

What is queued is a notice, plain data: what happened and who must hear it
(kind, approval, recipient, card key, and whatever is not in the stored
approval). The Slack edge renders it when it delivers (`handlers.render`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.away import absence_in_force, utc_text
from bot.codec import snapshot_from_dict, snapshot_to_dict
from bot.directory import Directory, LookupUnavailable
from bot.i18n import t
from bot.model import Action, Comment, Snapshot
from bot.notify import (
    Kind,
    Notice,
    Venues,
    card_plan,
    changed,
    comments_only,
    details_only,
    home_refresh,
    is_reply,
    new_comments,
    notify_plan,
    reply_key,
)
from bot.provider_ports import Provider, ProviderError
from bot.store import Store
from bot.template_policy import Policies

log = logging.getLogger(__name__)

Names = Callable[[str], str | None]  # provider user id -> Slack id (None: no Slack account)


@dataclass(frozen=True)
class ServiceSettings:
    language: str = "zh_CN"
    audit_channel: str = ""


@dataclass(frozen=True)
class People:
    """Provider user id -> Slack id, resolved once per snapshot; `slack_id` is the `Names` of it."""

    identity: str
    known: dict[str, str | None]
    directory: Directory

    def slack_id(self, user_id: str) -> str | None:
        """Looks up anyone not resolved beforehand; one who cannot be looked up now counts as unmapped."""
        if user_id not in self.known:
            try:
                self.known[user_id] = self.directory.slack_id(self.identity, user_id)
            except LookupUnavailable:
                self.known[user_id] = None
        return self.known[user_id]


def _slack_view(snap: Snapshot, people: People) -> dict[str, Any]:
    """Who the approval concerns, as Slack ids: what App Home, /approval list and status ask."""
    everyone = [snap.applicant, *snap.all_cc(), *(m.user_id for n in snap.nodes for m in n.members)]
    return {
        "applicant": people.slack_id(snap.applicant),
        "waiting": sorted({s for u in snap.waiting_on() if (s := people.slack_id(u))}),
        "people": sorted({s for u in everyone if (s := people.slack_id(u))}),
        "ids": {u: s for u in everyone if (s := people.slack_id(u))},
    }


def _newest_with_details(snap: Snapshot, detailed: Snapshot) -> Snapshot:
    """A detail read's answer against what is known: the read when it is further along, else `snap`
    with the read's form (so an older read never takes back a newer state)."""
    if detailed.progress_key() > snap.progress_key():
        return detailed
    return snap.with_details(detailed.summary, detailed.fields)


def _ruled_since(old: Snapshot | None, new: Snapshot) -> tuple[str, ...]:
    """The rules that approved a step in the change from `old` to `new` (a step approved anew after a
    return counts again)."""
    before = {(n.rule, n.ruled_at) for n in old.nodes} if old else set()
    return tuple(n.rule for n in new.nodes if n.ruled_at and (n.rule, n.ruled_at) not in before)


@dataclass(frozen=True)
class ApplyResult:
    status: str  # "new", "changed", "unchanged", "stale", "urged"
    queued: int = 0
    unmapped: tuple[str, ...] = ()


class ApprovalService:
    def __init__(
        self,
        store: Store,
        directory: Directory,
        providers: Mapping[str, Provider],
        settings: ServiceSettings,
        policies: Policies | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.directory = directory
        self.providers = dict(providers)
        self.settings = settings
        self.policies = policies or Policies()
        self.clock = clock

    def provider(self, name: str) -> Provider:
        return self.providers[name]

    def complete(self, snap: Snapshot) -> Snapshot:
        """Add form data the first time an approval is seen (a filing's answer carries none).

        If the read fails, the notification goes out without it.
        """
        if snap.has_details:
            return snap
        stored = self.store.approvals.get(snap.key)
        if stored and stored["snapshot"].get("has_details"):
            old = snapshot_from_dict(stored["snapshot"])
            return snap.with_details(old.summary, old.fields)
        try:
            detailed = self.provider(snap.provider).fetch_details(snap)
        except ProviderError as exc:
            log.warning(
                "detail read failed; notifying without the form",
                extra={"approval": snap.key, "error": str(exc)},
            )
            return snap
        return _newest_with_details(snap, detailed)

    def apply_callback(self, snap: Snapshot, people: People) -> ApplyResult:
        """A callback's snapshot, applied at once (people are told from what it carries); when neither it
        nor the stored approval has the form, its read is queued in the same commit, so nobody waits on
        WeCom's pace for it and a crash loses neither (`DetailReader` reads it, `apply_details` adds it)."""
        with self.store.transaction():
            result = self.apply_snapshot(snap, people)
            if self.provider(snap.provider).capabilities.reads_details:
                doc = self.store.approvals.get(snap.key)
                if doc is not None and not doc["snapshot"].get("has_details"):
                    self.store.details_wanted.want(snap.key)
        return result

    def apply_details(self, detailed: Snapshot, people: People) -> ApplyResult:
        """A queued form read come back: the approval as stored now (or the read, if newer) gains the form,
        and leaves the queue in the same commit. Its cards are updated in place; nobody is told anew."""
        with self.store.transaction():
            doc = self.store.approvals.get(detailed.key)
            if doc is not None:
                detailed = _newest_with_details(snapshot_from_dict(doc["snapshot"]), detailed)
            self.store.details_wanted.done(detailed.key)
            return self.apply_snapshot(detailed, people)

    def details_pending(self, snap: Snapshot) -> bool:
        """Whether `snap`'s form is still queued to be read (its cards say it is on its way)."""
        return not snap.has_details and self.store.details_wanted.has(snap.key)

    def apply_snapshot(
        self,
        snap: Snapshot,
        people: People | None = None,
        *,
        quiet: bool = False,
        announce: bool = False,
        handover: bool = False,
    ) -> ApplyResult:
        """Record `snap` and queue every notification it calls for, in one atomic commit.

        Pass `people` (from `resolve_people`) when calling inside a wider transaction: the
        lookups may reach the network and must not run under the store lock. `quiet` records
        without telling anyone (a first sweep learning what already exists). `announce` tells as
        new an approval that was only recorded quietly: a filing the applicant saw "submitted" for,
        whose answer came after a first sweep had found it.
        """
        if people is None:
            people = self.resolve_people(snap)
        with self.store.transaction():
            doc = self.store.approvals.get(snap.key)
            stored = snapshot_from_dict(doc["snapshot"]) if doc else None
            if stored is not None and snap.progress_key() < stored.progress_key():
                log.info("older snapshot ignored", extra={"approval": snap.key})
                return ApplyResult("stale")
            if stored is not None and not snap.has_details and stored.has_details:
                snap = snap.with_details(stored.summary, stored.fields)
            recorded_quietly = doc is not None and doc.get("quiet", False)
            old = None if announce and recorded_quietly else stored
            is_change = changed(old, snap)
            if not is_change and snap.action is not Action.URGE:
                return ApplyResult("unchanged")

            doc = doc or {"key": snap.key, "cards": {}, "approvers": [], "created": time.time()}
            policy = self.policies.for_snapshot(snap)
            venues = Venues(policy.channel, policy.direct_messages)
            plan = notify_plan(old, snap, frozenset(doc["approvers"]), venues)
            if not is_change:
                plan = [n for n in plan if n.kind is Kind.URGE]
            if quiet and (recorded_quietly or not details_only(old, snap)):
                plan = []  # a form read by a quiet sweep still fills in the cards already out
            queued, unmapped = self._queue(snap, plan, people)
            queued += self._queue_channel_cards(snap, plan)
            comments = [] if quiet else new_comments(old, snap)
            queued += self._queue_thread_replies(snap, comments, doc, plan, people)
            if not quiet and not details_only(old, snap) and not handover:
                whole = not comments_only(old, snap)
                self._queue_audit(snap, unmapped, comments, _ruled_since(old, snap), whole=whole)
            if not quiet:
                self._queue_handover_audit(old, snap, people)
                queued += self._note_away(snap, doc, people)

            doc["approvers"] = sorted(
                set(doc["approvers"]) | {n.recipient for n in plan if n.kind is Kind.APPROVER_CARD}
            )
            slack = _slack_view(snap, people)
            self._queue_home_refresh({*doc.get("slack", {}).get("waiting", []), *slack["waiting"]}, slack)
            doc.update(
                snapshot=snapshot_to_dict(snap),
                final=snap.status.is_final,
                updated=time.time(),
                slack=slack,
                quiet=quiet and (old is None or recorded_quietly),
            )
            self.store.approvals.put(doc)
        status = "urged" if not is_change else ("new" if old is None else "changed")
        log.info("approval applied", extra={"approval": snap.key, "result": status, "queued": queued})
        return ApplyResult(status, queued, tuple(unmapped))

    # people and queueing --------------------------------------------------

    def resolve_people(self, snap: Snapshot, *, tolerate_outage: bool = False) -> People:
        """Slack ids of everyone the snapshot names (None for whoever has no Slack account).

        Raises LookupUnavailable when someone cannot be looked up right now, so the caller can
        try again later instead of leaving them out; with `tolerate_outage` they are left out
        (and reported like the unmapped).
        """
        identity = self.provider(snap.provider).identity
        ids = [snap.applicant, *snap.all_cc(), *(c.user_id for c in snap.comments)]
        ids += [m.user_id for node in snap.nodes for m in node.members]
        people = People(identity, {}, self.directory)
        for uid in dict.fromkeys(ids):
            if tolerate_outage:
                people.slack_id(uid)
            else:
                people.known[uid] = self.directory.slack_id(identity, uid)
        return people

    def people(self, snap: Snapshot) -> People:
        """Names for rendering `snap`: looked up as asked, whoever cannot be looked up now unnamed."""
        return People(self.provider(snap.provider).identity, {}, self.directory)

    def _queue(self, snap: Snapshot, plan: list[Notice], people: People) -> tuple[int, list[str]]:
        unmapped: list[str] = []
        queued = 0
        for notice in plan:
            if notice.kind is Kind.CHANNEL_CARD:
                continue  # a channel, not a person: `_queue_channel_cards`
            slack_id = people.slack_id(notice.recipient)
            if slack_id is None:
                if notice.recipient not in unmapped:
                    unmapped.append(notice.recipient)
                continue
            self.store.outbox.enqueue(
                {
                    "approval_key": snap.key,
                    "card_key": f"{snap.key}|{notice.card_key}" if notice.card_key else "",
                    "user": slack_id,
                    "kind": notice.kind.value,
                    "notice": {"recipient": notice.recipient},
                }
            )
            queued += 1
        if unmapped:
            log.warning(
                "recipients without a Slack user",
                extra={"approval": snap.key, "users": unmapped, "identity": people.identity},
            )
        return queued, unmapped

    def refresh_cards(self, snap: Snapshot, people: People) -> int:
        """Re-render the cards of `snap` that are out already, in place (nobody is told anew, nobody gets a
        card they never had): for what the cards show beside the approval's state. Call inside the
        transaction that records that change."""
        doc = self.store.approvals.get(snap.key) or {}
        plan = [
            notice
            for notice in card_plan(snap, frozenset(doc.get("approvers", [])))
            if self.store.cards.get(snap.key, f"{snap.key}|{notice.card_key}") is not None
        ]
        return self._queue(snap, plan, people)[0]

    def audit_event(self, snap: Snapshot, event: str, **details: Any) -> None:
        """One line in the audit channel about what the bot itself decided about `snap` (`event`: its
        i18n key under `audit.`, e.g. "escalated"), with the snapshot as it stood."""
        if self.settings.audit_channel:
            notice = {"snapshot": snapshot_to_dict(snap), "event": event, **details}
            self.store.outbox.enqueue(self._audit_item(snap, notice))

    def _queue_channel_cards(self, snap: Snapshot, plan: list[Notice]) -> int:
        """The approval's card in its template's channel. Until that card is posted, it carries its audit
        line (`on_post`), which the deliverer queues when it posts the card: a card that could not be
        posted (the bot not invited yet) is audited when a later change gets it there."""
        queued = 0
        for notice in plan:
            if notice.kind is not Kind.CHANNEL_CARD:
                continue
            card_key = f"{snap.key}|{notice.card_key}"
            item: dict[str, Any] = {
                "approval_key": snap.key,
                "card_key": card_key,
                "channel": notice.recipient,
                "kind": notice.kind.value,
                "notice": {"recipient": notice.recipient, "comment": None},
            }
            if self.settings.audit_channel and self.store.cards.get(snap.key, card_key) is None:
                audited = {"snapshot": snapshot_to_dict(snap), "channel_card": notice.recipient}
                item["on_post"] = self._audit_item(snap, audited)
            self.store.outbox.enqueue(item)
            queued += 1
        return queued

    def _queue_thread_replies(
        self, snap: Snapshot, comments: list[Comment], doc: dict[str, Any], plan: list[Notice], people: People
    ) -> int:
        """Each new comment as a reply in the thread of every card of the approval, but the one it was
        written in: the cards the bot holds (whoever they are for, a channel's too) and those this plan
        posts. A reply waits for its card to be posted; its own message is recorded, so it goes once."""
        held = [key for key in doc.get("cards", {}) if not is_reply(key)]
        planned = [f"{snap.key}|{n.card_key}" for n in plan if n.card_key and people.slack_id(n.recipient)]
        threads = list(dict.fromkeys([*held, *planned]))
        queued = 0
        for comment in comments:
            for thread in threads:
                if thread == comment.thread:
                    continue
                self.store.outbox.enqueue(
                    {
                        "approval_key": snap.key,
                        "card_key": reply_key(thread, comment.id),
                        "thread_of": thread,
                        "kind": "thread_reply",
                        "notice": {"comment": comment.id},
                    }
                )
                queued += 1
        return queued

    def _queue_home_refresh(self, waiting: set[str], slack: dict[str, Any]) -> None:
        """App Home shows "my requests" and "waiting for me": refresh it for whoever those changed for."""
        for user in sorted({slack["applicant"], *waiting} - {None}):
            self.store.outbox.enqueue(home_refresh(user))

    # away and delegation ----------------------------------------------------------

    def _note_away(self, snap: Snapshot, doc: dict[str, Any], people: People) -> int:
        """Who the current step waits on that is away now, kept on the approval (`doc["away"]`: Slack id
        -> until and delegate) for the applicant's card. Where only the approver can act in the provider,
        the delegate gets an FYI card, once per person and step; the number of notices queued."""
        node = snap.current_node()
        away: dict[str, dict[str, Any]] = {}
        now = self.clock()
        for user_id in snap.waiting_on():
            slack_id = people.slack_id(user_id)
            absence = absence_in_force(self.store, slack_id, now) if slack_id else None
            if slack_id and absence:
                away[slack_id] = {"until": absence.until, "delegate": absence.delegate}
        doc["away"] = away
        if not away or node is None or self.provider(snap.provider).capabilities.decides_in_slack:
            return 0
        step = snap.flow_nodes().index(node)
        told = set(doc.get("away_told", []))
        queued = 0
        for slack_id, absent in away.items():
            if f"{step}:{slack_id}" in told:
                continue
            told.add(f"{step}:{slack_id}")
            self.store.outbox.enqueue(
                {
                    "approval_key": snap.key,
                    "card_key": f"{snap.key}|away_fyi:{step}:{slack_id}",
                    "user": absent["delegate"],
                    "kind": Kind.AWAY_FYI.value,
                    "notice": {"away": slack_id, **absent},
                }
            )
            self._audit_text("away.audit_fyi", snap, user=slack_id, **absent)
            queued += 1
        doc["away_told"] = sorted(told)
        return queued

    def _queue_handover_audit(self, old: Snapshot | None, new: Snapshot, people: People) -> None:
        """One audit line per share handed to a delegate in this change (`Member.for_user`)."""
        before = {(m.for_user, m.user_id, m.handed_at) for n in (old.nodes if old else ()) for m in n.members}
        for node in new.nodes:
            for member in node.members:
                if member.for_user and (member.for_user, member.user_id, member.handed_at) not in before:
                    self._audit_text(
                        "away.audit_handover",
                        new,
                        user=people.slack_id(member.for_user) or member.for_user,
                        delegate=people.slack_id(member.user_id) or member.user_id,
                        until=member.for_until,
                    )

    def _audit_text(self, key: str, snap: Snapshot, *, until: int, **people: str) -> None:
        if self.settings.audit_channel:
            line = t(key, self.settings.language, approval=snap.key, until=utc_text(until), **people)
            self.store.outbox.enqueue(
                {
                    "approval_key": snap.key,
                    "channel": self.settings.audit_channel,
                    "kind": "audit",
                    "text": line,
                }
            )

    # queries -------------------------------------------------------------------

    def find(self, number: str, slack_user: str, *, admin: bool = False) -> Snapshot | None:
        """The approval with this number, if `slack_user` is on it (or is an admin)."""
        for provider in self.providers:
            doc = self.store.approvals.get(f"{provider}:{number}")
            if doc and (admin or slack_user in doc.get("slack", {}).get("people", [])):
                return snapshot_from_dict(doc["snapshot"])
        return None

    def for_user(self, slack_user: str) -> tuple[list[Snapshot], list[Snapshot], Names]:
        """(my recent requests, approvals waiting for me), newest first, and names for their people."""
        mine, waiting, ids = [], [], {}
        for doc in self.store.approvals.involving(slack_user):
            people = doc.get("slack", {})
            concerned = False
            if people.get("applicant") == slack_user:
                mine.append(snapshot_from_dict(doc["snapshot"]))
                concerned = True
            if slack_user in people.get("waiting", []):
                waiting.append(snapshot_from_dict(doc["snapshot"]))
                concerned = True
            if concerned:
                ids.update(people.get("ids", {}))
        newest = lambda snap: snap.apply_time  # noqa: E731
        return sorted(mine, key=newest, reverse=True), sorted(waiting, key=newest, reverse=True), ids.get

    def link(self, snap: Snapshot) -> str | None:
        return self.provider(snap.provider).approval_link(snap)

    def _queue_audit(
        self,
        snap: Snapshot,
        unmapped: list[str],
        comments: list[Comment],
        ruled: tuple[str, ...] = (),
        *,
        whole: bool = True,
    ) -> None:
        """One line of what happened (`whole`: unless all that happened is comments), one per comment, one
        per step an auto_approve rule approved in it, and one naming the unmapped; the snapshot goes with
        each, since a line tells of this change however far the approval has moved on when it is sent."""
        channel = self.settings.audit_channel
        if not channel:
            return
        recorded = snapshot_to_dict(snap)
        notices: list[dict[str, Any]] = [{"snapshot": recorded}] if whole else []
        notices += [{"snapshot": recorded, "comment": comment.id} for comment in comments]
        notices += [{"snapshot": recorded, "rule": rule} for rule in ruled]
        if unmapped:
            notices.append({"snapshot": recorded, "unmapped": list(unmapped)})
        for notice in notices:
            self.store.outbox.enqueue(self._audit_item(snap, notice))

    def _audit_item(self, snap: Snapshot, notice: dict[str, Any]) -> dict[str, Any]:
        """An outbox item for the audit channel: a line about `snap`, rendered from `notice` when sent."""
        return {
            "approval_key": snap.key,
            "channel": self.settings.audit_channel,
            "kind": "audit",
            "notice": notice,
        }

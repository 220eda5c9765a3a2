"""Threads: a reply in the thread under one of the bot's cards becomes a comment on the approval.

Why: the conversation about a request belongs beside it. Where approvers decide in Slack (the embedded
engine), the reply is a comment like one written with the Comment button: on every card's timeline, and
mirrored into the thread of every other card (`ApprovalService` queues that for every new comment, a
provider's too). A provider that takes no comments from Slack (WeCom has no API to write one) keeps the
reply where it was written; the replier is told so once per approval.

Slack delivers an event at least once: the comment's id is made of the reply's channel and ts, so a
redelivered reply finds its comment stored and adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from bot.codec import snapshot_from_dict
from bot.model import Snapshot
from bot.notify import is_reply
from bot.provider_ports import Decider, NotAllowed
from bot.service import ApprovalService
from bot.store import Store

log = logging.getLogger(__name__)


class Outcome(str, Enum):
    COMMENTED = "commented"  # stored as a comment; the cards and the other threads are queued
    REPEATED = "repeated"  # a redelivery of a reply already taken: nothing new
    NOT_A_CARD = "not_a_card"  # not in the thread of a card the bot holds: not the bot's business
    NOT_ON_IT = "not_on_it"  # the replier is not on the approval: not stored
    FINISHED = "finished"  # the approval is over: no comment can be added
    EMPTY = "empty"  # no text (a file alone, say): nothing to comment
    STAYS_IN_SLACK = "stays_in_slack"  # its provider takes no comments from Slack; say so (once)
    TOLD_ALREADY = "told_already"  # ... and the replier was told so before


@dataclass(frozen=True)
class ThreadReply:
    """A person's reply in a thread, as Slack reports it."""

    channel: str
    thread_ts: str  # the parent message: the card
    ts: str  # the reply itself
    user: str  # Slack user id
    text: str


@dataclass(frozen=True)
class Taken:
    outcome: Outcome
    approval: Snapshot | None = None  # the approval the thread is about, when it is one


class ThreadReplies:
    def __init__(self, store: Store, service: ApprovalService, decider: Decider) -> None:
        self.store = store
        self.service = service
        self.decider = decider

    def take(self, reply: ThreadReply) -> Taken:
        """Stores `reply` as a comment when it may be one, and says what became of it."""
        taken = self._take(reply)
        if taken.approval is not None:
            log.info("thread reply", extra={"approval": taken.approval.key, "outcome": taken.outcome.value})
        return taken

    def _take(self, reply: ThreadReply) -> Taken:
        found = self.store.cards.find(reply.channel, reply.thread_ts)
        doc = self.store.approvals.get(found[0]) if found and not is_reply(found[1]) else None
        if found is None or doc is None:
            return Taken(Outcome.NOT_A_CARD)
        approval_key, card_key = found
        snap = snapshot_from_dict(doc["snapshot"])
        if not self.service.provider(snap.provider).capabilities.decides_in_slack:
            return Taken(self._stays_in_slack(approval_key, reply.user), snap)
        comment_id = f"slack-{reply.channel}-{reply.ts}"
        with self.store.transaction():
            current = self.decider.current(approval_key)
            if any(c.id == comment_id for c in current.comments):
                return Taken(Outcome.REPEATED, current)
            try:
                new = self.decider.act(
                    approval_key,
                    reply.user,
                    "comment",
                    text=reply.text,
                    comment_id=comment_id,
                    thread=card_key,
                )
            except NotAllowed as refused:
                return Taken(_REFUSALS.get(refused.reason, Outcome.NOT_ON_IT), current)
        return Taken(Outcome.COMMENTED, new)

    def _stays_in_slack(self, approval_key: str, user: str) -> Outcome:
        """Whether to tell `user` that their reply stays in Slack: the first time on this approval only."""
        told = f"thread-note|{approval_key}|{user}"
        with self.store.transaction():
            if self.store.dedupe.seen(told):
                return Outcome.TOLD_ALREADY
            self.store.dedupe.remember(told)
        return Outcome.STAYS_IN_SLACK


_REFUSALS = {"final": Outcome.FINISHED, "reason_required": Outcome.EMPTY, "unknown_user": Outcome.NOT_ON_IT}

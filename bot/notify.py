"""Who must be told what when an approval changes: a pure function of two snapshots.

The plan names people by provider user id; the service maps them to Slack,
renders the messages and queues them. Keeping this pure lets every rule be
tested with two snapshots and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from bot.model import Action, Comment, Snapshot


class Kind(str, Enum):
    APPLICANT_CARD = "applicant_card"  # one per approval, posted once then updated in place
    APPROVER_CARD = "approver_card"  # one per approver per approval; live while it is their turn
    CC_CARD = "cc_card"  # FYI on submit, updated with the outcome
    CC_OUTCOME = "cc_outcome"  # a short new message announcing the outcome (an edit notifies nobody)
    COMMENT = "comment"  # queued by versions before threads (comments now go to every card's thread)
    URGE = "urge"
    CHANNEL_CARD = "channel_card"  # one per approval in its template's channel, updated in place
    CHANNEL_TURN = "channel_turn"  # with the DM cards off: a short DM that a channel card waits on you
    CHANNEL_OUTCOME = "channel_outcome"  # ... and one to the applicant with how their request ended
    AWAY_FYI = "away_fyi"  # to the delegate of an approver who is away, where only the approver can act


@dataclass(frozen=True)
class Venues:
    """Where a template's requests are shown besides DMs (its policy): `channel` ("" for none), and
    whether the applicant and approver cards still go as DMs."""

    channel: str = ""
    direct_messages: bool = True


DMS_ONLY = Venues()


REPLY_MARK = "|reply:"  # in the key under which a reply mirrored into a card's thread is recorded


@dataclass(frozen=True)
class Notice:
    kind: Kind
    recipient: str  # provider user id; the channel for a CHANNEL_CARD

    @property
    def card_key(self) -> str:
        """Cards are updated in place under this key; one-off messages get none."""
        if self.kind in (Kind.COMMENT, Kind.URGE, Kind.CC_OUTCOME, Kind.CHANNEL_TURN, Kind.CHANNEL_OUTCOME):
            return ""
        return f"{self.kind.value}:{self.recipient}"


def home_refresh(user: str) -> dict[str, Any]:
    """The outbox item that republishes `user`'s App Home from the current state (whose "waiting for
    me", "my requests" or away status changed)."""
    return {
        "approval_key": f"home:{user}",
        "card_key": f"home:{user}",
        "user": user,
        "kind": "home",
        "text": "",
    }


def notify_plan(
    old: Snapshot | None, new: Snapshot, carded_approvers: frozenset[str], venues: Venues = DMS_ONLY
) -> list[Notice]:
    """The notices `new` calls for, given what was known (`old`), who holds an approver card, and where
    the template's requests are shown (`venues`)."""
    waiting = new.waiting_on()
    plan: list[Notice] = []
    if venues.direct_messages:
        plan.append(Notice(Kind.APPLICANT_CARD, new.applicant))
        for approver in dict.fromkeys([*waiting, *sorted(carded_approvers)]):
            plan.append(Notice(Kind.APPROVER_CARD, approver))
    if venues.channel:
        plan.append(Notice(Kind.CHANNEL_CARD, venues.channel))
    if not venues.direct_messages and not details_only(old, new):
        # the channel card's edits notify nobody: whoever's turn it now is hears it in one short DM
        was_waiting = set(old.waiting_on()) if old is not None else set()
        plan += [Notice(Kind.CHANNEL_TURN, approver) for approver in waiting if approver not in was_waiting]
        if old is not None and new.status.is_final and not old.status.is_final:
            plan.append(Notice(Kind.CHANNEL_OUTCOME, new.applicant))

    cc_recipients = [u for u in new.all_cc() if u != new.applicant]
    if details_only(old, new):  # the form was read: the cards already out show it, nobody is told anew
        return plan + [Notice(Kind.CC_CARD, u) for u in cc_recipients]

    became_final = new.status.is_final and (old is None or not old.status.is_final)
    if old is None and not new.status.is_final:
        plan += [Notice(Kind.CC_CARD, u) for u in cc_recipients]
    elif became_final and old is not None:  # the submit's FYI card shows the outcome; a line announces it
        plan += [Notice(Kind.CC_CARD, u) for u in cc_recipients]
        plan += [Notice(Kind.CC_OUTCOME, u) for u in cc_recipients]
    elif became_final:  # first sight of a finished approval: one full FYI card
        plan += [Notice(Kind.CC_CARD, u) for u in cc_recipients]

    if new_comments(old, new):  # every card's timeline shows them (their threads are told apart)
        planned = {(n.kind, n.recipient) for n in plan}
        plan += [Notice(Kind.CC_CARD, u) for u in cc_recipients if (Kind.CC_CARD, u) not in planned]

    if new.action is Action.URGE:
        plan += [Notice(Kind.URGE, approver) for approver in waiting]
    return plan


def card_plan(snap: Snapshot, carded_approvers: frozenset[str]) -> list[Notice]:
    """Every card an approval may have out (applicant, approvers, CC): what a refresh re-renders when
    something the cards show changed beside the approval's own state (marked overdue, escalated)."""
    plan = [Notice(Kind.APPLICANT_CARD, snap.applicant)]
    plan += [
        Notice(Kind.APPROVER_CARD, u) for u in dict.fromkeys([*snap.waiting_on(), *sorted(carded_approvers)])
    ]
    return plan + [Notice(Kind.CC_CARD, u) for u in snap.all_cc() if u != snap.applicant]


def reply_key(card_key: str, comment_id: str) -> str:
    """Where the reply telling of `comment_id` in the thread of `card_key` is recorded, beside the cards:
    a retried delivery finds it posted and never posts it twice."""
    return f"{card_key}{REPLY_MARK}{comment_id}"


def is_reply(card_key: str) -> bool:
    """Whether a recorded message is a mirrored reply rather than a card (which has a thread of its own)."""
    return REPLY_MARK in card_key


def new_comments(old: Snapshot | None, new: Snapshot) -> list[Comment]:
    """The comments `new` adds to what was known: told once each, in every thread of the approval's cards.
    None on first sight: the cards posted then show them on their timelines."""
    if old is None:
        return []
    known = {c.id for c in old.comments}
    return [c for c in new.comments if c.id not in known]


def comments_only(old: Snapshot | None, new: Snapshot) -> bool:
    """Whether all `new` says beyond `old` is comments (each has its own line in the audit channel)."""
    if old is None or not new_comments(old, new):
        return False
    return _state(old) == _state(replace(new, comments=old.comments))


def changed(old: Snapshot | None, new: Snapshot) -> bool:
    """Whether `new` says anything `old` did not (ignoring what caused it)."""
    if old is None:
        return True
    return _state(old) != _state(new)


def details_only(old: Snapshot | None, new: Snapshot) -> bool:
    """Whether `new` is `old` with its form read since: the same flow, only summary and fields added."""
    return old is not None and not old.has_details and new.has_details and _flow(old) == _flow(new)


def _flow(snap: Snapshot) -> tuple:
    return (snap.status, snap.nodes, snap.cc, snap.comments, snap.current_step)


def _state(snap: Snapshot) -> tuple:
    return (*_flow(snap), snap.summary, snap.fields)

"""Who must be told what when an approval changes: a pure function of two snapshots.

The plan names people by provider user id; the service maps them to Slack,
renders the messages and queues them. Keeping this pure lets every rule be
tested with two snapshots and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.model import Action, Comment, Snapshot


class Kind(str, Enum):
    APPLICANT_CARD = "applicant_card"  # one per approval, posted once then updated in place
    APPROVER_CARD = "approver_card"  # one per approver per approval; live while it is their turn
    CC_CARD = "cc_card"  # FYI on submit, updated with the outcome
    CC_OUTCOME = "cc_outcome"  # a short new message announcing the outcome (an edit notifies nobody)
    COMMENT = "comment"
    URGE = "urge"
    AWAY_FYI = "away_fyi"  # to the delegate of an approver who is away, where only the approver can act


@dataclass(frozen=True)
class Notice:
    kind: Kind
    recipient: str  # provider user id
    comment: Comment | None = None

    @property
    def card_key(self) -> str:
        """Cards are updated in place under this key; one-off messages get none."""
        if self.kind in (Kind.COMMENT, Kind.URGE, Kind.CC_OUTCOME):
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


def notify_plan(old: Snapshot | None, new: Snapshot, carded_approvers: frozenset[str]) -> list[Notice]:
    """The notices `new` calls for, given what was known (`old`) and who holds an approver card."""
    plan = [Notice(Kind.APPLICANT_CARD, new.applicant)]

    waiting = new.waiting_on()
    for approver in dict.fromkeys([*waiting, *sorted(carded_approvers)]):
        plan.append(Notice(Kind.APPROVER_CARD, approver))

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

    known = {c.id for c in old.comments} if old else set()
    for comment in new.comments:
        if comment.id in known or old is None:
            continue
        for person in dict.fromkeys([new.applicant, *waiting]):
            if person != comment.user_id:
                plan.append(Notice(Kind.COMMENT, person, comment))

    if new.action is Action.URGE:
        plan += [Notice(Kind.URGE, approver) for approver in waiting]
    return plan


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

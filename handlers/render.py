"""Notices -> Block Kit, at delivery: what the use cases queued (what happened, who must hear it) becomes
the message Slack is sent. An approval's cards are rendered from the stored approval as it stands when
the message goes out, with names through the directory and links from the provider, both asked then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.codec import snapshot_from_dict
from bot.i18n import t
from bot.model import Comment, Snapshot
from bot.notify import Kind, Notice
from bot.service import ApprovalService
from handlers import cards

Rendered = tuple[str, "list[dict[str, Any]] | None"]

_CARDS = {kind.value: kind for kind in Kind}
_DRAFT_BUTTONS = {"submit.edit": "draft_edit", "submit.check": "draft_check"}


class Renderer:
    """`render(item) -> (text, blocks)`, the deliverer's `render`; None when what the item tells of is
    gone. Items that carry their text already (an admin's audit line) are sent as they are."""

    def __init__(
        self,
        service: ApprovalService,
        lang: str,
        display_name: Callable[[str], str] = lambda slack_id: slack_id,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`display_name`: a Slack user's name as Slack shows it (thread replies name people, not mention)."""
        self.service = service
        self.lang = lang
        self.display_name = display_name
        self.clock = clock  # cards say how long the current step has waited, as of when they are sent

    def __call__(self, item: dict[str, Any]) -> Rendered | None:
        return self.render(item)

    def render(self, item: dict[str, Any]) -> Rendered | None:
        notice = item.get("notice")
        if notice is None:
            return item.get("text", ""), item.get("blocks") or None
        kind = item["kind"]
        if kind == "draft":
            return _message(self.draft(notice))
        if kind == "digest":
            return _message(self.digest(notice))
        if kind == "bulk":
            return _message(cards.bulk_result_message(notice["outcomes"], self.lang))
        if kind == "audit":
            return self.audit(notice), None
        doc = self.service.store.approvals.get(item["approval_key"])
        if doc is None:
            return None
        snap = snapshot_from_dict(doc["snapshot"])
        if kind == "thread_reply":
            return self.thread_reply(snap, notice)
        if kind == "reminder":
            names, link = self.service.people(snap).slack_id, self.service.link(snap)
            venue = cards.Venue.of(self.service.provider(snap.provider), self.lang)
            return _message(cards.reminder_message(snap, names, self.lang, link, venue, notice["hours"]))
        if kind == "escalation":
            return _message(self.escalation(snap, notice))
        if kind == Kind.AWAY_FYI.value:
            provider = self.service.provider(snap.provider)
            venue = cards.Venue.of(provider, self.lang)
            names, link = self.service.people(snap).slack_id, provider.approval_link(snap)
            return _message(cards.away_fyi(snap, notice, names, self.lang, link, venue))
        message = self.card(snap, kind, notice, watch(doc, int(self.clock())), doc.get("away"))
        return _message(message) if message is not None else None

    def card(
        self,
        snap: Snapshot,
        kind: str,
        notice: dict[str, Any],
        watch: cards.Watch = cards.NO_WATCH,
        away: dict[str, Any] | None = None,
    ) -> cards.Message | None:
        """The message a notice of the approval's plan becomes (approver cards also for reminders);
        `away`: who of those the step waits on is away, as the service noted it on the approval."""
        names = self.service.people(snap).slack_id
        planned = Notice(_CARDS[kind], notice["recipient"])
        approver = planned.recipient if planned.kind is Kind.APPROVER_CARD else None
        provider = self.service.provider(snap.provider)
        link = provider.approval_link(snap, approver)
        lang = self.lang
        venue = cards.Venue.of(provider, lang)
        pending = self.service.details_pending(snap)
        if planned.kind is Kind.APPLICANT_CARD:
            return cards.applicant_card(
                snap, names, lang, link, venue, details_pending=pending, watch=watch, away=away
            )
        if planned.kind is Kind.APPROVER_CARD:
            return cards.approver_card(
                snap, planned.recipient, names, lang, link, venue, details_pending=pending, watch=watch
            )
        if planned.kind is Kind.CHANNEL_CARD:
            return cards.channel_card(snap, names, lang, link, venue, details_pending=pending, watch=watch)
        if planned.kind is Kind.CHANNEL_TURN:
            return cards.channel_turn_message(snap, names, lang, self._channel_of(snap))
        if planned.kind is Kind.CHANNEL_OUTCOME:
            return cards.channel_outcome_message(snap, names, lang, self._channel_of(snap))
        if planned.kind is Kind.CC_CARD:
            return cards.cc_card(snap, names, lang, link, details_pending=pending, watch=watch)
        if planned.kind is Kind.CC_OUTCOME:
            return cards.cc_outcome_message(snap, names, lang, link)
        if planned.kind is Kind.COMMENT:
            comment = _comment(snap, notice.get("comment"))
            return cards.comment_message(snap, comment, names, lang) if comment is not None else None
        return cards.urge_message(snap, names, lang, link, venue)

    def watch_now(self, approval_key: str) -> cards.Watch:
        """What the bot's clock adds to the approval's cards now, for a card sent at once (a status)."""
        return watch(self.service.store.approvals.get(approval_key) or {}, int(self.clock()))

    def escalation(self, snap: Snapshot, notice: dict[str, Any]) -> cards.Message:
        """To whom a step's waiting climbed, the approval as it stands now."""
        provider = self.service.provider(snap.provider)
        return cards.escalation_message(
            snap,
            notice["to"],
            notice["since"],
            self.service.people(snap).slack_id,
            self.lang,
            cards.Venue.of(provider, self.lang),
            lambda approver: provider.approval_link(snap, approver),
            now=int(self.clock()),
        )

    def thread_reply(self, snap: Snapshot, notice: dict[str, Any]) -> Rendered | None:
        """A comment of the approval, told in a card's thread under its author's name."""
        comment = _comment(snap, notice["comment"])
        if comment is None:
            return None
        slack_id = self.service.people(snap).slack_id(comment.user_id)
        author = self.display_name(slack_id) if slack_id else comment.user_id
        return _message(cards.thread_reply(comment, author, self.lang))

    def audit(self, notice: dict[str, Any]) -> str:
        """A line for the audit channel about the change it was queued for (its snapshot goes with it):
        the change, one of its comments, or who in it has no Slack account; or about one bulk approval."""
        if "bulk" in notice:
            return cards.bulk_audit_line(notice["bulk"], self.lang)
        snap = snapshot_from_dict(notice["snapshot"])
        if notice.get("event"):
            names = self.service.people(snap).slack_id
            hours = notice.get("hours") or 0.0
            return cards.audit_event_line(
                snap, notice["event"], notice.get("to", ""), hours, names, self.lang
            )
        if notice.get("channel_card"):
            channel = self._channel_of(snap, notice["channel_card"])
            return cards.channel_card_audit(snap, self.service.people(snap).slack_id, self.lang, channel)
        comment = _comment(snap, notice.get("comment"))
        if comment is not None:
            return cards.comment_message(snap, comment, self.service.people(snap).slack_id, self.lang).text
        if notice.get("unmapped"):
            venue = cards.Venue.of(self.service.provider(snap.provider), self.lang)
            return cards.unmapped_notice(snap, notice["unmapped"], self.lang, venue)
        if notice.get("rule"):
            return cards.rule_audit_line(snap, notice["rule"], self.service.people(snap).slack_id, self.lang)
        return cards.audit_line(snap, self.service.people(snap).slack_id, self.lang)

    def _channel_of(self, snap: Snapshot, configured: str | None = None) -> str:
        """The channel `snap`'s template shows it in (or `configured`), as a link: a "#name" by the id its
        card was posted under, once it was."""
        configured = configured or self.service.policies.for_snapshot(snap).channel
        card_key = f"{snap.key}|{Notice(Kind.CHANNEL_CARD, configured).card_key}"
        posted = self.service.store.cards.get(snap.key, card_key)
        return cards.channel_link(posted["channel"] if posted else configured)

    def digest(self, notice: dict[str, Any]) -> cards.Message:
        items = [(snapshot_from_dict(snap), hours) for snap, hours in notice["items"]]
        return cards.digest_message(items, dict(notice["names"]).get, self.lang)

    def draft(self, notice: dict[str, Any]) -> cards.Message:
        """To the applicant about their draft, with a button to act on it: why it was refused (clamped to
        what a section holds, since a provider's refusal can be any length), or that it is unknown."""
        reason = notice.get("reason")
        if reason is not None:
            text, button = t("submit.refused", self.lang, reason=cards.escape(reason)), "submit.edit"
        else:
            text, button = t("submit.uncertain", self.lang), "submit.check"
        text = cards.clip_mrkdwn(text, cards.SECTION_LIMIT)
        blocks = (
            cards.section(text),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": _DRAFT_BUTTONS[button],
                        "value": notice["draft"],
                        "text": {"type": "plain_text", "text": t(button, self.lang)},
                    }
                ],
            },
        )
        return cards.Message(text, blocks)


def watch(doc: dict[str, Any], now: int) -> cards.Watch:
    """What the bot's own clock added to a stored approval (bot.escalation keeps it with the approval)."""
    overdue = doc.get("overdue") or {}
    escalated = sorted((entry["at"], entry["to"]) for entry in doc.get("escalated", {}).values())
    return cards.Watch(
        now=now,
        overdue_at=overdue.get("at", 0),
        overdue_hours=overdue.get("after_hours") or 0.0,
        escalations=tuple(escalated),
    )


def _comment(snap: Snapshot, comment_id: str | None) -> Comment | None:
    return next((c for c in snap.comments if c.id == comment_id), None) if comment_id else None


def _message(message: cards.Message) -> Rendered:
    return message.text, list(message.blocks)

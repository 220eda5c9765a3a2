"""Notices -> Block Kit, at delivery: what the use cases queued (what happened, who must hear it) becomes
the message Slack is sent. An approval's cards are rendered from the stored approval as it stands when
the message goes out, with names through the directory and links from the provider, both asked then.
"""

from __future__ import annotations

from typing import Any

from bot.codec import snapshot_from_dict
from bot.i18n import t
from bot.model import Snapshot
from bot.notify import Kind, Notice
from bot.service import ApprovalService
from handlers import cards

Rendered = tuple[str, "list[dict[str, Any]] | None"]

_CARDS = {kind.value: kind for kind in Kind}
_DRAFT_BUTTONS = {"submit.edit": "draft_edit", "submit.check": "draft_check"}


class Renderer:
    """`render(item) -> (text, blocks)`, the deliverer's `render`; None when what the item tells of is
    gone. Items that carry their text already (an admin's audit line) are sent as they are."""

    def __init__(self, service: ApprovalService, lang: str) -> None:
        self.service = service
        self.lang = lang

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
        if kind == "audit":
            return self.audit(notice), None
        doc = self.service.store.approvals.get(item["approval_key"])
        if doc is None:
            return None
        snap = snapshot_from_dict(doc["snapshot"])
        if kind == "reminder":
            names, link = self.service.people(snap).slack_id, self.service.link(snap)
            venue = cards.Venue.of(self.service.provider(snap.provider), self.lang)
            return _message(cards.reminder_message(snap, names, self.lang, link, venue, notice["hours"]))
        if kind == Kind.AWAY_FYI.value:
            provider = self.service.provider(snap.provider)
            venue = cards.Venue.of(provider, self.lang)
            names, link = self.service.people(snap).slack_id, provider.approval_link(snap)
            return _message(cards.away_fyi(snap, notice, names, self.lang, link, venue))
        message = self.card(snap, kind, notice, doc.get("away"))
        return _message(message) if message is not None else None

    def card(
        self, snap: Snapshot, kind: str, notice: dict[str, Any], away: dict[str, Any] | None = None
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
            return cards.applicant_card(snap, names, lang, link, venue, details_pending=pending, away=away)
        if planned.kind is Kind.APPROVER_CARD:
            return cards.approver_card(
                snap, planned.recipient, names, lang, link, venue, details_pending=pending
            )
        if planned.kind is Kind.CC_CARD:
            return cards.cc_card(snap, names, lang, link, details_pending=pending)
        if planned.kind is Kind.CC_OUTCOME:
            return cards.cc_outcome_message(snap, names, lang, link)
        if planned.kind is Kind.COMMENT:
            comment = next((c for c in snap.comments if c.id == notice.get("comment")), None)
            return cards.comment_message(snap, comment, names, lang) if comment is not None else None
        return cards.urge_message(snap, names, lang, link, venue)

    def audit(self, notice: dict[str, Any]) -> str:
        """A line for the audit channel about the change it was queued for (its snapshot goes with it)."""
        snap = snapshot_from_dict(notice["snapshot"])
        if notice.get("unmapped"):
            venue = cards.Venue.of(self.service.provider(snap.provider), self.lang)
            return cards.unmapped_notice(snap, notice["unmapped"], self.lang, venue)
        return cards.audit_line(snap, self.service.people(snap).slack_id, self.lang)

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


def _message(message: cards.Message) -> Rendered:
    return message.text, list(message.blocks)

"""Approving several requests at once from App Home: the ticked requests, one confirmation modal listing
them (with an optional shared comment), then each approved as if alone (`bot.bulk`) before the ack."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.bulk import MAX_TOGETHER, BulkApprovals, BulkOutcome
from bot.i18n import t
from bot.model import Snapshot
from bot.provider_ports import UnknownApproval
from handlers import cards, field, home, safely, tell, text_field
from handlers.form_flow import notice_view

if TYPE_CHECKING:
    from handlers.context import BotContext

CALLBACK = "bulk_approve"
COMMENT_BLOCK = "comment"
TITLE_LIMIT = 24
COMMENT_LIMIT = 3000


def register(app: App, runtime: BotContext) -> None:
    bulk = BulkHandlers(runtime)
    app.action(re.compile(f"^{home.ACTION_BULK_PICK}\\d+$"))(lambda ack: ack())  # ticking is not yet asking
    app.action(home.ACTION_BULK_APPROVE)(lambda ack, body, client: bulk.clicked(ack, body, client))
    app.view(CALLBACK)(lambda ack, body, view: bulk.submitted(ack, body, view))


class BulkHandlers:
    def __init__(self, runtime: BotContext) -> None:
        self.runtime = runtime
        self.lang = runtime.config.slack.language
        self.approvals = BulkApprovals(runtime.decisions, runtime.store, runtime.config.slack.audit_channel)

    def clicked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """ "Approve selected": the confirmation modal over what is ticked now, or a word to tick some."""
        ack()
        user = text_field(body, "user", "id") or ""
        ticked = [snap for key in _ticked(body) if (snap := self._known(key)) is not None]
        if not ticked:
            tell(self.runtime, client, user, t("bulk.none", self.lang))
            return
        trigger = text_field(body, "trigger_id") or ""
        safely("views.open", client.views_open, trigger_id=trigger, view=self._modal(ticked))

    def submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The approvals run before the acknowledgement, whose modal then shows how each went (the same
        outcome waits in the outbox as a DM): a crash in between shows the approver an error, never a
        "done" for work that was lost. Twenty decisions take a fraction of Slack's 3 s."""
        keys = _metadata(view)
        if keys is None:
            ack(response_action="update", view=notice_view(self.lang, "listener.stale_form"))
            return
        user = text_field(body, "user", "id") or ""
        comment = text_field(view, "state", "values", COMMENT_BLOCK, "value", "value") or ""
        outcomes = self.approvals.approve(user, keys, comment.strip()[:COMMENT_LIMIT])
        ack(response_action="update", view=self._done(outcomes))
        self.runtime.deliverer.wake()

    def _known(self, key: str) -> Snapshot | None:
        """The request `key` if it is one the bot decides; whether it is still the user's turn is the
        engine's to say when it is approved (and reported if not)."""
        try:
            return self.runtime.decisions.current(key)
        except UnknownApproval:
            return None

    def _modal(self, ticked: list[Snapshot]) -> dict[str, Any]:
        lang = self.lang
        lines = [f"• `{cards.number_text(snap)}` {_template(snap)}" for snap in ticked]
        return {
            "type": "modal",
            "callback_id": CALLBACK,
            "private_metadata": json.dumps([snap.key for snap in ticked]),
            "title": {"type": "plain_text", "text": t("bulk.title", lang)[:TITLE_LIMIT]},
            "submit": {"type": "plain_text", "text": t("bulk.submit", lang)},
            "close": {"type": "plain_text", "text": t("bulk.cancel", lang)},
            "blocks": [
                cards.section(t("bulk.intro", lang, count=len(ticked))),
                *cards.sections(lines),
                {
                    "type": "input",
                    "block_id": COMMENT_BLOCK,
                    "optional": True,
                    "label": {"type": "plain_text", "text": t("bulk.comment", lang)},
                    "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
                },
            ],
        }

    def _done(self, outcomes: list[BulkOutcome]) -> dict[str, Any]:
        result = cards.bulk_result_message([asdict(outcome) for outcome in outcomes], self.lang)
        return {
            "type": "modal",
            "title": {"type": "plain_text", "text": t("bulk.title", self.lang)[:TITLE_LIMIT]},
            "close": {"type": "plain_text", "text": t("bulk.close", self.lang)},
            "blocks": list(result.blocks),
        }


def _template(snap: Snapshot) -> str:
    return cards.user_text(cards.one_line(snap.template_name), cards.NAME_LIMIT)


def _ticked(body: dict[str, Any]) -> list[str]:
    """The approval keys ticked in App Home's checkboxes, from the view state the click carries."""
    state = field(body, "view", "state", "values", home.BULK_BLOCK, kind=dict) or {}
    keys: list[str] = []
    for action_id, element in state.items():
        if not action_id.startswith(home.ACTION_BULK_PICK):
            continue
        for option in field(element, "selected_options", kind=list) or []:
            if (key := text_field(option, "value")) and key not in keys:
                keys.append(key)
    return keys[:MAX_TOGETHER]


def _metadata(view: Any) -> list[str] | None:
    """The approval keys `_modal` wrote into the modal, if it did."""
    try:
        keys = json.loads(text_field(view, "private_metadata") or "")
    except ValueError:
        return None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        return None
    return keys[:MAX_TOGETHER]

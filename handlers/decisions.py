"""Deciding embedded-engine approvals in Slack: buttons, the "More" menu, and the small modals
that ask for a reason, a person or a comment. Authorization is the engine's: whoever
may not do something is told why, in their own chat."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.i18n import enum_name, t
from bot.provider_ports import NotAllowed, UnknownApproval
from handlers import cards, field, refuse_click, safely, tell, text_field
from handlers.form_flow import notice_view

if TYPE_CHECKING:
    from handlers.context import BotContext

CALLBACK = "approval_decision"
# operation -> (input block, element, label key, required); operations not listed need no modal
_INPUTS: dict[str, tuple[str, dict[str, Any], str, bool]] = {
    "reject": ("reason", {"type": "plain_text_input", "multiline": True}, "decide.reason", True),
    "transfer": ("to", {"type": "users_select"}, "decide.to", True),
    "add_approver": ("users", {"type": "multi_users_select"}, "decide.add_who", True),
    "return": ("speech", {"type": "plain_text_input", "multiline": True}, "decide.speech", False),
    "comment": ("text", {"type": "plain_text_input", "multiline": True}, "decide.comment_text", True),
    "revoke": ("reason", {"type": "plain_text_input", "multiline": True}, "decide.revoke_reason", False),
}
_WITHOUT_INPUT = ("approve", "urge")  # every other operation a button or menu offers asks in a modal


def register(app: App, runtime: BotContext) -> None:
    decide = DecisionHandlers(runtime)
    for action_id in (
        cards.ACTION_APPROVE,
        cards.ACTION_REJECT,
        cards.ACTION_URGE,
        cards.ACTION_COMMENT,
        cards.ACTION_REVOKE,
        cards.ACTION_MORE,
    ):
        app.action(action_id)(lambda ack, body, client: decide.clicked(ack, body, client))
    app.view(CALLBACK)(lambda ack, body, view, client: decide.submitted(ack, body, view, client))


class DecisionHandlers:
    def __init__(self, runtime: BotContext) -> None:
        self.runtime = runtime
        self.lang = runtime.config.slack.language

    def clicked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """A decision button or menu: the block names the approval, the value the operation; anything
        else (an operation we do not offer, a block of another kind) is a stale or crafted click."""
        ack()
        operation = text_field(body, "actions", 0, "selected_option", "value") or text_field(
            body, "actions", 0, "value"
        )
        block = text_field(body, "actions", 0, "block_id") or ""
        user = text_field(body, "user", "id") or ""
        key = block.removeprefix(cards.DECISION_BLOCK)
        if key == block or not key:
            refuse_click(self.runtime, client, body)
        elif operation in _INPUTS:
            trigger = text_field(body, "trigger_id") or ""
            safely("views.open", client.views_open, trigger_id=trigger, view=self._modal(operation, key))
        elif operation in _WITHOUT_INPUT:
            self._act(client, user, key, operation, text_field(body, "channel", "id"))
        else:
            refuse_click(self.runtime, client, body)

    def submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """A decision modal: its metadata must be what `_modal` wrote, its input of the shape it asked for."""
        meta = _metadata(view)
        user = text_field(body, "user", "id") or ""
        if meta is None:
            ack(response_action="update", view=notice_view(self.lang, "listener.stale_form"))
            return
        operation, key = meta
        block, element, _, _ = _INPUTS[operation]
        answer = field(view, "state", "values", block, "value", kind=dict) or {}
        details = _details(operation, element, answer)
        try:
            self.runtime.decisions.act(key, user, operation, **details)
        except NotAllowed as exc:
            ack(response_action="errors", errors={block: self._explain(exc, key)})
            return
        except UnknownApproval:
            ack(response_action="errors", errors={block: t("decide.unknown", self.lang)})
            return
        ack()
        self.runtime.deliverer.wake()

    def _act(self, client: WebClient, user: str, key: str, operation: str, channel: str | None) -> None:
        """A refusal is told where the click was (a template's channel card is everybody's)."""
        try:
            self.runtime.decisions.act(key, user, operation)
        except NotAllowed as exc:
            self._tell(client, user, self._explain(exc, key), channel)
        except UnknownApproval:
            self._tell(client, user, t("decide.unknown", self.lang), channel)
        else:
            self.runtime.deliverer.wake()

    def _explain(self, exc: NotAllowed, key: str) -> str:
        """The reason in plain words: "already decided by @X at T" for someone who came too late, and
        how a finished request ended."""
        status = self._status(key) if exc.reason == "final" else ""
        decided_at = exc.decided_at or int(time.time())
        return cards.refusal_text(
            exc.reason, self.lang, decided_by=exc.decided_by, decided_at=decided_at, status=status
        )

    def _status(self, key: str) -> str:
        """Where approval `key` stands now, in words ("Approved"); "" when it is gone."""
        try:
            return enum_name(self.runtime.decisions.current(key).status, self.lang)
        except UnknownApproval:
            return ""

    def _tell(self, client: WebClient, user: str, text: str, channel: str | None) -> None:
        """Only to the person who clicked, where they clicked (else in their DM with the bot)."""
        tell(self.runtime, client, user, text, channel)

    def _modal(self, operation: str, key: str) -> dict[str, Any]:
        block, element, label, required = _INPUTS[operation]
        title = t(f"decide.{operation}", self.lang)
        return {
            "type": "modal",
            "callback_id": CALLBACK,
            "private_metadata": json.dumps({"operation": operation, "key": key}),
            "title": {"type": "plain_text", "text": title[:24]},
            "submit": {"type": "plain_text", "text": t("decide.submit", self.lang)},
            "close": {"type": "plain_text", "text": t("decide.cancel", self.lang)},
            "blocks": [
                {
                    "type": "input",
                    "block_id": block,
                    "optional": not required,
                    "label": {"type": "plain_text", "text": t(label, self.lang)},
                    "element": {**element, "action_id": "value"},
                }
            ],
        }


def _metadata(view: Any) -> tuple[str, str] | None:
    """(operation, approval key) from a decision modal's private_metadata, if `_modal` wrote it."""
    try:
        meta = json.loads(text_field(view, "private_metadata") or "")
    except ValueError:
        return None
    operation, key = text_field(meta, "operation"), text_field(meta, "key")
    return (operation, key) if operation in _INPUTS and key else None


def _details(operation: str, element: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """The engine's keyword arguments from what the modal's input holds; a value of another shape
    counts as empty, which the engine refuses in words where an answer is required."""
    if element["type"] == "users_select":
        return {"to": text_field(value, "selected_user") or ""}
    if element["type"] == "multi_users_select":
        users = field(value, "selected_users", kind=list) or []
        return {"users": tuple(u for u in users if isinstance(u, str))}
    text = (text_field(value, "value") or "").strip()
    return {{"reject": "reason", "revoke": "reason", "comment": "text"}.get(operation, "speech"): text}

"""Deciding embedded-engine approvals in Slack: buttons, the "More" menu, and the small modals
that ask for a reason, a person or a comment. Authorization is the engine's: whoever
may not do something is told why, in their own chat."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.i18n import t
from bot.providers.local.decide import UnknownApproval
from bot.providers.local.engine import NotAllowed
from handlers import cards, safely

if TYPE_CHECKING:
    from bot.runtime import Runtime

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


def register(app: App, runtime: Runtime) -> None:
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
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.lang = runtime.config.slack.language

    def clicked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        action = body["actions"][0]
        operation = (action.get("selected_option") or {}).get("value") or action.get("value", "")
        key = action.get("block_id", "").removeprefix(cards.DECISION_BLOCK)
        user = body["user"]["id"]
        if operation in _INPUTS:
            client.views_open(trigger_id=body["trigger_id"], view=self._modal(operation, key))
        else:
            self._act(client, user, key, operation)

    def submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = json.loads(view["private_metadata"])
        operation, key, user = meta["operation"], meta["key"], body["user"]["id"]
        block, element, _, _ = _INPUTS[operation]
        value = view["state"]["values"][block]["value"]
        details = _details(operation, element, value)
        try:
            self.runtime.decisions.act(key, user, operation, **details)
        except NotAllowed as exc:
            ack(response_action="errors", errors={block: self._explain(exc)})
            return
        except UnknownApproval:
            ack(response_action="errors", errors={block: t("decide.unknown", self.lang)})
            return
        ack()
        self.runtime.deliverer.wake()

    def _act(self, client: WebClient, user: str, key: str, operation: str) -> None:
        try:
            self.runtime.decisions.act(key, user, operation)
        except NotAllowed as exc:
            self._tell(client, user, self._explain(exc))
        except UnknownApproval:
            self._tell(client, user, t("decide.unknown", self.lang))
        else:
            self.runtime.deliverer.wake()

    def _explain(self, exc: NotAllowed) -> str:
        """The reason in plain words: "already decided by @X at T" for someone who came too late."""
        reason = exc.reason
        if reason == "already_decided" and not exc.decided_by:
            reason = "already_decided_plain"
        key = f"decide.not_allowed.{reason}"
        who = f"<@{exc.decided_by}>" if exc.decided_by else ""
        when = cards.date_token(exc.decided_at or int(time.time()))
        try:
            return t(key, self.lang, who=who, when=when, status="")
        except KeyError:
            return t("decide.not_allowed.already_decided_plain", self.lang)

    def _tell(self, client: WebClient, user: str, text: str) -> None:
        """Only to the person who clicked, in their DM with the bot."""
        channel = self.runtime.directory.im_channel(user)
        safely("chat.postEphemeral", client.chat_postEphemeral, channel=channel, user=user, text=text)

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


def _details(operation: str, element: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """The engine's keyword arguments from what the modal's input holds."""
    if element["type"] == "users_select":
        return {"to": value.get("selected_user") or ""}
    if element["type"] == "multi_users_select":
        return {"users": tuple(value.get("selected_users") or ())}
    text = (value.get("value") or "").strip()
    return {{"reject": "reason", "revoke": "reason", "comment": "text"}.get(operation, "speech"): text}

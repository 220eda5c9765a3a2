"""Block actions: form tables and template picking, fixing a refused draft, App Home buttons.

URL buttons open their link in the browser, but Slack still sends the click
here; an unanswered click shows the user a warning icon, so it is acked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.form_flow import ACTION_PICK, FormFlow
from handlers.home import ACTION_NEW_REQUEST, ACTION_PICK_TEMPLATE
from handlers.modals import ACTION_TABLE_ADD, ACTION_TABLE_REMOVE

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    actions = Actions(runtime)
    app.action("open_approval_link")(lambda ack: ack())
    app.action(ACTION_TABLE_ADD)(lambda ack, body, client: actions.table(ack, body, client, +1))
    app.action(ACTION_TABLE_REMOVE)(lambda ack, body, client: actions.table(ack, body, client, -1))
    app.action(ACTION_PICK)(lambda ack, body, client: actions.picked(ack, body, client))
    app.action(ACTION_PICK_TEMPLATE)(lambda ack, body, client: actions.home_picked(ack, body, client))
    app.action(ACTION_NEW_REQUEST)(lambda ack, body, client: actions.new_request(ack, body, client))
    app.action("draft_edit")(lambda ack, body, client: actions.edit_draft(ack, body, client))
    app.action("draft_check")(lambda ack, body: actions.check_draft(ack, body))


class Actions:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.flow = FormFlow(runtime)

    def table(self, ack: Ack, body: dict[str, Any], client: WebClient, delta: int) -> None:
        ack()
        self.flow.change_rows(client, body["user"]["id"], body["view"], body["actions"][0]["value"], delta)

    def picked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The picker modal becomes the chosen form."""
        ack()
        alias = _selected(body)
        if alias in self.runtime.submissions.aliases():
            self.flow.show_form(client, body["view"]["id"], body["user"]["id"], alias)

    def home_picked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        alias = _selected(body)
        if alias in self.runtime.submissions.aliases():
            self.flow.open_form(client, body["trigger_id"], body["user"]["id"], alias)

    def new_request(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        self.flow.open_picker(client, body["trigger_id"])

    def edit_draft(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        self.flow.reopen(client, body["trigger_id"], body["user"]["id"], body["actions"][0]["value"])

    def check_draft(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        draft_id, user = body["actions"][0]["value"], body["user"]["id"]
        if self.runtime.submissions.claim_retry(draft_id, user):
            self.runtime.submissions.file(draft_id)
            self.runtime.deliverer.wake()


def _selected(body: dict[str, Any]) -> str:
    action = body["actions"][0]
    return (action.get("selected_option") or {}).get("value") or action.get("value", "")

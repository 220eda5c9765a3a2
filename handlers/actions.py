"""Block actions: form tables and template picking, fixing a refused draft, App Home buttons.

URL buttons open their link in the browser, but Slack still sends the click
here; an unanswered click shows the user a warning icon, so it is acked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers import field, refuse_click, text_field
from handlers.form_flow import ACTION_PICK, FormFlow
from handlers.home import ACTION_NEW_REQUEST, ACTION_PICK_TEMPLATE
from handlers.modals import ACTION_TABLE_ADD, ACTION_TABLE_REMOVE

if TYPE_CHECKING:
    from handlers.context import BotContext


def register(app: App, runtime: BotContext) -> None:
    actions = Actions(runtime)
    app.action("open_approval_link")(lambda ack: ack())
    app.action(ACTION_TABLE_ADD)(lambda ack, body, client: actions.table(ack, body, client, +1))
    app.action(ACTION_TABLE_REMOVE)(lambda ack, body, client: actions.table(ack, body, client, -1))
    app.action(ACTION_PICK)(lambda ack, body, client: actions.picked(ack, body, client))
    app.action(ACTION_PICK_TEMPLATE)(lambda ack, body, client: actions.home_picked(ack, body, client))
    app.action(ACTION_NEW_REQUEST)(lambda ack, body, client: actions.new_request(ack, body, client))
    app.action("draft_edit")(lambda ack, body, client: actions.edit_draft(ack, body, client))
    app.action("draft_check")(lambda ack, body, client: actions.check_draft(ack, body, client))


class Actions:
    """Each click is checked for what it needs (a value, the view it came from, a template we offer); a
    click without it is stale or crafted, and whoever clicked is told so instead of nothing happening."""

    def __init__(self, runtime: BotContext) -> None:
        self.runtime = runtime
        self.flow = FormFlow(runtime)

    def table(self, ack: Ack, body: dict[str, Any], client: WebClient, delta: int) -> None:
        ack()
        table_id, view = text_field(body, "actions", 0, "value"), field(body, "view", kind=dict)
        if not (table_id and view and self.flow.change_rows(client, _user(body), view, table_id, delta)):
            refuse_click(self.runtime, client, body)

    def picked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The picker modal becomes the chosen form."""
        ack()
        alias, view_id = _selected(body), text_field(body, "view", "id")
        if alias in self.runtime.submissions.aliases() and view_id:
            self.flow.show_form(client, view_id, _user(body), alias)
        else:
            refuse_click(self.runtime, client, body)

    def home_picked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        alias = _selected(body)
        if alias in self.runtime.submissions.aliases():
            self.flow.open_form(client, _trigger(body), _user(body), alias)
        else:
            refuse_click(self.runtime, client, body)

    def new_request(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        self.flow.open_picker(client, _trigger(body))

    def edit_draft(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        draft_id = text_field(body, "actions", 0, "value")
        if draft_id:
            self.flow.reopen(client, _trigger(body), _user(body), draft_id)
        else:
            refuse_click(self.runtime, client, body)

    def check_draft(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        draft_id, user = text_field(body, "actions", 0, "value"), _user(body)
        if draft_id and self.runtime.submissions.claim_retry(draft_id, user):
            self.runtime.submissions.file(draft_id)
            self.runtime.deliverer.wake()
        else:
            refuse_click(self.runtime, client, body)


def _selected(body: dict[str, Any]) -> str:
    """The value of the clicked option or button ("" when there is none)."""
    return (
        text_field(body, "actions", 0, "selected_option", "value")
        or text_field(body, "actions", 0, "value")
        or ""
    )


def _user(body: dict[str, Any]) -> str:
    return text_field(body, "user", "id") or ""


def _trigger(body: dict[str, Any]) -> str:
    """The trigger_id; without one, opening a modal fails, which `safely` logs."""
    return text_field(body, "trigger_id") or ""

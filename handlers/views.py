"""Modal submissions: validate at once (errors beside the fields), file after the ack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

from bot.forms import FilledForm
from handlers import text_field
from handlers.form_flow import FormFlow, notice_view
from handlers.modals import CALLBACK_ID

if TYPE_CHECKING:
    from handlers.context import BotContext


def register(app: App, runtime: BotContext) -> None:
    flow = FormFlow(runtime)
    app.view(CALLBACK_ID)(lambda ack, body, view: form_submitted(runtime, flow, ack, body, view))


def form_submitted(
    runtime: BotContext, flow: FormFlow, ack: Ack, body: dict[str, Any], view: dict[str, Any]
) -> None:
    """A form whose metadata is not ours, or whose draft is not the submitter's, is refused in the modal."""
    user = text_field(body, "user", "id") or ""
    read = flow.read(view)
    if read is None or runtime.submissions.draft(read[0], user) is None:
        ack(response_action="update", view=notice_view(runtime.config.slack.language, "listener.stale_form"))
        return
    draft_id, result = read
    if not isinstance(result, FilledForm):
        ack(response_action="errors", errors=result)
        return
    claimed = runtime.submissions.begin_filing(draft_id, user, result)
    ack()  # closes the modal; a repeat (double click, Slack retry) files nothing
    if claimed:
        runtime.submissions.file(draft_id)
        runtime.deliverer.wake()

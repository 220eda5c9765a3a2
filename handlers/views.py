"""Modal submissions: validate at once (errors beside the fields), file after the ack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

from bot.forms import FilledForm
from handlers.form_flow import FormFlow
from handlers.modals import CALLBACK_ID

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    flow = FormFlow(runtime)
    app.view(CALLBACK_ID)(lambda ack, body, view: form_submitted(runtime, flow, ack, body, view))


def form_submitted(
    runtime: Runtime, flow: FormFlow, ack: Ack, body: dict[str, Any], view: dict[str, Any]
) -> None:
    draft_id, result = flow.read(view)
    if not isinstance(result, FilledForm):
        ack(response_action="errors", errors=result)
        return
    claimed = runtime.submissions.begin_filing(draft_id, body["user"]["id"], result)
    ack()  # closes the modal; a repeat (double click, Slack retry) files nothing
    if claimed:
        runtime.submissions.file(draft_id)
        runtime.deliverer.wake()

"""Opening, growing and submitting request forms: what the command, action and view
listeners share. Slack gives 3 s to use a trigger_id, and reading a template may
take longer, so a form opens as a "loading" modal at once and is filled in by
`views.update` when the template is there."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.form_reader import read_submission
from bot.forms import FilledForm
from bot.i18n import t
from bot.providers.base import ProviderError
from bot.submit import decode_answers
from handlers.modals import FormNotFillable, TemplateTooLarge, build_form_view

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

PICKER_CALLBACK = "approval_pick"
ACTION_PICK = "form_pick_template"


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:24] if len(text) > 24 else text}


def _message_view(title: str, text: str, lang: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": _text(title),
        "close": _text(t("cmd.close", lang)),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


class FormFlow:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.lang = runtime.config.slack.language

    @property
    def submissions(self) -> Any:
        return self.runtime.submissions

    # opening -------------------------------------------------------------------------

    def open_picker(self, client: WebClient, trigger_id: str) -> None:
        """A modal to choose which form; choosing it turns the modal into that form."""
        options = [{"text": _text(alias), "value": alias} for alias in self.submissions.aliases()[:100]]
        view = {
            "type": "modal",
            "callback_id": PICKER_CALLBACK,
            "title": _text(t("cmd.picker_title", self.lang)),
            "close": _text(t("cmd.close", self.lang)),
            "blocks": [
                {
                    "type": "section",
                    "block_id": "pick",
                    "text": {"type": "mrkdwn", "text": t("cmd.picker_label", self.lang)},
                    "accessory": {"type": "static_select", "action_id": ACTION_PICK, "options": options},
                }
            ],
        }
        client.views_open(trigger_id=trigger_id, view=view)

    def open_form(
        self,
        client: WebClient,
        trigger_id: str,
        user: str,
        alias: str,
        *,
        draft: Mapping[str, Any] | None = None,
        notice: str = "",
    ) -> None:
        loading = _message_view(t("cmd.picker_title", self.lang), t("cmd.loading", self.lang), self.lang)
        view_id = client.views_open(trigger_id=trigger_id, view=loading)["view"]["id"]
        self.show_form(client, view_id, user, alias, draft=draft, notice=notice)

    def show_form(
        self,
        client: WebClient,
        view_id: str,
        user: str,
        alias: str,
        *,
        draft: Mapping[str, Any] | None = None,
        notice: str = "",
    ) -> None:
        """Turns an open modal into the form for `alias` (a new draft unless one is given)."""
        try:
            template = self.submissions.template(alias)
            draft = draft or self.submissions.start(user, alias)
            initial = decode_answers(draft.get("answers") or {})
            rows = {
                key: len(value)
                for key, value in initial.items()
                if isinstance(value, tuple) and value and isinstance(value[0], dict)
            }
            view = build_form_view(
                template,
                self.lang,
                private_metadata=_metadata(draft["id"], alias, rows),
                rows=rows,
                initial=initial,
                departments=self.submissions.departments(user, template),
                notice=notice,
            )
        except (ProviderError, FormNotFillable, TemplateTooLarge) as exc:
            reason = t("cmd.form_unavailable", self.lang, reason=str(exc))
            view = _message_view(t("cmd.picker_title", self.lang), reason, self.lang)
        client.views_update(view_id=view_id, view=view)

    def change_rows(
        self, client: WebClient, user: str, view: dict[str, Any], table_id: str, delta: int
    ) -> None:
        """Add or remove a table row; Slack keeps what was typed in blocks whose ids stay the same."""
        meta = json.loads(view["private_metadata"])
        rows = dict(meta["rows"])
        rows[table_id] = max(1, rows.get(table_id, 1) + delta)
        template = self.submissions.template(meta["alias"])
        draft = self.submissions.store.get_draft(meta["draft"]) or {}
        initial = decode_answers(draft.get("answers") or {})  # a resubmitted draft keeps its prefill
        try:
            updated = build_form_view(
                template,
                self.lang,
                rows=rows,
                initial=initial,
                departments=self.submissions.departments(user, template),
                private_metadata=_metadata(meta["draft"], meta["alias"], rows),
            )
        except TemplateTooLarge:
            return  # "Add row" is only offered while a row fits; a stale click changes nothing
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)

    # submitting ----------------------------------------------------------------------

    def read(self, view: dict[str, Any]) -> tuple[str, FilledForm | dict[str, str]]:
        """(draft id, the filled form or field errors) from a submitted form view."""
        meta = json.loads(view["private_metadata"])
        template = self.submissions.template(meta["alias"], stale_ok=True)
        values = view["state"]["values"]
        return meta["draft"], read_submission(template, values, meta["rows"], self.lang)

    def reopen(self, client: WebClient, trigger_id: str, user: str, draft_id: str) -> None:
        """ "Edit and resubmit": the refused draft, prefilled, with why it was refused."""
        draft = self.submissions.draft(draft_id, user)
        if draft is None or draft["status"] != "refused":
            client.views_open(
                trigger_id=trigger_id,
                view=_message_view(t("cmd.picker_title", self.lang), t("submit.gone", self.lang), self.lang),
            )
            return
        notice = t("submit.refused_notice", self.lang, reason=draft.get("error", ""))
        self.open_form(client, trigger_id, user, draft["alias"], draft=draft, notice=notice)


def _metadata(draft_id: str, alias: str, rows: Mapping[str, int]) -> str:
    return json.dumps({"draft": draft_id, "alias": alias, "rows": dict(rows)}, separators=(",", ":"))

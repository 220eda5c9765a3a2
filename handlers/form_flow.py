"""Opening, growing and submitting request forms: what the command, action and view
listeners share. Slack gives 3 s to use a trigger_id, and reading a template may
take longer, so a form opens as a "loading" modal at once and is filled in by
`views.update` when the template is there."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.form_reader import MAX_ROWS, read_submission
from bot.forms import FilledForm, decode_answers
from bot.i18n import t
from bot.provider_ports import ProviderError
from handlers import field, safely
from handlers.cards import escape, section
from handlers.modals import FormNotFillable, TemplateTooLarge, build_form_view

if TYPE_CHECKING:
    from handlers.context import BotContext

log = logging.getLogger(__name__)

PICKER_CALLBACK = "approval_pick"
ACTION_PICK = "form_pick_template"


@dataclass(frozen=True)
class FormMeta:
    """What a form modal carries in its private_metadata: which draft, which template, how many rows."""

    draft: str
    alias: str
    rows: dict[str, int]


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:24] if len(text) > 24 else text}


def message_view(title: str, text: str, lang: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": _text(title),
        "close": _text(t("cmd.close", lang)),
        "blocks": [section(text)],
    }


def notice_view(lang: str, key: str) -> dict[str, Any]:
    """A modal that only says `key` (a stale form, a failure), to replace one that cannot be taken."""
    return message_view(t("listener.title", lang), t(key, lang), lang)


class FormFlow:
    def __init__(self, runtime: BotContext) -> None:
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
        safely("views.open", client.views_open, trigger_id=trigger_id, view=view)

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
        loading = message_view(t("cmd.picker_title", self.lang), t("cmd.loading", self.lang), self.lang)
        opened = safely("views.open", client.views_open, trigger_id=trigger_id, view=loading)
        if opened is not None:
            self.show_form(client, opened["view"]["id"], user, alias, draft=draft, notice=notice)

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
                provider_name=self.runtime.provider_name(template.provider, self.lang),
                rows=rows,
                initial=initial,
                departments=self.submissions.departments(user, template),
                notice=notice,
            )
        except (ProviderError, FormNotFillable, TemplateTooLarge) as exc:
            reason = t("cmd.form_unavailable", self.lang, reason=escape(str(exc)))
            view = message_view(t("cmd.picker_title", self.lang), reason, self.lang)
        safely("views.update", client.views_update, view_id=view_id, view=view)

    def change_rows(
        self, client: WebClient, user: str, view: dict[str, Any], table_id: str, delta: int
    ) -> bool:
        """Add or remove a table row; Slack keeps what was typed in blocks whose ids stay the same.
        False when the view is not a form of ours, or has no such table (a stale or crafted click)."""
        meta = self.metadata(view)
        view_id = field(view, "id", kind=str)
        template = self.submissions.template(meta.alias) if meta and view_id else None
        if template is None or not any(c.id == table_id and c.kind == "Table" for c in template.controls):
            return False
        rows = dict(meta.rows)
        rows[table_id] = max(1, rows.get(table_id, 1) + delta)
        draft = self.submissions.draft(meta.draft, user) or {}
        initial = decode_answers(draft.get("answers") or {})  # a resubmitted draft keeps its prefill
        try:
            updated = build_form_view(
                template,
                self.lang,
                rows=rows,
                initial=initial,
                departments=self.submissions.departments(user, template),
                private_metadata=_metadata(meta.draft, meta.alias, rows),
                provider_name=self.runtime.provider_name(template.provider, self.lang),
            )
        except TemplateTooLarge:
            return True  # "Add row" is only offered while a row fits; a stale click changes nothing
        safely("views.update", client.views_update, view_id=view_id, hash=view.get("hash"), view=updated)
        return True

    # submitting ----------------------------------------------------------------------

    def metadata(self, view: Any) -> FormMeta | None:
        """The form's private_metadata, if it is what `_metadata` wrote for a template we still offer."""
        try:
            meta = json.loads(field(view, "private_metadata", kind=str) or "")
        except ValueError:
            return None
        draft, alias = field(meta, "draft", kind=str), field(meta, "alias", kind=str)
        rows = field(meta, "rows", kind=dict)
        if draft is None or alias not in self.submissions.aliases() or rows is None:
            return None
        if not all(field(rows, table, kind=int) in range(1, MAX_ROWS + 1) for table in rows):
            return None
        return FormMeta(draft, alias, rows)

    def read(self, view: dict[str, Any]) -> tuple[str, FilledForm | dict[str, str]] | None:
        """(draft id, the filled form or field errors) from a submitted form view; None when the view
        is not a form of ours."""
        meta = self.metadata(view)
        values = field(view, "state", "values", kind=dict)
        if meta is None or values is None:
            return None
        template = self.submissions.template(meta.alias, stale_ok=True)
        return meta.draft, read_submission(template, values, meta.rows, self.lang)

    def reopen(self, client: WebClient, trigger_id: str, user: str, draft_id: str) -> None:
        """ "Edit and resubmit": the refused draft, prefilled, with why it was refused."""
        draft = self.submissions.draft(draft_id, user)
        if draft is None or draft["status"] != "refused":
            gone = message_view(t("cmd.picker_title", self.lang), t("submit.gone", self.lang), self.lang)
            safely("views.open", client.views_open, trigger_id=trigger_id, view=gone)
            return
        notice = t("submit.refused_notice", self.lang, reason=draft.get("error", ""))
        self.open_form(client, trigger_id, user, draft["alias"], draft=draft, notice=notice)


def _metadata(draft_id: str, alias: str, rows: Mapping[str, int]) -> str:
    return json.dumps({"draft": draft_id, "alias": alias, "rows": dict(rows)}, separators=(",", ":"))

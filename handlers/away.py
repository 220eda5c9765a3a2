"""Away and delegation at the Slack edge: `/approval away|back`, the admins' `away|back`, the App Home
status with its "I'm back" and "Set away…" buttons, and the modal those open (date picker, delegate,
reason). Every listener acks, calls `bot.away.Away`, and answers in words; the rules live there."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.away import Absence, AwayRefused
from bot.i18n import t
from handlers import field, safely, tell, text_field
from handlers.cards import date_token

if TYPE_CHECKING:
    from handlers.context import BotContext

ACTION_SET = "home_away_set"
ACTION_BACK = "home_away_back"
CALLBACK = "away_modal"
BLOCK_UNTIL, BLOCK_DELEGATE, BLOCK_REASON = "away_until", "away_delegate", "away_reason"
# a user as Slack escapes it in command text (<@U123|name>), or a bare id
USER_ARG = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]+)")


def register(app: App, runtime: BotContext) -> None:
    away = AwayListeners(runtime)
    app.action(ACTION_SET)(lambda ack, body, client: away.open_modal(ack, body, client))
    app.action(ACTION_BACK)(lambda ack, body, client: away.back_clicked(ack, body, client))
    app.view(CALLBACK)(lambda ack, body, view: away.submitted(ack, body, view))


def slack_user(word: str) -> str | None:
    """The user id of a mention or a bare id in command text; None for anything else."""
    match = USER_ARG.fullmatch(word)
    return (match.group(1) or match.group(2)) if match else None


def refusal(exc: AwayRefused, lang: str) -> str:
    """Why an absence could not be set, in words (a moment as a date each reader sees in their zone)."""
    params = {k: date_token(v) if k == "until" else v for k, v in exc.params.items()}
    return t(f"away.{exc.key}", lang, **params)


def away_command(runtime: BotContext, user: str, words: list[str]) -> str:
    """`/approval away <until> <@delegate> [reason]`: the answer to show the person."""
    lang = runtime.config.slack.language
    delegate = slack_user(words[1]) if len(words) >= 2 else None
    if delegate is None:
        return t("away.usage", lang)
    try:
        absence = runtime.away.set(user, words[0], delegate, " ".join(words[2:]), by=user)
    except AwayRefused as exc:
        return f"{refusal(exc, lang)}\n{t('away.usage', lang)}"
    return t("away.set_ok", lang, until=date_token(absence.until), delegate=absence.delegate)


def back_command(runtime: BotContext, user: str) -> str:
    """`/approval back`: the answer to show the person."""
    lang = runtime.config.slack.language
    absence = runtime.away.back(user, by=user)
    if absence is None:
        return t("away.not_away", lang)
    return t("away.back_ok", lang, delegate=absence.delegate)


def admin_away(runtime: BotContext, admin: str, words: list[str]) -> str:
    """`/approval-admin away @user <until> @delegate [reason]` (someone who left or cannot do it)."""
    lang = runtime.config.slack.language
    user = slack_user(words[0]) if words else None
    delegate = slack_user(words[2]) if len(words) >= 3 else None
    if user is None or delegate is None:
        return t("away.admin_usage", lang)
    try:
        absence = runtime.away.set(user, words[1], delegate, " ".join(words[3:]), by=admin)
    except AwayRefused as exc:
        return f"{refusal(exc, lang)}\n{t('away.admin_usage', lang)}"
    return t("away.admin_set_ok", lang, user=user, until=date_token(absence.until), delegate=delegate)


def admin_back(runtime: BotContext, admin: str, words: list[str]) -> str:
    """`/approval-admin back @user`."""
    lang = runtime.config.slack.language
    user = slack_user(words[0]) if len(words) == 1 else None
    if user is None:
        return t("away.admin_usage", lang)
    if runtime.away.back(user, by=admin) is None:
        return t("away.admin_not_away", lang, user=user)
    return t("away.admin_back_ok", lang, user=user)


def home_blocks(absence: Absence | None, lang: str) -> list[dict[str, Any]]:
    """App Home's away status: "You're away until … (delegate …) [I'm back]", else "Set away…"."""
    if absence is not None:
        text = t("away.home_away", lang, until=date_token(absence.until), delegate=f"<@{absence.delegate}>")
        label, action = t("away.home_back_button", lang), ACTION_BACK
    else:
        text, label, action = t("away.home_here", lang), t("away.home_set_button", lang), ACTION_SET
    button = {"type": "button", "action_id": action, "text": {"type": "plain_text", "text": label}}
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}, "accessory": button}]


def modal(lang: str) -> dict[str, Any]:
    """The "Set away…" modal: through which day, who decides meanwhile, and why (optional)."""

    def plain(key: str) -> dict[str, str]:
        return {"type": "plain_text", "text": t(key, lang)}

    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": plain("away.modal_title"),
        "submit": plain("away.modal_submit"),
        "close": plain("away.modal_cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_UNTIL,
                "label": plain("away.modal_until"),
                "element": {"type": "datepicker", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": BLOCK_DELEGATE,
                "label": plain("away.modal_delegate"),
                "element": {"type": "users_select", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": BLOCK_REASON,
                "optional": True,
                "label": plain("away.modal_reason"),
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200},
            },
        ],
    }


# which modal field an absence's refusal belongs beside
_FIELD_OF = {"bad_until": BLOCK_UNTIL, "past": BLOCK_UNTIL, "too_far": BLOCK_UNTIL}


class AwayListeners:
    def __init__(self, runtime: BotContext) -> None:
        self.runtime = runtime
        self.lang = runtime.config.slack.language

    def open_modal(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        safely(
            "open away modal",
            client.views_open,
            trigger_id=text_field(body, "trigger_id"),
            view=modal(self.lang),
        )

    def back_clicked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = text_field(body, "user", "id") or ""
        tell(self.runtime, client, user, back_command(self.runtime, user))

    def submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Saved: the absence is set (the home tab is refreshed by the use case); a refusal goes beside
        its field, so the person fixes it in place."""
        user = text_field(body, "user", "id") or ""
        values = field(view, "state", "values", kind=dict) or {}
        until = text_field(values, BLOCK_UNTIL, "value", "selected_date") or ""
        delegate = text_field(values, BLOCK_DELEGATE, "value", "selected_user") or ""
        reason = text_field(values, BLOCK_REASON, "value", "value") or ""
        try:
            self.runtime.away.set(user, until, delegate, reason, by=user)
        except AwayRefused as exc:
            ack(
                response_action="errors",
                errors={_FIELD_OF.get(exc.key, BLOCK_DELEGATE): _plain(refusal(exc, self.lang))},
            )
            return
        ack()


def _plain(text: str) -> str:
    """A field error is plain text: mentions and date tokens would show as markup there."""
    text = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", text)
    return re.sub(r"<@([^|>]+)(?:\|[^>]*)?>", r"\1", text)

"""/approval: new [template] · list · status <number> · away <until> <@delegate> [reason] · back · help."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.i18n import t
from handlers import away, cards, text_field
from handlers.form_flow import FormFlow

if TYPE_CHECKING:
    from handlers.context import BotContext

log = logging.getLogger(__name__)

LIST_LIMIT = 15


def register(app: App, runtime: BotContext) -> None:
    command = ApprovalCommand(runtime)
    app.command("/approval")(lambda ack, body, respond, client: command(ack, body, respond, client))


def usage(runtime: BotContext) -> str:
    """What `/approval help` answers (a direct message to the bot too): the commands, and the templates
    one can file."""
    lang = runtime.config.slack.language
    aliases = runtime.submissions.aliases()
    templates = (
        t("cmd.templates", lang, aliases=", ".join(f"`{a}`" for a in aliases))
        if aliases
        else t("cmd.no_templates", lang)
    )
    return f"{t('cmd.usage', lang)}\n{t('away.usage_line', lang)}\n{templates}"


class ApprovalCommand:
    def __init__(self, runtime: BotContext) -> None:
        self.runtime = runtime
        self.flow = FormFlow(runtime)
        self.lang = runtime.config.slack.language

    def __call__(self, ack: Ack, body: dict[str, Any], respond: Respond | None, client: WebClient) -> None:
        ack()
        sub, _, rest = (text_field(body, "text") or "").strip().partition(" ")
        user, rest = text_field(body, "user_id") or "", rest.strip()
        reply = _Reply(respond)
        if sub in ("", "help"):
            reply(usage(self.runtime))
        elif sub == "new":
            self._new(client, text_field(body, "trigger_id") or "", user, rest, reply)
        elif sub == "list":
            reply(self._list(user))
        elif sub == "status":
            reply(self._status(user, rest))
        elif sub == "away":
            reply(away.away_command(self.runtime, user, rest.split()))
        elif sub == "back":
            reply(away.back_command(self.runtime, user))
        else:
            reply(f"{t('cmd.unknown_sub', self.lang, sub=cards.user_text(sub, 40))}\n{usage(self.runtime)}")

    def _new(self, client: WebClient, trigger_id: str, user: str, alias: str, respond: _Reply) -> None:
        if not self.runtime.submissions.aliases():
            respond(t("cmd.no_templates", self.lang))
        elif not alias:
            self.flow.open_picker(client, trigger_id)
        elif alias not in self.runtime.submissions.aliases():
            unknown = t("cmd.unknown_alias", self.lang, alias=cards.user_text(alias, 40))
            respond(f"{unknown}\n{usage(self.runtime)}")
        else:
            self.flow.open_form(client, trigger_id, user, alias)

    def _list(self, user: str) -> str:
        mine, _, _ = self.runtime.service.for_user(user)
        if not mine:
            return t("cmd.list_empty", self.lang)
        lines = [
            f"• {cards.status_text(snap, self.lang)} · {cards.number_text(snap)} · "
            f"{cards.user_text(snap.template_name, 60)} · {cards.date_token(snap.apply_time)}"
            for snap in mine[:LIST_LIMIT]
        ]
        return "\n".join([t("cmd.list_header", self.lang), *lines])

    def _status(self, user: str, number: str) -> dict[str, Any] | str:
        if not number:
            return t("cmd.status_usage", self.lang)
        admin = user in self.runtime.config.slack.admins
        snap = self.runtime.service.find(number, user, admin=admin)
        if snap is None:
            return t("cmd.status_not_found", self.lang, number=cards.user_text(number, 40))
        names = self.runtime.service.resolve_people(snap, tolerate_outage=True).slack_id
        service = self.runtime.service
        venue = cards.Venue.of(service.provider(snap.provider), self.lang)
        watch = self.runtime.render.watch_now(snap.key)
        message = cards.applicant_card(snap, names, self.lang, service.link(snap), venue, watch=watch)
        reply = {"text": message.text, "blocks": list(message.blocks), "response_type": "ephemeral"}
        return self.runtime.live(reply)


class _Reply:
    """Answers through the command's response_url, which comes with the payload: a missing or unusable
    one is logged, not raised, since nothing was done that the person needs to hear about."""

    def __init__(self, respond: Respond | None) -> None:
        self.respond = respond

    def __call__(self, answer: str | dict[str, Any]) -> None:
        if self.respond is None:
            log.warning("slash command without a response_url")
            return
        try:
            if isinstance(answer, str):
                self.respond(answer)
            else:
                self.respond(**answer)
        except (OSError, ValueError) as exc:
            log.warning("slash command reply failed", extra={"error": type(exc).__name__})

"""/approval-admin: the admins' command. It acks at once, refuses whoever is not in `slack.admins`
(politely, and the attempt is logged and audited), then routes the subcommand to `bot.admin` and
answers ephemerally through the command's response_url, however long the work took (sync, sweep,
export). `template create` / `template update` belong to `handlers.template_admin`."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.admin import AdminRefused
from bot.export import EXPORT_FORMATS
from bot.i18n import t
from bot.template_policy import PolicyConfigError, parse_overrides
from handlers import admin_blocks as blocks
from handlers import away, template_admin, text_field
from handlers.cards import Venue

if TYPE_CHECKING:
    from handlers.context import BotContext

log = logging.getLogger(__name__)

COMMAND = "/approval-admin"
DEFAULT_DAYS = 30
MAX_DAYS = 3650
# a user as Slack escapes it in command text (<@U123|name>), or a bare id
USER_ARG = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]+)")
# a user or channel as Slack escapes them in command text: the id is what is kept
SLACK_REFERENCE = re.compile(r"<[@#]([UWCG][A-Z0-9]+)(?:\|[^>]*)?>")


class Usage(Exception):
    """The subcommand's arguments do not fit: its usage line is the answer."""


def register(app: App, runtime: BotContext) -> None:
    command = AdminCommand(runtime)
    app.command(COMMAND)(lambda ack, body, respond, client: command(ack, body, respond, client))


class AdminCommand:
    def __init__(self, runtime: BotContext) -> None:
        self.runtime = runtime
        self.admin = runtime.admin
        self.lang = runtime.config.slack.language
        self.routes: dict[str, Callable[[str, list[str], _Context], blocks.Message | None]] = {
            "help": self._help,
            "templates": self._templates,
            "track": self._track,
            "untrack": self._untrack,
            "template": self._template,
            "map": self._map,
            "unmap": self._unmap,
            "whois": self._whois,
            "status": self._status,
            "remind": self._remind,
            "sweep": self._sweep,
            "outbox": self._outbox,
            "stats": self._stats,
            "export": self._export,
            "health": self._health,
            "policy": self._policy,
            "away": self._away,
            "back": self._back,
        }

    def __call__(self, ack: Ack, body: dict[str, Any], respond: Respond | None, client: WebClient) -> None:
        ack()
        user = text_field(body, "user_id") or ""
        text = (text_field(body, "text") or "").strip()
        sub, _, rest = text.partition(" ")
        sub = sub.lower() or "help"
        reply = _Reply(respond)
        if not self.admin.is_admin(user):
            self.admin.refused(user, sub)
            reply(blocks.plain("admin.refused", self.lang))
            return
        route = self.routes.get(sub)
        if route is None:
            reply(blocks.unknown(sub, self.lang))
            return
        context = _Context(client, text_field(body, "trigger_id") or "", rest.strip(), respond)
        try:
            answer = route(user, rest.split(), context)
        except Usage:
            answer = blocks.usage(sub, self.lang)
        except AdminRefused as exc:
            answer = blocks.refusal(exc.key, exc.params, self.lang)
        except Exception as exc:  # the admin hears that it failed; the log has the rest, no payload
            log.exception("admin command failed", extra={"sub": sub})
            answer = blocks.plain("admin.failed", self.lang, error=type(exc).__name__)
        if answer is not None:
            reply(answer)

    # subcommands: (admin's user id, the words after the subcommand, context) -> the answer ------

    def _help(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        self.admin.audit(user, "help")
        return blocks.help_message(self.lang)

    def _templates(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if args == ["sync"]:
            return blocks.sync_message(self.admin.sync_templates(user), self.lang)
        if args:
            raise Usage
        self.admin.audit(user, "templates")
        return blocks.templates_message(self.admin.templates(), self.lang)

    def _track(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) not in (2, 3):
            raise Usage
        template_id, alias, *provider = args
        return blocks.tracked_message(self.admin.track(user, template_id, alias, *provider), self.lang)

    def _untrack(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) != 1:
            raise Usage
        entry = self.admin.untrack(user, args[0])
        return blocks.plain("admin.untracked", self.lang, alias=entry.alias)

    def _template(self, user: str, args: list[str], context: _Context) -> None:
        """Hands over to the template flows; the text after the mode (and id) is the inline body, as typed."""
        mode = args[0].lower() if args else ""
        if mode == "create":
            template_id, inline = None, context.rest.split(None, 1)[1:]
        elif mode == "update" and len(args) >= 2:
            template_id, inline = args[1], context.rest.split(None, 2)[2:]
        else:
            raise Usage
        template_admin.start(
            self.runtime,
            context.client,
            user=user,
            trigger_id=context.trigger_id,
            mode=mode,
            template_id=template_id,
            inline_json=inline[0] if inline else None,
            respond=context.respond,  # type: ignore[arg-type]  # bolt always gives commands one
        )

    def _map(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) not in (2, 3):
            raise Usage
        slack_user, provider_id, *provider = args
        found = self.admin.map(user, _user_arg(slack_user), provider_id, *provider)
        return blocks.mapped_message(found, self.lang)

    def _away(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        return blocks.message([away.admin_away(self.runtime, user, args)])  # audited by the use case

    def _back(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        return blocks.message([away.admin_back(self.runtime, user, args)])

    def _unmap(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) not in (1, 2):
            raise Usage
        slack_user, *provider = args
        found = self.admin.unmap(user, _user_arg(slack_user), *provider)
        return blocks.mapped_message(found, self.lang, removed=True)

    def _whois(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) != 1:
            raise Usage
        who = _user_arg(args[0])
        self.admin.audit(user, "whois", who)
        return blocks.whois_message(who, self.admin.whois(who), self.lang)

    def _status(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) not in (1, 2):
            raise Usage
        report = self.admin.status(*args)
        self.admin.audit(user, "status", report.snapshot.key)
        venue = Venue.of(self.runtime.service.provider(report.snapshot.provider), self.lang)
        watch = self.runtime.render.watch_now(report.snapshot.key)
        return blocks.status_message(report, venue, self.runtime.live, self.lang, watch)

    def _remind(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) not in (1, 2):
            raise Usage
        reminded = self.admin.remind(user, *args)
        return blocks.reminded_message(reminded, self.lang)

    def _sweep(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) > 1:
            raise Usage
        reports = self.admin.sweep(user, *args)
        return blocks.sweep_message(reports, self.lang)

    def _outbox(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if args == ["retry"]:
            return blocks.plain("admin.outbox_retried", self.lang, count=self.admin.retry_outbox(user))
        if args:
            raise Usage
        self.admin.audit(user, "outbox")
        return blocks.outbox_message(self.admin.outbox(), self.lang)

    def _stats(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if len(args) > 1:
            raise Usage
        days = _days(args[0]) if args else DEFAULT_DAYS
        self.admin.audit(user, "stats", f"{days} days")
        return blocks.stats_message(self.admin.stats(days), self.lang)

    def _export(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        numbers = [a for a in args if a.isascii() and a.isdigit()]
        formats = [a.lower() for a in args if a.lower() in EXPORT_FORMATS]
        if len(numbers) > 1 or len(formats) > 1 or len(numbers) + len(formats) != len(args):
            raise Usage
        days = _days(numbers[0]) if numbers else DEFAULT_DAYS
        file = self.admin.export(user, days, formats[0] if formats else "json")
        try:
            context.client.files_upload_v2(
                channel=self.runtime.directory.im_channel(user),
                filename=file.filename,
                title=file.filename,
                content=file.content,
                initial_comment=t("admin.export_comment", self.lang, days=days, rows=file.rows),
            )
        except SlackApiError as exc:
            log.warning("export upload failed", extra={"error": exc.response.get("error")})
            return blocks.plain("admin.export_failed", self.lang, error=exc.response.get("error", ""))
        return blocks.exported_message(file, self.lang)

    def _health(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if args:
            raise Usage
        self.admin.audit(user, "health")
        return blocks.health_message(self.admin.health(), self.lang)

    def _policy(self, user: str, args: list[str], context: _Context) -> blocks.Message:
        if not args:
            raise Usage
        alias, *words = args
        if not words:
            self.admin.audit(user, "policy", alias)
            return blocks.policy_message(self.admin.policy(alias), self.lang)
        try:
            values = parse_overrides(_slack_ids(word) for word in words)
        except PolicyConfigError as exc:
            return blocks.refusal("bad_policy", {"error": str(exc)}, self.lang)
        return blocks.policy_message(self.admin.set_policy(user, alias, values), self.lang)


class _Context:
    """What a subcommand may need of the request besides its words."""

    def __init__(self, client: WebClient, trigger_id: str, rest: str, respond: Respond | None) -> None:
        self.client = client
        self.trigger_id = trigger_id
        self.rest = rest  # the text after the subcommand, exactly as typed (an inline JSON body)
        self.respond = respond


def _user_arg(raw: str) -> str:
    """The Slack user id in `<@U123|name>` or `U123`; anything else is refused by the use case."""
    match = USER_ARG.fullmatch(raw)
    return (match.group(1) or match.group(2)) if match else raw


def _slack_ids(word: str) -> str:
    """A `key=value` word with a user or channel as Slack escapes them in command text (<@U123|name>,
    <#C123|name>) made the bare id; anything else (a typed "#name") is left for the check to refuse."""
    return SLACK_REFERENCE.sub(lambda match: match.group(1), word)


def _days(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_DAYS:
        raise Usage
    return int(raw)


class _Reply:
    """Ephemeral answers through the command's response_url; a missing or unusable one is logged."""

    def __init__(self, respond: Respond | None) -> None:
        self.respond = respond

    def __call__(self, message: blocks.Message) -> None:
        if self.respond is None:
            log.warning("slash command without a response_url")
            return
        try:
            self.respond(response_type="ephemeral", replace_original=False, **message)
        except (OSError, ValueError) as exc:
            log.warning("admin reply failed", extra={"error": type(exc).__name__})

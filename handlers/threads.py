"""Replies in the thread under one of the bot's cards (message.im, message.channels, message.groups).

A person's reply under a card is handed to `ThreadReplies`, which makes it a comment where it can be;
whoever replied is told, only where they replied, when it could not be (not on the request, the request
is over, or its system takes no comments from Slack). Anything else (a message that is not a reply under
a card the bot holds, a bot's message, the bot's own, an edit or a deletion) is left to the next
listener: in a DM, the help.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.i18n import t
from bot.threads import Outcome, ThreadReply
from handlers import field, safely, text_field
from handlers.cards import status_text

if TYPE_CHECKING:
    from handlers.context import BotContext

# subtypes of a person's reply: a plain one, or one also sent to the channel
_REPLY_SUBTYPES = (None, "thread_broadcast")


def register(app: App, runtime: BotContext) -> None:
    app.event("message", matchers=[lambda event, context: under_a_card(runtime, event, context.bot_user_id)])(
        lambda event, context, client: take_reply(runtime, event, context, client)
    )


def reply_of(event: dict[str, Any], bot_user_id: str | None) -> ThreadReply | None:
    """The person's reply in a thread that `event` reports, or None for anything else."""
    channel, ts, thread_ts = (text_field(event, k) for k in ("channel", "ts", "thread_ts"))
    user, text = text_field(event, "user"), text_field(event, "text") or ""
    if not (channel and ts and thread_ts and user) or thread_ts == ts or user == bot_user_id:
        return None
    if event.get("subtype") not in _REPLY_SUBTYPES or "bot_id" in event:
        return None
    if field(event, "bot_profile", kind=dict) is not None:
        return None
    return ThreadReply(channel, thread_ts, ts, user, text)


def under_a_card(runtime: BotContext, event: dict[str, Any], bot_user_id: str | None) -> bool:
    reply = reply_of(event, bot_user_id)
    return reply is not None and runtime.store.cards.find(reply.channel, reply.thread_ts) is not None


def take_reply(runtime: BotContext, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    reply = reply_of(event, context.bot_user_id)
    if reply is None:
        return
    taken = runtime.threads.take(reply)
    if taken.outcome is Outcome.COMMENTED:
        runtime.deliverer.wake()
        return
    lang = runtime.config.slack.language
    snap = taken.approval
    if snap is None or taken.outcome not in _TOLD:
        return
    if taken.outcome is Outcome.STAYS_IN_SLACK:
        note = t("thread.stays_in_slack", lang, provider=runtime.provider_name(snap.provider, lang))
    elif taken.outcome is Outcome.FINISHED:
        note = t("thread.finished", lang, status=status_text(snap, lang))
    else:
        note = t("thread.not_on_it", lang)
    safely(
        "chat.postEphemeral",
        client.chat_postEphemeral,
        channel=reply.channel,
        user=reply.user,
        text=note,
        thread_ts=reply.thread_ts,
    )


_TOLD = (Outcome.STAYS_IN_SLACK, Outcome.FINISHED, Outcome.NOT_ON_IT)

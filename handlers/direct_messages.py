"""A direct message to the bot is answered with the help `/approval help` gives.

Why: the bot's Messages tab is on (its cards arrive there), so people type into it; unanswered, the bot
would seem deaf. Only a person's new message is answered: anything a bot posted (the bot's own cards
and answers included), edits, deletions and every other subtype are left alone, so the bot never
answers itself or another bot in a loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from handlers import field, safely, text_field
from handlers.cards import sections
from handlers.commands import usage

if TYPE_CHECKING:
    from handlers.context import BotContext


def register(app: App, runtime: BotContext) -> None:
    app.event("message")(lambda event, context, client: answer_with_help(runtime, event, context, client))


def from_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's new message in a DM with the bot: not a bot's, not the bot's own, no subtype."""
    return (
        text_field(event, "channel_type") == "im"
        and "subtype" not in event
        and "bot_id" not in event
        and field(event, "bot_profile", kind=dict) is None
        and text_field(event, "user") not in (None, bot_user_id)
    )


def answer_with_help(
    runtime: BotContext, event: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    channel = text_field(event, "channel")
    if not channel or not from_a_person(event, context.bot_user_id):
        return
    help_text = usage(runtime)
    safely(
        "chat.postMessage",
        client.chat_postMessage,
        channel=channel,
        text=help_text,
        blocks=sections(help_text.splitlines()),
        thread_ts=text_field(event, "thread_ts"),  # a question asked in a thread is answered there
    )

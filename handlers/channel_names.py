"""A template's `channel = "#name"` made a channel id: chat.update needs the id, and the card store
records it. Public channels are listed once (conversations.list) and every name found is cached; a
private channel is given by its id, which needs no lookup (listing private channels takes a scope the
bot does not otherwise need)."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk import WebClient

RELIST_SECONDS = 300.0  # a name not found is looked for again after this (a channel created since)
PAGE_SIZE = 1000


class ChannelNames:
    def __init__(self, slack: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.slack = slack
        self.clock = clock
        self._ids: dict[str, str] = {}
        self._listed_at: float | None = None

    def id_of(self, channel: str) -> str | None:
        """The id of `channel` (an id is its own); None when no public channel has that name. Slack's
        refusals (SlackApiError) and network failures reach the caller, which retries or holds."""
        if not channel.startswith("#"):
            return channel
        name = channel[1:]
        stale = self._listed_at is None or self.clock() - self._listed_at >= RELIST_SECONDS
        if name not in self._ids and stale:
            self._ids = self._listed()
            self._listed_at = self.clock()
        return self._ids.get(name)

    def _listed(self) -> dict[str, str]:
        """Every public channel's name -> id, page by page."""
        ids: dict[str, str] = {}
        cursor = ""
        while True:
            page = self.slack.conversations_list(
                types="public_channel", exclude_archived=True, limit=PAGE_SIZE, cursor=cursor or None
            )
            ids.update({c["name"]: c["id"] for c in page.get("channels") or [] if c.get("name")})
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return ids

"""Outbox -> Slack: retried with backoff, paced per channel, never double-posted.

Each item is posted once and its `ts` recorded; cards are updated in place.
Every post carries the outbox id in message metadata, so when a post may
have reached Slack without us learning its ts (a dropped connection, a crash
between post and commit), the retry first looks for that message in the
channel's recent history and adopts it instead of posting again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.directory import Directory
from bot.store import Store
from bot.worker import Worker

log = logging.getLogger(__name__)

METADATA_EVENT = "approvals_bot_delivery"
CHANNEL_INTERVAL = 1.0  # chat.postMessage: about one message a second per channel
MAX_BACKOFF = 300.0
MAX_ATTEMPTS = 25  # about a day and a half of retries at the backoff cap
# Errors that retrying cannot fix: the item is dropped with a log line.
PERMANENT_ERRORS = {
    "channel_not_found",
    "user_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "cannot_dm_bot",
    "user_disabled",
    "restricted_action",
    "missing_scope",
    "invalid_auth",
    "not_authed",
}


@dataclass
class DeliveryStats:
    sent: int = 0
    updated: int = 0
    adopted: int = 0
    retried: int = 0
    dropped: int = 0


class Deliverer(Worker):
    """Drains the outbox. `run_once` is the unit; `start` runs it in a thread until `stop`."""

    name = "deliverer"

    def __init__(
        self,
        store: Store,
        slack: WebClient,
        directory: Directory,
        *,
        clock: Callable[[], float] = time.time,
        render_home: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.slack = slack
        self.directory = directory
        self.clock = clock
        self.render_home = render_home  # user -> their App Home view, built when it is published
        self.stats = DeliveryStats()
        self._channel_ready: dict[str, float] = {}

    # work ------------------------------------------------------------------------

    def backlog(self) -> int:
        return self.store.outbox_size()

    def run_once(self) -> float:
        """Deliver what is due; returns how long to wait before something else is due."""
        next_due = 60.0
        earlier_cards: set[str] = set()
        for item in self.store.outbox_items():
            if self.stopping:
                break
            # one card's items go out in order: a newer version waits for an older one still queued
            if item.get("card_key"):
                if item["card_key"] in earlier_cards:
                    continue
                earlier_cards.add(item["card_key"])
            now = self.clock()
            try:
                channel = self._channel_for(item)
            except SlackApiError as exc:
                self._failed(item, exc)
                continue
            except Exception as exc:  # network trouble opening the DM: nothing was sent
                self._retry(item, reason=type(exc).__name__)
                continue
            due = max(item.get("not_before", 0.0), self._channel_ready.get(channel, 0.0))
            if due > now:
                next_due = min(next_due, due - now)
                continue
            self._deliver(item, channel)
            self._channel_ready[channel] = max(
                self._channel_ready.get(channel, 0.0), self.clock() + CHANNEL_INTERVAL
            )
            next_due = min(next_due, CHANNEL_INTERVAL)
        return max(next_due, 0.05)

    def _channel_for(self, item: dict[str, Any]) -> str:
        if item.get("kind") == "home":  # views.publish: paced apart from the DM
            return f"home:{item['user']}"
        if item.get("channel"):
            return item["channel"]
        return self.directory.im_channel(item["user"])

    def _deliver(self, item: dict[str, Any], channel: str) -> None:
        card = self.store.card(item["approval_key"], item["card_key"]) if item.get("card_key") else None
        try:
            if item.get("kind") == "home":
                self._publish_home(item)
            elif card:
                self._update(item, card)
            else:
                self._post(item, channel)
        except SlackApiError as exc:
            self._failed(item, exc, channel)
        except Exception as exc:  # network trouble: the post may or may not have landed
            self._retry(item, reason=type(exc).__name__, maybe_posted=True)

    def _publish_home(self, item: dict[str, Any]) -> None:
        """App Home is rebuilt from the current state, so a queued refresh is never stale."""
        if self.render_home is not None:
            self.slack.views_publish(user_id=item["user"], view=self.render_home(item["user"]))
        self._done(item)

    def _update(self, item: dict[str, Any], card: dict[str, str]) -> None:
        self.store.update_outbox(item["id"], in_flight=True)  # a newer version is queued apart, not merged
        try:
            self.slack.chat_update(
                channel=card["channel"], ts=card["ts"], text=item["text"], blocks=item.get("blocks") or None
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in ("message_not_found", "cant_update_message"):
                raise
            log.info("card gone; posting it again", extra={"card": item["card_key"]})
            self._post(item, card["channel"])
            return
        self._done(item, updated=True)

    def _post(self, item: dict[str, Any], channel: str) -> None:
        ts = self._find_earlier_post(item, channel) if item.get("maybe_posted") else None
        if ts:
            self.stats.adopted += 1
        else:
            self.store.update_outbox(item["id"], maybe_posted=True, in_flight=True)
            self.store.commit()
            try:
                response = self.slack.chat_postMessage(
                    channel=channel,
                    text=item["text"],
                    blocks=item.get("blocks") or None,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": item["id"]}},
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError:
                self.store.update_outbox(item["id"], maybe_posted=False)  # Slack answered: nothing posted
                raise
            channel, ts = response["channel"], response["ts"]
            self.stats.sent += 1
        if item.get("card_key"):
            self.store.set_card(item["approval_key"], item["card_key"], channel, ts)
        self._done(item)

    def _find_earlier_post(self, item: dict[str, Any], channel: str) -> str | None:
        """The ts of a message an interrupted attempt already posted, if Slack has it.

        When history can never be read (e.g. a workspace that did not grant im:history), posting
        again risks a duplicate, which is better than losing the notification.
        """
        try:
            history = self.slack.conversations_history(
                channel=channel, oldest=str(item["created"] - 1), include_all_metadata=True, limit=100
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in PERMANENT_ERRORS:
                raise  # a passing failure: look again on the next attempt
            log.warning(
                "cannot look for an earlier post; posting again",
                extra={"outbox_id": item["id"], "error": exc.response.get("error")},
            )
            return None
        for message in history.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("outbox_id") == item["id"]:
                return message["ts"]
        return None

    def _done(self, item: dict[str, Any], *, updated: bool = False) -> None:
        if updated:
            self.stats.updated += 1
        with self.store.transaction():
            self.store.remove_outbox(item["id"])

    def _failed(self, item: dict[str, Any], exc: SlackApiError, channel: str | None = None) -> None:
        error = exc.response.get("error", "")
        if exc.response.status_code == 429 or error == "ratelimited":
            retry_after = float(exc.response.headers.get("Retry-After", 1) or 1)
            channel = channel or item.get("channel") or item.get("user", "")
            self._channel_ready[channel] = self.clock() + retry_after
            self._retry(item, reason="ratelimited", delay=retry_after, count_attempt=False)
        elif error in PERMANENT_ERRORS:
            self._drop(item, error)
        else:
            self._retry(item, reason=error or "error")

    def _retry(
        self,
        item: dict[str, Any],
        *,
        reason: str,
        delay: float | None = None,
        maybe_posted: bool = False,
        count_attempt: bool = True,
    ) -> None:
        attempts = item.get("attempts", 0) + (1 if count_attempt else 0)
        if attempts >= MAX_ATTEMPTS:
            self._drop(item, f"gave up after {attempts} attempts ({reason})")
            return
        delay = delay if delay is not None else min(MAX_BACKOFF, 2.0**attempts)
        self.stats.retried += 1
        log.warning(
            "delivery will be retried",
            extra={"outbox_id": item["id"], "reason": reason, "attempts": attempts, "delay": delay},
        )
        changes: dict[str, Any] = {
            "attempts": attempts,
            "not_before": self.clock() + delay,
            "in_flight": False,
        }
        if maybe_posted:
            changes["maybe_posted"] = True
        with self.store.transaction():
            self.store.update_outbox(item["id"], **changes)

    def _drop(self, item: dict[str, Any], reason: str) -> None:
        self.stats.dropped += 1
        log.error(
            "delivery dropped",
            extra={"outbox_id": item["id"], "approval": item["approval_key"], "reason": reason},
        )
        with self.store.transaction():
            self.store.remove_outbox(item["id"])

"""Outbox -> Slack: retried with backoff, paced per channel, never double-posted, never dropped
because of the bot's own credentials.

Each item is a notice the use cases queued; it is rendered (`handlers.render`) when it is sent, so a
card shows the newest state and its links are minted then. Each item is posted once and its `ts`
recorded; cards are updated in place.
Every post carries the outbox id in message metadata, so when a post may
have reached Slack without us learning its ts (a dropped connection, a crash
between post and commit), the retry first looks for that message in the
channel's recent history and adopts it instead of posting again.

Items go out in batches (at most BATCH_ITEMS): one commit marks every item of the batch about to be
posted as maybe posted, before the first post; what was delivered (ts of new cards, items done) is
written by one commit at the end of the batch, or sooner once BATCH_SECONDS have passed. A crash in
between loses only that record: the marked items are found in Slack by their metadata, not posted
again. (One commit per card capped delivery at ~11 posts/s: each rewrites the hot file.)

Slack's refusals fall in three groups:

- passing trouble (network, 5xx, `ratelimited`, `internal_error`): retried with backoff;
- the bot's own token or scopes (`invalid_auth`, `missing_scope`, ...): no message can go out, so
  none is dropped. Every queued item is *held* (durably, with the reason), the deliverer stops
  calling Slack and probes `auth.test` with backoff; once it works the held items go out in their
  original order. Health says what to fix meanwhile;
- faults of one message that no retry fixes (`channel_not_found`, `msg_too_long`, ...): that item
  ends, recorded in the store's failed deliveries (never its text) for health and admins.

A channel's `Retry-After` and the fault holding every delivery live in the store's `delivery_holds`,
so that on a database several replicas share, what one replica learns holds delivery on all of them:
each pass reads them, and one replica at a time claims the probe that is due.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.directory import Directory
from bot.store import Store
from bot.worker import Worker

log = logging.getLogger(__name__)

Rendered = tuple[str, "list[dict[str, Any]] | None"]  # (text, blocks; None: a text-only message)


def pre_rendered(item: dict[str, Any]) -> Rendered | None:
    """An item that carries its text (and blocks) already: an admin's audit line, or one queued before
    items were notices."""
    return item.get("text", ""), item.get("blocks") or None


CLAIMED_ELSEWHERE_RECHECK = 5.0  # seconds: how soon items another replica holds are looked at again
METADATA_EVENT = "approvals_bot_delivery"
CHANNEL_INTERVAL = 1.0  # chat.postMessage: about one message a second per channel
BATCH_ITEMS = 20  # items delivered between two commits at most
BATCH_SECONDS = 0.05  # ... and the longest what was delivered waits for its commit
MAX_BACKOFF = 300.0
MAX_ATTEMPTS = 25  # about a day and a half of retries at the backoff cap
PROBE_FIRST = 15.0  # while Slack refuses the bot: first auth.test after this, doubling ...
PROBE_MAX = 300.0  # ... up to this
HEALTH_FAILURES = 5  # the latest failed deliveries health shows
# The bot's token itself is refused: whatever the message, nothing can be sent.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
    }
)
SCOPE_ERROR = "missing_scope"
# The token or the app's installation lacks a permission, for every message alike.
CREDENTIAL_ERRORS = TOKEN_ERRORS | {
    SCOPE_ERROR,
    "no_permission",
    "team_access_not_granted",
    "ekm_access_denied",
    "org_login_required",
    "accesslimited",
}
# Errors no retry can fix for that one message: the item ends, recorded.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "user_disabled",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
    }
)
# A template channel the bot cannot post its cards in: the admins must invite it or fix the setting.
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
# Reading history to find an interrupted post: without im:history it never works; post again instead.
HISTORY_UNREADABLE = PERMANENT_ERRORS | {SCOPE_ERROR}
UNREACHABLE = "unreachable"


class ThreadNotPosted(Exception):
    """A reply's card is not posted yet: the reply waits for it."""


@dataclass(frozen=True)
class SlackFault:
    """Why nothing can be delivered now: Slack's error code (or UNREACHABLE) and the scopes it wants."""

    reason: str
    needed: tuple[str, ...] = ()

    @classmethod
    def of(cls, exc: SlackApiError) -> SlackFault:
        needed = str(exc.response.get("needed") or "")
        return cls(exc.response.get("error", ""), tuple(s.strip() for s in needed.split(",") if s.strip()))

    @classmethod
    def from_hold(cls, hold: dict[str, Any]) -> SlackFault:
        return cls(hold.get("reason", ""), tuple(hold.get("needed") or ()))

    def hold(self) -> dict[str, Any]:
        """What a held item keeps of the fault (so a restart knows what to probe for)."""
        return {"reason": self.reason, "needed": list(self.needed)}

    def what_to_fix(self) -> str:
        """In plain words for whoever runs the bot: what is wrong and which setting fixes it."""
        if self.reason in TOKEN_ERRORS:
            return (
                f"Slack rejected the bot token ({self.reason}): put a valid xoxb- token in slack.bot_token "
                "or SLACK_BOT_TOKEN"
            )
        if self.reason == SCOPE_ERROR:
            scopes = ", ".join(self.needed) or "a scope the bot needs"
            return (
                f"The Slack app lacks {scopes} ({self.reason}): add it under OAuth & Permissions and "
                "reinstall the app"
            )
        if self.reason == UNREACHABLE:
            return "Slack could not be reached to check the bot token: check the network and slack.api_url"
        return (
            f"Slack refuses the bot ({self.reason}): check the app's installation and permissions in "
            "the workspace"
        )

    def problem(self, held: int) -> str:
        return f"{self.what_to_fix()}; {held} notification(s) are held and will be sent when it works"

    def satisfied_by(self, response: Any) -> bool:
        """Whether a successful auth.test clears this fault: for missing scopes, only once the token's
        scopes (X-OAuth-Scopes, when Slack sends it) include them."""
        if not self.needed:
            return True
        headers = {name.lower(): value for name, value in (getattr(response, "headers", None) or {}).items()}
        granted = headers.get("x-oauth-scopes")
        if granted is None:
            return True
        scopes = {s.strip() for s in str(granted).split(",")}
        return all(scope in scopes for scope in self.needed)


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
        mint_links: Callable[[str], str] = lambda text: text,
        render: Callable[[dict[str, Any]], Rendered | None] = pre_rendered,
        channel_ids: Callable[[str], str | None] = lambda channel: channel,
    ) -> None:
        """`render` turns a queued item into (text, blocks) when it is sent (None: it tells of nothing
        that still exists, and ends); `mint_links` turns the link placeholders a message carries into
        live links, at that moment: the store never holds a usable approve link; `channel_ids` makes a
        configured channel ("#name" or an id) an id (None: there is no such channel)."""
        super().__init__()
        self.store = store
        self.slack = slack
        self.directory = directory
        self.clock = clock
        self.render_home = render_home  # user -> their App Home view, built when it is published
        self.mint_links = mint_links
        self.render = render
        self.channel_ids = channel_ids
        # channel -> why its cards cannot be posted there (e.g. not_in_channel), until one is
        self._channel_faults: dict[str, str] = {}
        self.stats = DeliveryStats()
        self._channel_ready: dict[str, float] = {}
        self._fault: SlackFault | None = None  # as the store said at this pass (see `_shared_fault`)
        self._probe_wait = PROBE_FIRST
        self._probe_at = 0.0
        self._probe_unclaimed = False  # the first probe after a start is made at once, whoever is due
        self._marked: set[str] = set()  # ids of the batch in hand, durably marked maybe posted
        held = store.outbox.held()
        if held:  # held before a restart: ask Slack first (the token may be fixed), before anything is tried
            self._enter_fault(SlackFault.from_hold(held[0]["held"]), probe_in=0.0)
            self._probe_unclaimed = True

    # work ------------------------------------------------------------------------

    def backlog(self) -> int:
        return self.store.outbox.size()

    def run_once(self) -> float:
        """Deliver what is due; returns how long to wait before something else is due."""
        if self._shared_fault() is not None:
            self._probe_if_due()
            if self._fault is not None:
                self._hold_queued(self._fault)  # queued during the fault: held like the rest
                return max(self._probe_at - self.clock(), 0.05)
        self.give_way()  # a pass reads the whole queue: not while callbacks wait to be applied
        next_due = 60.0
        earlier_cards: set[str] = set()
        channels_held = self.store.delivery_holds.channels_held(self.clock())  # Retry-After, any replica's
        items = self.store.outbox.items()
        if self.store.outbox.size() > len(items):  # some claimed by another replica: theirs until its
            next_due = CLAIMED_ELSEWHERE_RECHECK  # lease runs out, which this one must notice soon
        batch: list[tuple[dict[str, Any], str]] = []
        chosen: set[str] = set()  # channels with an item in this pass
        for item in items:
            if self.stopping or self._fault is not None:
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
            except ThreadNotPosted as exc:
                if any(queued.get("card_key") == str(exc) for queued in items):  # its card goes first
                    next_due = min(next_due, CHANNEL_INTERVAL)
                else:  # its card failed: tried again later, failed for good if it never comes
                    self._retry(item, reason=type(exc).__name__)
                continue
            except Exception as exc:  # network trouble opening the DM: nothing was sent
                self._retry(item, reason=type(exc).__name__)
                continue
            if channel is None:
                self._end(item, "channel_not_found")
                continue
            if channel in chosen:  # one item per channel per pass, as per CHANNEL_INTERVAL
                continue
            due = max(
                item.get("not_before", 0.0),
                self._channel_ready.get(channel, 0.0),
                channels_held.get(channel, 0.0),
            )
            if due > now:
                next_due = min(next_due, due - now)
                continue
            chosen.add(channel)
            batch.append((item, channel))
            next_due = min(next_due, CHANNEL_INTERVAL)
            if len(batch) == BATCH_ITEMS:
                self.give_way()
                self._deliver_batch(batch)
                batch = []
        if batch:
            self.give_way()
            self._deliver_batch(batch)
        if self._fault is not None:
            next_due = self._probe_at - self.clock()
        return max(next_due, 0.05)

    def _deliver_batch(self, batch: list[tuple[dict[str, Any], str]]) -> None:
        """Deliver `batch` in order with two commits for the lot (see the module docstring); the store
        lock is never held across a call to Slack. Each channel's turn is claimed in the store first, so
        replicas sharing it keep one pace per channel: an item whose channel another replica has just
        posted to waits for a later pass."""
        now = self.clock()
        with self.store.transaction():
            ours = self.store.delivery_holds.claim_channels(
                {channel for _, channel in batch}, now + CHANNEL_INTERVAL, now
            )
            batch = [(item, channel) for item, channel in batch if channel in ours]
            posts = [item["id"] for item, _ in batch if self._will_post(item)]
            for item_id in posts:
                self.store.outbox.update(item_id, maybe_posted=True, in_flight=True)
        self._marked = set(posts)
        unused: set[str] = set()  # channels claimed for an item not sent after all: their turn given back
        written = time.monotonic()
        try:
            for item, channel in batch:
                if self.stopping or self._fault is not None:
                    self._release(item)
                    unused.add(channel)
                    continue
                self._deliver(item, channel)
                self._channel_ready[channel] = max(
                    self._channel_ready.get(channel, 0.0), self.clock() + CHANNEL_INTERVAL
                )
                if time.monotonic() - written >= BATCH_SECONDS:
                    self.store.commit()
                    written = time.monotonic()
        finally:
            self._marked = set()
        if unused:
            self.store.delivery_holds.release_channels(unused, now + CHANNEL_INTERVAL)
        self.store.commit()

    def _will_post(self, item: dict[str, Any]) -> bool:
        """Whether delivering `item` posts a new message (not a card update, not App Home), not marked
        maybe posted yet."""
        if item.get("kind") == "home" or item.get("maybe_posted"):
            return False
        return not (item.get("card_key") and self.store.cards.get(item["approval_key"], item["card_key"]))

    def _release(self, item: dict[str, Any]) -> None:
        """An item of the batch not sent (stopping, or Slack refuses the bot): queued as before, and a
        newer version of its card merges into it again. Its mark only costs a look at history later."""
        with self._recording():
            self.store.outbox.update(item["id"], in_flight=False)

    def _recording(self) -> AbstractContextManager[Any]:
        """Where a delivery's outcome is written: in memory now, by the batch's commit to disk."""
        return self.store.transaction(commit=False)

    def _channel_for(self, item: dict[str, Any]) -> str | None:
        """Where the item goes (None: its configured channel does not exist)."""
        if item.get("kind") == "home":  # views.publish: paced apart from the DM
            return f"home:{item['user']}"
        if item.get("thread_of"):
            return self._parent_card(item)["channel"]
        if item.get("channel"):
            return self.channel_ids(item["channel"])
        return self.directory.im_channel(item["user"])

    def _parent_card(self, item: dict[str, Any]) -> dict[str, str]:
        """The card message whose thread a reply goes in; raises ThreadNotPosted while it is not out yet
        (the reply is retried: the card is queued before it)."""
        card = self.store.cards.get(item["approval_key"], item["thread_of"])
        if card is None:
            raise ThreadNotPosted(item["thread_of"])
        return card

    def _deliver(self, item: dict[str, Any], channel: str) -> None:
        card = self.store.cards.get(item["approval_key"], item["card_key"]) if item.get("card_key") else None
        message: Rendered | None = None
        if item.get("kind") != "home":
            try:
                message = self._rendered(item)
            except Exception as exc:  # e.g. a provider's link could not be made: nothing was sent
                log.warning("rendering failed", extra={"outbox_id": item["id"], "error": repr(exc)})
                self._retry(item, reason=type(exc).__name__)
                return
            if message is None:
                log.warning("nothing left to tell; dropped", extra={"outbox_id": item["id"]})
                self._done(item)
                return
        try:
            if message is None:
                self._publish_home(item)
            elif card:
                self._update(item, card, message)
            else:
                self._post(item, channel, message)
        except SlackApiError as exc:
            self._failed(item, exc, channel)
        except Exception as exc:  # network trouble: the post may or may not have landed
            self._retry(item, reason=type(exc).__name__, maybe_posted=True)

    def _publish_home(self, item: dict[str, Any]) -> None:
        """App Home is rebuilt from the current state, so a queued refresh is never stale."""
        if self.render_home is not None:
            self.slack.views_publish(user_id=item["user"], view=self.render_home(item["user"]))
        self._done(item)

    def _rendered(self, item: dict[str, Any]) -> Rendered | None:
        """The item's text and blocks as sent: rendered now, with live links in them."""
        rendered = self.render(item)
        if rendered is None:
            return None
        text, blocks = rendered
        return self.mint_links(text), json.loads(self.mint_links(json.dumps(blocks))) if blocks else None

    def _update(self, item: dict[str, Any], card: dict[str, str], message: Rendered) -> None:
        self.store.outbox.update(item["id"], in_flight=True)  # a newer version is queued apart, not merged
        try:
            self.slack.chat_update(
                channel=card["channel"],
                ts=card["ts"],
                text=message[0],
                blocks=message[1],
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in ("message_not_found", "cant_update_message"):
                raise
            log.info("card gone; posting it again", extra={"card": item["card_key"]})
            self._post(item, card["channel"], message)
            return
        self._channel_faults.pop(item.get("channel", ""), None)
        self._done(item, updated=True)

    def _post(self, item: dict[str, Any], channel: str, message: Rendered) -> None:
        thread_ts = self._parent_card(item)["ts"] if item.get("thread_of") else None
        ts = self._find_earlier_post(item, channel, thread_ts) if item.get("maybe_posted") else None
        if ts:
            self.stats.adopted += 1
        else:
            if item["id"] not in self._marked:  # e.g. a card gone from Slack, posted again
                self.store.outbox.update(item["id"], maybe_posted=True, in_flight=True)
                self.store.commit()
            try:
                response = self.slack.chat_postMessage(
                    channel=channel,
                    text=message[0],
                    blocks=message[1],
                    thread_ts=thread_ts,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": item["id"]}},
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError:
                self.store.outbox.update(item["id"], maybe_posted=False)  # Slack answered: nothing posted
                raise
            channel, ts = response["channel"], response["ts"]
            self.stats.sent += 1
        if item.get("card_key"):
            self.store.cards.set(item["approval_key"], item["card_key"], channel, ts)
        if item.get("on_post"):  # e.g. a channel card's audit line, told once the card is there
            with self._recording():
                self.store.outbox.enqueue(item["on_post"])
        self._channel_faults.pop(item.get("channel", ""), None)
        self._done(item)

    def _find_earlier_post(self, item: dict[str, Any], channel: str, thread_ts: str | None) -> str | None:
        """The ts of a message an interrupted attempt already posted, if Slack has it: in the channel's
        history, or among the replies of the thread `thread_ts` for a reply.

        When history can never be read (e.g. a workspace that did not grant im:history), posting
        again risks a duplicate, which is better than losing the notification.
        """
        oldest = str(item["created"] - 1)
        try:
            if thread_ts:
                history = self.slack.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=100
                )
            else:
                history = self.slack.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=100
                )
        except SlackApiError as exc:
            if exc.response.get("error") not in HISTORY_UNREADABLE:
                raise  # a passing failure, or the token itself: decided by the caller
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
        with self._recording():
            self.store.outbox.remove(item["id"])

    def _failed(self, item: dict[str, Any], exc: SlackApiError, channel: str | None = None) -> None:
        error = exc.response.get("error", "")
        if exc.response.status_code == 429 or error == "ratelimited":
            retry_after = float(exc.response.headers.get("Retry-After", 1) or 1)
            channel = channel or item.get("channel") or item.get("user", "")
            until = self.clock() + retry_after
            self._channel_ready[channel] = until
            with self.store.transaction():  # every replica waits for that channel
                self.store.delivery_holds.hold_channel(channel, until, self.clock())
                self._retry(item, reason="ratelimited", delay=retry_after, count_attempt=False)
        elif error in CREDENTIAL_ERRORS:
            with self.store.transaction():
                self.store.outbox.update(item["id"], in_flight=False)
            self._enter_fault(SlackFault.of(exc))
        elif error in PERMANENT_ERRORS:
            self._end(item, error)
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
            self._end(item, f"gave up after {attempts} attempts ({reason})")
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
            self.store.outbox.update(item["id"], **changes)

    def _end(self, item: dict[str, Any], reason: str) -> None:
        """This one message can never be delivered: it leaves the outbox, and the failure is recorded."""
        self.stats.dropped += 1
        log.error(
            "delivery failed for good",
            extra={"outbox_id": item["id"], "approval": item["approval_key"], "reason": reason},
        )
        with self.store.transaction():
            self.store.outbox.remove(item["id"])
            self.store.failures.record(item, reason, self.clock())
        if item.get("kind") == "channel_card" and reason in CHANNEL_ERRORS:
            self._channel_faults[item["channel"]] = reason

    # Slack refusing the bot itself: hold everything, probe, release ------------------------

    def assume_unreachable(self) -> None:
        """Slack did not answer the start-up check: start as if faulted, so the probe finds out."""
        self._enter_fault(SlackFault(UNREACHABLE))

    def _enter_fault(self, fault: SlackFault, *, probe_in: float = PROBE_FIRST) -> None:
        """Hold every queued item and stop calling Slack until a probe succeeds. One log line per fault,
        from whichever process records it first; one already held keeps its probe's time."""
        with self.store.transaction():
            new = self.store.delivery_holds.hold_all(
                {**fault.hold(), "probe_wait": PROBE_FIRST}, self.clock() + probe_in
            )
            held = self._hold_queued(fault)
        if new:
            log.error(
                "Slack refuses the bot; deliveries are held until it accepts it again",
                extra={"reason": fault.reason, "fix": fault.what_to_fix(), "held": held},
            )
        self._shared_fault()

    def _shared_fault(self) -> SlackFault | None:
        """The fault holding every delivery, as the store says now (any replica may have met it, or
        seen it clear), with its probe's time and backoff."""
        shared = self.store.delivery_holds.fault()
        if shared is None:
            self._fault = None
            self._probe_unclaimed = False
            return None
        self._fault = SlackFault.from_hold(shared)
        self._probe_at = shared["probe_at"]
        self._probe_wait = shared["probe_wait"]
        return self._fault

    def _hold_queued(self, fault: SlackFault) -> int:
        """Mark what is queued as held for `fault`; returns how many items are held."""
        with self.store.transaction():
            self.store.outbox.hold(fault.hold())
        return len(self.store.outbox.held())

    def _probe_if_due(self) -> None:
        """Ask Slack whether it takes the bot again, when the probe is due and this process claimed it
        (one replica probes at a time; the next probe is moved on by the claim itself)."""
        fault = self._fault
        if fault is None:
            return
        wait = min(self._probe_wait * 2, PROBE_MAX)
        if self._probe_unclaimed:
            self._probe_unclaimed = False
        elif not self.store.delivery_holds.claim_probe(self.clock(), wait):
            return
        try:
            response = self.slack.auth_test()
        except SlackApiError as exc:
            if exc.response.get("error") in CREDENTIAL_ERRORS:
                self._enter_fault(SlackFault.of(exc), probe_in=wait)
                return
            self._probe_failed(fault, exc.response.get("error") or "error", wait)
            return
        except Exception as exc:  # still unreachable
            self._probe_failed(fault, type(exc).__name__, wait)
            return
        if not fault.satisfied_by(response):
            self._probe_failed(fault, "scope still missing", wait)
            return
        self._clear_fault()

    def _probe_failed(self, fault: SlackFault, why: str, wait: float) -> None:
        log.info("Slack still refuses the bot", extra={"reason": fault.reason, "probe": why, "next_in": wait})
        self._shared_fault()

    def _clear_fault(self) -> int:
        fault, self._fault = self._fault, None
        self._probe_wait = PROBE_FIRST
        with self.store.transaction():
            self.store.delivery_holds.release_all()
            released = self.store.outbox.release_held()
        if fault is not None:
            log.warning(
                "Slack accepts the bot again; sending what was held",
                extra={"reason": fault.reason, "released": released},
            )
        return released

    def retry_held(self) -> int:
        """Release every held item now, without waiting for the probe; returns how many.

        If Slack still refuses the bot, the first attempt holds them again.
        """
        released = self._clear_fault()
        self.wake()
        return released

    # what health and admins see -----------------------------------------------------------

    def _channel_problems(self) -> list[str]:
        """Template channels whose card could not be posted (the DMs go out regardless), until one is."""
        return [
            f"A request card could not be posted in the template channel {channel} ({reason}): invite the "
            "bot to that channel (/invite), or fix the template's channel setting"
            for channel, reason in sorted(self._channel_faults.items())
        ]

    @property
    def fault(self) -> SlackFault | None:
        """Why Slack refuses the bot now (nothing is sent meanwhile, by any replica), or None."""
        shared = self.store.delivery_holds.fault()
        return SlackFault.from_hold(shared) if shared is not None else None

    def what_to_fix(self) -> str:
        """What to fix so that the held items go out, in plain words ("" when none is held)."""
        held = self.store.outbox.held()
        return SlackFault.from_hold(held[0]["held"]).what_to_fix() if held else ""

    def failed_deliveries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Deliveries that ended without reaching Slack, newest first (no message text)."""
        return self.store.failures.latest(limit)

    def health(self) -> dict[str, Any]:
        """Held and failed deliveries, and `problems`: plain-words faults that stop delivery now."""
        held = len(self.store.outbox.held())
        fault = self.fault
        return {
            "problems": ([fault.problem(held)] if fault is not None else []) + self._channel_problems(),
            "slack": fault.reason if fault is not None else "ok",
            "outbox_held": held,
            "failed_deliveries": self.store.failures.count(),
            "recent_failures": [
                {key: failure[key] for key in ("at", "kind", "reason")}
                for failure in self.failed_deliveries(HEALTH_FAILURES)
            ],
        }

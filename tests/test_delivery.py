"""The outbox -> Slack deliverer against the Slack stand-in, through the real slack_sdk client.

Every test drives `Deliverer.run_once()` by hand with a fake clock: no threads, no sleeps.
What is asserted is what people would see in Slack (the stand-in's conversations) and
which Slack methods were called.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.directory import Directory
from bot.links import LinkError, LinkGrant, read_token
from bot.offline.slack_standin import Posted, SlackStandIn
from bot.providers.local.setup import ApproveLinks
from bot.store.tinydb import FAILURE_LIMIT, TinyDBStore
from handlers.channel_names import ChannelNames
from handlers.delivery import (
    BATCH_ITEMS,
    CHANNEL_INTERVAL,
    MAX_ATTEMPTS,
    METADATA_EVENT,
    PROBE_FIRST,
    Deliverer,
)
from handlers.slack_accounts import SlackAccounts

KEY = "wecom:SP-0001"
CARD = f"{KEY}|applicant_card:U1"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Leave request*"}}]
T = {"type": "plain_text", "text": "Open"}
SECRET = b"k" * 32


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Crash(BaseException):
    """The process dies here: nothing after this line runs, nothing catches it."""


class Bot:
    """One bot process: a store on disk, a directory and a deliverer over the real Slack client."""

    def __init__(self, path: Path, standin: SlackStandIn, clock: FakeClock) -> None:
        self.path = path
        self.standin = standin
        self.clock = clock
        self.client = WebClient(base_url=standin.api_url, token="xoxb-test", retry_handlers=[])
        self._start()

    def _start(self) -> None:
        self.store = TinyDBStore(self.path)
        self.directory = Directory(self.store, SlackAccounts(self.client), {})
        self.deliverer = Deliverer(self.store, self.client, self.directory, clock=self.clock)

    def restart(self) -> None:
        """Stop this process (its store is closed) and start a new one on the same files."""
        self.store.close()
        self._start()

    def approval(self, key: str = KEY) -> None:
        with self.store.transaction():
            self.store.approvals.put({"key": key, "snapshot": {}, "cards": {}, "approvers": []})

    def card(self, text: str, *, user: str = "U1", card_key: str = CARD) -> str:
        """Queue a card (first one posts, later ones update), as the service does."""
        with self.store.transaction():
            return self.store.outbox.enqueue(
                {
                    "approval_key": KEY,
                    "card_key": card_key,
                    "user": user,
                    "kind": "applicant_card",
                    "text": text,
                    "blocks": BLOCKS,
                }
            )

    def message(self, text: str, *, user: str = "U1") -> str:
        """Queue a one-off DM (no card), as the service does for comments."""
        with self.store.transaction():
            return self.store.outbox.enqueue(
                {"approval_key": KEY, "card_key": "", "user": user, "kind": "comment", "text": text}
            )

    def audit(self, text: str, channel: str = "CAUDIT") -> str:
        with self.store.transaction():
            return self.store.outbox.enqueue(
                {"approval_key": KEY, "channel": channel, "kind": "audit", "text": text}
            )

    def queued(self) -> list[dict[str, Any]]:
        return self.store.outbox.items()

    def item(self, item_id: str) -> dict[str, Any]:
        return next(item for item in self.queued() if item["id"] == item_id)

    def drain(self, passes: int = 50) -> None:
        """Run passes, moving the clock on by what run_once asks for, until the outbox is empty."""
        for _ in range(passes):
            wait = self.deliverer.run_once()
            if not self.queued():
                return
            self.clock.advance(wait)
        raise AssertionError(f"outbox not drained after {passes} passes: {self.queued()}")


def posts(standin: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [args for args in standin.calls_to("chat.postMessage") if args.get("channel") == channel]


def texts(messages: list[Posted]) -> list[str]:
    return [m.text for m in messages]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={"U1": {"email": "u1@example.com"}, "U2": {"email": "u2@example.com"}}) as s:
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bot(tmp_path: Path, standin: SlackStandIn, clock: FakeClock) -> Iterator[Bot]:
    bot = Bot(tmp_path / "s.json", standin, clock)
    bot.approval()
    yield bot
    bot.store.close()


# 1. post once, then update in place; coalescing -------------------------------------------------


def test_card_is_posted_once_then_updated_in_place(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    first_id = bot.card("v1 pending")
    bot.deliverer.run_once()

    [message] = standin.conversation("U1")
    assert (message.channel, message.text, message.updates) == ("DU1", "v1 pending", 0)
    assert message.blocks == BLOCKS
    assert message.metadata == {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": first_id}}
    assert bot.store.cards.get(KEY, CARD) == {"channel": "DU1", "ts": message.ts}
    assert bot.queued() == []

    clock.advance(CHANNEL_INTERVAL)
    bot.card("v2 approved")
    bot.deliverer.run_once()

    [after] = standin.conversation("U1")
    assert (after.ts, after.text, after.updates) == (message.ts, "v2 approved", 1)
    assert len(standin.calls_to("chat.postMessage")) == 1
    [update] = standin.calls_to("chat.update")
    assert (update["channel"], update["ts"]) == ("DU1", message.ts)
    assert bot.store.cards.get(KEY, CARD) == {"channel": "DU1", "ts": message.ts}
    assert (bot.deliverer.stats.sent, bot.deliverer.stats.updated) == (1, 1)
    assert bot.queued() == []


def test_queued_updates_of_one_card_are_coalesced(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    # before the first post: two versions queued -> one post of the newest
    assert bot.card("v1") == bot.card("v2")
    assert len(bot.queued()) == 1
    bot.deliverer.run_once()
    [message] = standin.conversation("U1")
    assert (message.text, message.updates) == ("v2", 0)

    # after it: two updates queued -> one chat.update with the newest
    clock.advance(CHANNEL_INTERVAL)
    assert bot.card("v3") == bot.card("v4")
    assert len(bot.queued()) == 1
    bot.deliverer.run_once()
    [message] = standin.conversation("U1")
    assert (message.text, message.updates) == ("v4", 1)
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert len(standin.calls_to("chat.update")) == 1
    assert bot.queued() == []


@pytest.mark.parametrize("method", ["chat_postMessage", "chat_update"])
def test_change_queued_while_a_card_is_being_sent_is_not_lost(
    bot: Bot, standin: SlackStandIn, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """A newer version queued during the Slack call must not be folded into the item in flight."""
    if method == "chat_update":
        bot.card("v0")
        bot.drain()
        clock.advance(CHANNEL_INTERVAL)
    bot.card("v1")
    real = getattr(bot.client, method)

    def slack_call_during_which_the_service_queues_v2(**kwargs: Any) -> Any:
        bot.card("v2")
        return real(**kwargs)

    monkeypatch.setattr(bot.client, method, slack_call_during_which_the_service_queues_v2)
    bot.deliverer.run_once()
    monkeypatch.setattr(bot.client, method, real)

    assert [item["text"] for item in bot.queued()] == ["v2"]
    bot.drain()
    [message] = standin.conversation("U1")
    assert message.text == "v2"
    assert len(standin.calls_to("chat.postMessage")) == 1


# 2. rate limits -------------------------------------------------------------------------------


def test_rate_limit_waits_retry_after_for_the_channel(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    start = clock.now
    standin.fail("chat.postMessage", "ratelimit", times=1, retry_after=7)
    card_id = bot.card("card")
    bot.message("comment for the same person")

    bot.deliverer.run_once()
    assert standin.conversation("U1") == []
    assert len(posts(standin, "DU1")) == 1  # the 429; the comment was not tried
    item = bot.item(card_id)
    assert item["attempts"] == 0  # a rate limit is not a failed attempt
    assert item["not_before"] == pytest.approx(start + 7)
    assert len(bot.queued()) == 2

    # Slack said 7 seconds: nothing goes to that channel before then, the card nor the comment
    clock.advance(2)
    assert bot.deliverer.run_once() == pytest.approx(5)
    clock.advance(4.9)
    assert bot.deliverer.run_once() == pytest.approx(0.1)
    assert len(posts(standin, "DU1")) == 1
    assert standin.conversation("U1") == []

    clock.advance(0.2)
    bot.deliverer.run_once()
    assert texts(standin.conversation("U1")) == ["card"]
    bot.drain()
    assert texts(standin.conversation("U1")) == ["card", "comment for the same person"]
    assert len(posts(standin, "DU1")) == 3  # the 429, then each item exactly once
    assert bot.store.cards.get(KEY, CARD)["ts"] == standin.conversation("U1")[0].ts
    assert bot.deliverer.stats.dropped == 0


def test_rate_limits_never_use_up_attempts(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    standin.fail("chat.postMessage", "ratelimit", times=MAX_ATTEMPTS + 5, retry_after=7)
    card_id = bot.card("card")
    for _ in range(MAX_ATTEMPTS + 5):
        bot.deliverer.run_once()
        assert bot.item(card_id)["attempts"] == 0
        clock.advance(7)
    bot.deliverer.run_once()
    assert texts(standin.conversation("U1")) == ["card"]
    assert bot.deliverer.stats.dropped == 0
    assert bot.queued() == []


# 3. lost response -----------------------------------------------------------------------------


def test_lost_response_adopts_the_earlier_post(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    standin.fail("chat.postMessage", "lose_response")
    card_id = bot.card("v1")
    bot.deliverer.run_once()

    [landed] = standin.conversation("U1")  # it reached Slack; we never learned its ts
    item = bot.item(card_id)
    assert item["maybe_posted"] is True
    assert bot.store.cards.get(KEY, CARD) is None

    clock.advance(item["not_before"] - clock.now)
    bot.deliverer.run_once()
    assert len(standin.calls_to("conversations.history")) == 1
    assert len(standin.calls_to("chat.postMessage")) == 1  # not posted again
    assert texts(standin.conversation("U1")) == ["v1"]
    assert bot.store.cards.get(KEY, CARD) == {"channel": "DU1", "ts": landed.ts}
    assert bot.deliverer.stats.adopted == 1
    assert bot.queued() == []

    clock.advance(CHANNEL_INTERVAL)
    bot.card("v2")
    bot.deliverer.run_once()
    [message] = standin.conversation("U1")
    assert (message.ts, message.text, message.updates) == (landed.ts, "v2", 1)


# 4. and 5. restarts ---------------------------------------------------------------------------


def test_queued_item_survives_a_restart(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    bot.card("v1")
    bot.restart()  # nothing was delivered before the stop

    assert len(bot.queued()) == 1
    bot.drain()
    [message] = standin.conversation("U1")
    assert message.text == "v1"
    assert len(standin.calls_to("chat.postMessage")) == 1

    bot.restart()  # the card's ts was kept too: the next version edits the same message
    clock.advance(CHANNEL_INTERVAL)
    bot.card("v2")
    bot.drain()
    [message] = standin.conversation("U1")
    assert (message.text, message.updates) == ("v2", 1)
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_restart_after_lost_response_does_not_post_twice(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    standin.fail("chat.postMessage", "lose_response")
    bot.card("v1")
    bot.deliverer.run_once()
    [landed] = standin.conversation("U1")

    bot.restart()  # before any retry
    bot.drain()
    assert texts(standin.conversation("U1")) == ["v1"]
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert bot.store.cards.get(KEY, CARD) == {"channel": "DU1", "ts": landed.ts}

    clock.advance(CHANNEL_INTERVAL)
    bot.card("v2")
    bot.drain()
    [message] = standin.conversation("U1")
    assert (message.ts, message.text) == (landed.ts, "v2")


def test_crash_between_post_and_commit_then_a_newer_version(
    bot: Bot, standin: SlackStandIn, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies right after Slack took the post; after the restart the card moves on, and
    the first lookup for the earlier post fails: still one message, showing the newest version."""
    real_post = bot.client.chat_postMessage

    def post_then_die(**kwargs: Any) -> Any:
        real_post(**kwargs)
        raise Crash

    monkeypatch.setattr(bot.client, "chat_postMessage", post_then_die)
    bot.card("v1")
    with pytest.raises(Crash):
        bot.deliverer.run_once()
    monkeypatch.setattr(bot.client, "chat_postMessage", real_post)
    [landed] = standin.conversation("U1")

    bot.restart()
    bot.card("v2")  # the approval moved on while the bot was down
    standin.fail("conversations.history", "internal_error")
    bot.drain()

    [message] = standin.conversation("U1")
    assert (message.ts, message.text) == (landed.ts, "v2")
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert bot.store.cards.get(KEY, CARD) == {"channel": "DU1", "ts": landed.ts}


def test_a_batch_of_posts_costs_two_commits_not_two_each(
    bot: Bot, standin: SlackStandIn, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = [f"U{n}" for n in range(1, BATCH_ITEMS + 1)]
    standin.users.update({user: {"email": f"{user.lower()}@example.com"} for user in users})
    for user in users:  # their DMs opened (and cached) first: only the deliveries' own commits count
        bot.message("hello", user=user)
    bot.drain()
    clock.advance(CHANNEL_INTERVAL)
    for user in users:
        bot.card("v1", user=user, card_key=f"{KEY}|applicant_card:{user}")
    commits = []
    real_commit = bot.store.commit
    monkeypatch.setattr(bot.store, "commit", lambda: commits.append(1) or real_commit())
    monkeypatch.setattr("handlers.delivery.BATCH_SECONDS", 3600.0)  # only the batch's size ends it

    bot.deliverer.run_once()
    assert bot.queued() == []
    assert len(standin.calls_to("chat.postMessage")) == 2 * BATCH_ITEMS
    assert len(commits) == 2  # the batch marked maybe posted, then the batch delivered
    assert all(bot.store.cards.get(KEY, f"{KEY}|applicant_card:{u}") for u in users)


def test_a_crash_before_the_batch_is_recorded_adopts_its_posts_instead_of_posting_again(
    bot: Bot, standin: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies after Slack took three posts of a five-card batch, before the batch's commit:
    the restarted deliverer finds those three by their outbox id and posts only the other two."""
    users = ["U1", "U2", "U3", "U4", "U5"]
    standin.users.update({user: {"email": f"{user.lower()}@example.com"} for user in users})
    for user in users:
        bot.card(f"card of {user}", user=user, card_key=f"{KEY}|applicant_card:{user}")
    real_post = bot.client.chat_postMessage

    def die_at_the_third(**kwargs: Any) -> Any:
        answer = real_post(**kwargs)
        if len(standin.calls_to("chat.postMessage")) == 3:
            raise Crash
        return answer

    monkeypatch.setattr(bot.client, "chat_postMessage", die_at_the_third)
    monkeypatch.setattr("handlers.delivery.BATCH_SECONDS", 3600.0)
    with pytest.raises(Crash):
        bot.deliverer.run_once()
    monkeypatch.setattr(bot.client, "chat_postMessage", real_post)

    bot.store.rollback()  # what the crash leaves: the store as last committed, a new deliverer
    bot.deliverer = Deliverer(bot.store, bot.client, bot.directory, clock=bot.clock)
    assert all(item["maybe_posted"] for item in bot.queued())  # the batch's mark was committed first
    bot.drain()

    for user in users:
        assert texts(standin.conversation(user)) == [f"card of {user}"]
    assert len(standin.calls_to("chat.postMessage")) == 5
    assert bot.deliverer.stats.adopted == 3


# 6. errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_blocks"])
def test_permanent_error_drops_the_item(bot: Bot, standin: SlackStandIn, error: str) -> None:
    standin.fail("chat.postMessage", error)
    bot.card("card")
    bot.deliverer.run_once()

    assert bot.queued() == []
    assert bot.deliverer.stats.dropped == 1
    assert bot.deliverer.stats.retried == 0
    assert standin.conversation("U1") == []
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert bot.store.cards.get(KEY, CARD) is None


def test_unknown_user_is_dropped_without_posting(bot: Bot, standin: SlackStandIn) -> None:
    bot.message("hello", user="U404")
    bot.deliverer.run_once()
    assert bot.queued() == []
    assert bot.deliverer.stats.dropped == 1
    assert standin.calls_to("chat.postMessage") == []


def test_transient_error_is_retried_with_exponential_backoff(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    standin.fail("chat.postMessage", "internal_error", times=3)
    card_id = bot.card("card")
    delays = []
    for attempt in (1, 2, 3):
        tried_at = clock.now
        bot.deliverer.run_once()
        item = bot.item(card_id)
        assert item["attempts"] == attempt
        delays.append(item["not_before"] - tried_at)
        # not tried again before it is due
        clock.advance(delays[-1] - 0.01)
        bot.deliverer.run_once()
        assert len(standin.calls_to("chat.postMessage")) == attempt
        clock.advance(0.01)

    assert delays == pytest.approx([2, 4, 8])
    bot.deliverer.run_once()
    assert texts(standin.conversation("U1")) == ["card"]
    assert len(standin.calls_to("chat.postMessage")) == 4
    assert (bot.deliverer.stats.retried, bot.deliverer.stats.sent, bot.deliverer.stats.dropped) == (3, 1, 0)
    assert bot.queued() == []


def test_transient_errors_give_up_after_max_attempts(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    standin.fail("chat.postMessage", "internal_error", times=1000)
    bot.card("card")
    passes = 0
    while bot.queued():
        passes += 1
        clock.advance(bot.deliverer.run_once())
        assert passes <= 10 * MAX_ATTEMPTS
    assert len(standin.calls_to("chat.postMessage")) == MAX_ATTEMPTS
    assert bot.deliverer.stats.dropped == 1
    assert standin.conversation("U1") == []


# 7. card deleted in Slack ---------------------------------------------------------------------


def test_update_of_a_deleted_card_posts_a_fresh_one(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    bot.card("v1")
    bot.deliverer.run_once()
    [old] = standin.conversation("U1")
    with standin._lock:
        standin.messages["DU1"].remove(old)  # someone deleted the card

    clock.advance(CHANNEL_INTERVAL)
    bot.card("v2")
    bot.deliverer.run_once()

    assert len(standin.calls_to("chat.update")) == 1
    [fresh] = standin.conversation("U1")
    assert fresh.ts != old.ts
    assert (fresh.text, fresh.updates) == ("v2", 0)
    assert bot.store.cards.get(KEY, CARD) == {"channel": "DU1", "ts": fresh.ts}
    assert bot.queued() == []

    clock.advance(CHANNEL_INTERVAL)
    bot.card("v3")
    bot.deliverer.run_once()
    [message] = standin.conversation("U1")
    assert (message.ts, message.text, message.updates) == (fresh.ts, "v3", 1)


# 8. pacing ------------------------------------------------------------------------------------


def test_one_message_per_second_per_channel(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    bot.message("first for U1")
    bot.message("second for U1")
    bot.message("for U2", user="U2")

    assert bot.deliverer.run_once() == pytest.approx(CHANNEL_INTERVAL)
    assert texts(standin.conversation("U1")) == ["first for U1"]
    assert texts(standin.conversation("U2")) == ["for U2"]  # another channel is not held up

    clock.advance(CHANNEL_INTERVAL / 2)
    assert bot.deliverer.run_once() == pytest.approx(CHANNEL_INTERVAL / 2)
    assert texts(standin.conversation("U1")) == ["first for U1"]

    clock.advance(CHANNEL_INTERVAL / 2)
    bot.deliverer.run_once()
    assert texts(standin.conversation("U1")) == ["first for U1", "second for U1"]
    assert bot.queued() == []
    # the DM channel is looked up once per person
    assert sorted(call["users"] for call in standin.calls_to("conversations.open")) == ["U1", "U2"]


# 9. audit channel -----------------------------------------------------------------------------


def test_audit_items_go_to_the_channel_without_opening_a_dm(bot: Bot, standin: SlackStandIn) -> None:
    bot.audit("SP-0001 approved by alice")
    bot.deliverer.run_once()

    assert texts(standin.conversation("CAUDIT")) == ["SP-0001 approved by alice"]
    assert standin.calls_to("conversations.open") == []
    assert bot.queued() == []


def test_a_definite_slack_error_clears_the_maybe_posted_mark(bot: Bot, standin: SlackStandIn) -> None:
    """Slack answered "no": the retry posts straight away, without searching history."""
    standin.fail("chat.postMessage", "internal_error")
    bot.card("v1")
    bot.drain()
    assert standin.calls_to("conversations.history") == []
    assert [m.text for m in standin.conversation("U1")] == ["v1"]


def test_history_that_can_never_be_read_does_not_block_delivery(bot: Bot, standin: SlackStandIn) -> None:
    """Without im:history the lookup after a lost answer fails for good: post again rather than drop."""
    standin.fail("chat.postMessage", "lose_response")
    standin.fail("conversations.history", "missing_scope")
    bot.card("v1")
    bot.drain()
    assert len(standin.calls_to("conversations.history")) == 1
    assert [m.text for m in standin.conversation("U1")] == ["v1", "v1"]  # the documented trade-off


# 10. Slack refusing the bot itself: held, probed, released --------------------------------------


def recover(standin: SlackStandIn) -> None:
    """The token works again: Slack stops refusing."""
    with standin._lock:
        standin.faults.clear()


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR and "Slack refuses the bot" in r.message]


def slack_response(client: WebClient, data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return SlackResponse(
        client=client,
        http_verb="POST",
        api_url=f"{client.base_url}auth.test",
        req_args={},
        data=data,
        headers=headers or {},
        status_code=200,
    )


def test_invalid_auth_holds_every_item_until_a_probe_succeeds_then_sends_each_once_in_order(
    bot: Bot, standin: SlackStandIn, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail("chat.postMessage", "invalid_auth", times=10_000)
    standin.fail("auth.test", "invalid_auth", times=10_000)
    bot.card("card")
    bot.message("comment")
    bot.audit("audit line")

    clock.advance(bot.deliverer.run_once())
    bot.message("queued during the outage")
    for _ in range(40):  # a long outage: many passes, each as far as the deliverer asks to wait
        clock.advance(bot.deliverer.run_once())

    assert len(standin.calls_to("chat.postMessage")) == 1  # it stopped calling Slack after the refusal
    queued = ["card", "comment", "audit line", "queued during the outage"]
    assert [item["text"] for item in bot.queued()] == queued
    assert all(item["held"] == {"reason": "invalid_auth", "needed": []} for item in bot.queued())
    assert bot.deliverer.stats.dropped == 0 and bot.store.failures.count() == 0
    assert len(refusals(caplog)) == 1  # one error line for the fault, not one per item or probe

    health = bot.deliverer.health()
    assert health["outbox_held"] == 4
    [problem] = health["problems"]
    assert "invalid_auth" in problem and "slack.bot_token" in problem and "SLACK_BOT_TOKEN" in problem
    assert "4 notification(s) are held" in problem

    assert len(standin.calls_to("auth.test")) == 40  # one probe per pass: nothing else woke it early

    recover(standin)
    bot.drain()
    assert texts(standin.conversation("U1")) == ["card", "comment", "queued during the outage"]
    assert texts(standin.conversation("CAUDIT")) == ["audit line"]
    assert len(standin.calls_to("chat.postMessage")) == 1 + 4  # the refused one, then each exactly once
    assert bot.deliverer.health() == {
        "problems": [],
        "slack": "ok",
        "outbox_held": 0,
        "failed_deliveries": 0,
        "recent_failures": [],
    }


def test_probe_backoff_doubles_up_to_five_minutes(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    standin.fail("chat.postMessage", "token_revoked")
    standin.fail("auth.test", "token_revoked", times=10_000)
    bot.message("hello")
    waits = []
    for _ in range(8):
        wait = bot.deliverer.run_once()
        waits.append(wait)
        clock.advance(wait)
    assert waits == pytest.approx([15, 30, 60, 120, 240, 300, 300, 300])
    assert len(standin.calls_to("auth.test")) == 7


def test_held_items_survive_a_restart_and_the_new_process_asks_slack_first(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    standin.fail("conversations.open", "account_inactive")
    bot.card("card")
    bot.deliverer.run_once()
    assert bot.queued()[0]["held"]["reason"] == "account_inactive"

    bot.restart()
    assert "account_inactive" in bot.deliverer.health()["problems"][0]
    recover(standin)
    bot.deliverer.run_once()
    assert [name for name, _ in standin.calls][-3:] == ["auth.test", "conversations.open", "chat.postMessage"]
    assert texts(standin.conversation("U1")) == ["card"]
    assert bot.queued() == []


def test_an_update_refused_for_the_token_is_held_and_updates_the_card_later(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    bot.card("v1")
    bot.drain()
    clock.advance(CHANNEL_INTERVAL)
    standin.fail("chat.update", "invalid_auth")
    bot.card("v2")
    bot.deliverer.run_once()
    assert bot.queued()[0]["held"]
    assert bot.card("v3") == bot.queued()[0]["id"]  # a newer version still folds into the held item

    assert bot.deliverer.retry_held() == 1
    bot.drain()
    [message] = standin.conversation("U1")
    assert (message.text, message.updates) == ("v3", 1)


def test_missing_scope_is_held_until_auth_test_shows_the_scope(
    bot: Bot, standin: SlackStandIn, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_post = bot.client.chat_postMessage
    granted = ["im:write,users:read"]  # what the token has, as Slack's X-OAuth-Scopes says

    def post(**kwargs: Any) -> Any:
        if "chat:write" not in granted[0].split(","):
            data = {"ok": False, "error": "missing_scope", "needed": "chat:write", "provided": granted[0]}
            raise SlackApiError("missing_scope", slack_response(bot.client, data))
        return real_post(**kwargs)

    def auth_test(**kwargs: Any) -> Any:
        return slack_response(bot.client, {"ok": True, "user_id": "UBOT"}, {"X-OAuth-Scopes": granted[0]})

    monkeypatch.setattr(bot.client, "chat_postMessage", post)
    monkeypatch.setattr(bot.client, "auth_test", auth_test)
    bot.message("hello")
    clock.advance(bot.deliverer.run_once())
    assert bot.queued()[0]["held"] == {"reason": "missing_scope", "needed": ["chat:write"]}
    [problem] = bot.deliverer.health()["problems"]
    assert "chat:write" in problem and "reinstall" in problem

    clock.advance(bot.deliverer.run_once())  # auth.test works, but the scope is still missing: held
    assert bot.queued()[0]["held"]
    assert standin.conversation("U1") == []

    granted[0] = "chat:write,im:write,users:read"  # the app was reinstalled with the scope
    bot.drain()
    assert texts(standin.conversation("U1")) == ["hello"]
    assert bot.deliverer.health()["problems"] == []


def test_a_probe_without_the_scopes_header_releases_a_missing_scope_hold(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    standin.fail("conversations.open", "missing_scope")
    bot.message("hello")
    bot.deliverer.run_once()
    assert bot.queued()[0]["held"]["reason"] == "missing_scope"
    bot.drain()  # the stand-in's auth.test sends no X-OAuth-Scopes: success is enough
    assert texts(standin.conversation("U1")) == ["hello"]


def test_retry_held_releases_now_and_a_still_bad_token_holds_again(
    bot: Bot, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail("chat.postMessage", "invalid_auth", times=2)
    bot.message("one")
    bot.message("two", user="U2")
    bot.deliverer.run_once()
    assert len(bot.store.outbox.held()) == 2
    assert standin.calls_to("auth.test") == []  # the probe is not due yet

    assert bot.deliverer.retry_held() == 2
    assert bot.store.outbox.held() == [] and bot.deliverer.health()["problems"] == []
    bot.deliverer.run_once()  # the token is still refused: held again, at once
    assert len(bot.store.outbox.held()) == 2
    assert len(refusals(caplog)) == 2

    assert bot.deliverer.retry_held() == 2
    bot.drain()
    assert texts(standin.conversation("U1")) == ["one"] and texts(standin.conversation("U2")) == ["two"]
    assert bot.deliverer.retry_held() == 0


# 10b. replicas on one database hold delivery alike ----------------------------------------------


def test_replicas_on_one_database_share_a_retry_after_and_a_refused_token(
    pg_url: str, standin: SlackStandIn, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.store.postgres import PostgresStore

    client = WebClient(base_url=standin.api_url, token="xoxb-test", retry_handlers=[])
    stores = [PostgresStore(pg_url, replica=name) for name in ("r1", "r2")]
    first, second = (
        Deliverer(s, client, Directory(s, SlackAccounts(client), {}), clock=clock) for s in stores
    )

    def audit(text: str, approval: str) -> None:  # two approvals: each replica may claim one of them
        with stores[0].transaction():
            stores[0].outbox.enqueue(
                {"approval_key": approval, "channel": "CAUDIT", "kind": "audit", "text": text}
            )

    try:
        standin.fail("chat.postMessage", "ratelimit", retry_after=30)
        audit("one", "wecom:1")
        first.run_once()  # 429: the channel is held for 30 s on every replica
        audit("two", "wecom:2")
        second.run_once()
        assert len(standin.calls_to("chat.postMessage")) == 1
        clock.advance(30)
        second.run_once()
        first.run_once()  # the channel's turn is the other replica's: one post a second, whoever posts
        assert texts(standin.conversation("CAUDIT")) == ["two"]
        clock.advance(CHANNEL_INTERVAL)
        first.run_once()
        assert texts(standin.conversation("CAUDIT")) == ["two", "one"]

        standin.fail("chat.postMessage", "invalid_auth", times=None)
        standin.fail("auth.test", "invalid_auth", times=None)
        clock.advance(CHANNEL_INTERVAL)
        audit("three", "wecom:3")
        first.run_once()  # the refusal: held for every replica
        audit("four", "wecom:4")
        posts_before = len(standin.calls_to("chat.postMessage"))
        assert "invalid_auth" in second.health()["problems"][0]
        second.run_once()
        assert len(standin.calls_to("chat.postMessage")) == posts_before  # nothing tried by the other
        assert len(stores[1].outbox.held()) == 2 and len(refusals(caplog)) == 1

        clock.advance(PROBE_FIRST)
        first.run_once()
        second.run_once()
        assert len(standin.calls_to("auth.test")) == 1  # one replica probes what is due
        recover(standin)
        clock.advance(PROBE_FIRST * 2)
        for _ in range(4):
            second.run_once()
            first.run_once()
            clock.advance(CHANNEL_INTERVAL)
        assert sorted(texts(standin.conversation("CAUDIT"))[2:]) == ["four", "three"]  # once each
        assert first.health()["problems"] == [] and stores[0].outbox.size() == 0
    finally:
        for store in stores:
            store.close()


# 11. failures that no retry fixes are recorded, never silent ----------------------------------------


def test_failures_are_recorded_without_the_message_and_shown_in_health(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    standin.fail("chat.postMessage", "channel_not_found")
    audit_id = bot.audit("secret approval details", channel="CGONE")
    bot.deliverer.run_once()
    bot.message("hello", user="U404")
    clock.advance(CHANNEL_INTERVAL)
    bot.deliverer.run_once()

    assert bot.queued() == []
    newest, oldest = bot.deliverer.failed_deliveries()
    assert oldest == {
        "id": audit_id,
        "at": pytest.approx(1_000_000.0),
        "approval_key": KEY,
        "recipient": "CGONE",
        "kind": "audit",
        "reason": "channel_not_found",
    }
    assert (newest["recipient"], newest["reason"]) == ("U404", "user_not_found")
    assert "secret approval details" not in json.dumps(bot.store.failures.latest())
    health = bot.deliverer.health()
    assert health["failed_deliveries"] == 2
    assert [f["reason"] for f in health["recent_failures"]] == ["user_not_found", "channel_not_found"]
    assert health["problems"] == []  # one bad channel does not make the bot unhealthy

    bot.restart()
    assert [f["reason"] for f in bot.deliverer.failed_deliveries()] == ["user_not_found", "channel_not_found"]


def test_giving_up_is_recorded_too(bot: Bot, standin: SlackStandIn, clock: FakeClock) -> None:
    standin.fail("chat.postMessage", "internal_error", times=1000)
    bot.message("hello")
    while bot.queued():
        clock.advance(bot.deliverer.run_once())
    [failure] = bot.deliverer.failed_deliveries()
    assert failure["reason"] == f"gave up after {MAX_ATTEMPTS} attempts (internal_error)"


def test_the_failure_record_is_bounded_to_the_latest(bot: Bot) -> None:
    with bot.store.transaction():
        for number in range(FAILURE_LIMIT + 7):
            bot.store.failures.record({"id": f"i{number}", "approval_key": KEY, "user": "U1"}, "x", number)
    failures = bot.store.failures.latest()
    assert len(failures) == FAILURE_LIMIT == bot.store.failures.count()
    assert (failures[0]["id"], failures[-1]["id"]) == (f"i{FAILURE_LIMIT + 6}", "i7")


# 12. approve links are minted when sent -------------------------------------------------------------


def test_placeholders_are_minted_into_live_links_only_at_send(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    links = ApproveLinks("https://bot.example", SECRET, ttl=3600, clock=clock)
    placeholder = links.placeholder(SimpleNamespace(key=KEY), "U1")  # type: ignore[arg-type]
    bot.deliverer.mint_links = links.mint
    blocks = [{"type": "actions", "elements": [{"type": "button", "text": T, "url": placeholder}]}]
    card = {"approval_key": KEY, "user": "U1", "kind": "approver_card"}
    with bot.store.transaction():
        bot.store.outbox.enqueue({**card, "text": f"<{placeholder}|open>"})
        bot.store.outbox.enqueue({**card, "text": "x", "blocks": blocks})

    stored = json.dumps(bot.store.outbox.items())
    assert placeholder in stored and "." not in placeholder.removeprefix("https://bot.example")
    queued_at = int(clock.now)
    bot.drain()

    first, second = standin.conversation("U1")
    text_link = re.search(r"<(https://bot\.example/approve/[^|>]+)\|", first.text).group(1)
    button_link = second.blocks[0]["elements"][0]["url"]
    sent_at = [queued_at, queued_at + int(CHANNEL_INTERVAL)]  # each link's lifetime starts when it is sent
    for link, at in zip((text_link, button_link), sent_at, strict=True):
        token = link.removeprefix("https://bot.example/approve/")
        assert read_token(token, SECRET, clock.now) == LinkGrant(KEY, "U1", "approve", at + 3600)
    with pytest.raises(LinkError):  # the placeholder itself is no token
        read_token(placeholder.removeprefix("https://bot.example/approve/"), SECRET, clock.now)


# -- a template's channel card ----------------------------------------------------------------------------


def channel_card(bot: Bot, channel: str, text: str) -> str:
    """Queue the approval's card for a template channel, its audit line to follow the post, as the service
    does."""
    audit = {"approval_key": KEY, "channel": "CAUDIT", "kind": "audit", "text": f"card posted in {channel}"}
    with bot.store.transaction():
        return bot.store.outbox.enqueue(
            {
                "approval_key": KEY,
                "card_key": f"{KEY}|channel_card:{channel}",
                "channel": channel,
                "kind": "channel_card",
                "text": text,
                "blocks": BLOCKS,
                "on_post": audit,
            }
        )


def test_a_channel_name_nobody_has_ends_its_card_for_admins_to_see_and_the_dm_goes(
    bot: Bot, standin: SlackStandIn
) -> None:
    standin.channels = {"C0FIN": "finance"}
    bot.deliverer.channel_ids = ChannelNames(bot.client).id_of
    channel_card(bot, "#nowhere", "the request")
    bot.card("your request")
    bot.drain()
    assert texts(standin.conversation("U1")) == ["your request"]
    assert posts(standin, "#nowhere") == [] and standin.conversation("CAUDIT") == []  # nothing posted
    [failure] = bot.deliverer.failed_deliveries()
    assert (failure["kind"], failure["reason"], failure["recipient"]) == (
        "channel_card",
        "channel_not_found",
        "#nowhere",
    )
    [problem] = bot.deliverer.health()["problems"]
    assert "#nowhere" in problem and "/invite" in problem


def test_a_channel_card_whose_answer_was_lost_is_adopted_and_audited_once(
    bot: Bot, standin: SlackStandIn, clock: FakeClock
) -> None:
    standin.channels = {"C0FIN": "finance"}
    bot.deliverer.channel_ids = ChannelNames(bot.client).id_of
    channel_card(bot, "#finance", "the request")
    standin.fail("chat.postMessage", "lose_response")
    bot.drain()
    assert texts(standin.conversation("C0FIN")) == ["the request"]  # found in history, not posted again
    assert texts(standin.conversation("CAUDIT")) == ["card posted in #finance"]
    assert bot.store.approvals.get(KEY)["cards"] == {
        f"{KEY}|channel_card:#finance": {"channel": "C0FIN", "ts": standin.conversation("C0FIN")[0].ts}
    }
    channel_card(bot, "#finance", "the request, approved")
    bot.drain()
    assert texts(standin.conversation("C0FIN")) == ["the request, approved"]  # updated in place
    assert len(standin.conversation("CAUDIT")) == 1


def test_a_thread_reply_waits_for_its_card_and_a_lost_answer_is_found_in_the_thread(
    bot: Bot, standin: SlackStandIn
) -> None:
    bot.approval()
    bot.card("the card")
    reply_card = f"{CARD}|reply:c1"
    with bot.store.transaction():
        bot.store.outbox.enqueue(
            {
                "approval_key": KEY,
                "card_key": reply_card,
                "thread_of": CARD,
                "kind": "thread_reply",
                "text": "Al: hi",
            }
        )
    bot.deliverer.run_once()  # the card goes first; the reply waits for it, no attempt spent
    (card,) = standin.conversation("U1")
    assert [item["attempts"] for item in bot.queued()] == [0]
    standin.fail("chat.postMessage", "lose_response")  # the reply lands, its answer is lost
    bot.drain()
    assert texts(standin.replies("U1", card.ts)) == ["Al: hi"]  # once, in the card's thread
    assert bot.deliverer.stats.adopted == 1 and standin.calls_to("conversations.replies")
    (reply,) = standin.replies("U1", card.ts)
    assert bot.store.cards.get(KEY, reply_card) == {"channel": card.channel, "ts": reply.ts}

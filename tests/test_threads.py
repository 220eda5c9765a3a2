"""Threads: replies under cards become comments; every new comment goes to every other card's thread.

Over a real store and the real embedded-engine decider, no network: what is queued is what the Slack
edge later delivers (tests/test_e2e_threads.py follows it over loopback).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.directory import Directory
from bot.model import Action, ApprovalStatus, Comment, NodeType, Snapshot
from bot.provider_ports import Capabilities
from bot.providers.local.decide import Decisions
from bot.service import ApprovalService, ServiceSettings
from bot.store import Store
from bot.store.tinydb import TinyDBStore
from bot.threads import Outcome, ThreadReplies, ThreadReply
from handlers.render import Renderer
from handlers.slack_accounts import SlackAccounts
from handlers.threads import reply_of
from tests.factories import member, node, snapshot

APPLICANT, A, B, CAROL, STRANGER = "UAPPLICANT", "UA", "UB", "UCAROL", "USTRANGER"
WECOM_USERS = {APPLICANT: "applicant", A: "a", B: "b"}


class Engine:
    """The embedded engine as the service sees it: Slack ids, decided in Slack."""

    name = "local"
    identity = "slack"
    capabilities = Capabilities(files=True, decides_in_slack=True)

    def display_name(self, lang: str) -> str:
        return "the bot"

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        return snap

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        return None

    def email_of(self, user_id: str) -> str | None:
        return None


class WeCom(Engine):
    name = "wecom"
    identity = "wecom"
    capabilities = Capabilities(calls_back=True, sweeps=True)

    def display_name(self, lang: str) -> str:
        return "WeCom"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = TinyDBStore(tmp_path / "approvals.json")
    yield store
    store.close()


@pytest.fixture
def service(store: Store) -> ApprovalService:
    unused_slack = SlackAccounts(WebClient(base_url="http://127.0.0.1:9/"))  # static mapping only
    directory = Directory(store, unused_slack, {"wecom": WECOM_USERS})
    providers = {"local": Engine(), "wecom": WeCom()}
    return ApprovalService(store, directory, providers, ServiceSettings("en", "CAUDIT"))


@pytest.fixture
def threads(store: Store, service: ApprovalService) -> ThreadReplies:
    return ThreadReplies(store, service, Decisions(store, service, clock=lambda: 1_700_000_500))


def local_request(service: ApprovalService, store: Store) -> Snapshot:
    """An embedded-engine request waiting on A, copied to Carol, its cards posted (D<user>, ts 1.<n>)."""
    snap = snapshot(
        node(member(A)), node(member(CAROL), kind=NodeType.CC), provider="local", applicant=APPLICANT
    )
    service.apply_snapshot(snap)
    post_cards(store)
    return snap


def post_cards(store: Store) -> None:
    """What the deliverer does with the queued cards: each posted (recorded), every item done."""
    with store.transaction():
        for n, item in enumerate(store.outbox.items()):
            if item.get("card_key") and not item.get("thread_of"):
                store.cards.set(item["approval_key"], item["card_key"], f"D{item['user']}", f"1.{n:04d}")
            store.outbox.remove(item["id"])


def card_of(store: Store, key: str, user: str) -> tuple[str, str]:
    doc = store.approvals.get(key)
    assert doc is not None
    card = next(c for k, c in doc["cards"].items() if k.endswith(f":{user}"))
    return card["channel"], card["ts"]


def reply_under(
    store: Store, key: str, card_user: str, user: str, text: str, ts: str = "2.0001"
) -> ThreadReply:
    channel, thread_ts = card_of(store, key, card_user)
    return ThreadReply(channel, thread_ts, ts, user, text)


def threads_told(store: Store) -> list[str]:
    """The cards (their recipient) whose threads a reply is queued for."""
    return sorted(
        i["thread_of"].rsplit(":", 1)[1] for i in store.outbox.items() if i["kind"] == "thread_reply"
    )


def test_a_reply_under_a_card_is_a_comment_mirrored_into_every_other_thread(
    store: Store, service: ApprovalService, threads: ThreadReplies
) -> None:
    snap = local_request(service, store)
    taken = threads.take(reply_under(store, snap.key, A, A, "Which vendor?"))
    assert taken.outcome is Outcome.COMMENTED
    assert taken.approval is not None
    [comment] = taken.approval.comments
    assert (comment.user_id, comment.content) == (A, "Which vendor?")
    assert threads_told(store) == [APPLICANT, CAROL]  # not back into A's own thread
    kinds = {i["kind"] for i in store.outbox.items()}
    assert {"applicant_card", "approver_card", "cc_card"} <= kinds  # every card's timeline shows it


def test_slack_redelivering_a_reply_adds_nothing(
    store: Store, service: ApprovalService, threads: ThreadReplies
) -> None:
    snap = local_request(service, store)
    reply = reply_under(store, snap.key, APPLICANT, APPLICANT, "Needed by Friday")
    assert threads.take(reply).outcome is Outcome.COMMENTED
    queued = len(store.outbox.items())
    assert threads.take(reply).outcome is Outcome.REPEATED
    assert len(store.outbox.items()) == queued
    doc = store.approvals.get(snap.key)
    assert doc is not None and len(doc["snapshot"]["comments"]) == 1


def test_cc_recipients_may_reply_and_strangers_are_not_stored(
    store: Store, service: ApprovalService, threads: ThreadReplies
) -> None:
    snap = local_request(service, store)
    assert (
        threads.take(reply_under(store, snap.key, CAROL, CAROL, "FYI: budget ok")).outcome
        is Outcome.COMMENTED
    )
    stranger = threads.take(reply_under(store, snap.key, CAROL, STRANGER, "me too", ts="2.0002"))
    assert stranger.outcome is Outcome.NOT_ON_IT
    doc = store.approvals.get(snap.key)
    assert doc is not None and [c["user_id"] for c in doc["snapshot"]["comments"]] == [CAROL]


def test_a_finished_request_and_an_empty_reply_are_refused_in_words(
    store: Store, service: ApprovalService, threads: ThreadReplies
) -> None:
    snap = local_request(service, store)
    assert threads.take(reply_under(store, snap.key, A, A, "   ")).outcome is Outcome.EMPTY
    done = replace(
        snapshot(node(member(A, 2, 1_700_000_100)), provider="local", applicant=APPLICANT),
        status=ApprovalStatus.APPROVED,
        action=Action.APPROVE,
    )
    service.apply_snapshot(done)
    assert threads.take(reply_under(store, snap.key, A, A, "thanks")).outcome is Outcome.FINISHED


def test_a_reply_not_under_a_card_is_not_taken(store: Store, threads: ThreadReplies) -> None:
    assert threads.take(ThreadReply("DUA", "9.0000", "9.0001", A, "hello")).outcome is Outcome.NOT_A_CARD


def wecom_request(service: ApprovalService, store: Store, *comments: Comment) -> Snapshot:
    snap = snapshot(node(member("a"), member("b")), comments=comments)
    service.apply_snapshot(snap)
    post_cards(store)
    return snap


def test_a_reply_under_a_wecom_card_stays_in_slack_and_the_replier_is_told_once(
    store: Store, service: ApprovalService, threads: ThreadReplies
) -> None:
    snap = wecom_request(service, store)
    reply = reply_under(store, snap.key, "a", A, "ok?")
    assert threads.take(reply).outcome is Outcome.STAYS_IN_SLACK
    assert threads.take(replace(reply, ts="2.0002")).outcome is Outcome.TOLD_ALREADY
    assert store.outbox.items() == []  # nothing stored, nothing mirrored


def test_provider_comments_new_since_the_last_snapshot_go_to_every_thread_once(
    store: Store, service: ApprovalService
) -> None:
    old = Comment("c0", "a", 1_700_000_010, "seen at filing")
    snap = wecom_request(service, store, old)
    new = Comment("c1", "b", 1_700_000_020, "Please attach the <quote> & invoice")
    commented = replace(snap, comments=(old, new), action=Action.COMMENT, event_time=1_700_000_020)
    service.apply_snapshot(commented)
    assert threads_told(store) == ["a", "applicant", "b"]
    assert {i["card_key"] for i in store.outbox.items() if i["kind"] == "thread_reply"} == {
        f"{snap.key}|{card}|reply:c1"
        for card in ("applicant_card:applicant", "approver_card:a", "approver_card:b")
    }
    render = Renderer(service, "en", display_name={APPLICANT: "Ann", A: "Al", B: "Bea"}.get)  # type: ignore[arg-type]
    replies = [render(i) for i in store.outbox.items() if i["kind"] == "thread_reply"]
    text, blocks = replies[0]  # type: ignore[misc]
    assert text == "Bea: Please attach the &lt;quote&gt; &amp; invoice"  # named, not mentioned
    assert all(Block.parse(b) is not None for b in blocks or [])
    audit = [render(i)[0] for i in store.outbox.items() if i["kind"] == "audit"]  # type: ignore[index]
    assert len(audit) == 1 and "commented" in audit[0] and "invoice" in audit[0]  # one line per comment

    post_cards(store)
    assert service.apply_snapshot(replace(commented, event_time=1_700_000_030)).status == "unchanged"
    swept = replace(commented, action=None, event_time=0)
    service.apply_snapshot(swept)
    assert threads_told(store) == []  # a sweep or a repeated callback tells no comment twice


REPLY_EVENT = {
    "type": "message",
    "channel": "DUA",
    "user": A,
    "text": "ok",
    "ts": "2.0001",
    "thread_ts": "1.0000",
}


@pytest.mark.parametrize(
    ("change", "taken"),
    [
        ({}, True),
        ({"subtype": "thread_broadcast"}, True),  # a reply also sent to the channel
        ({"thread_ts": None}, False),  # not in a thread
        ({"thread_ts": "2.0001"}, False),  # the thread's parent itself
        ({"user": "UBOT"}, False),  # the bot's own
        ({"bot_id": "B1"}, False),  # another bot's
        ({"subtype": "message_changed"}, False),  # an edit: the comment keeps what was first written
        ({"subtype": "message_deleted"}, False),
        ({"user": 7}, False),  # not shaped like Slack's
    ],
)
def test_only_a_persons_reply_in_a_thread_is_taken(change: dict, taken: bool) -> None:
    event = {k: v for k, v in {**REPLY_EVENT, **change}.items() if v is not None}
    reply = reply_of(event, "UBOT")
    assert (reply is not None) is taken
    if reply is not None:
        assert reply == ThreadReply("DUA", "1.0000", "2.0001", A, "ok")

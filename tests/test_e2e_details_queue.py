"""Issue 12: a burst of new approvals is told at once, from the callbacks alone; their form data is read
afterwards, at WeCom's pace, from a queue in the store, and fills in the same cards (no second post).

The first getapprovaldetail is held by the fake WeCom until the test lets it go: whatever Slack shows
before then was sent without any form read having completed."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.offline.slack_standin import Posted, SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    BotProcess,
    WeComSender,
    approval_detail,
    tinydb_only,
    wait_for,
    write_config,
)
from tests.test_faults import APPLICANT, APPROVER, deliver, landed_outbox_ids, pending

# The fake holds one form read: with two replicas the other reads the rest (each form once, as
# tests/test_store_pg.py shows of the queue's claims), so "nothing read yet" is one process's story.
pytestmark = tinydb_only("one process's form reader is held while the burst is told")

BURST = 12
FORM_TEXT = "New laptops for the design team"  # in approval_detail's form, never in a callback
ON_THEIR_WAY = "Form details are on their way"
HELD_FOR = 60.0  # the held read outlives this test's waits; release() lets it go


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {APPLICANT: {"email": "wujunjie@example.com"}, APPROVER: {"email": "alice@example.com"}}
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET, hang_limit=HELD_FOR) as fake:
        fake.users["alice"] = {"userid": "alice", "name": "Alice", "email": "alice@example.com"}
        yield fake


@pytest.fixture
def config(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Path:
    return write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "approvals.json",
        users={APPLICANT: "WuJunJie"},
        wecom_settings=f"timeout_seconds = {int(HELD_FOR)}",  # the held read is not a timeout
    )


@pytest.fixture
def bot(config: Path) -> Iterator[BotProcess]:
    process = BotProcess(config).start()
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def detail_of(sp_no: str) -> dict:
    """WeCom's detail of a `pending(sp_no)` callback: the same flow (alice to approve), with the form. A
    sweep reading it (its rotation, after the restart) finds the form and nothing new."""
    detail = approval_detail(sp_no)
    alice = {"userid": "alice", "sp_yj": 1, "speech": "", "sptime": 0}
    detail["process_list"] = {
        "node_list": [{"node_type": 1, "apv_rel": 1, "sp_status": 1, "sub_node_list": [alice]}]
    }
    return detail


def card_about(slack: SlackStandIn, user: str, sp_no: str) -> Posted | None:
    """`user`'s one message about `sp_no` (None before it is posted; a second one fails the test)."""
    cards = [m for m in slack.conversation(user) if sp_no in m.text]
    assert len(cards) <= 1, f"{user} was told about {sp_no} {len(cards)} times"
    return cards[0] if cards else None


def shown(message: Posted | None) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) if message is not None else ""


def burst_while_reads_are_held(bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi) -> list[str]:
    """BURST new approvals, all at once, with the first form read held: every approver and applicant
    is told (the card saying the form is on its way) while no read has completed."""
    # the quiet first sweep has looked (and found nothing): it reads none of the approvals below
    wait_for(lambda: (bot.health()["sweeps"] or {}).get("wecom"), timeout=30, what="the first sweep")
    numbers = [f"20261201{n:04d}" for n in range(1, BURST + 1)]
    for sp_no in numbers:
        wecom.approvals[sp_no] = detail_of(sp_no)
    wecom.fail("oa/getapprovaldetail", hang=True)
    deliver(WeComSender(bot.url), [pending(sp_no) for sp_no in numbers])

    for sp_no in numbers:
        for user in (APPROVER, APPLICANT):
            wait_for(
                lambda u=user, s=sp_no: card_about(slack, u, s), timeout=30, what=f"{user} told of {sp_no}"
            )
    assert wecom.served("oa/getapprovaldetail", "hang") == 1  # the one read begun is still held
    assert len(wecom.calls_to("oa/getapprovaldetail")) == 1  # no other read was made meanwhile
    for sp_no in numbers:
        for user in (APPROVER, APPLICANT):
            card = shown(card_about(slack, user, sp_no))
            assert ON_THEIR_WAY in card and FORM_TEXT not in card
    health = bot.health()
    assert health["details_wanted"] == BURST and health["inbox_applied_seq"] == BURST
    return numbers


def assert_filled_in_once(slack: SlackStandIn, wecom: FakeWeComApi, numbers: list[str]) -> None:
    """Every card gains the form in place: one message per person and approval, none posted twice."""
    for sp_no in numbers:
        for user in (APPROVER, APPLICANT):
            wait_for(
                lambda u=user, s=sp_no: FORM_TEXT in shown(card_about(slack, u, s)),
                timeout=30,
                what=f"the form on {user}'s card of {sp_no}",
            )
            assert ON_THEIR_WAY not in shown(card_about(slack, user, sp_no))
    assert set(Counter(landed_outbox_ids(slack).values())) == {1}  # no outbox item posted twice
    assert len(slack.conversation("CAUDIT01")) == len(numbers)  # the form read is no news
    read = Counter(call.body["sp_no"] for call in wecom.calls_to("oa/getapprovaldetail"))
    assert set(read) == set(numbers)


def test_a_burst_is_told_before_any_form_read_and_the_cards_are_filled_in_after(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    numbers = burst_while_reads_are_held(bot, slack, wecom)

    wecom.release()
    wait_for(lambda: bot.health()["details_wanted"] == 0, timeout=30, what="every form read")
    wait_for(lambda: bot.health()["outbox_backlog"] == 0, timeout=30, what="the card updates")
    assert_filled_in_once(slack, wecom, numbers)
    assert len(wecom.calls_to("oa/getapprovaldetail")) == BURST  # once each: the held one was answered
    assert bot.stop() == 0


def test_the_form_reads_owed_survive_a_kill_and_resume_after_the_restart(
    bot: BotProcess, config: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    numbers = burst_while_reads_are_held(bot, slack, wecom)
    wait_for(lambda: bot.health()["outbox_backlog"] == 0, timeout=30, what="the first cards out")

    bot.kill()  # kill -9 with every form read still owed
    wecom.release()
    restarted = BotProcess(config).start()
    try:
        wait_for(lambda: restarted.health()["details_wanted"] == 0, timeout=30, what="every form read")
        wait_for(lambda: restarted.health()["outbox_backlog"] == 0, timeout=30, what="the card updates")
        assert_filled_in_once(slack, wecom, numbers)
        assert restarted.stop() == 0
    finally:
        if restarted.proc and restarted.proc.poll() is None:
            restarted.kill()
        print("".join(restarted.log))

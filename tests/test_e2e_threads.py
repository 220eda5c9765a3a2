"""Threads end to end, through the real server: a reply under a card on the embedded engine becomes a
comment, shown on the other cards and mirrored into the other threads; WeCom's comments arrive as thread
replies; Slack redelivering a reply doubles nothing, across a restart too."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.offline.slack_standin import Posted, SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    started,
    wait_for,
    write_config,
)
from tests.test_e2e_local import APPLICANT, CC, STRANGER, A, B, card_of, file_request, write_local_config

NAMES = {APPLICANT: "Ann Applicant", A: "Al Approver", B: "Bea Approver", CC: "Cy Copied", STRANGER: "Stan"}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={user: {"real_name": name} for user, name in NAMES.items()}) as standin:
        yield standin


@pytest.fixture
def bots() -> Iterator[list[BotProcess]]:
    """Every bot process a test starts, stopped at its end."""
    running: list[BotProcess] = []
    yield running
    for process in running:
        if process.proc and process.proc.poll() is None:
            process.stop()
        print("".join(process.log))  # shown by pytest only when the test failed


def bot_replies(slack: SlackStandIn, card: Posted) -> list[str]:
    """What the bot posted in the thread under `card`."""
    return [m.text for m in slack.replies(card.channel, card.ts) if not m.user]


def shows(message: Posted | None, text: str) -> bool:
    return message is not None and text in json.dumps(message.blocks, ensure_ascii=False)


def test_a_reply_under_the_approvers_card_is_a_comment_everyone_sees_once(
    tmp_path: Path, slack: SlackStandIn, bots: list[BotProcess]
) -> None:
    config = write_local_config(tmp_path, slack.api_url)
    bots.append(started(config, slack))
    file_request(slack)
    approver_card = wait_for(lambda: card_of(slack, A), what="A's card")
    applicant_card = card_of(slack, APPLICANT)
    assert applicant_card is not None

    assert slack.reply(A, approver_card, "Which vendor is this from?").status_code == 200
    mirrored = "Al Approver: Which vendor is this from?"
    wait_for(
        lambda: bot_replies(slack, applicant_card) == [mirrored], what="the reply in the applicant's thread"
    )
    wait_for(
        lambda: shows(card_of(slack, APPLICANT), "Which vendor is this from?"),
        what="the applicant's timeline",
    )
    wait_for(lambda: bot_replies(slack, card_of(slack, B)) == [mirrored], what="the reply in B's thread")
    assert bot_replies(slack, approver_card) == []  # not back where it was written
    assert slack.ephemeral[A] == []

    # Slack retries the event: the guard takes the same event_id once; after a restart (which forgets
    # the event ids it took), the comment's own id keeps it from being added again
    reply_event = slack.sent[-1]
    assert slack.retry(reply_event).status_code == 200
    bots[0].stop()
    bots.append(started(config, slack))
    assert slack.retry(reply_event, attempt=2).status_code == 200
    wait_for(lambda: "thread reply" in "".join(bots[1].log), what="the retried reply taken")
    wait_for(lambda: bots[1].health()["outbox_backlog"] == 0, what="deliveries")
    assert bot_replies(slack, applicant_card) == [mirrored]
    assert json.dumps(card_of(slack, APPLICANT).blocks).count("Which vendor is this from?") == 1

    # someone not on the request, replying in the applicant's thread, is told so and nothing is kept
    assert slack.reply(STRANGER, applicant_card, "me too").status_code == 200
    told = wait_for(lambda: slack.ephemeral[STRANGER], what="the stranger told")
    assert "Only the applicant, the approvers and those copied" in told[0]["text"]
    assert not shows(card_of(slack, APPLICANT), "me too")


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.approvals["202611210001"] = approval_detail("202611210001")
        yield fake


def test_wecom_comments_arrive_as_thread_replies_once_and_slack_replies_stay_in_slack(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi, bots: list[BotProcess]
) -> None:
    users = {APPLICANT: "WuJunJie", A: "alice", B: "bob"}
    config = write_config(tmp_path / "config.toml", slack.api_url, wecom.base_url, tmp_path / "a.json", users)
    bots.append(started(config, slack))
    sender = WeComSender(bots[0].url)
    nodes = [(1, [Approver("alice"), Approver("bob")])]
    assert sender.post(approval_xml("202611210001", nodes=nodes)).text == "success"
    cards = wait_for(
        lambda: (
            all(card_of(slack, u) for u in (APPLICANT, A, B))
            and [card_of(slack, u) for u in (APPLICANT, A, B)]
        ),
        what="the three cards",
    )

    comment = ("c-1", "bob", int(time.time()), "Quote attached in WeCom")
    wecom.approvals["202611210001"]["comments"] = [
        {
            "commentUserInfo": {"userid": "bob"},
            "commenttime": comment[2],
            "commentcontent": comment[3],
            "commentid": "c-1",
        }
    ]
    commented = approval_xml("202611210001", nodes=nodes, action=10, comments=[comment])
    for _ in range(2):  # WeCom delivers at least once
        assert sender.post(commented).text == "success"
    mirrored = "Bea Approver: Quote attached in WeCom"
    for card in cards:
        wait_for(lambda card=card: bot_replies(slack, card) == [mirrored], what="the comment in every thread")
    wait_for(
        lambda: "commented" in " ".join(m.text for m in slack.conversation("CAUDIT01")), what="audit line"
    )

    assert slack.reply(A, cards[1], "Thanks, looks fine").status_code == 200
    told = wait_for(lambda: slack.ephemeral[A], what="A told the reply stays in Slack")
    assert "stays here in Slack" in told[0]["text"]
    assert slack.reply(A, cards[1], "One more thing").status_code == 200
    wait_for(lambda: "outcome='told_already'" in "".join(bots[0].log), what="the second reply taken")
    wait_for(lambda: bots[0].health()["outbox_backlog"] == 0, what="deliveries")
    assert len(slack.ephemeral[A]) == 1  # told once
    for card in cards:
        assert bot_replies(slack, card) == [mirrored]

"""Slack refusing the bot's token, end to end: the real `serve` process, a WeCom callback
encrypted by wechatpy, the Slack stand-in answering `invalid_auth` until it is told to stop.

Nothing acknowledged may be lost: the notifications wait, held, while /healthz says what to fix,
and arrive exactly once when Slack accepts the token again.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.offline.slack_standin import SlackStandIn
from handlers.delivery import PROBE_FIRST
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    wait_for,
    write_config,
)

APPLICANT, APPROVER_A, APPROVER_B, CC = "U0APPLICANT", "U0APPROVERA", "U0APPROVERB", "U0CCPERSON"
PEOPLE = (APPLICANT, APPROVER_A, APPROVER_B, CC)
SP_NO = "202611210001"
REFUSED = ("auth.test", "conversations.open", "chat.postMessage", "chat.update", "views.publish")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={user: {"email": f"{user.lower()}@example.com"} for user in PEOPLE}) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.approvals[SP_NO] = approval_detail(SP_NO)
        yield fake


def config(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Path:
    users = {APPLICANT: "WuJunJie", APPROVER_A: "alice", APPROVER_B: "bob", CC: "carol"}
    return write_config(tmp_path / "config.toml", slack.api_url, wecom.base_url, tmp_path / "a.json", users)


def refuse_the_token(slack: SlackStandIn) -> None:
    for method in REFUSED:
        slack.fail(method, "invalid_auth", times=1_000_000)


def accept_the_token(slack: SlackStandIn) -> None:
    with slack._lock:
        slack.faults.clear()


def all_held(bot: BotProcess) -> dict[str, Any] | None:
    """Health once the bot is degraded and everything it queued is held."""
    health = bot.health()
    degraded = health["status"] == "degraded" and health["outbox_held"] == health["outbox_backlog"] > 0
    return health if degraded else None


def test_notifications_acknowledged_while_slack_refuses_the_token_arrive_once_it_works(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    bot = BotProcess(config(tmp_path, slack, wecom)).start()
    try:
        refuse_the_token(slack)
        nodes = [(1, [Approver("alice"), Approver("bob")])]
        callback = approval_xml(SP_NO, nodes=nodes, cc=["carol"], create_time=int(time.time()))
        reply = WeComSender(bot.url).post(callback)
        assert (reply.status_code, reply.text) == (200, "success")

        health = wait_for(lambda: all_held(bot), what="health saying what is wrong")
        held = health["outbox_held"]
        assert held >= 4  # a card for each of the four people, at least
        [problem] = health["problems"]
        assert "Slack rejected the bot token (invalid_auth)" in problem
        assert "slack.bot_token" in problem and f"{held} notification(s) are held" in problem
        assert all(slack.conversation(user) == [] for user in PEOPLE)
        refusals = [line for line in bot.log if "Slack refuses the bot" in line]
        assert len(refusals) == 1 and " ERROR " in refusals[0]
        assert "dropped" not in "".join(bot.log)

        accept_the_token(slack)
        wait_for(
            lambda: bot.health()["outbox_backlog"] == 0,
            timeout=PROBE_FIRST + 20,
            what="the probe releasing what was held",
        )
        for user in PEOPLE:
            [card] = slack.conversation(user)  # exactly once each
            assert SP_NO in card.text
        [audit] = slack.conversation("CAUDIT01")
        assert SP_NO in audit.text
        health = bot.health()
        assert (health["status"], health["problems"], health["outbox_held"]) == ("ok", [], 0)
        assert health["failed_deliveries"] == 0
    finally:
        assert bot.stop() == 0
        print("".join(bot.log))  # shown by pytest only when the test failed


def test_serve_refuses_to_start_with_a_token_slack_rejects(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    slack.fail("auth.test", "token_revoked")
    path = config(tmp_path, slack, wecom)
    command = [sys.executable, "-m", "bot", "serve", "--config", str(path), "--port", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "approvals-bot: Slack rejected the bot token (token_revoked)" in done.stderr
    assert "slack.bot_token or SLACK_BOT_TOKEN" in done.stderr
    assert "serving on" not in done.stderr and "Traceback" not in done.stderr
    assert [name for name, _ in slack.calls] == ["auth.test"]

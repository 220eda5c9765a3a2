"""Provider text never becomes Slack markup: through the real `serve`, a WeCom callback whose applicant id
and comment look like mentions and broadcasts renders them as text, while mapped users stay mentioned."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

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
    wait_for,
    write_config,
)

APPROVER_A, APPROVER_B, AUDIT = "U0APPROVERA", "U0APPROVERB", "CAUDIT01"
SP_NO = "202611210009"
HOSTILE_APPLICANT = "<@U0ADMIN>"
HOSTILE_COMMENT = "<!channel> hi <https://evil.example|click> & <!here>"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {APPROVER_A: {"email": "a@example.com"}, APPROVER_B: {"email": "b@example.com"}}
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.users.update(
            {
                "alice": {"userid": "alice", "name": "Alice", "email": "a@example.com"},
                "bob": {"userid": "bob", "name": "Bob", "email": "b@example.com"},
            }
        )
        fake.approvals[SP_NO] = approval_detail(SP_NO, applicant=HOSTILE_APPLICANT)
        yield fake


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Iterator[BotProcess]:
    config = write_config(tmp_path / "config.toml", slack.api_url, wecom.base_url, tmp_path / "a.json", {})
    process = BotProcess(config).start()
    yield process
    process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def comment_xml(user: str, at: int, content: str) -> str:
    """A comment as WeCom sends it: the text as is, inside CDATA (`approval_xml` would also XML-escape it)."""
    return (
        f"<Comments><CommentUserInfo><UserId><![CDATA[{user}]]></UserId></CommentUserInfo>"
        f"<CommentTime>{at}</CommentTime><CommentContent><![CDATA[{content}]]></CommentContent>"
        "<CommentId><![CDATA[c1]]></CommentId></Comments>"
    )


def mrkdwn_texts(message: Posted) -> list[str]:
    """The fallback text and every mrkdwn text of the blocks: what Slack parses for markup."""
    found = [message.text]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                found.append(value["text"])
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(message.blocks)
    return found


def test_a_hostile_applicant_id_and_comment_render_as_text_and_mapped_people_stay_mentioned(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    sender = WeComSender(bot.url)
    now = int(time.time())
    flow = [(1, [Approver("alice"), Approver("bob")])]
    for action, comments, at in ((1, "", now - 10), (10, comment_xml("bob", now, HOSTILE_COMMENT), now)):
        xml = approval_xml(SP_NO, action=action, applicant=HOSTILE_APPLICANT, nodes=flow, create_time=at)
        reply = sender.post(xml.replace("<StatuChangeEvent>", f"{comments}<StatuChangeEvent>"))
        assert (reply.status_code, reply.text) == (200, "success")

    def rendered() -> str:
        texts = []
        for who in (APPROVER_A, APPROVER_B, AUDIT):
            for message in slack.conversation(who):
                for raw in message.blocks:
                    Block.parse(raw).validate_json()
                texts += mrkdwn_texts(message)
        return "\n".join(texts)

    unmapped_notice = "WeCom users `&lt;@U0ADMIN&gt;`"
    everything = wait_for(
        lambda: (text := rendered()) and "&lt;!channel&gt;" in text and unmapped_notice in text and text,
        timeout=30,  # the audit channel takes its four lines at Slack's pace of about one a second
        what="the cards, the comment and the audit lines",
    )
    live = set(re.findall(r"<[^>]*>", everything))
    mapped = {f"<@{APPROVER_A}>", f"<@{APPROVER_B}>"}
    assert all(token in mapped or token.startswith("<!date^") for token in live), live
    assert f"<@{APPROVER_B}>" in live  # the commenter, mapped, is still mentioned
    assert "from &lt;@U0ADMIN&gt;" in everything  # the applicant, unmapped, on the approvers' cards
    assert "&lt;!channel&gt; hi &lt;https://evil.example|click&gt; &amp; &lt;!here&gt;" in everything
    assert "&amp;lt;" not in everything  # escaped exactly once

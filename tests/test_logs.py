"""Log lines never carry approve-link tokens, link or request signatures, whoever logs them."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import sys
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from slack_sdk import WebClient

from bot.links import LinkGrant, make_token
from bot.logs import MAX_MESSAGE, redact, setup_logging
from bot.offline.slack_standin import SlackStandIn
from bot.providers.local.approve_page import approve_link
from bot.providers.wecom.launch_page import launch_link, link_signature

SECRET = b"link-secret-for-tests"
TOKEN = make_token(LinkGrant("local:202611210001", "U0APPROVER", "approve", 1_900_000_000), SECRET)
LINK = approve_link("https://bot.example", TOKEN)
SLACK_SIGNATURE = "v0=" + hmac.new(b"signing", b"v0:1700000000:body", hashlib.sha256).hexdigest()


@pytest.fixture
def bot_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """What the bot's own logging set-up writes to stderr at DEBUG; the root logger restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setenv("APPROVALS_BOT_LOG_LEVEL", "DEBUG")
    setup_logging()
    yield stderr
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    "text",
    [
        f"GET {LINK}",
        json.dumps({"url": LINK}).replace("/", "\\/"),  # JSON with escaped slashes, as Slack answers
        quote(LINK, safe=""),  # percent-encoded, as in a form body
        f"button <{LINK}|Approve> and {LINK}?x=1",
    ],
)
def test_approve_tokens_are_masked_in_every_spelling(text: str) -> None:
    masked = redact(text)
    assert TOKEN not in masked
    assert TOKEN.split(".")[1] not in masked  # nor its signature part alone
    assert "approve" in masked and "<redacted>" in masked


def test_slack_and_launch_signatures_are_masked() -> None:
    sig = link_signature("202611210001", SECRET)
    launch = launch_link("https://bot.example", "202611210001", SECRET, view=True)
    masked = redact(f"signature: {SLACK_SIGNATURE}, link {launch}, escaped {quote(launch, safe='')}")
    assert SLACK_SIGNATURE[3:] not in masked
    assert sig not in masked
    assert "v0=***" in masked and "sig=***" in masked
    assert "view=1" in masked  # only the secret part goes


def test_a_traceback_carrying_a_token_is_masked(bot_log: io.StringIO) -> None:
    try:
        raise LookupError(f"no route for /approve/{TOKEN}")
    except LookupError:
        logging.getLogger("waitress").exception("Exception while serving /approve/%s", TOKEN)
    err = bot_log.getvalue()
    assert "Traceback" in err and "LookupError" in err
    assert TOKEN not in err


def test_a_huge_message_is_clipped_to_one_short_line(bot_log: io.StringIO) -> None:
    logging.getLogger("tests.test_logs").warning("body: %s", "payload=" + "x" * 300_000)
    line = bot_log.getvalue()
    assert len(line) < MAX_MESSAGE + 200
    assert "300014 characters" in line


def test_slack_sdk_debug_lines_carry_no_approve_token(bot_log: io.StringIO) -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "url": LINK}
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"<{LINK}|Approve here>"}},
        {"type": "actions", "elements": [button]},
    ]
    with SlackStandIn(users={"U0APPROVER": {}}) as slack:
        client = WebClient(token="xoxb-test-token", base_url=slack.api_url, retry_handlers=[])
        client.chat_postMessage(channel="DU0APPROVER", text=f"Approve: {LINK}", blocks=blocks)
        assert slack.conversation("U0APPROVER")[0].text == f"Approve: {LINK}"  # the token did go to Slack
    err = bot_log.getvalue()
    assert "DEBUG slack_sdk" in err and "chat.postMessage" in err  # slack_sdk's request line was logged
    assert "/approve/<redacted>" in err
    assert TOKEN not in err
    assert "xoxb-test-token" not in err

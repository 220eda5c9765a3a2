"""A direct message to the bot is answered with `/approval help`'s help, in the configured language,
as Block Kit Slack accepts; the bot's own messages, other bots', edits and channel messages are not."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt import BoltRequest
from slack_sdk.models.blocks import Block

from bot.config import load_config
from bot.i18n import LANGUAGES, t
from bot.offline.slack_standin import SlackStandIn
from bot.runtime import Runtime, build_runtime
from tests.harness import SIGNING_SECRET, BotProcess, in_process_app, wait_for
from tests.test_e2e_local import APPLICANT, CC, A, B, C, write_local_config

_event_ids = itertools.count(1)


def help_text(lang: str) -> str:
    """What `/approval help` (and a direct message) answers with the demo's one template."""
    lines = [t("cmd.usage", lang), t("away.usage_line", lang), t("cmd.templates", lang, aliases="`purchase`")]
    return "\n".join(lines)


def envelope(slack: SlackStandIn, **event: Any) -> dict[str, Any]:
    """An Events API envelope as Slack sends it for a message in the DM of APPLICANT and the bot."""
    message = {
        "type": "message",
        "channel": slack.dm_channel(APPLICANT),
        "channel_type": "im",
        "user": APPLICANT,
        "text": "hello?",
        "ts": f"{time.time():.6f}",
        **event,
    }
    return {
        "type": "event_callback",
        "team_id": slack.team,
        "api_app_id": "A000STANDIN",
        "event": {key: value for key, value in message.items() if value is not None},
        "event_id": f"EvDM{next(_event_ids):06d}",
        "event_time": int(time.time()),
    }


def send_signed(slack: SlackStandIn, body: dict[str, Any]) -> httpx.Response:
    """Sent as Slack sends it: signed with the signing secret (the stand-in signs)."""
    return slack._send(json.dumps(body).encode(), "application/json")


def answers_in(slack: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [call for call in slack.calls_to("chat.postMessage") if call.get("channel") == channel]


def blocks_of(call: dict[str, Any]) -> list[dict[str, Any]]:
    """The posted blocks, each accepted by Slack's own models."""
    blocks = json.loads(call["blocks"]) if isinstance(call["blocks"], str) else call["blocks"]
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
    return blocks


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={u: {} for u in (APPLICANT, A, B, C, CC)}) as standin:
        yield standin


def test_a_signed_direct_message_to_the_serving_bot_gets_the_help(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    process = BotProcess(write_local_config(tmp_path, slack.api_url)).start()
    try:
        slack.attach(f"{process.url}/slack/events", SIGNING_SECRET)
        channel = slack.dm_channel(APPLICANT)
        assert send_signed(slack, envelope(slack, text="how do I ask for a laptop?")).status_code == 200

        [answer] = wait_for(lambda: answers_in(slack, channel), what="the help in the DM")
        assert answer["text"] == help_text("en")
        assert "/approval new [template]" in json.dumps(blocks_of(answer))
    finally:
        process.stop()
        print("".join(process.log))  # shown by pytest only when the test failed


class InProcessBot:
    """The bolt app `serve` runs, every listener registered, dispatched synchronously: when dispatch
    returns, the listener has run, so "nothing was posted" is a finished fact, not a race."""

    def __init__(self, runtime: Runtime) -> None:
        self.app = in_process_app(runtime)

    def dispatch(self, body: dict[str, Any]) -> int:
        request = BoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})
        return self.app.dispatch(request).status


@pytest.fixture
def start_in_process(tmp_path: Path, slack: SlackStandIn) -> Iterator[Callable[[str], InProcessBot]]:
    runtimes: list[Runtime] = []

    def start(language: str) -> InProcessBot:
        config = write_local_config(tmp_path / language, slack.api_url, language)
        runtimes.append(build_runtime(load_config(config), with_bolt=False))
        return InProcessBot(runtimes[-1])

    yield start
    for runtime in runtimes:
        runtime.stop()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_help_is_in_the_configured_language_and_a_thread_is_answered_in_it(
    lang: str, start_in_process: Callable[[str], InProcessBot], slack: SlackStandIn
) -> None:
    bot = start_in_process(lang)
    assert bot.dispatch(envelope(slack, thread_ts="1700000000.000100")) == 200
    [answer] = answers_in(slack, slack.dm_channel(APPLICANT))
    assert answer["text"] == help_text(lang)
    assert answer["thread_ts"] == "1700000000.000100"
    assert t("cmd.usage", lang) in json.dumps(blocks_of(answer), ensure_ascii=False)


@pytest.mark.parametrize(
    "event",
    [
        {"user": "U000BOT"},  # the bot's own message (its cards land in this DM)
        {"bot_id": "B000STANDIN", "user": "U000BOT"},
        {"subtype": "bot_message", "bot_id": "B0OTHER", "user": None},  # another bot, a classic one
        {"bot_id": "B0OTHER", "bot_profile": {"id": "B0OTHER"}, "user": "U0OTHERBOT"},  # an app's bot user
        {"subtype": "message_changed", "user": None, "message": {"user": APPLICANT, "text": "hello!"}},
        {"subtype": "message_deleted", "user": None},
        {"subtype": "file_share"},
        {"channel_type": "channel", "channel": "C0GENERAL"},  # not a DM: message.channels is not ours
        {"user": None},  # no author at all
    ],
)
def test_what_is_not_a_persons_new_direct_message_is_left_alone(
    event: dict[str, Any], start_in_process: Callable[[str], InProcessBot], slack: SlackStandIn
) -> None:
    assert start_in_process("en").dispatch(envelope(slack, **event)) == 200
    assert slack.calls_to("chat.postMessage") == []


def test_the_manifest_sends_direct_messages_to_the_bot() -> None:
    """The Messages tab is open for typing, and Slack delivers what is typed there (message.im, which
    needs im:history). Read as lines, not YAML: PyYAML is not among the project's dependencies."""
    manifest = Path(__file__).parent.parent / "slack-manifest.yml"
    lines = {line.split(" #")[0].strip() for line in manifest.read_text(encoding="utf-8").splitlines()}
    assert {"messages_tab_enabled: true", "messages_tab_read_only_enabled: false"} <= lines
    assert {"- message.im", "- im:history"} <= lines

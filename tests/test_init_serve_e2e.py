"""A newcomer's path, end to end: `approvals-bot init` from the environment, `serve` on what it wrote,
and through the Slack stand-in a request filed with `/approval new purchase`, approved with the button,
and the applicant's card showing it approved.

The stand-in cannot speak Socket Mode's WebSocket, so the test turns the written app_token off and
points Slack at the HTTP events endpoint (signed with the signing secret init wrote); everything else
is the file exactly as init wrote it, bar slack.api_url pointing at the stand-in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import CONFIG_ENV, SECRET_ENV, load_config
from bot.config_check import problems
from bot.init_config import ADMINS_ENV
from bot.offline.slack_standin import SlackStandIn
from tests.harness import BotProcess, wait_for
from tests.test_e2e_local import APPLICANT, A, card_of, click, file_request

ROOT = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "9d3c1b7a5e4f20681a2b3c4d5e6f7081"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={u: {} for u in (APPLICANT, A)}) as standin:
        yield standin


def init(path: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot init --non-interactive` with the Slack answers in its environment only."""
    env = {k: v for k, v in os.environ.items() if k not in {*SECRET_ENV.values(), CONFIG_ENV, "PORT"}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-111-222-abcdef",
        "SLACK_APP_TOKEN": "xapp-1-A111-222-abcdef",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        ADMINS_ENV: A,  # the admin approves the example templates
    }
    command = [
        sys.executable,
        "-m",
        "bot",
        "init",
        "--non-interactive",
        "--path",
        str(path),
        "--language",
        "en",
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_init_then_serve_files_and_approves_a_request(tmp_path: Path, slack: SlackStandIn) -> None:
    path = tmp_path / "config.toml"
    done = init(path)
    assert done.returncode == 0, done.stderr
    assert problems(load_config(path, env={})) == []  # what init wrote passes check-config as it is

    text = path.read_text(encoding="utf-8")
    for line, replacement in (
        ('api_url = "https://slack.com/api/"', f'api_url = "{slack.api_url}"'),
        ('app_token = "xapp-1-A111-222-abcdef"', 'app_token = ""'),  # no Socket Mode stand-in: HTTP
    ):
        assert line in text
        text = text.replace(line, replacement)
    path.write_text(text, encoding="utf-8")

    bot = BotProcess(path).start()
    try:
        slack.attach(f"{bot.url}/slack/events", SIGNING_SECRET)
        number = file_request(slack)  # /approval new purchase, the form filled and submitted
        approver_card = wait_for(lambda: card_of(slack, A), what="the approver's card")
        assert number in approver_card.text
        click(slack, A, approver_card, "approval_approve", "approve")
        wait_for(lambda: "Approved" in card_of(slack, APPLICANT).text, what="the applicant's card: approved")
        assert number in card_of(slack, APPLICANT).text
    finally:
        assert bot.stop() == 0
        print("".join(bot.log))  # shown by pytest only when the test failed

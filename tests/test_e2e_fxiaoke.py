"""FXiaoKe end to end: no callbacks, so sweeps find its approvals and the mapped Slack users are told."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.offline.slack_standin import SlackStandIn
from tests.fakes.fxiaoke_api import FakeFXiaoKeApi

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = json.loads((ROOT / "tests" / "fixtures" / "fxiaoke" / "approval_get.json").read_text())["approval"]
APPLICANT, FIRST_APPROVER = "U0FXAPPLICANT", "U0FXAPPROVER"
SENDER = EXAMPLE["senderId"]
APPROVER = EXAMPLE["approvalTasks"][0]["taskMembers"][0]["employeeId"]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={APPLICANT: {}, FIRST_APPROVER: {}}) as standin:
        yield standin


@pytest.fixture
def fxiaoke() -> Iterator[FakeFXiaoKeApi]:
    with FakeFXiaoKeApi() as fake:
        fake.types = [
            {"approveType": 100, "name": EXAMPLE["approvalFormName"], "id": EXAMPLE["approvalFormId"]}
        ]
        yield fake


def put(fake: FakeFXiaoKeApi, approval: dict) -> None:
    fake.approvals[int(approval["approvalId"])] = approval
    fake.updated_ms[int(approval["approvalId"])] = int(time.time() * 1000)


def sweep(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "sweep", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_fxiaoke_approvals_reach_their_mapped_slack_users_after_sweeps(
    tmp_path: Path, slack: SlackStandIn, fxiaoke: FakeFXiaoKeApi
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
path = "{tmp_path / "data" / "a.json"}"
[slack]
bot_token = "xoxb-test"
signing_secret = "s"
api_url = "{slack.api_url}"
language = "en"
[fxiaoke]
app_id = "{fxiaoke.app_id}"
app_secret = "{fxiaoke.app_secret}"
permanent_code = "{fxiaoke.permanent_code}"
api_base = "{fxiaoke.base_url}"
approval_url_template = "https://fxiaoke.example/approval/{{id}}"
[fxiaoke.users]
"{APPLICANT}" = "{SENDER}"
"{FIRST_APPROVER}" = "{APPROVER}"
""",
        encoding="utf-8",
    )
    put(fxiaoke, EXAMPLE)
    first = sweep(config)
    assert first.returncode == 0, first.stderr
    assert "fxiaoke: first sweep" in first.stdout and slack.calls_to("chat.postMessage") == []

    decided = copy.deepcopy(EXAMPLE)
    decided["approvalId"] = int(EXAMPLE["approvalId"]) + 1  # a new one, filed since the first sweep
    put(fxiaoke, decided)
    second = sweep(config)
    assert second.returncode == 0, second.stderr
    assert "fxiaoke: sweep" in second.stdout and "1 change(s)" in second.stdout
    [card] = slack.conversation(APPLICANT)
    assert str(decided["approvalId"]) in card.text
    [ask] = slack.conversation(FIRST_APPROVER)
    assert "https://fxiaoke.example/approval/" in json.dumps(ask.blocks)

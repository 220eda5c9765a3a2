"""`approvals-bot sweep` from cron (no serve) and beside serve; sweeps scheduled inside serve."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.offline.slack_standin import SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import CORP_ID, SECRET, BotProcess, replicas_mode, wait_for, write_config
from tests.test_sweep import info

ROOT = Path(__file__).resolve().parent.parent
APPLICANT = "U0APPLICANT"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={APPLICANT: {}, "U0APPROVERA": {}}) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.approvals["0001"] = {**info("0001"), "applyer": {"userid": "WuJunJie", "partyid": "1"}}
        yield fake


@pytest.fixture
def config(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Path:
    users = {APPLICANT: "WuJunJie", "U0APPROVERA": "alice"}
    return write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "a.json",
        users=users,
        extra='[wecom.templates]\nbuy = "tmpl"\n',
    )


def sweep(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "sweep", "--config", str(config), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_sweep_from_cron_records_first_then_tells_changes_before_it_exits(
    config: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    first = sweep(config)
    assert first.returncode == 0, first.stderr
    assert "wecom: first sweep (recorded, nobody told): 1 looked at" in first.stdout
    assert slack.conversation(APPLICANT) == []

    wecom.approvals["0001"] = {**info("0001", status=2, approved=True), "applyer": {"userid": "WuJunJie"}}
    second = sweep(config)
    assert second.returncode == 0, second.stderr
    assert "1 change(s)" in second.stdout
    [card] = slack.conversation(APPLICANT)  # delivered before the command exited
    assert "Approved" in card.text


def test_sweep_beside_serve_asks_it_and_serve_also_sweeps_on_its_own(config: Path) -> None:
    bot = BotProcess(config).start()
    try:
        wait_for(lambda: bot.health()["sweeps"]["wecom"], timeout=30, what="the scheduled first sweep")
        result = sweep(config, "--url", bot.url)
        assert result.returncode == 0, result.stderr
        assert "wecom: sweep:" in result.stdout
        # TinyDB: serve holds the store, so it is asked; PostgreSQL: nothing holds it, the sweep runs
        # in the command beside the replicas (bot/cli.py says why that is safe)
        assert ("(swept by the running serve)" in result.stdout) is not replicas_mode()
        forged = httpx.post(
            f"{bot.url}/internal/sweep", headers={"X-Approvals-Bot-Sweep": "1.00"}, timeout=10
        )
        assert forged.status_code == 403
    finally:
        assert bot.stop() == 0

"""Killing the server at any moment leaves a readable store holding every acknowledged event."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.offline.slack_standin import SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_xml,
    exported_numbers,
    wait_for,
    write_config,
)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={"U0APPLICANT": {}, "U0APPROVERA": {}}) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        yield fake


def flood(sender: WeComSender, prefix: str, acknowledged: list[str], stop: threading.Event) -> None:
    """Keep delivering new approvals until the server dies; note the ones it acknowledged."""
    for n in range(10_000):
        if stop.is_set():
            return
        sp_no = f"{prefix}{n:05d}"
        try:
            reply = sender.post(approval_xml(sp_no, nodes=[(1, [Approver("alice")])]))
        except httpx.HTTPError:
            return
        if reply.status_code == 200 and reply.text == "success":
            acknowledged.append(sp_no)


@pytest.mark.parametrize("kill_after", [1, 25, 80])
def test_sigkill_loses_no_acknowledged_event(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi, kill_after: int
) -> None:
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "approvals.json",
        users={"U0APPLICANT": "WuJunJie", "U0APPROVERA": "alice"},
    )
    bot = BotProcess(config).start()
    acknowledged: list[str] = []
    stop = threading.Event()
    senders = [
        threading.Thread(target=flood, args=(WeComSender(bot.url), f"9{i}", acknowledged, stop))
        for i in range(6)
    ]
    for thread in senders:
        thread.start()
    wait_for(lambda: len(acknowledged) >= kill_after, timeout=60, what=f"{kill_after} acknowledgements")
    bot.kill()
    stop.set()
    for thread in senders:
        thread.join(timeout=30)
    assert acknowledged

    # The store is readable as it was left (export reads the files directly, without the lock).
    exported = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--config", str(config)], capture_output=True, text=True
    )
    assert exported.returncode == 0, exported.stderr
    json.loads(exported.stdout)

    # A restart applies everything that was acknowledged but not yet applied.
    bot = BotProcess(config).start()
    try:
        wait_for(
            lambda: set(acknowledged) <= exported_numbers(config),
            timeout=60,
            what="every acknowledged approval",
        )
    finally:
        assert bot.stop() == 0

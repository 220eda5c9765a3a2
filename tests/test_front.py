"""The acknowledging front (bot/front.py): callbacks journaled and answered by a process of its own, the
bot's process tailing that journal; the front replaced when it dies, gone when the bot's process is."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.offline.slack_standin import SlackStandIn
from bot.store.tinydb.inbox import JournalTail
from bot.store.tinydb.journal import Journal, JournalError
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_xml,
    exported_numbers,
    tinydb_only,
    wait_for,
    write_config,
)

pytestmark = tinydb_only("a front runs beside TinyDB; replicas on a database acknowledge themselves")


class Meta(dict):
    def set(self, key: str, value: object) -> None:
        self[key] = value


def tail(directory: Path) -> JournalTail:
    return JournalTail(directory, Meta())  # type: ignore[arg-type]


def test_the_tail_reads_only_what_the_writer_said_is_on_disk(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    for n in range(5):
        journal.append({"n": n})
    reader = tail(tmp_path)
    assert reader.pending(10) == []
    reader.durable_through(3)
    reader.durable_through(2)  # reports may come out of order: the newest counts
    assert [seq for seq, _ in reader.pending(10)] == [1, 2, 3]
    reader.applied(2)
    assert reader.pending(10) == [(3, {"n": 2})]
    with pytest.raises(JournalError):
        reader.append({"n": 9})


def test_the_tail_follows_the_writer_across_segments_and_removes_only_applied_ones(tmp_path: Path) -> None:
    journal = Journal(tmp_path, max_segment_bytes=64)
    reader = tail(tmp_path)
    seen: list[int] = []
    for n in range(1, 31):
        reader.durable_through(journal.append({"n": n, "pad": "x" * 20}))
        if n % 7 == 0:  # apply in bursts, as the worker does
            for seq, record in reader.pending(4):
                assert record["n"] == seq
                seen.append(seq)
                reader.applied(seq)
            reader.discard_applied()
    while batch := reader.pending(4):
        for seq, _ in batch:
            seen.append(seq)
            reader.applied(seq)
        reader.discard_applied()
    assert seen == list(range(1, 31))
    segments = sorted(tmp_path.iterdir())
    assert len(segments) == 1  # every applied segment gone but the newest, which carries the sequence
    assert journal.append({"n": 31}) == 31


def test_the_tail_finds_its_place_again_after_a_rollback(tmp_path: Path) -> None:
    journal = Journal(tmp_path, max_segment_bytes=64)
    for n in range(1, 11):
        journal.append({"n": n, "pad": "y" * 20})
    reader = tail(tmp_path)
    reader.durable_through(10)
    assert [seq for seq, _ in reader.pending(6)] == [1, 2, 3, 4, 5, 6]
    reader.applied(6)
    reader.applied(3)  # the transaction that applied 4..6 was rolled back: the checkpoint says 3
    assert [seq for seq, _ in reader.pending(3)] == [4, 5, 6]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={"U0APPLICANT": {}, "U0APPROVERA": {}}) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        yield fake


def start_bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi, server: str = "") -> BotProcess:
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "approvals.json",
        users={"U0APPLICANT": "WuJunJie", "U0APPROVERA": "alice"},
        server=server,
    )
    return BotProcess(config).start()


def send(bot: BotProcess, sp_no: str) -> httpx.Response:
    return WeComSender(bot.url).post(approval_xml(sp_no, nodes=[(1, [Approver("alice")])]))


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_front_killed_under_load_is_replaced_and_every_acknowledged_callback_applied(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    bot = start_bot(tmp_path, slack, wecom)
    try:
        first = bot.health()["front"]
        assert first["alive"] and first["starts"] == 1
        acknowledged: list[str] = []
        stop = threading.Event()

        def flood(prefix: str) -> None:
            for n in range(10_000):
                if stop.is_set():
                    return
                try:
                    reply = send(bot, f"{prefix}{n:05d}")
                except httpx.HTTPError:
                    continue  # the front is being replaced: WeCom would retry
                if reply.status_code == 200 and reply.text == "success":
                    acknowledged.append(f"{prefix}{n:05d}")

        senders = [threading.Thread(target=flood, args=(f"8{i}",)) for i in range(4)]
        for thread in senders:
            thread.start()
        wait_for(lambda: len(acknowledged) >= 30, timeout=60, what="30 acknowledgements")
        os.kill(first["pid"], signal.SIGKILL)
        wait_for(lambda: bot.health()["front"]["starts"] == 2, timeout=30, what="a new front")
        count = len(acknowledged)
        wait_for(
            lambda: len(acknowledged) >= count + 30, timeout=60, what="acknowledgements by the new front"
        )
        stop.set()
        for thread in senders:
            thread.join(timeout=30)
        wait_for(
            lambda: set(acknowledged) <= exported_numbers(bot.config), timeout=60, what="every one applied"
        )
        health = bot.health()
        assert health["front"]["alive"] and health["front"]["pid"] != first["pid"]
    finally:
        assert bot.stop() == 0


def test_the_front_ends_with_the_bots_process(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    bot = start_bot(tmp_path, slack, wecom)
    front = bot.health()["front"]["pid"]
    assert send(bot, "700001").text == "success"
    bot.kill()
    wait_for(lambda: gone(front), timeout=10, what="the front gone with the bot's process")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{bot.url}/healthz", timeout=5)
    again = BotProcess(bot.config).start()  # the port and the journal are free for the next serve
    try:
        wait_for(lambda: again.health()["inbox_applied_seq"] >= 1, timeout=30, what="the callback applied")
    finally:
        assert again.stop() == 0


def test_without_a_front_the_bots_process_acknowledges_itself(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    bot = start_bot(tmp_path, slack, wecom, server="front_process = false")
    try:
        assert "front" not in bot.health()
        assert send(bot, "700002").text == "success"
        wait_for(lambda: bot.health()["inbox_applied_seq"] >= 1, timeout=30, what="the callback applied")
    finally:
        assert bot.stop() == 0

"""Two `serve` replicas on one PostgreSQL database, as deployed behind a load balancer.

Encrypted callbacks are spread over both; the replica that leads the schedule is killed (`kill -9`)
mid-load. Every acknowledged callback is applied, every person hears of each approval once (no card
lost, none posted twice), and the survivor takes over the lead (and with it the sweeps).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.offline.slack_standin import SlackStandIn
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

APPLICANT, APPROVER = "U0APPLICANT", "U0APPROVERA"
APPROVALS = 24


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(
        users={APPLICANT: {"email": "w@example.com"}, APPROVER: {"email": "a@example.com"}}
    ) as s:
        yield s


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.users["alice"] = {"userid": "alice", "name": "Alice", "email": "a@example.com"}
        for n in range(APPROVALS):
            fake.approvals[sp_no(n)] = approval_detail(sp_no(n))
        yield fake


def sp_no(n: int) -> str:
    return f"2026112{n:05d}"


@pytest.fixture
def replicas(
    tmp_path: Path, pg_url: str, slack: SlackStandIn, wecom: FakeWeComApi
) -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    try:
        for name in ("a", "b"):
            config = write_config(
                tmp_path / f"{name}.toml",
                slack.api_url,
                wecom.base_url,
                tmp_path / name / "approvals.json",
                {APPLICANT: "WuJunJie"},
                store_url=pg_url,
            )
            started.append(BotProcess(config).start())
        yield started
    finally:
        for process in started:
            if process.proc and process.proc.poll() is None:
                process.stop()
            print("".join(process.log))  # shown by pytest only when the test failed


def posts_about(slack: SlackStandIn, user: str, number: str) -> int:
    return sum(number in message.text for message in slack.conversation(user))


def test_two_replicas_apply_every_acknowledged_callback_once_through_a_kill(
    replicas: list[BotProcess], slack: SlackStandIn
) -> None:
    ids = [process.health()["leader"]["replica"] for process in replicas]
    leader_id = wait_for(lambda: replicas[0].health()["leader"]["leader"], what="a leader", timeout=15)
    assert leader_id in ids
    leader = replicas[ids.index(leader_id)]
    survivor = replicas[1 - ids.index(leader_id)]
    acknowledged: list[str] = []
    lock = threading.Lock()

    def send(numbers: range, processes: list[BotProcess]) -> None:
        for n in numbers:
            xml = approval_xml(sp_no(n), nodes=[(1, [Approver("alice")])], create_time=int(time.time()))
            for process in processes:  # as WeCom retries elsewhere when one end does not answer
                try:
                    reply = WeComSender(process.url).post(xml)
                except Exception:
                    continue
                if (reply.status_code, reply.text) == (200, "success"):
                    with lock:
                        acknowledged.append(sp_no(n))
                    break

    first_half = [
        threading.Thread(target=send, args=(range(k, APPROVALS // 2, 2), [replicas[k], replicas[1 - k]]))
        for k in (0, 1)
    ]
    for thread in first_half:
        thread.start()
    for thread in first_half:
        thread.join()
    leader.kill()  # mid-load: what it acknowledged and did not deliver yet is the survivor's now
    send(range(APPROVALS // 2, APPROVALS), [leader, survivor])
    assert sorted(acknowledged) == [sp_no(n) for n in range(APPROVALS)]

    wait_for(
        lambda: all(posts_about(slack, APPROVER, number) >= 1 for number in acknowledged),
        timeout=60,
        what="every approver's card",
    )
    wait_for(lambda: survivor.health()["outbox_backlog"] == 0, timeout=60, what="an empty outbox")
    for number in acknowledged:
        assert posts_about(slack, APPROVER, number) == 1, number
        assert posts_about(slack, APPLICANT, number) == 1, number
    health = wait_for(
        lambda: (h := survivor.health())["leader"]["leader"] == h["leader"]["replica"] and h,
        timeout=15,
        what="the survivor leading",
    )
    assert health["database"] == {"backend": "postgresql", "ok": True}

"""Rounds of kill -9 on the same store while WeCom callbacks arrive and Slack notifications go out.

Each round starts `serve` on the store the last round left, runs callback load (new approvals and
their updates, from several threads) while the deliverer posts to a Slack that sometimes loses
answers, and kills the process at a random moment (seeded, printed). Then: `export` reads the store
as the crash left it and lists every acknowledged approval; after the restart (the next round's
process) every acknowledged callback is applied, the outbox drains, and nothing was posted twice.

Reproduce a run with APPROVALS_BOT_SEED=<seed>; APPROVALS_BOT_FULL_SUITE=1 runs 50 rounds.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    approval_detail,
    approval_xml,
    wait_for,
    write_config,
)
from tests.suite_size import count

ROUNDS = count(ci=8, full=50)
SENDERS = 4  # callback threads; each has its own applicant and approver, so DMs drain in parallel
MAX_ACKS_BEFORE_KILL = 10
PAIRS = [(f"U0APPLICANT{i}", f"U0APPROVER{i}", f"applicant{i}", f"approver{i}") for i in range(SENDERS)]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {slack_id: {} for pair in PAIRS for slack_id in pair[:2]}
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        yield fake


class Load:
    """Callback load for one round: each sender files new approvals and approves each after it was
    acknowledged; `acked` maps each approval to the newest status WeCom was told "success" for."""

    def __init__(self, url: str, wecom: FakeWeComApi, round_no: int) -> None:
        self.url = url
        self.wecom = wecom
        self.round_no = round_no
        self.acked: dict[str, str] = {}
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send, args=(i,)) for i in range(SENDERS)]

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _send(self, sender_no: int) -> None:
        sender = WeComSender(self.url)
        _, _, applicant, approver = PAIRS[sender_no]
        for n in range(1000):
            sp_no = f"{self.round_no:04d}{sender_no:02d}{n:06d}"
            self.wecom.approvals[sp_no] = approval_detail(sp_no, applicant)
            now = int(time.time())
            new = approval_xml(sp_no, applicant=applicant, nodes=[(1, [Approver(approver)])], create_time=now)
            decided = [(1, [Approver(approver, 2, "ok", now)])]
            update = approval_xml(
                sp_no, status=2, action=2, applicant=applicant, nodes=decided, create_time=now + 1
            )
            for xml, status in ((new, "pending"), (update, "approved")):
                if self.stop.is_set():
                    return
                try:
                    reply = sender.post(xml)
                except httpx.HTTPError:
                    return
                if (reply.status_code, reply.text) != (200, "success"):
                    return
                with self._lock:
                    self.acked[sp_no] = status

    def acknowledged(self) -> int:
        with self._lock:
            return len(self.acked)


def export(config: Path) -> dict[str, dict[str, Any]] | None:
    """Every approval `export` lists, by number; None when it cannot read the store."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--config", str(config)], capture_output=True, text=True
    )
    if done.returncode != 0:
        return None
    return {row["number"]: row for row in json.loads(done.stdout)}


def applied(config: Path, acked: dict[str, str]) -> bool:
    """Every acknowledged callback is in the store: the approval, at least at its acknowledged status."""
    rows = export(config)
    return rows is not None and all(
        number in rows and (status == "pending" or rows[number]["status"] == status)
        for number, status in acked.items()
    )


def posted_outbox_ids(slack: SlackStandIn) -> Counter[str]:
    with slack._lock:
        messages = [m for conversation in slack.messages.values() for m in conversation]
    return Counter(str((m.metadata or {}).get("event_payload", {}).get("outbox_id")) for m in messages)


def cards_per_approval(slack: SlackStandIn, numbers: set[str]) -> Counter[tuple[str, str]]:
    """(recipient, approval) -> messages posted about it (in-place updates do not count)."""
    cards: Counter[tuple[str, str]] = Counter()
    for pair in PAIRS:
        for user in pair[:2]:
            for message in slack.conversation(user):
                for number in numbers:
                    if number in message.text:
                        cards[(user, number)] += 1
    return cards


def test_kill_9_rounds_lose_nothing_acknowledged_and_post_nothing_twice(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    seed = int(os.environ.get("APPROVALS_BOT_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    print(f"\ncrash rounds: {ROUNDS}, seed {seed} (APPROVALS_BOT_SEED={seed} reproduces it)")
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "approvals.json",
        users={slack_id: wecom_id for pair in PAIRS for slack_id, wecom_id in (pair[::2], pair[1::2])},
    )
    # no audit channel: one channel paced at a message a second would make each round wait for it
    config.write_text(config.read_text().replace('audit_channel = "CAUDIT01"', 'audit_channel = ""'))
    acked: dict[str, str] = {}
    missing_after_crash: dict[int, list[str]] = {}
    bot = BotProcess(config).start()
    try:
        for round_no in range(ROUNDS):
            slack.fail("chat.postMessage", "lose_response", times=rng.randint(0, 2))
            kill_after = rng.randint(1, MAX_ACKS_BEFORE_KILL)
            load = Load(bot.url, wecom, round_no).start()
            wait_for(lambda n=kill_after, ld=load: ld.acknowledged() >= n, timeout=30, what="acks")
            bot.kill()
            load.join()
            acked.update(load.acked)

            crashed = export(config)
            assert crashed is not None, f"round {round_no}: export cannot read the store after kill -9"
            if missing := sorted(set(acked) - set(crashed)):
                missing_after_crash[round_no] = missing

            bot = BotProcess(config).start()  # the restart, and the next round's process
            wait_for(lambda: applied(config, acked), timeout=60, what=f"round {round_no}: all acked applied")
            wait_for(lambda b=bot: b.health()["outbox_backlog"] == 0, timeout=60, what="the outbox drained")
            twice = {k: v for k, v in posted_outbox_ids(slack).items() if v > 1}
            assert twice == {}, f"round {round_no}: outbox items posted more than once: {twice}"
            cards = cards_per_approval(slack, set(acked))
            doubled = {k: v for k, v in cards.items() if v > 1}
            assert doubled == {}, f"round {round_no}: several cards for one approval and person: {doubled}"
            print(f"round {round_no}: killed after {kill_after} acks; {len(acked)} acknowledged so far")
    finally:
        bot.stop()

    told = cards_per_approval(slack, set(acked))
    assert acked, "no load ran"
    # the applicant and the approver of each acknowledged approval, once each (sp_no: round, sender, n)
    expected = {(PAIRS[int(number[4:6])][who], number) for number in acked for who in (0, 1)}
    assert set(told) == expected, f"not told: {sorted(expected - set(told))[:5]}"
    print(
        f"acknowledged {len(acked)}, applied {len(acked)}, posts {sum(posted_outbox_ids(slack).values())}, "
        f"lost answers {sum(1 for a in slack.arrivals if a.answer == 'lose_response')}"
    )
    assert missing_after_crash == {}, f"export after kill -9 lacked acked approvals: {missing_after_crash}"

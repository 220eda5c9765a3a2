"""200 WeCom callbacks at once (states out of order, duplicates) while people decide embedded-engine
approvals in Slack (buttons, approve links, comments, replayed signed requests): the end state is
what a serial replay gives, and every decision is applied exactly once.

APPROVALS_BOT_SEED=<seed> reproduces a run's order of callbacks.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.offline.slack_standin import Posted, SignedRequest, SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    SIGNING_SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    purchase_template,
    wait_for,
    write_config,
)
from tests.suite_size import count

APPLICANT, A, B = "U0APPLICANT", "U0APPROVERA", "U0APPROVERB"
CALLBACKS = 200
APPROVALS = count(ci=12, full=40)
# The states an approval goes through in WeCom, in order: alice approves, then bob decides.
STATES: list[tuple[int, int, list[tuple[int, int]]]] = [  # (status, action, [(alice, bob)])
    (1, 1, [(1, 1)]),
    (1, 2, [(2, 1)]),
    (2, 2, [(2, 2)]),
]
REJECTED = (3, 3, [(2, 3)])
STATUS_NAMES = {1: "pending", 2: "approved", 3: "rejected"}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={u: {} for u in (APPLICANT, A, B)}) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        yield fake


def callback(sp_no: str, state: tuple[int, int, list[tuple[int, int]]], step: int, base: int) -> str:
    status, action, [(alice, bob)] = state
    members = [Approver("alice", alice, "", base + 1 if alice != 1 else 0)]
    members.append(Approver("bob", bob, "", base + 2 if bob != 1 else 0))
    return approval_xml(sp_no, status=status, action=action, nodes=[(1, members)], create_time=base + step)


def storm(rng: random.Random, numbers: list[str], base: int) -> tuple[list[str], dict[str, tuple]]:
    """CALLBACKS callbacks: each approval's states up to a random last one, each at least once,
    the rest duplicates, all shuffled; and the state a serial replay ends in, per approval."""
    every: list[str] = []
    final: dict[str, tuple] = {}
    for sp_no in numbers:
        path = STATES[: rng.randint(1, 3)]
        if rng.random() < 0.25:
            path = [*STATES[:2], REJECTED]
        every += [callback(sp_no, state, step, base) for step, state in enumerate(path)]
        final[sp_no] = path[-1]
    callbacks = every + [rng.choice(every) for _ in range(CALLBACKS - len(every))]
    rng.shuffle(callbacks)
    return callbacks, final


def export(config: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--config", str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return {row["number"]: row for row in json.loads(done.stdout)}


def expected_row(state: tuple) -> tuple[str, list[str]]:
    status, _, [(alice, bob)] = state
    return STATUS_NAMES[status], [STATUS_NAMES[alice], STATUS_NAMES[bob]]


def seen_row(row: dict[str, Any]) -> tuple[str, list[str]]:
    return row["status"], [m["status"] for node in row["nodes"] for m in node["members"]]


def card_of(slack: SlackStandIn, user: str, containing: str) -> Posted | None:
    return next((m for m in slack.conversation(user) if m.blocks and containing in text(m)), None)


def text(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def file_local(slack: SlackStandIn, reason: str) -> str:
    slack.command(APPLICANT, "new purchase")
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v,
        what="the form",
    )
    values = {"form/Text-1": {"value": {"type": "plain_text_input", "value": reason}}}
    assert slack.submit(APPLICANT, view, values).status_code == 200
    card = wait_for(lambda: card_of(slack, APPLICANT, reason), what="the applicant's card")
    return re.search(r"\b(\d{12})\b", card.text).group(1)


def decide_block(message: Posted) -> str:
    return next(b["block_id"] for b in message.blocks if b.get("block_id", "").startswith("decide|"))


def all_at_once(actions: list[Callable[[], Any]]) -> list[Any]:
    """Run every action in its own thread, released together; their results in order."""
    results: list[Any] = [None] * len(actions)
    go = threading.Event()

    def run(index: int) -> None:
        go.wait()
        results[index] = actions[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_callbacks_and_slack_decisions_end_as_a_serial_replay(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    seed = int(os.environ.get("APPROVALS_BOT_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "approvals.json",
        users={APPLICANT: "WuJunJie", A: "alice", B: "bob"},
        audit_channel="",
        local_templates=[purchase_template([A, B])],
    )
    numbers = [f"2026070{n:05d}" for n in range(APPROVALS)]
    for sp_no in numbers:
        wecom.approvals[sp_no] = approval_detail(sp_no)
    callbacks, final = storm(rng, numbers, int(time.time()))
    print(f"\nseed {seed}: {len(callbacks)} callbacks on {len(numbers)} approvals")

    bot = BotProcess(config).start()
    try:
        # serve's first sweep (5 s after start) reads the fake's details, which know nothing of the
        # storm: let it pass first, so the final state is the storm's alone
        wait_for(lambda: (bot.health()["sweeps"] or {}).get("wecom"), timeout=30, what="the first sweep")
        slack.attach(f"{bot.url}/slack/events", SIGNING_SECRET)
        by_button, commented = file_local(slack, "Laptops"), file_local(slack, "Monitors")
        card_a = wait_for(lambda: card_of(slack, A, by_button), what="A's card")
        card_b = wait_for(lambda: card_of(slack, B, by_button), what="B's card")
        mine = wait_for(lambda: card_of(slack, APPLICANT, commented), what="the applicant's card")
        link = re.search(r"<(http://127\.0\.0\.1/approve/[^|>]+)\|", text(card_b)).group(1)
        link = link.replace("http://127.0.0.1", bot.url)

        # the comment modal is opened first; its submission is sent, then replayed, in the storm
        slack.click(APPLICANT, "approval_comment", "comment", block_id=decide_block(mine), message=mine)
        modal = wait_for(lambda: slack.open_view(APPLICANT), what="the comment modal")
        note = "prioritise-the-monitors"  # one word: findable in the urlencoded body
        typed = {"text": {"value": {"type": "plain_text_input", "value": note}}}

        sender = WeComSender(bot.url)
        posts = [lambda xml=xml: sender.post(xml) for xml in callbacks]

        def sent_with(marker: str) -> SignedRequest:
            return next(r for r in reversed(slack.sent) if marker.encode() in r.body)

        def approve_by_button_and_replay() -> httpx.Response:
            slack.click(A, "approval_approve", "approve", block_id=decide_block(card_a), message=card_a)
            return slack.replay(sent_with("approval_approve"))

        def comment_and_replay() -> httpx.Response:
            slack.submit(APPLICANT, modal, typed)
            return slack.replay(sent_with(note))

        people = [
            approve_by_button_and_replay,
            lambda: httpx.get(link, timeout=10),
            lambda: httpx.post(link, data={"speech": "from my phone"}, timeout=10),
            lambda: httpx.post(link, data={"speech": "from my laptop"}, timeout=10),
            comment_and_replay,
        ]
        results = all_at_once(posts + people)
        acked = [(r.status_code, r.text) for r in results[: len(posts)]]
        assert acked == [(200, "success")] * len(posts)
        link_posts = sorted(r.status_code for r in results[len(posts) + 2 : len(posts) + 4])
        assert link_posts == [200, 409], f"the approve link must work exactly once: {link_posts}"

        def settled() -> bool:
            rows = export(config)
            return all(n in rows and seen_row(rows[n]) == expected_row(final[n]) for n in numbers)

        wait_for(settled, timeout=60, what="every approval at the state a serial replay gives")
        wait_for(lambda: bot.health()["outbox_backlog"] == 0, timeout=60, what="the outbox drained")
        rows = export(config)
    finally:
        bot.stop()
        print("".join(bot.log))  # shown by pytest only when the test failed

    for sp_no in numbers:
        assert seen_row(rows[sp_no]) == expected_row(final[sp_no]), sp_no
        for user in (APPLICANT, A, B):
            posted = [m for m in slack.conversation(user) if sp_no in m.text]
            assert len(posted) <= 1, f"{user} got {len(posted)} cards for {sp_no}"
        card = card_of(slack, APPLICANT, sp_no)
        assert card is not None, f"the applicant was never told about {sp_no}"
        assert expected_row(final[sp_no])[0].capitalize() in card.text, (sp_no, card.text)

    # each decision once: A by button, B by link; the replays and the second link POST did nothing
    decided = rows[by_button]
    assert seen_row(decided) == ("approved", ["approved", "approved"])
    speeches = [m["speech"] for node in decided["nodes"] for m in node["members"]]
    assert sorted(s for s in speeches if s) in (["from my laptop"], ["from my phone"]), speeches
    assert "Approved" in card_of(slack, APPLICANT, by_button).text
    assert text(card_of(slack, APPLICANT, commented)).count(note) == 1, "a replayed comment stored twice"
    print(f"seed {seed}: {len(callbacks)} callbacks acknowledged, {len(numbers)} match a serial replay")

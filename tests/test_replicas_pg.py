"""Two `serve` replicas on one PostgreSQL database, as deployed behind a load balancer.

Encrypted callbacks are spread over both; the replica that leads the schedule is killed (`kill -9`)
mid-load. Every acknowledged callback is applied, every person hears of each approval once (no card
lost, none posted twice), and the survivor takes over the lead (and with it the sweeps). The same
Slack submission or press delivered to both replicas at once files one approval and takes one
decision, the other press answered plainly; an approve link posted to both at once is
used once; and the standby, once it leads, sweeps up a change whose callback never came.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.offline.slack_standin import Posted, SlackStandIn
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
from tests.test_sweep import info

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


def start_replicas(
    tmp_path: Path, pg_url: str, slack: SlackStandIn, wecom: FakeWeComApi, **settings: object
) -> list[BotProcess]:
    """Two `serve` processes on the database `pg_url`, each with a config (and TinyDB path) of its own:
    only the database is shared. `settings` go to write_config."""
    started: list[BotProcess] = []
    for name in ("a", "b"):
        config = write_config(
            tmp_path / f"{name}.toml",
            slack.api_url,
            wecom.base_url,
            tmp_path / name / "approvals.json",
            {APPLICANT: "WuJunJie", APPROVER: "alice"},
            store_url=pg_url,
            **settings,  # type: ignore[arg-type]
        )
        started.append(BotProcess(config).start())
    return started


def stop_all(started: list[BotProcess]) -> None:
    for process in started:
        if process.proc and process.proc.poll() is None:
            process.stop()
        print("".join(process.log))  # shown by pytest only when the test failed


@pytest.fixture
def replicas(
    tmp_path: Path, pg_url: str, slack: SlackStandIn, wecom: FakeWeComApi
) -> Iterator[list[BotProcess]]:
    started = start_replicas(tmp_path, pg_url, slack, wecom)
    yield started
    stop_all(started)


@pytest.fixture
def local_replicas(
    tmp_path: Path, pg_url: str, slack: SlackStandIn, wecom: FakeWeComApi
) -> Iterator[list[BotProcess]]:
    """The embedded engine's purchase template, decided by APPROVER alone."""
    started = start_replicas(tmp_path, pg_url, slack, wecom, local_templates=[purchase_template([APPROVER])])
    slack.attach(f"{started[0].url}/slack/events", SIGNING_SECRET)
    yield started
    stop_all(started)


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


def to_both(slack: SlackStandIn, replicas: list[BotProcess], act: Callable[[], httpx.Response]) -> None:
    """`act` (a press or a submit) sent to the first replica and, at the same moment, to the second,
    signed anew (another timestamp), as Slack signs a retry: the replay guard, shared by the replicas,
    lets both through, so what keeps it to once is the database's claims on the approval and draft."""
    before = len(slack.sent)
    answers: list[httpx.Response] = []
    first = threading.Thread(target=lambda: answers.append(act()))
    first.start()
    request = wait_for(lambda: len(slack.sent) > before and slack.sent[before], what="the request signed")
    timestamp = str(int(request.headers["X-Slack-Request-Timestamp"]) - 1)
    signed = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + request.body, hashlib.sha256)
    headers = {
        **request.headers,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + signed.hexdigest(),
    }
    second = httpx.post(f"{replicas[1].url}/slack/events", content=request.body, headers=headers, timeout=10)
    first.join()
    assert [answer.status_code for answer in [*answers, second]] == [200, 200]


def card_of(slack: SlackStandIn, user: str) -> Posted | None:
    cards = [m for m in slack.conversation(user) if m.blocks]
    return cards[0] if cards else None


def card_text(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def filed_through_both(slack: SlackStandIn, replicas: list[BotProcess]) -> str:
    """The applicant fills the purchase form; its submission reaches both replicas. Returns the number."""
    slack.command(APPLICANT, "new purchase")
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v
    )
    values = {"form/Text-1": {"value": {"type": "plain_text_input", "value": "New laptops"}}}
    to_both(slack, replicas, lambda: slack.submit(APPLICANT, view, values))
    card = wait_for(lambda: card_of(slack, APPROVER), what="the approver's card")
    return re.search(r"\b(\d{12})\b", card.text).group(1)


def exported(config: Path) -> list[dict[str, object]]:
    """What `approvals-bot export` (read-only on the database) lists."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_filing_and_one_decision_when_both_replicas_get_the_same_request(
    local_replicas: list[BotProcess], slack: SlackStandIn
) -> None:
    number = filed_through_both(slack, local_replicas)
    wait_for(lambda: card_of(slack, APPLICANT), what="the applicant's card")
    assert [row["number"] for row in exported(local_replicas[0].config)] == [number]  # filed once
    card = card_of(slack, APPROVER)
    assert card is not None
    block = next(b for b in card.blocks if b.get("block_id", "").startswith("decide|"))

    to_both(
        slack,
        local_replicas,
        lambda: slack.click(
            APPROVER, "approval_approve", "approve", block_id=block["block_id"], message=card
        ),
    )
    wait_for(lambda: "Approved" in card_of(slack, APPLICANT).text, what="the outcome")
    told = wait_for(lambda: slack.ephemeral[APPROVER], what="the second press answered")
    assert len(told) == 1 and "This request is finished" in told[0]["text"]  # the other one is told
    [row] = exported(local_replicas[0].config)
    assert row["status"] == "approved"
    for user in (APPLICANT, APPROVER):  # one card each, changed in place; nothing posted twice
        assert posts_about(slack, user, number) == 1, user
    assert len([m for m in slack.conversation(APPLICANT) if "Approved" in m.text]) == 1


def test_an_approve_link_posted_to_both_replicas_at_once_decides_once(
    local_replicas: list[BotProcess], slack: SlackStandIn
) -> None:
    slack.command(APPLICANT, "new purchase")
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v
    )
    values = {"form/Text-1": {"value": {"type": "plain_text_input", "value": "New laptops"}}}
    assert slack.submit(APPLICANT, view, values).status_code == 200
    card = wait_for(lambda: card_of(slack, APPROVER), what="the approver's card")
    link = re.search(r"<(http://127\.0\.0\.1/approve/[^|>]+)\|", card_text(card)).group(1)
    answers: dict[int, httpx.Response] = {}
    go = threading.Barrier(2)

    def post(k: int) -> None:
        go.wait()
        url = link.replace("http://127.0.0.1", local_replicas[k].url)
        answers[k] = httpx.post(url, data={"speech": f"from replica {k}"}, timeout=10)

    threads = [threading.Thread(target=post, args=(k,)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers.values()) == [200, 409]
    refused = next(answer for answer in answers.values() if answer.status_code == 409)
    assert "This link was already used." in refused.text
    wait_for(lambda: "Approved" in card_of(slack, APPLICANT).text, what="the outcome")
    winner = next(k for k, answer in answers.items() if answer.status_code == 200)
    shown = card_text(card_of(slack, APPLICANT))
    assert f"from replica {winner}" in shown and f"from replica {1 - winner}" not in shown


def test_the_standby_sweeps_once_it_leads(
    tmp_path: Path, pg_url: str, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    """A change whose callback never came: the leader is killed before its next sweep, and the
    survivor, leading now, sweeps at once (a takeover catches up) and tells the applicant."""
    wecom.approvals["0001"] = {**info("0001"), "applyer": {"userid": "WuJunJie", "partyid": "1"}}
    started = start_replicas(tmp_path, pg_url, slack, wecom, extra='[wecom.templates]\nbuy = "tmpl"\n')
    try:
        leader_id = wait_for(lambda: started[0].health()["leader"]["leader"], what="a leader", timeout=15)
        ids = [process.health()["leader"]["replica"] for process in started]
        leader, survivor = started[ids.index(leader_id)], started[1 - ids.index(leader_id)]
        wait_for(lambda: leader.health()["sweeps"]["wecom"], timeout=30, what="the leader's first sweep")
        assert slack.conversation(APPLICANT) == []  # a first sweep records, tells nobody

        wecom.approvals["0001"] = {**info("0001", status=2, approved=True), "applyer": {"userid": "WuJunJie"}}
        leader.kill()
        [card] = wait_for(lambda: slack.conversation(APPLICANT), timeout=60, what="the survivor's sweep")
        assert "Approved" in card.text
        assert any("sweep done" in line and "changed=1" in line for line in survivor.log)
        assert survivor.health()["leader"]["leader"] == ids[1 - ids.index(leader_id)]
    finally:
        stop_all(started)

"""Secrets never reach the logs, even at DEBUG, nor the store: a whole day of the bot, then a search.

The real `serve` runs with APPROVALS_BOT_LOG_LEVEL=DEBUG through a full scenario: an embedded-engine
request filed in Slack and approved by button, another decided by its approve link (GET, then POST),
WeCom callbacks (the approval app's and the self-built app's engine) acknowledged and applied, a sweep
asked for over HTTP, a self-built-app launch page opened. Then its stderr and every file under the
store's folder are searched for every secret it was given or handed out.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.offline.slack_standin import Fault, Posted, SlackStandIn
from bot.scheduling import SWEEP_HEADER, SWEEP_PATH, sweep_signature
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    AES_KEY,
    CORP_ID,
    OPEN_ENGINE,
    SECRET,
    TOKEN,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    purchase_template,
    wait_for,
    write_config,
)
from tests.hostile import exported_approvals, open_event_xml

BOT_TOKEN = "xoxb-secret-bot-token-7f3a9c"
SIGNING_SECRET = "5e1d0b8c7a9f4e2d1c3b5a6978e0f1d2"
LINK_SECRET = "link-secret-4b2e8f6a1c9d3e7b"
APPLICANT, APPROVER, LISI = "U0APPLICANT", "U0APPROVER", "U0LISI"
SP_NO = "202611210042"
MONEY = '{ control = "Money", id = "Money-1", title = "金额", require = true }'


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {
        APPLICANT: {"email": "wujunjie@example.com"},
        APPROVER: {"email": "approver@example.com"},
        LISI: {"email": "lisi@example.com"},
    }
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.users["lisi"] = {"userid": "lisi", "name": "李四", "email": "lisi@example.com"}
        fake.users["WuJunJie"] = {"userid": "WuJunJie", "name": "吴俊杰", "email": "wujunjie@example.com"}
        fake.approvals[SP_NO] = approval_detail(SP_NO)
        yield fake


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Iterator[BotProcess]:
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "approvals.json",
        {APPLICANT: "WuJunJie", LISI: "lisi"},
        wecom_settings=OPEN_ENGINE,
        server=f'link_secret = "{LINK_SECRET}"',
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        audit_channel="",
        local_templates=[purchase_template([APPROVER], MONEY)],
    )
    process = BotProcess(config, log_level="DEBUG").start()
    slack.attach(f"{process.url}/slack/events", SIGNING_SECRET)
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()


def _text(message: Posted) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def _latest(slack: SlackStandIn, user: str, containing: str) -> Posted | None:
    return next((m for m in reversed(slack.conversation(user)) if containing in _text(m)), None)


def _open_form(slack: SlackStandIn, alias: str) -> dict:
    assert slack.command(APPLICANT, f"new {alias}").status_code == 200
    return wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v,
        what=f"the {alias} form",
    )


def _file_purchase(slack: SlackStandIn, reason: str) -> Posted:
    """Files an embedded-engine request; returns the approver's card for it."""
    values = {
        "form/Text-1": {"value": {"type": "plain_text_input", "value": reason}},
        "form/Money-1": {"value": {"type": "number_input", "value": "4839"}},
    }
    assert slack.submit(APPLICANT, _open_form(slack, "purchase"), values).status_code == 200
    return wait_for(lambda: _latest(slack, APPROVER, reason), what=f"the approver's card for {reason!r}")


def _file_purchase_unseen(slack: SlackStandIn, reason: str) -> None:
    """Files an embedded-engine request while Slack takes no messages: its cards stay in the outbox."""
    values = {
        "form/Text-1": {"value": {"type": "plain_text_input", "value": reason}},
        "form/Money-1": {"value": {"type": "number_input", "value": "4839"}},
    }
    assert slack.submit(APPLICANT, _open_form(slack, "purchase"), values).status_code == 200


def _decide_by_button(slack: SlackStandIn, card: Posted) -> None:
    block = next(b for b in card.blocks if b.get("block_id", "").startswith("decide|"))
    response = slack.click(APPROVER, "approval_approve", "approve", block_id=block["block_id"], message=card)
    assert response.status_code == 200


def _decide_by_link(bot: BotProcess, card: Posted) -> None:
    link = re.search(r"<(http://127\.0\.0\.1/approve/[^|>]+)\|", _text(card))
    assert link, f"no approve link on the card: {_text(card)[:500]}"
    url = link.group(1).replace("http://127.0.0.1", bot.url)
    assert httpx.get(url, timeout=10).status_code == 200
    assert httpx.post(url, data={"speech": "ok from my phone"}, timeout=10).status_code == 200


def _launch(bot: BotProcess, slack: SlackStandIn) -> str:
    """Files a self-built-app request and opens its launch page; returns its thirdNo."""
    values = {
        "form/subject": {"value": {"type": "plain_text_input", "value": "Pay the design agency"}},
        "form/amount": {"value": {"type": "number_input", "value": "4839"}},
        "form/link": {"value": {"type": "plain_text_input", "value": "https://example.com/po/7"}},
    }
    assert slack.submit(APPLICANT, _open_form(slack, "payment"), values).status_code == 200
    card = wait_for(lambda: _latest(slack, APPLICANT, "/wecom/launch/"), what="the launch link")
    link = re.search(r"http://127\.0\.0\.1(/wecom/launch/[^\"'|> ]+)", _text(card)).group(1)
    page = httpx.get(bot.url + link, timeout=10)
    assert page.status_code == 200 and "thirdPartyOpenPage" in page.text
    return link.split("/wecom/launch/")[1].split("?")[0]


def _handed_out(slack: SlackStandIn) -> dict[str, str]:
    """Every approve-link token and launch-page signature in anything the bot sent to Slack."""
    with slack._lock:
        sent = json.dumps(slack.calls, ensure_ascii=False, default=str)
    found = {
        f"approve-link token {i}": t
        for i, t in enumerate(sorted(set(re.findall(r"/approve/([\w-]+\.[\w-]+)", sent))))
    }
    sigs = sorted(set(re.findall(r"[?&]sig=([0-9a-f]{16,})", sent)))
    found |= {f"launch sig {i}": sig for i, sig in enumerate(sigs)}
    return found


def _mask(secret: str) -> str:
    return f"{secret[:3]}…{secret[-2:]} ({len(secret)} chars)" if len(secret) > 8 else "***"


def test_no_secret_reaches_the_logs_or_the_store(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi, tmp_path: Path
) -> None:
    # The embedded engine: one request approved by button, one by its approve link.
    _decide_by_button(slack, _file_purchase(slack, "New laptops"))
    # the applicant's DM takes one post a second, shared by the replicas: a loaded CI run needed over 10 s
    approved = lambda: "approved" in _text(_latest(slack, APPLICANT, "New laptops")).lower()  # noqa: E731
    wait_for(approved, timeout=30, what="approved")
    _decide_by_link(bot, _file_purchase(slack, "Office chairs"))
    decided = lambda: "ok from my phone" in _text(_latest(slack, APPLICANT, "Office chairs"))  # noqa: E731
    wait_for(decided, timeout=30, what="decided")

    # WeCom: an approval-app callback and the self-built app's engine, launched from its page.
    sender = WeComSender(bot.url)
    assert sender.post(approval_xml(SP_NO, applicant="WuJunJie")).text == "success"
    wait_for(lambda: _latest(slack, APPLICANT, SP_NO), what="the WeCom approval's card")
    third_no = _launch(bot, slack)
    assert sender.post(open_event_xml(third_no, int(time.time()))).text == "success"
    wait_for(lambda: slack.conversation(LISI), what="the engine's approver told")

    # A sweep asked for over HTTP, signed with the link secret as `approvals-bot sweep` does.
    signature = sweep_signature(LINK_SECRET.encode(), int(time.time()))
    assert httpx.post(bot.url + SWEEP_PATH, headers={SWEEP_HEADER: signature}, timeout=30).status_code == 200
    numbers = {row["number"] for row in exported_approvals(bot.config)}
    assert {SP_NO, third_no} <= numbers and len(numbers) == 4, numbers

    # Slack refuses the bot's token: what is queued now (an approver's card with its approve link, a card
    # update with a launch link) is held in the outbox, where no live link may sit.
    slack.faults += [
        Fault(method, "invalid_auth", times=10_000) for method in ("chat.postMessage", "chat.update")
    ]
    _file_purchase_unseen(slack, "Desk lamps")
    assert sender.post(open_event_xml(third_no, int(time.time()), status=2)).text == "success"
    wait_for(lambda: bot.health()["outbox_backlog"] >= 2, what="the held notices")
    assert bot.stop() == 0

    logs = "".join(bot.log)
    assert " DEBUG " in logs, "the process did not log at DEBUG: nothing was tested"
    store_files = {p: p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()}
    handed_out = _handed_out(slack)
    assert any(k.startswith("approve-link") for k in handed_out) and any(
        k.startswith("launch") for k in handed_out
    )
    everywhere = {
        "Slack bot token": BOT_TOKEN,
        "Slack signing secret": SIGNING_SECRET,
        "WeCom corp secret": SECRET,
        "WeCom callback token": TOKEN,
        "WeCom EncodingAESKey": AES_KEY,
        "link secret (configured)": LINK_SECRET,
        **{f"WeCom access_token {i}": token for i, token in enumerate(wecom.issued_tokens)},
        **{f"JS-SDK ticket {kind}": ticket for kind, ticket in wecom.js_tickets.items()},
        **handed_out,
    }
    assert wecom.issued_tokens and wecom.js_tickets
    leaks = []
    for name, secret in everywhere.items():
        print(f"searched for {name} = {_mask(secret)} in stderr and {len(store_files)} files under data/")
        if secret in logs:
            line = next(line for line in bot.log if secret in line)
            leaks.append(f"{name} in the log: {line.replace(secret, '<' + name + '>')[:300]}")
        leaks += [
            f"{name} in {path.relative_to(tmp_path)}"
            for path, data in store_files.items()
            if secret.encode() in data
        ]
    for path, data in store_files.items():
        for pattern in (rb"/approve/[\w-]{20,}\.[\w-]{20,}", rb"[?&]sig=[0-9a-f]{64}"):
            leaks += [
                f"a live link in {path.relative_to(tmp_path)}: {m.decode()[:60]}…"
                for m in re.findall(pattern, data)
            ]
    assert not leaks, "\n".join(leaks)

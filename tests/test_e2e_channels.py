"""Channels end to end: a template's `channel` gets the request card, kept up to date in place;
approvers decide from it (only their clicks count); `direct_messages = false` leaves the DM cards out;
a channel the bot is not in is a failure admins see, and the DMs go out regardless. The real server
process, the Slack stand-in, and for WeCom the fake WeCom API and wechatpy-encrypted callbacks."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

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
    replicas_mode,
    started,
    store_table,
    wait_for,
    write_config,
)

APPLICANT, A, B, STRANGER = "U0APPLICANT", "U0APPROVERA", "U0APPROVERB", "U0X"
FINANCE = "C0FINANCE"
AUDIT = "CAUDIT01"
# more public channels than the stand-in lists on one page: "#finance-approvals" is on a later one
CHANNELS = {"C0GENERAL": "general", "C0RANDOM": "random", "C0DESIGN": "design", FINANCE: "finance-approvals"}
CONFIG = """
[server]
public_url = "http://127.0.0.1"
{store}
[slack]
bot_token = "xoxb-test-token"
signing_secret = "{signing_secret}"
api_url = "{slack_url}"
language = "en"
audit_channel = "{audit}"
[[local.templates]]
alias = "purchase"
name = "采购申请"
controls = [{{ control = "Text", id = "Text-1", title = "采购事由", require = true }}]
process = [{{ type = 1, apv_rel = 2, users = ["{a}", "{b}"] }}]
{policy}
"""


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {u: {} for u in (APPLICANT, A, B, STRANGER)}
    with SlackStandIn(users=users, channels=dict(CHANNELS)) as standin:
        yield standin


def start_bot(tmp_path: Path, slack: SlackStandIn, policy: str) -> BotProcess:
    """The embedded engine's purchase template (A or B decides) with `policy` lines added to it."""
    config = tmp_path / "config.toml"
    config.write_text(
        CONFIG.format(
            store=store_table(tmp_path / "data" / "approvals.json"),
            signing_secret=SIGNING_SECRET,
            slack_url=slack.api_url,
            audit=AUDIT,
            a=A,
            b=B,
            policy=policy,
        ),
        encoding="utf-8",
    )
    process = started(config, slack)
    return process


@pytest.fixture
def bots() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        if process.proc and process.proc.poll() is None:
            process.stop()
        print("".join(process.log))  # shown by pytest only when the test failed


def cards_in(slack: SlackStandIn, channel: str) -> list[Posted]:
    return [m for m in slack.conversation(channel) if m.blocks]


def text(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def decision_block(message: Posted) -> dict | None:
    return next((b for b in message.blocks if b.get("block_id", "").startswith("decide|")), None)


def file_request(slack: SlackStandIn) -> None:
    slack.command(APPLICANT, "new purchase")
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v,
        what="the form",
    )
    values = {"form/Text-1": {"value": {"type": "plain_text_input", "value": "New laptops"}}}
    assert slack.submit(APPLICANT, view, values).status_code == 200


def drained(bot: BotProcess) -> bool:
    return bot.health()["outbox_backlog"] == 0


def test_the_channel_card_is_decided_from_and_only_the_approvers_clicks_count(
    tmp_path: Path, slack: SlackStandIn, bots: list[BotProcess]
) -> None:
    bots.append(bot := start_bot(tmp_path, slack, 'channel = "#finance-approvals"'))
    file_request(slack)
    [card] = wait_for(lambda: cards_in(slack, FINANCE), what="the card in #finance-approvals")
    number = re.search(r"\b(\d{12})\b", card.text).group(1)
    assert f"<@{A}>" in text(card) and f"<@{B}>" in text(card)  # the approvers are mentioned: notified
    for block in card.blocks:
        Block.parse(block).validate_json()
    wait_for(lambda: cards_in(slack, A) and cards_in(slack, APPLICANT), what="the DM cards as well")
    wait_for(lambda: drained(bot), what="everything delivered")
    audit = [m.text for m in slack.conversation(AUDIT)]
    assert sum(f"posted in <#{FINANCE}>" in line for line in audit) == 1

    # Someone not on the request clicks Approve on the channel card: told why, there; nothing changes.
    block = decision_block(card)
    assert block is not None
    slack.click(STRANGER, "approval_approve", "approve", block_id=block["block_id"], message=card)
    wait_for(lambda: slack.ephemeral[STRANGER], what="the stranger told")
    [told] = slack.ephemeral[STRANGER]
    assert told["channel"] == FINANCE and "not your turn" in told["text"]
    assert "Pending" in cards_in(slack, FINANCE)[0].text

    # A approves from the channel card: the same message shows the outcome, its buttons gone.
    slack.click(A, "approval_approve", "approve", block_id=block["block_id"], message=card)
    wait_for(lambda: "Approved" in cards_in(slack, FINANCE)[0].text, what="the outcome on the channel card")
    [settled] = cards_in(slack, FINANCE)
    assert settled.ts == card.ts and settled.updates >= 1 and decision_block(settled) is None
    wait_for(lambda: "Approved" in cards_in(slack, APPLICANT)[0].text, what="the applicant's card too")
    wait_for(lambda: drained(bot), what="everything delivered")
    audit = [m.text for m in slack.conversation(AUDIT)]
    assert any(number in line and "Approved" in line for line in audit)  # the decision, as always
    processes = max(len(bot.replicas), 1)
    # each process that delivered a card looked the name up once (two pages), then remembered it
    assert len(slack.calls_to("conversations.list")) in range(2, 2 * processes + 1, 2)


def test_without_direct_messages_only_the_approvers_whose_turn_it_is_hear_of_it_in_a_dm(
    tmp_path: Path, slack: SlackStandIn, bots: list[BotProcess]
) -> None:
    bots.append(bot := start_bot(tmp_path, slack, f'channel = "{FINANCE}"\ndirect_messages = false'))
    file_request(slack)
    [card] = wait_for(lambda: cards_in(slack, FINANCE), what="the channel card")
    wait_for(lambda: drained(bot), what="everything delivered")
    assert slack.conversation(APPLICANT) == []  # no DM card
    for approver in (A, B):
        [pointer] = slack.conversation(approver)
        assert f"<#{FINANCE}>" in pointer.text and decision_block(pointer) is None
    assert slack.calls_to("conversations.list") == []  # an id needs no lookup

    slack.click(B, "approval_approve", "approve", block_id=decision_block(card)["block_id"], message=card)
    wait_for(lambda: "Approved" in cards_in(slack, FINANCE)[0].text, what="the outcome on the channel card")
    wait_for(lambda: drained(bot), what="everything delivered")
    assert len(slack.conversation(A)) == len(slack.conversation(B)) == 1  # no approver told anew
    [outcome] = slack.conversation(APPLICANT)  # the applicant hears how it ended, in one line
    assert "Approved" in outcome.text and f"<#{FINANCE}>" in outcome.text


def test_a_channel_the_bot_is_not_in_is_reported_and_the_dms_still_go(
    tmp_path: Path, slack: SlackStandIn, bots: list[BotProcess]
) -> None:
    slack.outside.add(FINANCE)
    bots.append(bot := start_bot(tmp_path, slack, 'channel = "#finance-approvals"'))
    file_request(slack)
    [dm_card] = wait_for(lambda: cards_in(slack, A), what="A's DM card")
    health = wait_for(lambda: (h := bot.health())["failed_deliveries"] and h, what="the failure recorded")
    [failure] = health["recent_failures"]
    assert (failure["kind"], failure["reason"]) == ("channel_card", "not_in_channel")
    assert cards_in(slack, FINANCE) == [] and slack.conversation(AUDIT)  # the DMs and the audit went
    if not replicas_mode():  # what this process saw; the failure above is in the shared store
        assert health["status"] == "degraded"
        assert any("#finance-approvals" in p and "not_in_channel" in p for p in health["problems"])

    # The bot is invited; the next change posts the card, and the problem clears.
    slack.outside.clear()
    block = decision_block(dm_card)
    slack.click(A, "approval_approve", "approve", block_id=block["block_id"], message=dm_card)
    wait_for(lambda: cards_in(slack, FINANCE), what="the channel card once the bot is in")
    assert "Approved" in cards_in(slack, FINANCE)[0].text
    wait_for(lambda: drained(bot), what="everything delivered")
    assert sum(f"posted in <#{FINANCE}>" in m.text for m in slack.conversation(AUDIT)) == 1  # once it was
    if not replicas_mode():
        wait_for(lambda: bot.health()["problems"] == [], what="the problem cleared")


SP_NO = "202612020001"


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.users.update({"alice": {"userid": "alice", "name": "Alice", "email": "a@example.com"}})
        fake.approvals[SP_NO] = approval_detail(SP_NO)
        yield fake


def test_a_wecom_callback_puts_its_card_in_the_templates_channel(
    tmp_path: Path, wecom: FakeWeComApi, bots: list[BotProcess]
) -> None:
    users = {APPLICANT: {"email": "wujunjie@example.com"}, A: {"email": "a@example.com"}}
    with SlackStandIn(users=users, channels=dict(CHANNELS)) as slack:
        config = write_config(
            tmp_path / "config.toml",
            slack.api_url,
            wecom.base_url,
            tmp_path / "data" / "a.json",
            {APPLICANT: "WuJunJie"},
            wecom_settings='[wecom.templates]\npurchase = "tmpl-purchase"\n'
            '[wecom.policies.purchase]\nchannel = "#finance-approvals"\n',
        )
        bots.append(bot := BotProcess(config).start())
        sender = WeComSender(bot.url)
        pending = approval_xml(SP_NO, nodes=[(1, [Approver("alice")])], create_time=int(time.time()))
        assert sender.post(pending).status_code == 200
        [card] = wait_for(lambda: cards_in(slack, FINANCE), what="the channel card")
        wait_for(lambda: "New laptops" in text(cards_in(slack, FINANCE)[0]), what="the form on it")
        buttons = [e for b in card.blocks if b["type"] == "actions" for e in b["elements"]]
        assert [button.get("url") for button in buttons] == [
            f"https://wecom.acme.test/approval?sp_no={SP_NO}"
        ]
        assert f"<@{A}>" in text(card)

        approved = approval_xml(
            SP_NO,
            status=2,
            action=2,
            nodes=[(1, [Approver("alice", 2, "ok", 1_700_000_100)])],
            create_time=int(time.time()) + 1,
        )
        assert sender.post(approved).status_code == 200
        wait_for(lambda: "Approved" in cards_in(slack, FINANCE)[0].text, what="the outcome in the channel")
        [settled] = cards_in(slack, FINANCE)
        assert settled.ts == card.ts
        for block in settled.blocks:
            Block.parse(block).validate_json()
        bots.remove(bot)
        assert bot.stop() == 0

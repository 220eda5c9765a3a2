"""The whole callback loop, as deployed: the real server process on loopback,
WeCom callbacks encrypted by wechatpy, the real slack_sdk client talking to a
Slack stand-in, the real httpx client talking to a fake WeCom API."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import wechatpy.crypto as wechat_crypto
from slack_sdk.models.blocks import Block

from bot.offline.slack_standin import Posted, SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    AES_KEY,
    APPROVAL_URL,
    CORP_ID,
    SECRET,
    TOKEN,
    Approver,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    tinydb_only,
    wait_for,
    write_config,
)

APPLICANT, APPROVER_A, APPROVER_B, CC = "U0APPLICANT", "U0APPROVERA", "U0APPROVERB", "U0CCPERSON"
SP_NO = "202611210001"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {
        APPLICANT: {"email": "wujunjie@example.com"},
        APPROVER_A: {"email": "a@example.com"},
        APPROVER_B: {"email": "b@example.com"},
        CC: {"email": "cc@example.com"},
    }
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.users.update(
            {
                "alice": {"userid": "alice", "name": "Alice", "email": "a@example.com"},
                "bob": {"userid": "bob", "name": "Bob", "email": "b@example.com"},
                "carol": {"userid": "carol", "name": "Carol", "email": "cc@example.com"},
            }
        )
        fake.approvals[SP_NO] = approval_detail(SP_NO)
        yield fake


def config_for(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi, app_token: str = "") -> Path:
    """The applicant is mapped statically; everyone else is found by email."""
    store = tmp_path / "data" / "a.json"
    users = {APPLICANT: "WuJunJie"}
    return write_config(
        tmp_path / "config.toml", slack.api_url, wecom.base_url, store, users, app_token=app_token
    )


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Iterator[BotProcess]:
    process = BotProcess(config_for(tmp_path, slack, wecom)).start()
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def submitted(**overrides: object) -> str:
    args: dict = {
        "status": 1,
        "action": 1,
        "nodes": [(1, [Approver("alice"), Approver("bob")])],  # 会签: both must approve
        "cc": ["carol"],
        "create_time": int(time.time()),
    }
    args.update(overrides)
    return approval_xml(SP_NO, **args)


def only_message(slack: SlackStandIn, user: str) -> Posted:
    messages = slack.conversation(user)
    assert len(messages) == 1, f"{user} got {len(messages)} messages: {[m.text for m in messages]}"
    return messages[0]


def buttons(message: Posted) -> list[dict]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def text_of(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def test_callback_reaches_each_person_once_and_later_changes_update_the_same_cards(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    sender = WeComSender(bot.url)
    started = time.monotonic()
    reply = sender.post(submitted())
    assert (reply.status_code, reply.text) == (200, "success")

    wait_for(
        lambda: all(slack.conversation(u) for u in (APPLICANT, APPROVER_A, APPROVER_B, CC)),
        timeout=5,
        what="first notifications",
    )
    elapsed = time.monotonic() - started
    print(f"first notifications after {elapsed:.3f}s")
    assert elapsed < 2.0, f"first notifications took {elapsed:.2f}s"  # the issue: "within 2 s"

    card = only_message(slack, APPLICANT)
    assert SP_NO in card.text
    # the form data is read from getapprovaldetail after the callback: the cards already out gain it
    for user in (APPLICANT, APPROVER_A, APPROVER_B, CC):
        wait_for(
            lambda u=user: "New laptops for the design team" in text_of(only_message(slack, u)),
            what=f"the form data on {user}'s card",
        )
    for approver in (APPROVER_A, APPROVER_B):
        approver_card = only_message(slack, approver)
        [button] = buttons(approver_card)
        assert button["url"] == APPROVAL_URL.format(sp_no=SP_NO)
    assert "1 of 2" not in text_of(only_message(slack, APPLICANT))
    only_message(slack, CC)
    for message in [*slack.conversation(APPLICANT), *slack.conversation(APPROVER_A)]:
        for block in message.blocks:
            Block.parse(block).validate_json()

    # Alice approves: the applicant's card and both approver cards change in place.
    reply = sender.post(
        submitted(action=2, nodes=[(1, [Approver("alice", 2, "fine by me", 1_700_000_100), Approver("bob")])])
    )
    assert reply.status_code == 200
    # her card was already updated once (the form filled in): wait for the change her decision makes
    wait_for(lambda: buttons(only_message(slack, APPROVER_A)) == [], what="Alice's card loses its button")
    wait_for(
        lambda: "1 of 2" in text_of(only_message(slack, APPLICANT)), what="progress on the applicant card"
    )
    assert "fine by me" in text_of(only_message(slack, APPLICANT))
    assert len(buttons(only_message(slack, APPROVER_B))) == 1

    # Bob approves: approved; CC hears the outcome as a new message.
    final = submitted(
        status=2,
        action=2,
        nodes=[
            (1, [Approver("alice", 2, "fine by me", 1_700_000_100), Approver("bob", 2, "", 1_700_000_200)])
        ],
    )
    assert sender.post(final).status_code == 200
    wait_for(lambda: len(slack.conversation(CC)) == 2, what="CC outcome")
    wait_for(lambda: buttons(only_message(slack, APPROVER_B)) == [], what="Bob's card settles")
    assert "Approved" in only_message(slack, APPLICANT).text
    wait_for(lambda: bot.health()["outbox_backlog"] == 0, what="outbox drained")

    # A genuine WeCom retry of the same event: 200, and nothing changes.
    before = {
        u: [(m.ts, m.updates) for m in slack.conversation(u)] for u in (APPLICANT, APPROVER_A, APPROVER_B, CC)
    }
    applied = bot.health()["inbox_applied_seq"]
    assert sender.post(final).status_code == 200
    wait_for(lambda: bot.health()["inbox_applied_seq"] > applied, what="retry processed")
    wait_for(lambda: bot.health()["outbox_backlog"] == 0, what="outbox drained")
    after = {u: [(m.ts, m.updates) for m in slack.conversation(u)] for u in before}
    assert after == before
    assert len(wecom.calls_to("oa/getapprovaldetail")) == 1  # form data read once

    audit = slack.conversation("CAUDIT01")
    assert len(audit) == 3  # one line per event: submit, approve, approve
    assert bot.stop() == 0
    print("\nWhat each person sees in Slack (run with -s to show):\n\n" + slack.transcript())


def test_forged_stale_malformed_and_replayed_deliveries_change_nothing(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    sender = WeComSender(bot.url)
    query, body = sender.envelope(submitted())

    forged = dict(query, msg_signature="0" * 40)
    assert sender.post_raw(forged, body).status_code == 403
    stale_query, stale_body = sender.envelope(submitted(), timestamp=int(time.time()) - 3600)
    assert sender.post_raw(stale_query, stale_body).status_code == 403
    assert sender.post_raw(query, b"<xml><Encrypt>not xml").status_code == 400
    other_corp = WeComSender(bot.url, corp_id="ww-someone-else")
    assert other_corp.post_raw(*other_corp.envelope(submitted())).status_code == 403
    assert sender.post_raw({"timestamp": query["timestamp"]}, body).status_code == 400
    assert sender.post_raw(query, b"x" * 2_000_000).status_code == 413
    assert (
        sender.post(submitted().replace("<SpStatus>1</SpStatus>", "<SpStatus>x</SpStatus>", 1)).status_code
        == 400
    )
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        "<xml><Event>&b;</Event></xml>"
    )
    assert sender.post(bomb).status_code == 400
    assert bot.health()["inbox_applied_seq"] == 0
    assert {name for name, _ in slack.calls} == {"auth.test"}  # nothing reached Slack but start-up checks

    # Replaying a captured request within the window is indistinguishable from a WeCom retry: 200, once.
    assert sender.post_raw(query, body).status_code == 200
    assert sender.post_raw(query, body).status_code == 200
    wait_for(lambda: bot.health()["inbox_applied_seq"] == 2, what="both processed")
    wait_for(lambda: bot.health()["outbox_backlog"] == 0, what="outbox drained")
    assert len(slack.conversation(APPLICANT)) == 1


def test_url_verification_echoes_the_decrypted_echostr(bot: BotProcess) -> None:
    """WeCom's GET check, with echostr and signature made by wechatpy."""
    key = base64.b64decode(AES_KEY + "=")
    echostr = wechat_crypto.PrpCrypto(key).encrypt("1616140317555161061", CORP_ID).decode()
    timestamp, nonce = str(int(time.time())), "1372623149"
    signature = wechat_crypto._get_signature(TOKEN, timestamp, nonce, echostr)
    params = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce, "echostr": echostr}
    reply = httpx.get(f"{bot.url}/wecom/callback", params=params)
    assert (reply.status_code, reply.text) == (200, "1616140317555161061")
    assert (
        httpx.get(f"{bot.url}/wecom/callback", params=dict(params, msg_signature="f" * 40)).status_code == 403
    )
    assert httpx.get(f"{bot.url}/wecom/callback", params=dict(params, echostr="")).status_code == 400


def test_socket_mode_keeps_wecom_routes_up_while_slack_is_unreachable(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    """With an app token, Slack traffic goes over Socket Mode; a failing connection is retried and
    explained in the log, and the WeCom callback and health routes serve meanwhile."""
    bot = BotProcess(config_for(tmp_path, slack, wecom, app_token="xapp-1-test")).start()
    try:
        wait_for(lambda: slack.calls_to("apps.connections.open"), what="a Socket Mode connection attempt")
        assert httpx.post(f"{bot.url}/slack/events", content=b"{}").status_code == 404
        assert WeComSender(bot.url).post(submitted()).text == "success"
        wait_for(lambda: slack.conversation(APPLICANT), what="the applicant's card")
        wait_for(
            lambda: any("Socket Mode connection failed" in line for line in bot.log), what="the log line"
        )
        health = bot.health()
        assert health["status"] == "ok" and "wecom" in health["sweeps"]
    finally:
        assert bot.stop() == 0


@tinydb_only("its lock file refuses a second serve; replicas share a database on purpose")
def test_a_busy_store_or_port_is_explained_not_a_traceback(
    tmp_path: Path, bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    port = bot.url.rsplit(":", 1)[1]

    def serve(config: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot", "serve", "--config", str(config), "--host", "127.0.0.1"]
        return subprocess.run([*command, "--port", port], capture_output=True, text=True, timeout=60)

    same_store = serve(bot.config)
    assert same_store.returncode == 3
    assert "another approvals-bot process" in same_store.stderr and "Traceback" not in same_store.stderr

    other = write_config(
        tmp_path / "other.toml", slack.api_url, wecom.base_url, tmp_path / "other" / "a.json", {}
    )
    same_port = serve(other)
    assert same_port.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in same_port.stderr and "Traceback" not in same_port.stderr


def with_apply_time(value: str) -> bytes:
    xml = submitted()
    assert "<ApplyTime>1700000000</ApplyTime>" in xml
    return xml.replace("<ApplyTime>1700000000</ApplyTime>", f"<ApplyTime>{value}</ApplyTime>").encode()


UNAPPLICABLE = {
    "ISO-8859-1": lambda: ('<?xml version="1.0" encoding="ISO-8859-1"?>' + submitted()).encode(
        "latin-1", "xmlcharrefreplace"
    ),
    "UTF-16": lambda: ('<?xml version="1.0" encoding="UTF-16"?>' + submitted()).encode("utf-16"),
    "5000 digits": lambda: with_apply_time("9" * 5000),
    "1e17": lambda: with_apply_time(str(10**17)),
}


@pytest.mark.parametrize("kind", UNAPPLICABLE)
def test_signed_callbacks_the_bot_cannot_apply_are_400_and_never_journaled(
    bot: BotProcess, slack: SlackStandIn, kind: str
) -> None:
    sender = WeComSender(bot.url)
    reply = sender.post(UNAPPLICABLE[kind]())  # type: ignore[arg-type]  # wechatpy encrypts bytes as they are
    assert (reply.status_code, reply.text) == (400, "malformed event XML")
    assert bot.health()["inbox_applied_seq"] == 0

    assert sender.post(submitted()).text == "success"
    wait_for(lambda: bot.health()["inbox_applied_seq"] == 1, what="the next callback, the first journaled")
    wait_for(lambda: slack.conversation(APPLICANT), what="the applicant's card")
    assert not any("could not be applied" in line for line in bot.log)


def test_url_verification_takes_an_echostr_with_a_raw_or_encoded_plus(bot: BotProcess) -> None:
    key = base64.b64decode(AES_KEY + "=")
    prp = wechat_crypto.PrpCrypto(key)
    echostr = next(e for e in (prp.encrypt("4242", CORP_ID).decode() for _ in range(200)) if "+" in e)
    timestamp, nonce = str(int(time.time())), "1372623149"
    signature = wechat_crypto._get_signature(TOKEN, timestamp, nonce, echostr)
    query = f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}"
    for sent in (echostr, quote(echostr, safe="")):
        reply = httpx.get(f"{bot.url}/wecom/callback?{query}&echostr={sent}", timeout=10)
        assert (reply.status_code, reply.text) == (200, "4242"), sent

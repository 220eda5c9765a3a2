"""/approval-admin end to end: the real `serve` process, signed slash commands from the Slack stand-in,
the fake WeCom API. Admins get every subcommand; everyone else a polite refusal, logged and audited."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.offline.slack_standin import SlackStandIn, render_blocks
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    started,
    wait_for,
    write_config,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "wecom" / "templates" / "every_control.json"
ADMIN, APPLICANT, APPROVER, NEWCOMER, STRANGER = (
    "U0ADMIN",
    "U0APPLICANT",
    "U0APPROVER",
    "U0NEWCOMER",
    "U0STRANGER",
)
AUDIT = "CAUDIT01"
AUDIT_WAIT = 60.0  # Slack takes about one post a second in a channel: a burst of audit lines takes a while
SUBCOMMANDS = [
    "",
    "help",
    "templates",
    "templates sync",
    "track tmpl-other other",
    "untrack seal",
    "template create",
    "template update tmpl-seal",
    f"map <@{STRANGER}|stranger> lisi",
    f"unmap <@{APPROVER}>",
    f"whois <@{APPROVER}>",
    "status 0001",
    "remind 0001",
    "sweep",
    "outbox",
    "outbox retry",
    "stats 7",
    "export 30 csv",
    "health",
]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {ADMIN: {}, APPLICANT: {}, APPROVER: {}, NEWCOMER: {}, STRANGER: {}}
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        template = json.loads(FIXTURE.read_text(encoding="utf-8"))
        fake.templates["tmpl-seal"] = template
        fake.templates["tmpl-other"] = template
        fake.users["newbie"] = {"userid": "newbie", "name": "New", "email": "newbie@corp.example"}
        yield fake


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Iterator[BotProcess]:
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "a.json",
        users={APPLICANT: "WuJunJie", APPROVER: "alice"},
        extra='[wecom.templates]\nseal = "tmpl-seal"\n',
        admins=[ADMIN],
    )
    process = started(config, slack)
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def ask(slack: SlackStandIn, user: str, text: str) -> dict[str, Any]:
    """`user` types `/approval-admin <text>`; the ephemeral answer that comes back for it."""
    before = len(slack.responses)
    started = time.monotonic()
    answer = slack.command(user, text, command="/approval-admin")
    assert answer.status_code == 200 and time.monotonic() - started < 3  # acked within Slack's 3 s
    reply = wait_for(lambda: slack.responses[before:], timeout=20, what=f"the answer to {text!r}")[0]
    assert reply["response_type"] == "ephemeral"
    return reply


def shown(reply: dict[str, Any]) -> str:
    return render_blocks(reply["blocks"]) if reply.get("blocks") else reply["text"]


def audit_log(slack: SlackStandIn) -> list[str]:
    return [m.text for m in slack.conversation(AUDIT)]


def pending_callback(bot: BotProcess, sp_no: str, approver: str) -> None:
    xml = approval_xml(
        sp_no, applicant="WuJunJie", nodes=[(1, [Approver(approver)])], apply_time=int(time.time())
    )
    assert WeComSender(bot.url).post(xml).text == "success"


def test_everyone_but_admins_is_refused_every_subcommand_and_it_is_audited(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    for text in SUBCOMMANDS:
        assert "Only admins" in shown(ask(slack, STRANGER, text))
    refusals = wait_for(
        lambda: (
            len([line for line in audit_log(slack) if f"<@{STRANGER}> · refused" in line]) == len(SUBCOMMANDS)
        ),
        timeout=AUDIT_WAIT,
        what="an audit line for every refusal (the audit channel is paced at one post a second)",
    )
    assert refusals
    assert any("admin command refused" in line for line in bot.log)
    assert "other" not in shown(ask(slack, ADMIN, "templates"))  # the refused track changed nothing
    assert slack.files_in(STRANGER) == []


def test_track_is_offered_by_approval_new_without_a_restart(bot: BotProcess, slack: SlackStandIn) -> None:
    assert "Templates you can file: `seal`" in shown_approval_help(slack)
    reply = shown(ask(slack, ADMIN, "track tmpl-other other"))
    assert "`/approval new other` now offers" in reply
    assert slack.command(APPLICANT, "new other").status_code == 200
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v,
        what="the form of the tracked template",
    )
    assert "Text-1700000000001" in json.dumps(view["blocks"])  # the tracked template's controls
    wait_for(
        lambda: any("track" in line and "tmpl-other" in line for line in audit_log(slack)),
        timeout=AUDIT_WAIT,
        what="the audit line of the track",
    )

    assert "no longer offered" in shown(ask(slack, ADMIN, "untrack other"))
    assert "`other`" not in shown_approval_help(slack)


def shown_approval_help(slack: SlackStandIn) -> str:
    before = len(slack.responses)
    slack.command(APPLICANT, "help")
    return wait_for(lambda: slack.responses[before:], what="/approval help")[0]["text"]


def test_a_mapping_takes_effect_for_the_next_notification(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    pending_callback(bot, "0001", "newbie")  # nobody in Slack has newbie's email: nobody is told
    wait_for(lambda: any("0001" in line for line in audit_log(slack)), what="the first approval applied")
    assert slack.conversation(NEWCOMER) == []

    reply = shown(ask(slack, ADMIN, f"map <@{NEWCOMER}|newcomer> newbie"))
    assert f"@{NEWCOMER} is `newbie` in wecom" in reply
    assert "set by an admin" in shown(ask(slack, ADMIN, f"whois <@{NEWCOMER}>"))

    pending_callback(bot, "0002", "newbie")
    card = wait_for(lambda: slack.conversation(NEWCOMER), what="the card for the newly mapped approver")
    assert "0002" in card[0].text


def test_every_subcommand_works_for_an_admin(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    wecom.approvals["0001"] = approval_detail("0001")
    pending_callback(bot, "0001", "alice")
    wait_for(lambda: slack.conversation(APPROVER), what="the approver's card")

    assert "`/approval-admin` subcommands" in shown(ask(slack, ADMIN, "help"))
    assert "`seal`" in shown(ask(slack, ADMIN, "templates"))
    assert "controls · synced" in shown(ask(slack, ADMIN, "templates sync"))
    assert "Usage: `track" in shown(ask(slack, ADMIN, "track only-an-id"))
    assert "I don't know `frobnicate`" in shown(ask(slack, ADMIN, "frobnicate"))
    assert "Usage: `template create" in shown(ask(slack, ADMIN, "template"))
    assert "0001" in shown(ask(slack, ADMIN, "status 0001"))
    assert "No approval `9999`" in shown(ask(slack, ADMIN, "status 9999"))

    nudges_before = len(slack.conversation(APPROVER))
    assert "Nudged 1 approver(s) of `0001`" in shown(ask(slack, ADMIN, "remind 0001"))
    wait_for(lambda: len(slack.conversation(APPROVER)) > nudges_before, what="the nudge")

    assert "wecom: " in shown(ask(slack, ADMIN, "sweep wecom"))
    assert "cannot be swept" in shown(ask(slack, ADMIN, "sweep nowhere"))
    assert "*Outbox*" in shown(ask(slack, ADMIN, "outbox"))
    stats = shown(ask(slack, ADMIN, "stats 7"))
    assert "Last 7 days: 1 approval(s)" in stats and "0001" in stats
    assert "Usage: `stats" in shown(ask(slack, ADMIN, "stats soon"))
    health = shown(ask(slack, ADMIN, "health"))
    assert "version" in health and "wecom token" in health and "Store:" in health

    assert "Sent 1 approval(s)" in shown(ask(slack, ADMIN, "export 30 csv"))
    [file] = wait_for(lambda: slack.files_in(ADMIN), what="the export in the admin's DM")
    rows = list(csv.DictReader(io.StringIO(file["content"].decode())))
    assert [(r["number"], r["status"]) for r in rows] == [("0001", "pending")]
    assert file["name"].endswith(".csv")

    for action in ("templates sync", "remind", "sweep", "export", "health"):
        wait_for(
            lambda a=action: any(f"· {a} ·" in line for line in audit_log(slack)), what=f"audit of {action}"
        )


def test_outbox_retry_releases_what_was_held(bot: BotProcess, slack: SlackStandIn) -> None:
    for _replica in bot.replicas or [bot]:  # bolt checks the token once per process, at its first request
        assert "0 held" in shown(ask(slack, ADMIN, "outbox"))
    slack.fail("chat.postMessage", "invalid_auth", times=None)
    slack.fail("auth.test", "invalid_auth", times=None)  # the probe does not release them first
    pending_callback(bot, "0003", "alice")
    wait_for(lambda: bot.health()["outbox_held"] > 0, what="the card held")
    report = shown(ask(slack, ADMIN, "outbox"))
    assert "invalid_auth" in report and "slack.bot_token" in report and "outbox retry" in report

    slack.clear_faults()
    assert "Released" in shown(ask(slack, ADMIN, "outbox retry"))
    card = wait_for(lambda: slack.conversation(APPROVER), what="the held card delivered")
    assert "0003" in card[0].text
    wait_for(lambda: bot.health()["outbox_held"] == 0, what="nothing held")


def test_the_interactive_demo_can_play_an_admin(tmp_path: Path) -> None:
    script = "/approval-admin help\nas admin\n/approval-admin help\n/approval-admin health\nquit\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--interactive", "--dir", str(tmp_path)],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split("you are now 管理员 Admin")
    assert "Only admins" in before and "subcommands" not in before
    assert "/approval-admin subcommands" in after and "Providers:" in after  # as Slack shows it

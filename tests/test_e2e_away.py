"""Away and delegation end to end, through the real server: the embedded engine hands an absent
approver's step to their delegate, who decides in Slack; a WeCom approval waiting on someone away
gives their delegate an FYI card once per step; admins set and end absences; App Home shows the
status and sets it with a modal. Every decision reaches the audit channel."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.offline.slack_standin import Posted, SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    purchase_template,
    started,
    wait_for,
    write_config,
)

APPLICANT, A, DELEGATE, OTHER, ADMIN, NOBODY = (
    "U0APPLICANT",
    "U0APPROVERA",
    "U0DELEGATE",
    "U0OTHER",
    "U0ADMIN",
    "U0NOBODY",
)
BOT_USER = "U000BOT"  # the stand-in's bot
AUDIT = "CAUDIT01"
SP_NO = "202612020001"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {u: {"tz": "Asia/Shanghai"} for u in (APPLICANT, A, DELEGATE, OTHER, ADMIN)}
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.approvals[SP_NO] = approval_detail(SP_NO)
        yield fake


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Iterator[BotProcess]:
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "a.json",
        users={APPLICANT: "WuJunJie", A: "alice", DELEGATE: "dan"},
        admins=[ADMIN],
        audit_channel=AUDIT,
        local_templates=[purchase_template([A])],
    )
    process = started(config, slack)
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def answer(slack: SlackStandIn, user: str, text: str, command: str = "/approval") -> str:
    """`user` types `command text`; the ephemeral answer that comes back for it."""
    before = len(slack.responses)
    assert slack.command(user, text, command=command).status_code == 200
    reply = wait_for(lambda: slack.responses[before:], what=f"the answer to {text!r}")[0]
    return json.dumps(reply.get("blocks") or [], ensure_ascii=False) + reply.get("text", "")


def text(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def cards_of(slack: SlackStandIn, user: str) -> list[Posted]:
    return [m for m in slack.conversation(user) if m.blocks]


def audit_has(slack: SlackStandIn, *words: str) -> bool:
    return any(all(w in m.text for w in words) for m in slack.conversation(AUDIT))


def file_request(slack: SlackStandIn) -> None:
    slack.command(APPLICANT, "new purchase")
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v
    )
    values = {"form/Text-1": {"value": {"type": "plain_text_input", "value": "New laptops"}}}
    assert slack.submit(APPLICANT, view, values).status_code == 200


def press(slack: SlackStandIn, user: str, card: Posted, action_id: str) -> None:
    block = next(b for b in card.blocks if b.get("block_id", "").startswith("decide|"))
    slack.click(
        user, action_id, action_id.removeprefix("approval_"), block_id=block["block_id"], message=card
    )


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_a_request_filed_while_the_approver_is_away_goes_to_the_delegate_who_approves_in_slack(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    assert "You're away until" in answer(slack, A, f"away {in_days(3)} <@{DELEGATE}|dan> on leave")
    wait_for(
        lambda: audit_has(slack, f"<@{A}> away until", f"delegate <@{DELEGATE}>", "on leave"), what="audit"
    )

    file_request(slack)
    card = wait_for(lambda: cards_of(slack, DELEGATE), what="the delegate's card")[0]
    assert f"You decide this for <@{A}>, who is away until" in text(card)
    mine = wait_for(lambda: cards_of(slack, APPLICANT), what="the applicant's card")[0]
    assert f"<@{DELEGATE}> (for <@{A}>, who is away until" in text(mine)  # whom it waits on
    wait_for(
        lambda: audit_has(slack, "is away until", f"their share went to <@{DELEGATE}>"), what="handover audit"
    )
    assert cards_of(slack, A) == []  # nothing waits on someone away

    press(slack, DELEGATE, card, "approval_approve")
    wait_for(lambda: "Approved" in cards_of(slack, APPLICANT)[0].text, what="the approval")
    timeline = text(cards_of(slack, APPLICANT)[0])
    assert f"<@{A}> is away until" in timeline and f"their share went to <@{DELEGATE}>" in timeline
    assert re.search(rf"<@{DELEGATE}> \(for <@{A}>, who is away until [^)]*\) approved", timeline)

    assert "Welcome back" in answer(slack, A, "back")
    wait_for(lambda: audit_has(slack, f"<@{A}> is back", f"by <@{A}>"), what="back audited")
    assert "weren't away" in answer(slack, A, "back")


def test_shares_already_waiting_are_handed_over_when_the_approver_goes_away(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    file_request(slack)
    card = copy.deepcopy(wait_for(lambda: cards_of(slack, A), what="A's card")[0])  # as A saw it then
    answer(slack, A, f"away 2d <@{DELEGATE}>")
    handed = wait_for(lambda: cards_of(slack, DELEGATE), what="the delegate's card")[0]
    assert f"You decide this for <@{A}>" in text(handed)
    wait_for(lambda: "decide|" not in text(cards_of(slack, A)[0]), what="A's buttons gone")
    assert f"this step went to your delegate <@{DELEGATE}>" in cards_of(slack, A)[0].text
    press(slack, A, card, "approval_approve")  # too late: it is the delegate's now
    wait_for(lambda: slack.ephemeral[A], what="A told")
    assert f"this step went to your delegate <@{DELEGATE}>" in json.dumps(slack.ephemeral[A])
    press(slack, DELEGATE, handed, "approval_approve")
    wait_for(lambda: "Approved" in cards_of(slack, APPLICANT)[0].text, what="the approval")


def test_a_wecom_approver_away_gives_the_delegate_one_fyi_card_per_step(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    answer(slack, A, f"away {in_days(2)} <@{DELEGATE}>")
    sender = WeComSender(bot.url)
    pending = [(1, [Approver("alice"), Approver("bob")])]
    assert sender.post(approval_xml(SP_NO, nodes=pending, create_time=int(time.time()))).text == "success"
    fyi = wait_for(lambda: cards_of(slack, DELEGATE), what="the delegate's FYI")[0]
    assert f"<@{A}> is away until" in text(fyi) and "you are their delegate" in text(fyi)
    assert "decide|" not in text(fyi)  # only alice can act in WeCom
    mine = wait_for(lambda: cards_of(slack, APPLICANT), what="the applicant's card")[0]
    assert re.search(rf"<@{A}> is away until [^,]*, delegate <@{DELEGATE}>", text(mine))
    wait_for(lambda: audit_has(slack, SP_NO, f"delegate <@{DELEGATE}> told"), what="the FYI audited")

    # bob approves: the same step still waits on alice, so the delegate is not told again
    later = [(1, [Approver("alice"), Approver("bob", status=2, time=int(time.time()))])]
    xml = approval_xml(SP_NO, action=2, nodes=later, create_time=int(time.time()) + 1)
    assert sender.post(xml).text == "success"
    wait_for(lambda: "1 of 2" in text(cards_of(slack, APPLICANT)[0]), what="bob's approval on the card")
    assert len(slack.conversation(DELEGATE)) == 1


def test_admins_set_and_end_an_absence_and_bad_ones_are_refused_in_words(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    def admin(words: str) -> str:
        return answer(slack, ADMIN, words, command="/approval-admin")

    assert "Usage" in admin(f"away <@{A}>")
    assert "is a bot" in admin(f"away <@{A}> 3d <@{BOT_USER}>")
    assert f"no active user `{NOBODY}`" in admin(f"away <@{A}> 3d <@{NOBODY}>")
    assert "someone else" in admin(f"away <@{A}> 3d <@{A}>")
    assert "already past" in admin(f"away <@{A}> 2020-01-01 <@{DELEGATE}>")
    assert "can't read `someday`" in admin(f"away <@{A}> someday <@{DELEGATE}>")
    assert f"<@{A}> is away until" in admin(f"away <@{A}> {in_days(5)} <@{DELEGATE}> left the company")
    wait_for(lambda: audit_has(slack, f"<@{A}> away until", f"set by <@{ADMIN}>"), what="audited")
    assert "away too" in admin(f"away <@{OTHER}> 3d <@{A}>")  # no chains
    assert "named you their delegate" in answer(slack, DELEGATE, f"away 3d <@{OTHER}>")
    assert f"<@{A}> is back" in admin(f"back <@{A}>")
    wait_for(lambda: audit_has(slack, f"<@{A}> is back", f"by <@{ADMIN}>"), what="back audited")
    assert "wasn't away" in admin(f"back <@{A}>")
    assert "Only admins" in answer(slack, OTHER, f"away <@{A}> 3d <@{DELEGATE}>", "/approval-admin")
    wait_for(lambda: audit_has(slack, f"<@{OTHER}> · refused · away"), what="the attempt audited")


def home_text(slack: SlackStandIn, user: str) -> str:
    return json.dumps(slack.home.get(user, {}), ensure_ascii=False)


def test_app_home_sets_away_with_a_modal_and_ends_it_with_a_button(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    slack.open_home(A)
    wait_for(lambda: "home_away_set" in home_text(slack, A), what="the Set away button")
    slack.click(A, "home_away_set")
    view = wait_for(lambda: slack.open_view(A), what="the away modal")

    def values(day: str) -> dict[str, Any]:
        return {
            "away_until": {"value": {"type": "datepicker", "selected_date": day}},
            "away_delegate": {"value": {"type": "users_select", "selected_user": DELEGATE}},
            "away_reason": {"value": {"type": "plain_text_input", "value": "conference"}},
        }

    refused = slack.submit(A, view, values("2020-01-01")).json()
    assert refused["response_action"] == "errors" and "already past" in refused["errors"]["away_until"]
    assert slack.submit(A, view, values(in_days(4))).status_code == 200
    wait_for(lambda: "home_away_back" in home_text(slack, A), what="the home tab says away")
    assert f"delegate <@{DELEGATE}>" in home_text(slack, A)
    slack.click(A, "home_away_back")
    wait_for(lambda: "home_away_set" in home_text(slack, A), what="the home tab says back")
    wait_for(lambda: any("Welcome back" in m["text"] for m in slack.ephemeral[A]), what="told, to them alone")

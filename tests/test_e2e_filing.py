"""Filing WeCom approvals from Slack, end to end: the real server, the real bolt app
receiving signed commands, clicks and modal submissions from the Slack stand-in, and
the real WeCom client talking to the fake WeCom API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.offline.slack_standin import Posted, SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    BotProcess,
    WeComSender,
    started,
    wait_for,
    write_config,
)

FIXTURE = Path(__file__).parent / "fixtures" / "wecom" / "templates" / "every_control.json"
APPLICANT, COLLEAGUE, STRANGER = "U0APPLICANT", "U0COLLEAGUE", "U0STRANGER"
TEXT, NUMBER, MONEY = "form/Text-1700000000001", "form/Number-1700000000003", "form/Money-1700000000004"
DATE, SELECTOR = "form/Date-1700000000005", "form/Selector-1700000000006"
CONTACT, FILES = "form/Contact-1700000000009", "form/File-1700000000012"
TABLE = "Table-1700000000013"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {
        APPLICANT: {"email": "wujunjie@example.com"},
        COLLEAGUE: {"email": "lisi@example.com"},
        STRANGER: {"email": "nobody@example.com"},
    }
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.templates["tmpl-seal"] = json.loads(FIXTURE.read_text(encoding="utf-8"))
        fake.users["lisi"] = {"userid": "lisi", "name": "李四", "email": "lisi@example.com"}
        fake.users["WuJunJie"] = {"userid": "WuJunJie", "name": "吴俊杰", "email": "wujunjie@example.com"}
        yield fake


def start_bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi, extra: str = "") -> BotProcess:
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "a.json",
        users={APPLICANT: "WuJunJie"},
        extra='[wecom.templates]\nseal = "tmpl-seal"\n' + extra,
        wecom_settings='agent_id = "1000002"',  # launch pages of [wecom.open_templates] sign with it
    )
    process = started(config, slack)
    return process


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Iterator[BotProcess]:
    process = start_bot(tmp_path, slack, wecom)
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def open_form(slack: SlackStandIn, user: str = APPLICANT) -> dict[str, Any]:
    assert slack.command(user, "new seal").status_code == 200
    return wait_for(lambda: _form(slack, user), what="the form modal")


def _form(slack: SlackStandIn, user: str) -> dict[str, Any] | None:
    view = slack.open_view(user)
    return view if view and view.get("callback_id") == "approval_form" else None


def answers(slack: SlackStandIn, *, text: str = "Sign the office lease") -> dict[str, Any]:
    """A valid submission, in Slack's view.state.values shape."""
    attachment = slack.upload("lease.pdf", b"%PDF-1.4 lease", "application/pdf")
    return {
        TEXT: {"value": {"type": "plain_text_input", "value": text}},
        NUMBER: {"value": {"type": "number_input", "value": "3"}},
        MONEY: {"value": {"type": "number_input", "value": "4839"}},
        DATE: {"value": {"type": "datepicker", "selected_date": "2026-11-23"}},
        SELECTOR: {"value": {"type": "static_select", "selected_option": {"value": "option-1700000000006"}}},
        CONTACT: {"value": {"type": "users_select", "selected_user": COLLEAGUE}},
        FILES: {"value": {"type": "file_input", "files": [attachment]}},
    }


def dm(slack: SlackStandIn, user: str, containing: str) -> Posted | None:
    return next((m for m in slack.conversation(user) if containing in m.text), None)


def buttons(message: Posted) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in message.blocks if b["type"] == "actions" for e in b["elements"]}


def filed(wecom: FakeWeComApi) -> list[dict[str, Any]]:
    return [call.body for call in wecom.calls_to("oa/applyevent") if call.body]


def test_an_employee_files_from_slack_and_wecom_receives_the_spec_fields(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    view = open_form(slack)
    wrong = answers(slack, text="two\nlines")
    wrong[NUMBER] = {"value": {"type": "number_input", "value": "three"}}
    reply = slack.submit(APPLICANT, view, wrong)
    assert reply.json()["response_action"] == "errors"
    assert set(reply.json()["errors"]) == {TEXT, NUMBER}  # explained beside the fields
    assert filed(wecom) == []

    values = answers(slack)
    assert slack.submit(APPLICANT, view, values).status_code == 200
    [body] = wait_for(lambda: filed(wecom), what="applyevent")
    sp_no = next(iter(wecom.approvals))
    card = wait_for(lambda: dm(slack, APPLICANT, sp_no), what="the applicant's status card")
    assert "Pending" in card.text

    assert body["creator_userid"] == "WuJunJie"
    assert body["template_id"] == "tmpl-seal"
    assert body["use_template_approver"] == 1
    contents = {c["id"]: c for c in body["apply_data"]["contents"]}
    assert contents["Text-1700000000001"]["value"] == {"text": "Sign the office lease"}
    assert contents["Text-1700000000001"]["title"] == [{"text": "用印事由", "lang": "zh_CN"}]
    assert contents["Number-1700000000003"]["value"] == {"new_number": "3"}
    assert contents["Money-1700000000004"]["value"] == {"new_money": "4839.00"}
    assert contents["Date-1700000000005"]["value"] == {"date": {"type": "day", "s_timestamp": "1795363200"}}
    assert contents["Selector-1700000000006"]["value"] == {
        "selector": {"type": "single", "options": [{"key": "option-1700000000006"}]}
    }
    assert contents["Contact-1700000000009"]["value"]["members"][0]["userid"] == "lisi"
    [uploaded] = contents["File-1700000000012"]["value"]["files"]
    assert wecom.media[uploaded["file_id"]] == ("lease.pdf", b"%PDF-1.4 lease")
    assert 1 <= len(body["summary_list"]) <= 3
    assert all(len(line["summary_info"][0]["text"]) <= 20 for line in body["summary_list"])

    # A double click or Slack's retry of the same submission files nothing more.
    assert slack.submit(APPLICANT, view, values).status_code == 200
    wait_for(lambda: bot.health()["outbox_backlog"] == 0, what="outbox drained")
    assert len(filed(wecom)) == 1


def test_a_refusal_is_explained_and_the_draft_can_be_fixed_and_resubmitted(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    wecom.fail("oa/applyevent", errcode=301025)
    view = open_form(slack)
    assert slack.submit(APPLICANT, view, answers(slack)).status_code == 200
    refusal = wait_for(lambda: dm(slack, APPLICANT, "301025"), what="the refusal")
    assert "draft_edit" in buttons(refusal)

    slack.click(APPLICANT, "draft_edit", buttons(refusal)["draft_edit"]["value"], message=refusal)
    again = wait_for(lambda: _form(slack, APPLICANT), what="the form, reopened")
    text = json.dumps(again["blocks"], ensure_ascii=False)
    assert "301025" in text and "Sign the office lease" in text  # why, and what was typed
    assert slack.submit(APPLICANT, again, answers(slack)).status_code == 200
    wait_for(lambda: wecom.approvals, what="the resubmission filed")
    assert len(filed(wecom)) == 2  # the refused attempt and the accepted one


def test_a_lost_answer_never_files_twice(bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi) -> None:
    wecom.fail("oa/applyevent", http_status=502, processed=True)  # filed, but the answer never arrives
    view = open_form(slack)
    assert slack.submit(APPLICANT, view, answers(slack)).status_code == 200
    sp_no = wait_for(lambda: next(iter(wecom.approvals), None), what="the approval in WeCom")
    wait_for(lambda: dm(slack, APPLICANT, sp_no), what="the status card of the one approval")
    assert len(wecom.approvals) == 1
    assert len(wecom.calls_to("oa/applyevent")) == 1
    assert wecom.calls_to("oa/getapprovalinfo")  # it looked before deciding


def test_an_unmapped_applicant_is_told_how_to_get_mapped(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    view = open_form(slack, STRANGER)
    assert slack.submit(STRANGER, view, answers(slack)).status_code == 200
    message = wait_for(lambda: dm(slack, STRANGER, "[users]"), what="how to get mapped")
    assert STRANGER in message.text
    assert filed(wecom) == []


def test_table_rows_are_added_and_removed_in_the_open_modal(bot: BotProcess, slack: SlackStandIn) -> None:
    view = open_form(slack)

    def rows(v: dict[str, Any]) -> int:
        return len(
            {
                b["block_id"].split("/")[2]
                for b in v["blocks"]
                if b.get("block_id", "").startswith(f"form/{TABLE}/")
            }
        )

    slack.click(APPLICANT, "form_table_add", TABLE, in_view=view)
    grown = wait_for(lambda: (v := slack.open_view(APPLICANT)) and rows(v) == 2 and v, what="a second row")
    slack.click(APPLICANT, "form_table_remove", TABLE, in_view=grown)
    wait_for(lambda: rows(slack.open_view(APPLICANT)) == 1, what="back to one row")


def test_the_command_explains_itself_and_only_shows_approvals_to_people_on_them(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    def reply(user: str, text: str) -> str:
        before = len(slack.responses)
        slack.command(user, text)
        wait_for(lambda: len(slack.responses) > before, what=f"/approval {text}")
        response = slack.responses[-1]
        return response.get("text", "") + json.dumps(response.get("blocks") or [], ensure_ascii=False)

    assert "/approval new" in reply(APPLICANT, "help") and "`seal`" in reply(APPLICANT, "")
    assert "frobnicate" in reply(APPLICANT, "frobnicate") and "Usage" in reply(APPLICANT, "frobnicate")
    assert "no template called `nope`" in reply(APPLICANT, "new nope") and "`seal`" in reply(
        APPLICANT, "new nope"
    )
    assert "no requests yet" in reply(APPLICANT, "list")

    view = open_form(slack)
    slack.submit(APPLICANT, view, answers(slack))
    sp_no = wait_for(lambda: next(iter(wecom.approvals), None), what="filed")
    wait_for(lambda: dm(slack, APPLICANT, sp_no), what="the card")
    assert sp_no in reply(APPLICANT, "list")
    assert "Pending" in reply(APPLICANT, f"status {sp_no}")
    assert "No approval numbered" in reply(STRANGER, f"status {sp_no}")

    slack.open_home(APPLICANT)
    home = wait_for(lambda: slack.home.get(APPLICANT), what="App Home")
    assert sp_no in json.dumps(home, ensure_ascii=False)


def test_approvers_cc_and_department_chosen_in_slack_when_the_template_is_set_up_for_it(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    flows = (
        "[wecom.flows.seal]\n"
        'nodes = [{ type = 1, apv_rel = 1, pick = true }, { type = 2, users = ["U0COLLEAGUE"] }]\n'
        "choose_department = true\n"
    )
    wecom.users["WuJunJie"]["department"] = [2, 3]
    wecom.departments.update({"2": {"id": 2, "name": "销售部"}, "3": {"id": 3, "name": "生产部"}})
    bot = start_bot(tmp_path, slack, wecom, flows)
    try:
        view = open_form(slack)
        department = next(b for b in view["blocks"] if b.get("block_id") == "form/_department")
        assert [o["value"] for o in department["element"]["options"]] == ["2", "3"]
        values = answers(slack)
        values["form/_flow-0"] = {"value": {"type": "multi_users_select", "selected_users": [COLLEAGUE]}}
        values["form/_department"] = {"value": {"type": "static_select", "selected_option": {"value": "3"}}}
        assert slack.submit(APPLICANT, view, values).status_code == 200
        [body] = wait_for(lambda: filed(wecom), what="applyevent")
    finally:
        bot.stop()
    assert body["use_template_approver"] == 0
    assert body["process"]["node_list"] == [
        {"type": 1, "apv_rel": 1, "userid": ["lisi"]},
        {"type": 2, "userid": ["lisi"]},
    ]
    assert body["choose_department"] == 3
    assert not any(c["id"].startswith("_") for c in body["apply_data"]["contents"])  # ours stay ours


def open_engine_callback(third_no: str, create_time: int) -> str:
    """open_approval_change as in the spec's sample, for our thirdNo: 李四 is to approve."""
    return (
        f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>sys</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>event</MsgType><Event>open_approval_change</Event>"
        f"<AgentID>1</AgentID><ApprovalInfo><ThirdNo>{third_no}</ThirdNo><OpenSpName>付款</OpenSpName>"
        "<OpenTemplateId>1234567111</OpenTemplateId><OpenSpStatus>1</OpenSpStatus>"
        f"<ApplyTime>{create_time}</ApplyTime><ApplyUserName>吴俊杰</ApplyUserName>"
        "<ApplyUserId>WuJunJie</ApplyUserId><ApplyUserParty>产品部</ApplyUserParty><ApprovalNodes><ApprovalNode>"
        "<NodeStatus>1</NodeStatus><NodeAttr>1</NodeAttr><NodeType>1</NodeType><Items><Item>"
        "<ItemName>李四</ItemName><ItemUserid>lisi</ItemUserid><ItemStatus>1</ItemStatus>"
        "<ItemSpeech></ItemSpeech><ItemOpTime>0</ItemOpTime></Item></Items></ApprovalNode></ApprovalNodes>"
        "<NotifyNodes></NotifyNodes><ApproverStep>0</ApproverStep></ApprovalInfo></xml>"
    )


def test_self_built_app_requests_launch_from_a_signed_page_and_are_tracked(
    tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    bot = start_bot(tmp_path, slack, wecom, '[wecom.open_templates]\npayment = "1234567111"\n')
    try:
        assert slack.command(APPLICANT, "new payment").status_code == 200
        view = wait_for(lambda: _form(slack, APPLICANT), what="the engine's form")
        values = {
            "form/subject": {"value": {"type": "plain_text_input", "value": "Pay the <design> agency"}},
            "form/amount": {"value": {"type": "number_input", "value": "4839"}},
            "form/link": {"value": {"type": "plain_text_input", "value": "https://example.com/po/7"}},
        }
        assert slack.submit(APPLICANT, view, values).status_code == 200
        card = wait_for(lambda: dm(slack, APPLICANT, "payment"), what="the applicant's card")
        link = next(e["url"] for e in buttons(card).values() if "url" in e)
        third_no = link.split("/wecom/launch/")[1].split("?")[0]
        assert wecom.calls_to("oa/applyevent") == []  # launched in WeCom, not filed by API
        assert "4839.00" in json.dumps(card.blocks)  # what was filled in, shown on the card

        page = httpx.get(link.replace("http://127.0.0.1", bot.url), timeout=10)
        assert page.status_code == 200
        assert '"oaType": "10001"' in page.text or '"oaType":"10001"' in page.text
        assert third_no in page.text and "https://example.com/po/7" in page.text
        assert "<design>" not in page.text  # escaped
        forged = httpx.get(link.replace("http://127.0.0.1", bot.url).replace("sig=", "sig=0"), timeout=10)
        assert forged.status_code == 403

        sender = WeComSender(bot.url)
        assert sender.post(open_engine_callback(third_no, int(time.time()))).text == "success"
        wait_for(lambda: slack.conversation(COLLEAGUE), what="the approver's card (李四 is U0COLLEAGUE)")
        updated = wait_for(
            lambda: (m := dm(slack, APPLICANT, third_no)) and m.updates and m, what="card update"
        )
        assert "view=1" in json.dumps(updated.blocks)  # launched: the link now shows it
    finally:
        bot.stop()

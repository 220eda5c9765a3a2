"""The embedded engine end to end: only [[local.templates]] configured, no WeCom. Requests are
filed and decided in Slack (buttons, modals) and by approve links, through the real server."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.offline.slack_standin import Posted, SlackStandIn
from tests.harness import SIGNING_SECRET, BotProcess, store_table, wait_for

APPLICANT, A, B, C, CC, STRANGER = (
    "U0APPLICANT",
    "U0APPROVERA",
    "U0APPROVERB",
    "U0APPROVERC",
    "U0CCPERSON",
    "U0X",
)
CONFIG = """
[server]
public_url = "http://127.0.0.1"
{store}
[slack]
bot_token = "xoxb-test-token"
signing_secret = "{signing_secret}"
api_url = "{slack_url}"
language = "en"
[[local.templates]]
alias = "purchase"
name = "采购申请"
controls = [
  {{ control = "Text", id = "Text-1", title = "采购事由", require = true }},
  {{ control = "Money", id = "Money-1", title = "金额", require = true }},
]
process = [
  {{ type = 1, apv_rel = 1, users = ["{a}", "{b}"] }},
  {{ type = 1, apv_rel = 2, users = ["{c}"] }},
  {{ type = 2, users = ["{cc}"] }},
]
"""


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(users={u: {} for u in (APPLICANT, A, B, C, CC, STRANGER)}) as standin:
        yield standin


def write_local_config(folder: Path, slack_url: str, language: str = "en") -> Path:
    """The embedded engine's config (CONFIG) in `folder`, its store beside it, Slack at `slack_url`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = CONFIG.format(
        store=store_table(folder / "data" / "approvals.json"),
        slack_url=slack_url,
        a=A,
        b=B,
        c=C,
        cc=CC,
        signing_secret=SIGNING_SECRET,
    )
    config = folder / "config.toml"
    config.write_text(text.replace('language = "en"', f'language = "{language}"'), encoding="utf-8")
    return config


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn) -> Iterator[BotProcess]:
    process = BotProcess(write_local_config(tmp_path, slack.api_url)).start()
    slack.attach(f"{process.url}/slack/events", SIGNING_SECRET)
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def card_of(slack: SlackStandIn, user: str) -> Posted | None:
    cards = [m for m in slack.conversation(user) if m.blocks]
    return cards[0] if cards else None


def decision_block(message: Posted) -> dict[str, Any]:
    return next(b for b in message.blocks if b.get("block_id", "").startswith("decide|"))


def text(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def click(slack: SlackStandIn, user: str, message: Posted, action_id: str, value: str) -> None:
    block = decision_block(message)
    assert slack.click(user, action_id, value, block_id=block["block_id"], message=message).status_code == 200


def file_request(slack: SlackStandIn) -> str:
    slack.command(APPLICANT, "new purchase")
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v,
        what="the form",
    )
    values = {
        "form/Text-1": {"value": {"type": "plain_text_input", "value": "New laptops"}},
        "form/Money-1": {"value": {"type": "number_input", "value": "4839"}},
    }
    assert slack.submit(APPLICANT, view, values).status_code == 200
    card = wait_for(lambda: card_of(slack, APPLICANT), what="the applicant's card")
    return re.search(r"\b(\d{12})\b", card.text).group(1)


def test_approvals_decided_in_slack_and_by_link_and_nobody_acts_out_of_turn(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    number = file_request(slack)
    key = f"local:{number}"
    card_a = wait_for(lambda: card_of(slack, A), what="A's card")
    card_b = copy.deepcopy(wait_for(lambda: card_of(slack, B), what="B's card"))  # as B saw it then
    wait_for(lambda: card_of(slack, CC), what="the CC's FYI")
    assert card_of(slack, C) is None  # 或签 step not reached yet
    assert decision_block(card_a)["block_id"] == f"decide|{key}"

    # Someone not on the request, and the applicant, cannot approve.
    click(slack, STRANGER, card_a, "approval_approve", "approve")
    click(slack, APPLICANT, card_a, "approval_approve", "approve")
    wait_for(
        lambda: len(slack.ephemeral[STRANGER]) == 1 and len(slack.ephemeral[APPLICANT]) == 1,
        what="both told why",
    )
    assert "not your turn" in slack.ephemeral[STRANGER][0]["text"]

    # A approves with the button: the same cards change in place.
    click(slack, A, card_a, "approval_approve", "approve")
    wait_for(lambda: "1 of 2" in text(card_of(slack, APPLICANT)), what="progress on the applicant's card")
    wait_for(
        lambda: not any(b.get("block_id", "").startswith("decide|") for b in card_of(slack, A).blocks),
        what="A's buttons gone",
    )

    # B approves with the approve link: GET shows and changes nothing; POST decides, once.
    link = re.search(r"<(http://127\.0\.0\.1/approve/[^|>]+)\|", text(card_of(slack, B))).group(1)
    url = link.replace("http://127.0.0.1", bot.url)
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "New laptops" in page.text and "<form" in page.text
    assert "1 of 2" in text(card_of(slack, APPLICANT))  # still waiting on B after the GET
    assert httpx.get(url.replace("/approve/", "/approve/x"), timeout=10).status_code == 403  # forged
    assert httpx.post(url, data={"speech": "ok from my phone"}, timeout=10).status_code == 200
    assert httpx.post(url, data={"speech": "again"}, timeout=10).status_code == 409  # single use
    card_c = wait_for(lambda: card_of(slack, C), what="C's turn")
    wait_for(lambda: "ok from my phone" in text(card_of(slack, APPLICANT)), what="B's words on the card")

    # B, late, presses the button on their old card: told it is already decided.
    click(slack, B, card_b, "approval_approve", "approve")
    wait_for(lambda: slack.ephemeral[B], what="B told")

    # C rejects: a reason is required, and the whole request is rejected.
    stale_block = decision_block(card_c)["block_id"]  # the buttons as C saw them, for a late press below
    click(slack, C, card_c, "approval_reject", "reject")
    modal = wait_for(lambda: slack.open_view(C), what="the reason modal")
    empty = slack.submit(C, modal, {"reason": {"value": {"type": "plain_text_input", "value": " "}}})
    assert empty.json()["response_action"] == "errors"
    reason = {"reason": {"value": {"type": "plain_text_input", "value": "Over budget this quarter"}}}
    assert slack.submit(C, modal, reason).status_code == 200
    wait_for(lambda: "Rejected" in card_of(slack, APPLICANT).text, what="the outcome")
    assert "Over budget this quarter" in text(card_of(slack, APPLICANT))
    wait_for(lambda: len(slack.conversation(CC)) == 2, what="the CC hears the outcome")
    wait_for(
        lambda: not any(b.get("block_id", "").startswith("decide|") for b in card_of(slack, C).blocks),
        what="C's buttons gone",
    )

    # C presses Approve on the card as it was before: told plainly how the request ended.
    slack.click(C, "approval_approve", "approve", block_id=stale_block, message=card_c)
    finished = "This request is finished (Rejected): nothing more can be done."
    wait_for(lambda: any(finished in json.dumps(m) for m in slack.ephemeral[C]), what="C told how it ended")


def test_applicants_urge_and_revoke_their_own_requests(bot: BotProcess, slack: SlackStandIn) -> None:
    file_request(slack)
    wait_for(lambda: card_of(slack, A), what="A's card")
    mine = card_of(slack, APPLICANT)
    click(slack, A, mine, "approval_urge", "urge")  # not A's request
    wait_for(lambda: slack.ephemeral[A], what="A told")
    click(slack, APPLICANT, mine, "approval_urge", "urge")
    wait_for(lambda: any("waiting" in m.text.lower() for m in slack.conversation(A)[1:]), what="the nudge")
    click(slack, APPLICANT, mine, "approval_urge", "urge")  # again at once: rate-limited
    wait_for(lambda: slack.ephemeral[APPLICANT], what="told to wait")

    click(slack, APPLICANT, card_of(slack, APPLICANT), "approval_revoke", "revoke")
    modal = wait_for(lambda: slack.open_view(APPLICANT), what="the revoke modal")
    assert (
        slack.submit(APPLICANT, modal, {"reason": {"value": {"type": "plain_text_input"}}}).status_code == 200
    )
    wait_for(lambda: "Revoked" in card_of(slack, APPLICANT).text, what="revoked")

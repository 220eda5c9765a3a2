"""Rules and bulk approval end to end over loopback: the real `serve` process, Slack's stand-in.

A small purchase by a buyer is approved by rule the moment it is filed, and a large one waits; an
approver approves three requests together from App Home while the applicant revokes one of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.offline.slack_standin import Posted, SlackStandIn
from tests.harness import SIGNING_SECRET, BotProcess, started, store_table, wait_for

APPLICANT, A, B, AUDIT, BUYERS = "U0APPLICANT", "U0APPROVERA", "U0APPROVERB", "C0AUDIT", "S0BUYERS"
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
name = "Purchase"
controls = [
  {{ control = "Text", id = "Text-1", title = "What", require = true }},
  {{ control = "Money", id = "Money-1", title = "Amount", require = true }},
]
process = [ {{ type = 1, apv_rel = 1, users = ["{a}", "{b}"] }} ]

[[local.templates.auto_approve]]
name = "small purchases"
when = [ {{ control = "Money-1", op = "<=", value = 200 }} ]
applicant_in = ["{buyers}"]
"""


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {u: {} for u in (APPLICANT, A, B)}
    with SlackStandIn(users=users, usergroups={BUYERS: [APPLICANT]}) as standin:
        yield standin


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn) -> Iterator[BotProcess]:
    config = tmp_path / "config.toml"
    config.write_text(
        CONFIG.format(
            store=store_table(tmp_path / "data" / "approvals.json"),
            signing_secret=SIGNING_SECRET,
            slack_url=slack.api_url,
            audit=AUDIT,
            a=A,
            b=B,
            buyers=BUYERS,
        ),
        encoding="utf-8",
    )
    process = started(config, slack)
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def text(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def cards_of(slack: SlackStandIn, user: str) -> list[Posted]:
    return [m for m in slack.conversation(user) if m.blocks]


def card_about(slack: SlackStandIn, user: str, number: str) -> Posted | None:
    return next((m for m in cards_of(slack, user) if number in m.text), None)


def file_request(slack: SlackStandIn, what: str, amount: str) -> str:
    """The applicant files a purchase through the modal; its number, from their new card."""
    before = len(cards_of(slack, APPLICANT))
    slack.command(APPLICANT, "new purchase")
    view = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_form" and v,
        what="the form",
    )
    values = {
        "form/Text-1": {"value": {"type": "plain_text_input", "value": what}},
        "form/Money-1": {"value": {"type": "number_input", "value": amount}},
    }
    assert slack.submit(APPLICANT, view, values).status_code == 200
    card = wait_for(lambda: len(cards_of(slack, APPLICANT)) > before and cards_of(slack, APPLICANT)[-1])
    return re.search(r"\b(\d{12})\b", card.text).group(1)


def audit_lines(slack: SlackStandIn) -> list[str]:
    return [m.text for m in slack.conversation(AUDIT)]


def test_a_small_purchase_is_approved_by_rule_at_once_and_a_large_one_waits(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    small = file_request(slack, "Pens", "120")
    wait_for(lambda: "Approved" in card_about(slack, APPLICANT, small).text, what="approved at once")
    assert "approved by rule “small purchases”" in text(card_about(slack, APPLICANT, small))
    wait_for(
        lambda: any(
            "approved by rule “small purchases”" in line and small in line for line in audit_lines(slack)
        ),
        what="the rule's audit line",
    )

    large = file_request(slack, "Laptops", "4839")
    wait_for(lambda: card_about(slack, A, large), what="A asked about the large one")
    assert "Pending" in card_about(slack, APPLICANT, large).text
    assert card_about(slack, A, small) is None and card_about(slack, B, small) is None  # never asked
    assert "approved by rule" not in text(card_about(slack, APPLICANT, large))


def home_with_ticks(slack: SlackStandIn, user: str, keys: list[str]) -> dict[str, Any]:
    """The App Home view as `user` sees it, with `keys` ticked (the state Slack sends with a click)."""
    view = slack.home[user]
    bulk = next(b for b in view["blocks"] if b.get("block_id") == "home_bulk")
    state: dict[str, Any] = {}
    for element in (e for e in bulk["elements"] if e["type"] == "checkboxes"):
        chosen = [o for o in element["options"] if o["value"] in keys]
        state[element["action_id"]] = {"type": "checkboxes", "selected_options": chosen}
    return dict(view, id="VHOME", state={"values": {"home_bulk": state}})


def test_an_approver_approves_three_together_and_one_that_moved_on_is_reported_not_forced(
    bot: BotProcess, slack: SlackStandIn
) -> None:
    numbers = [file_request(slack, f"Chairs {n}", "900") for n in (1, 2, 3)]
    for number in numbers:
        wait_for(lambda n=number: card_about(slack, A, n), what=f"A asked about {number}")
    assert slack.open_home(A).status_code == 200
    keys = [f"local:{n}" for n in numbers]
    home = wait_for(
        lambda: A in slack.home and all(k in json.dumps(slack.home[A]) for k in keys) and slack.home[A],
        what="A's home with the three",
    )
    assert any(b.get("block_id") == "home_bulk" for b in home["blocks"])

    assert slack.click(A, "home_bulk_approve", in_view=home_with_ticks(slack, A, keys)).status_code == 200
    modal = wait_for(
        lambda: (v := slack.open_view(A)) and v.get("callback_id") == "bulk_approve" and v, what="the modal"
    )
    assert all(n in json.dumps(modal) for n in numbers)

    # Meanwhile the applicant revokes the second one.
    revoke_block = next(
        b
        for b in card_about(slack, APPLICANT, numbers[1]).blocks
        if b.get("block_id", "").startswith("decide|")
    )
    slack.click(
        APPLICANT,
        "approval_revoke",
        "revoke",
        block_id=revoke_block["block_id"],
        message=card_about(slack, APPLICANT, numbers[1]),
    )
    reason = wait_for(
        lambda: (v := slack.open_view(APPLICANT)) and v.get("callback_id") == "approval_decision" and v,
        what="the revoke modal",
    )
    slack.submit(
        APPLICANT, reason, {"reason": {"value": {"type": "plain_text_input", "value": "not needed"}}}
    )
    wait_for(lambda: "Revoked" in card_about(slack, APPLICANT, numbers[1]).text, what="revoked")

    comment = {"comment": {"value": {"type": "plain_text_input", "value": "fine by me"}}}
    answer = slack.submit(A, modal, comment)
    shown = answer.json()  # acknowledged once done: the modal shows the outcome, a DM keeps it
    assert shown["response_action"] == "update"
    assert "2 of 3" in json.dumps(shown["view"], ensure_ascii=False)
    View(**shown["view"])  # valid Block Kit

    result = wait_for(
        lambda: next((m for m in slack.conversation(A) if "Approved together" in m.text), None),
        what="A's result",
    )
    assert "2 of 3" in result.text
    assert "finished (Revoked)" in text(result) and numbers[1] in text(result)
    for number in (numbers[0], numbers[2]):  # each told as if approved alone
        wait_for(lambda n=number: "fine by me" in text(card_about(slack, APPLICANT, n)), what="A's words")
        assert "1 of 2" in text(card_about(slack, APPLICANT, number))
    wait_for(lambda: any("approved together: 2 of 3" in line for line in audit_lines(slack)), what="summary")
    approvals = [line for line in audit_lines(slack) if " · approved · " in line]
    assert sorted(n for n in numbers if any(n in line for line in approvals)) == [numbers[0], numbers[2]]

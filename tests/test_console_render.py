"""The demo's cards read as Slack shows them: no markup, people by name, buttons by label, short links."""

from __future__ import annotations

from typing import Any

from bot.offline import readable

NAMES = {"U0WANG": "小王 Wang", "U0LI": "李经理 Manager Li"}
LINK = "http://127.0.0.1:38435/approve/" + "eyJhcHByb3ZhbCI6ImxvY2FsOjIwMjYxMjAyMDAwMSJ9" * 3 + ".sig"


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


CARD: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "采购申请"}},
    {
        "type": "section",
        "text": mrkdwn("🔔 *Your approval is needed*: 采购申请 `202612020001` from <@U0WANG>"),
    },
    {
        "type": "section",
        "fields": [
            mrkdwn("*Number*\n202612020001"),
            mrkdwn("*Status*\n⏳ Pending"),
            mrkdwn("*Applicant*\n<@U0WANG>"),
            mrkdwn("*Submitted*\n<!date^1796204585^{date_short} {time}|2026-12-02 09:43 UTC>"),
        ],
    },
    {"type": "section", "text": mrkdwn("*采购事由*: New laptops &amp; a dock\n*金额*: 9600.00")},
    {
        "type": "section",
        "text": mrkdwn(
            "*Current step* 1 of 1 · all must approve — 0 of 2 approved\n*Waiting on* <@U0LI>, <@U0ZHANG>"
        ),
    },
    {
        "type": "section",
        "text": mrkdwn("*Timeline*\n09:33 · <@U0WANG> submitted\n09:35 · <@U0LI> approved\n> OK, go"),
    },
    {
        "type": "actions",
        "block_id": "decide|local:202612020001",
        "elements": [
            {
                "type": "button",
                "action_id": "approval_approve",
                "text": {"type": "plain_text", "text": "Approve"},
            },
            {
                "type": "button",
                "action_id": "approval_reject",
                "text": {"type": "plain_text", "text": "Reject"},
            },
            {"type": "overflow", "action_id": "approval_more", "options": []},
            {
                "type": "button",
                "action_id": "open_approval_link",
                "url": "https://work.weixin.qq.com/approval/202612025001",
                "text": {"type": "plain_text", "text": "Open approval"},
            },
        ],
    },
    {"type": "context", "elements": [mrkdwn(f"Away from Slack? <{LINK}|Approve with a link>")]},
]


def test_a_card_reads_without_markup_labels_beside_values_people_by_name() -> None:
    lines = readable.render(CARD, NAMES).splitlines()

    assert lines[:5] == [
        "【采购申请】",
        "🔔 Your approval is needed: 采购申请 202612020001 from @小王 Wang",
        "Number: 202612020001    Status: ⏳ Pending",
        "Applicant: @小王 Wang    Submitted: 2026-12-02 09:43 UTC",
        "采购事由: New laptops & a dock",
    ]
    assert "Current step: 1 of 1 · all must approve — 0 of 2 approved" in lines
    assert "Waiting on: @李经理 Manager Li, @U0ZHANG" in lines  # someone the demo cannot name: their id
    timeline = lines.index("Timeline:")
    assert lines[timeline + 1 : timeline + 4] == [
        "09:33 · @小王 Wang submitted",
        "09:35 · @李经理 Manager Li approved",
        "┃ OK, go",
    ]
    assert "[Approve]  [Reject]  [⋯]  [Open approval ↗]" in lines


def test_links_are_their_text_and_a_short_address_never_the_whole_url() -> None:
    shown = readable.render(CARD, NAMES).splitlines()[-1]

    assert shown.startswith("  Away from Slack? Approve with a link (127.0.0.1:38435/approve/")
    assert LINK not in shown and len(shown) < 90
    assert readable.mrkdwn("see <https://example.com/a>") == "see example.com/a"
    assert readable.mrkdwn("<mailto:li@example.com|Li>, <#C0AUDIT|audit>, <!here>") == "Li, #audit, @here"


def test_no_markup_is_left_in_any_line() -> None:
    text = readable.render(CARD, NAMES)

    for markup in ("*", "<@", "<http", "`", "&amp;", "approval_", "|"):
        assert markup not in text, markup


def test_emphasis_goes_but_a_lone_star_or_an_underscore_in_a_word_stays() -> None:
    assert readable.mrkdwn("_italic_ ~gone~ *bold*") == "italic gone bold"
    assert readable.mrkdwn("a * b, snake_case_name, 2*3*4") == "a * b, snake_case_name, 2*3*4"
    assert readable.mrkdwn("*设备申领* · `202612025001`") == "设备申领 · 202612025001"  # a title, not a label


def test_inputs_and_menus_of_a_modal_read_as_fields_to_fill() -> None:
    view = [
        {
            "type": "input",
            "block_id": "form/Money-1",
            "label": {"type": "plain_text", "text": "金额"},
            "element": {"type": "number_input", "action_id": "value"},
        },
        {
            "type": "section",
            "block_id": "pick",
            "text": mrkdwn("Which form?"),
            "accessory": {"type": "static_select", "action_id": "form_pick_template", "options": []},
        },
    ]

    assert readable.render(view) == "金额: [____]\nWhich form?  [choose ▾]"

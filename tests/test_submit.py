"""Drafts keep answers as JSON; cards show answers in words."""

from __future__ import annotations

import json

from bot.forms import Control, DateSpan, FilledForm, Option, Template, UploadedFile
from bot.submit import decode_answers, display_fields, encode_answers

TEMPLATE = Template(
    provider="wecom",
    id="tmpl",
    alias="seal",
    name="用印申请",
    controls=(
        Control("Text", "t", "事由"),
        Control("Selector", "s", "印章", options=(Option("Urgent", "加急"), Option("normal", "普通"))),
        Control("Contact", "c", "经办人", multi=True, contact_mode="user"),
        Control("Date", "d", "日期", date_type="day"),
        Control("File", "f", "附件"),
        Control("Vacation", "v", "请假", options=(Option("3", "病假"),), date_type="halfday"),
        Control(
            "Table", "tb", "明细", children=(Control("Text", "tt", "项目"), Control("Money", "tm", "金额"))
        ),
        Control("Contact", "_flow-0", "审批人", multi=True, contact_mode="user"),
    ),
)
ANSWERS = {
    "t": "Sign the lease",
    "s": ("Urgent",),
    "c": ("U0COLLEAGUE",),
    "d": 1795363200,
    "f": (UploadedFile("F1", "lease.pdf", "https://files/F1", "application/pdf"),),
    "v": ("3", DateSpan(1795363200, 1795406400, "halfday", 43200)),
    "tb": ({"tt": "Desk", "tm": "100.00"}, {"tt": "Chair", "tm": "50.00"}),
    "_flow-0": ("U0BOSS",),
}


def test_answers_survive_a_round_trip_through_json() -> None:
    assert decode_answers(json.loads(json.dumps(encode_answers(ANSWERS)))) == ANSWERS


def test_fields_are_shown_in_words_by_control_kind_and_the_bots_own_controls_left_out() -> None:
    fields = dict((f.title, f.value) for f in display_fields(FilledForm(TEMPLATE, ANSWERS)))
    assert fields == {
        "事由": "Sign the lease",
        "印章": "加急",  # the option's text, even for a key that looks like a Slack id
        "经办人": "<@U0COLLEAGUE>",
        "日期": "2026-11-23 00:00",
        "附件": "lease.pdf",
        "请假": "病假: 2026-11-23 00:00 – 2026-11-23 12:00",
        "明细": "Desk; 100.00 | Chair; 50.00",
    }

"""The approval form modal: valid Block Kit for any template, ids the reader finds, and honest refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.form_reader import ACTION, AM, PM, READ_KINDS, is_number, read_submission
from bot.forms import Control, DateSpan, FilledForm, Option, Template, UploadedFile
from bot.i18n import CATALOG, LANGUAGES, t
from bot.kinds import KINDS
from handlers.cards import SECTION_LIMIT
from handlers.modals import (
    ACTION_TABLE_ADD,
    ACTION_TABLE_REMOVE,
    CALLBACK_ID,
    MAX_BLOCKS,
    FormNotFillable,
    TemplateTooLarge,
    build_form_view,
)
from tests.test_form_reader import MARCH_1, _fields, entry, files, option_object, slack_file
from tests.test_wecom_templates import every_control_template

DEPARTMENTS = (Option("2", "销售部"), Option("3", "生产部"))
TABLE = "Table-1700000000013"


# -- helpers -----------------------------------------------------------------------------------------------


def assert_valid(view: dict[str, Any]) -> None:
    """Valid for slack_sdk (which knows every key we send, or the round trip would drop it), and for the
    limits Slack enforces that slack_sdk does not check."""
    parsed = View(**view)
    parsed.validate_json()
    assert parsed.to_dict() == view
    blocks = view["blocks"]
    assert 0 < len(blocks) <= MAX_BLOCKS
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))
    for text in _texts(view):
        assert text.strip(), view
    for block in blocks:
        if block["type"] != "input":
            continue
        element = block["element"]
        assert element["action_id"] == ACTION
        offered = element.get("options", [])
        assert all(len(o["text"]["text"]) <= 75 and 0 < len(o["value"]) <= 150 for o in offered)
        assert len({o["value"] for o in offered}) == len(offered)
        assert all(
            o in offered for o in [element.get("initial_option"), *element.get("initial_options", [])] if o
        )
        assert (
            "initial_value" not in element
            or element["type"] != "number_input"
            or is_number(element["initial_value"])
        )


def _texts(value: Any) -> Iterator[str]:
    """Every text object's text: Slack refuses empty ones."""
    if isinstance(value, Mapping):
        if value.get("type") in ("plain_text", "mrkdwn"):
            yield value["text"]
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)


def wecom_form(form: Template, lang: str, **options: Any) -> dict[str, Any]:
    """The form of a WeCom template, naming WeCom as the runtime's provider_name would."""
    return build_form_view(form, lang, provider_name=t("provider.wecom", lang), **options)


def view_of(form: Template, lang: str = "en", **options: Any) -> dict[str, Any]:
    view = wecom_form(form, lang, private_metadata=options.pop("private_metadata", "meta"), **options)
    assert_valid(view)
    return view


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return inputs(view)[block_id]["element"]


_STATE_OF_INITIAL = {
    "plain_text_input": ("value", "initial_value", None),
    "number_input": ("value", "initial_value", None),
    "datepicker": ("selected_date", "initial_date", None),
    "datetimepicker": ("selected_date_time", "initial_date_time", None),
    "static_select": ("selected_option", "initial_option", None),
    "multi_static_select": ("selected_options", "initial_options", []),
    "users_select": ("selected_user", "initial_user", None),
    "multi_users_select": ("selected_users", "initial_users", []),
    "file_input": ("files", "", []),  # files cannot be prefilled
}


def state_from_view(view: dict[str, Any]) -> dict[str, Any]:
    """What Slack sends back when someone submits the view without touching it: its initial values."""
    state = {}
    for block_id, block in inputs(view).items():
        kind = block["element"]["type"]
        field, initial, empty = _STATE_OF_INITIAL[kind]
        state[block_id] = entry(kind, **{field: block["element"].get(initial, empty)})
    return state


def every_control_answers() -> dict[str, Any]:
    """An answer for every control of the fixture that the modal offers, files aside."""
    return {
        "Text-1700000000001": "Seal for the Q3 contract",
        "Textarea-1700000000002": "Two copies.\nOne for legal.",
        "Number-1700000000003": "2",
        "Money-1700000000004": "4839.00",
        "Date-1700000000005": MARCH_1,
        "Selector-1700000000006": ("option-1700000000007",),
        "Contact-1700000000009": ("U0AGENT",),
        "Contact-1700000000010": ("3", "2"),
        TABLE: (
            {
                "Text-1700000000014": "Taxi",
                "Money-1700000000015": "35.50",
                "Date-1700000000016": MARCH_1 + 9 * 3600,
                "Selector-1700000000017": ("option-1700000000018", "option-1700000000017"),
            },
            {"Text-1700000000014": "Hotel", "Money-1700000000015": "480.00"},
        ),
        "Vacation-1700000000019": ("2", DateSpan(MARCH_1 + 43200, MARCH_1 + 86400, "halfday", 86400)),
        "Attendance-1700000000020": DateSpan(MARCH_1 + 3600, MARCH_1 + 7200, "hour", 3600),
        "RelatedApproval-1700000000022": ("202401010001", "202401010002"),
        "PhoneNumber-1700000000023": "+86 138 0000 0000",
        "DateRange-1700000000024": DateSpan(MARCH_1, MARCH_1, "halfday", 43200),
    }


def texts(n: int, kind: str = "Text", required: bool = False) -> tuple[Control, ...]:
    return tuple(Control(kind, f"{kind}-{i}", f"Field {i}", required=required) for i in range(n))


def template(*controls: Control, name: str = "Travel request") -> Template:
    return Template("wecom", "tpl", "travel", name, controls)


# -- the fixture, every control ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_control_makes_a_valid_view(lang: str) -> None:
    view = view_of(
        every_control_template(), lang, departments=DEPARTMENTS, rows={TABLE: 2}, private_metadata="x" * 3000
    )

    assert view["type"] == "modal" and view["callback_id"] == CALLBACK_ID
    assert view["private_metadata"] == "x" * 3000
    assert view["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "用印申请（全部控件）"},
    }
    assert (view["submit"]["text"], view["close"]["text"]) == {
        "zh_CN": ("提交", "取消"),
        "en": ("Submit", "Cancel"),
    }[lang]


def test_each_kind_gets_its_input() -> None:
    view = view_of(every_control_template(), departments=DEPARTMENTS)
    kinds = {block_id: block["element"]["type"] for block_id, block in inputs(view).items()}

    assert kinds == {
        "form/Text-1700000000001": "plain_text_input",
        "form/Textarea-1700000000002": "plain_text_input",
        "form/Number-1700000000003": "number_input",
        "form/Money-1700000000004": "number_input",
        "form/Date-1700000000005": "datepicker",
        "form/Selector-1700000000006": "static_select",
        "form/Contact-1700000000009": "users_select",
        "form/Contact-1700000000010": "multi_static_select",
        "form/File-1700000000012": "file_input",
        f"form/{TABLE}/0/Text-1700000000014": "plain_text_input",
        f"form/{TABLE}/0/Money-1700000000015": "number_input",
        f"form/{TABLE}/0/Date-1700000000016": "datetimepicker",
        f"form/{TABLE}/0/Selector-1700000000017": "multi_static_select",
        "form/Vacation-1700000000019/type": "static_select",
        "form/Vacation-1700000000019/begin": "datepicker",
        "form/Vacation-1700000000019/begin_half": "static_select",
        "form/Vacation-1700000000019/end": "datepicker",
        "form/Vacation-1700000000019/end_half": "static_select",
        "form/Attendance-1700000000020/begin": "datetimepicker",
        "form/Attendance-1700000000020/end": "datetimepicker",
        "form/RelatedApproval-1700000000022": "plain_text_input",
        "form/PhoneNumber-1700000000023": "plain_text_input",
        "form/DateRange-1700000000024/begin": "datepicker",
        "form/DateRange-1700000000024/begin_half": "static_select",
        "form/DateRange-1700000000024/end": "datepicker",
        "form/DateRange-1700000000024/end_half": "static_select",
    }
    assert element(view, "form/Textarea-1700000000002")["multiline"] is True
    assert "multiline" not in element(view, "form/Text-1700000000001")
    assert element(view, "form/Money-1700000000004")["is_decimal_allowed"] is True
    assert element(view, "form/Number-1700000000003")["is_decimal_allowed"] is True
    assert element(view, "form/File-1700000000012")["max_files"] == 6
    assert [o["value"] for o in element(view, "form/Selector-1700000000006")["options"]] == [
        "option-1700000000006",
        "option-1700000000007",
        "option-1700000000008",
    ]
    assert element(view, "form/Contact-1700000000010")["options"] == [
        {"text": {"type": "plain_text", "text": "销售部"}, "value": "2"},
        {"text": {"type": "plain_text", "text": "生产部"}, "value": "3"},
    ]
    assert [o["value"] for o in element(view, "form/Vacation-1700000000019/type")["options"]] == [
        "1",
        "2",
        "3",
    ]
    assert element(view, "form/Vacation-1700000000019/begin_half")["initial_option"]["value"] == AM
    assert element(view, "form/Vacation-1700000000019/end_half")["initial_option"]["value"] == PM


def test_labels_placeholders_and_required_follow_the_template() -> None:
    view = view_of(every_control_template(), departments=DEPARTMENTS)
    text = inputs(view)["form/Text-1700000000001"]

    assert text["label"] == {"type": "plain_text", "text": "用印事由"}
    assert text["element"]["placeholder"] == {"type": "plain_text", "text": "请输入用印事由"}
    assert text["optional"] is False
    assert inputs(view)["form/Textarea-1700000000002"]["optional"] is True
    assert inputs(view)["form/Vacation-1700000000019/begin"]["label"]["text"] == "请假类型 · Start date"
    assert (
        inputs(view)["form/File-1700000000012"]["hint"]["text"] == "请上传盖章原件"
    )  # file_input has no placeholder


def test_tips_and_unfillable_controls_say_so_in_words() -> None:
    view = view_of(every_control_template(), departments=DEPARTMENTS)
    words = [json.dumps(b, ensure_ascii=False) for b in view["blocks"] if b["type"] in ("section", "context")]

    assert any(
        "用印类型说明：合同类用印须附合同原件，用印制度 (https://example.com/seal-policy)" in w for w in words
    )
    for title, kind in [
        ("用印地点", "Location"),
        ("收款账户", "BankAccount"),
        ("合计", "Formula"),
        ("补卡", "PunchCorrection"),
    ]:
        assert any(f"*{title}* can't be filled in from Slack" in w and f"({kind})" in w for w in words), title


def test_departments_without_a_list_are_explained_not_offered() -> None:
    view = view_of(every_control_template())

    assert "form/Contact-1700000000010" not in inputs(view)
    assert any(
        "Departments can't be chosen from Slack for this template." in json.dumps(b) for b in view["blocks"]
    )


def test_user_text_is_escaped_and_clipped() -> None:
    long = "长" * 3000
    form = template(
        Control("Tips", "Tips-1", "说明", text="<!channel> & <https://evil|click>"),
        Control("Text", "Text-1", long, placeholder=long),
        Control("Selector", "Selector-1", "S", options=(Option("a", long), Option("b", ""))),
        name="A travel request with a very long name indeed",
    )
    view = view_of(form, notice="WeCom refused it: <b>bad</b>")

    assert view["blocks"][0]["text"]["text"] == "⚠️ WeCom refused it: &lt;b&gt;bad&lt;/b&gt;"
    assert view["title"]["text"] == "A travel request with a…"
    assert view["blocks"][1]["text"]["text"] == "A travel request with a very long name indeed"
    assert view["blocks"][2]["text"]["text"] == "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"
    text = element(view, "form/Text-1")
    assert (
        len(inputs(view)["form/Text-1"]["label"]["text"]) == 2000 and len(text["placeholder"]["text"]) == 150
    )
    assert [o["text"]["text"] for o in element(view, "form/Selector-1")["options"]] == ["长" * 74 + "…", "b"]


def test_a_nameless_template_is_still_titled() -> None:
    assert view_of(template(*texts(1), name=" "), "zh_CN")["title"]["text"] == "审批"


# -- tables --------------------------------------------------------------------------------------------------


def test_a_table_with_three_rows() -> None:
    view = view_of(every_control_template(), departments=DEPARTMENTS, rows={TABLE: 3})
    row_inputs = [block_id for block_id in inputs(view) if block_id.startswith(f"form/{TABLE}/")]
    buttons = next(b for b in view["blocks"] if b["type"] == "actions")["elements"]

    assert row_inputs == [
        f"form/{TABLE}/{row}/{column}"
        for row in range(3)
        for column in (
            "Text-1700000000014",
            "Money-1700000000015",
            "Date-1700000000016",
            "Selector-1700000000017",
        )
    ]
    assert inputs(view)[f"form/{TABLE}/2/Money-1700000000015"]["label"]["text"] == "Row 3 · 金额"
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (ACTION_TABLE_ADD, TABLE, "Add row"),
        (ACTION_TABLE_REMOVE, TABLE, "Remove last row"),
    ]


def test_one_row_can_only_grow() -> None:
    view = view_of(every_control_template(), "zh_CN", departments=DEPARTMENTS)
    (actions,) = [b for b in view["blocks"] if b["type"] == "actions"]

    assert [b["action_id"] for b in actions["elements"]] == [ACTION_TABLE_ADD]
    assert actions["elements"][0]["text"]["text"] == "添加一行"
    assert inputs(view)[f"form/{TABLE}/0/Money-1700000000015"]["label"]["text"] == "金额"  # no row number


def test_add_row_disappears_when_another_row_would_not_fit() -> None:
    lines = Control("Table", "Table-1", "Lines", children=texts(3))
    crowded = template(*texts(92, "Textarea"), lines)  # header + 92 + table header + 3 + actions = 98

    room_for_none = view_of(crowded)
    two_rows = view_of(replace(crowded, controls=(*texts(89, "Textarea"), lines)), rows={"Table-1": 2})

    assert len(room_for_none["blocks"]) == 98
    assert room_for_none["blocks"][-1]["type"] == "context"
    assert "No room for another row" in room_for_none["blocks"][-1]["elements"][0]["text"]
    assert [b["action_id"] for b in two_rows["blocks"][-1]["elements"]] == [ACTION_TABLE_REMOVE]


def test_required_columns_are_enforced_by_slack_only_in_the_first_row_of_a_required_table() -> None:
    column = Control("Text", "Text-9", "Item", required=True)
    required = template(Control("Table", "T", "Lines", required=True, children=(column,)))
    optional = template(Control("Table", "T", "Lines", children=(column,)))

    first, second = (inputs(view_of(required, rows={"T": 2}))[f"form/T/{row}/Text-9"] for row in (0, 1))
    loose = inputs(view_of(optional))["form/T/0/Text-9"]

    assert (first["optional"], "hint" in first) == (False, False)
    assert (second["optional"], second["hint"]["text"]) == (True, "Required when this row is filled in.")
    assert (loose["optional"], loose["hint"]["text"]) == (True, "Required when this row is filled in.")


# -- refusals ------------------------------------------------------------------------------------------------


def test_more_than_100_blocks_is_refused_not_truncated() -> None:
    with pytest.raises(TemplateTooLarge) as raised:
        wecom_form(template(*texts(100)), "en", private_metadata="")

    assert str(raised.value) == (
        "Travel request needs 101 blocks, but a Slack dialog holds at most 100. "
        "Please submit it in WeCom instead."
    )
    assert len(view_of(template(*texts(99)))["blocks"]) == 100
    with pytest.raises(TemplateTooLarge, match="需要 101 个区块"):
        wecom_form(template(*texts(99)), "zh_CN", private_metadata="", notice="上次提交被企业微信拒绝")


def test_too_many_rows_is_refused_too() -> None:
    lines = Control("Table", "T", "Lines", children=texts(10))

    with pytest.raises(TemplateTooLarge, match="needs 103 blocks"):
        wecom_form(template(lines), "en", private_metadata="", rows={"T": 10})


@pytest.mark.parametrize(
    ("blocked", "message"),
    [
        (
            Control("Location", "Location-1", "会议地点", required=True),
            "“会议地点” is required, but it can't be filled in from Slack. "
            "Slack has no input for this kind of control (Location). "
            "Please submit Travel request in WeCom instead.",
        ),
        (
            Control(
                "Selector",
                "S-1",
                "城市",
                required=True,
                options=tuple(Option(str(i), str(i)) for i in range(101)),
            ),
            "“城市” is required, but it can't be filled in from Slack. "
            "It has 101 options, and Slack lists at most 100. Please submit Travel request in WeCom instead.",
        ),
        (
            Control("Contact", "C-1", "部门", required=True, contact_mode="department"),
            "“部门” is required, but it can't be filled in from Slack. "
            "Departments can't be chosen from Slack for this template. "
            "Please submit Travel request in WeCom instead.",
        ),
        (
            Control("Vacation", "V-1", "请假", required=True, date_type="halfday"),
            "“请假” is required, but it can't be filled in from Slack. "
            "It has no options to choose from. Please submit Travel request in WeCom instead.",
        ),
        (
            Control(
                "Table", "T-1", "明细", children=(*texts(1), Control("Formula", "F-1", "小计", required=True))
            ),
            "“小计” is required, but it can't be filled in from Slack. "
            "Slack has no input for this kind of control (Formula). "
            "Please submit Travel request in WeCom instead.",
        ),
        (
            Control(
                "Table", "T-1", "明细", required=True, children=(Control("Tips", "Tips-1", "说明", text="x"),)
            ),
            "“明细” is required, but it can't be filled in from Slack. "
            "None of its columns can be filled in from Slack. Please submit Travel request in WeCom instead.",
        ),
    ],
)
def test_a_required_control_slack_cannot_offer_refuses_the_template(blocked: Control, message: str) -> None:
    with pytest.raises(FormNotFillable) as raised:
        wecom_form(template(*texts(1), blocked), "en", private_metadata="")

    assert str(raised.value) == message


def test_refusals_speak_chinese_too() -> None:
    with pytest.raises(FormNotFillable) as raised:
        wecom_form(
            template(Control("BankAccount", "B-1", "收款账户", required=True)), "zh_CN", private_metadata=""
        )

    assert str(raised.value) == (
        "「收款账户」是必填项，但无法在 Slack 中填写。Slack 没有适用于此类控件（BankAccount）的输入方式。"
        "请改在企业微信中提交「Travel request」。"
    )


def test_optional_controls_slack_cannot_offer_are_explained_in_place() -> None:
    many = Control("Selector", "S-1", "城市", options=tuple(Option(str(i), str(i)) for i in range(101)))
    view = view_of(template(many))

    assert view["blocks"][1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "*城市* can't be filled in from Slack. "
                "It has 101 options, and Slack lists at most 100.",
            }
        ],
    }


# -- initial values ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_initial_values_round_trip(lang: str) -> None:
    form = every_control_template()
    answers = every_control_answers()
    view = view_of(form, lang, initial=answers, rows={TABLE: 2}, departments=DEPARTMENTS)

    read = read_submission(form, state_from_view(view), {TABLE: 2}, lang)

    assert isinstance(read, FilledForm)
    assert read.answers == answers


def test_initial_values_land_in_their_elements() -> None:
    view = view_of(
        every_control_template(), initial=every_control_answers(), rows={TABLE: 2}, departments=DEPARTMENTS
    )

    assert element(view, "form/Date-1700000000005")["initial_date"] == "2024-03-01"
    assert element(view, f"form/{TABLE}/0/Date-1700000000016")["initial_date_time"] == MARCH_1 + 9 * 3600
    assert element(view, "form/Selector-1700000000006")["initial_option"] == {
        "text": {"type": "plain_text", "text": "合同章"},
        "value": "option-1700000000007",
    }
    assert [o["value"] for o in element(view, "form/Contact-1700000000010")["initial_options"]] == ["3", "2"]
    assert element(view, "form/Contact-1700000000009")["initial_user"] == "U0AGENT"
    assert (
        element(view, "form/RelatedApproval-1700000000022")["initial_value"] == "202401010001, 202401010002"
    )
    assert element(view, "form/Vacation-1700000000019/begin")["initial_date"] == "2024-03-01"
    assert element(view, "form/Vacation-1700000000019/begin_half")["initial_option"]["value"] == PM
    assert element(view, "form/Vacation-1700000000019/end")["initial_date"] == "2024-03-02"
    assert element(view, "form/Vacation-1700000000019/end_half")["initial_option"]["value"] == AM


def test_files_cannot_be_prefilled_and_the_hint_says_so() -> None:
    upload = UploadedFile("F1", "scan.pdf", slack_file(1)["url_private"], "application/pdf")
    view = view_of(every_control_template(), initial={"File-1700000000012": (upload,)})
    block = inputs(view)["form/File-1700000000012"]

    assert "initial_files" not in block["element"]
    assert (
        block["hint"]["text"]
        == "请上传盖章原件 Files from the last attempt can't be carried over: attach them again."
    )


def test_initial_values_of_the_wrong_shape_are_ignored() -> None:
    wrong = {
        "Text-1700000000001": 5,
        "Number-1700000000003": "five",
        "Date-1700000000005": "2024-03-01",
        "Selector-1700000000006": ("gone",),
        "Contact-1700000000010": ("99",),
        TABLE: ("not a row",),
        "Vacation-1700000000019": DateSpan(MARCH_1, MARCH_1, "halfday", 43200),
        "Attendance-1700000000020": (10**12, 10**12),
    }
    view = view_of(every_control_template(), initial=wrong, departments=DEPARTMENTS)

    assert state_from_view(view) == state_from_view(
        view_of(every_control_template(), departments=DEPARTMENTS)
    )


def test_the_catalog_speaks_every_language_with_the_same_parameters() -> None:
    form_entries = {key: entry_ for key, entry_ in CATALOG.items() if key.startswith("form.")}
    assert form_entries
    for key, entry_ in form_entries.items():
        assert set(entry_) == set(LANGUAGES), key
        assert len({tuple(sorted(_fields(text))) for text in entry_.values()}) == 1, key


def test_the_modal_offers_exactly_what_the_reader_reads() -> None:
    assert READ_KINDS | {"Tips", "Table"} == set(KINDS)


# -- any template --------------------------------------------------------------------------------------------

ANY_KINDS = [*KINDS, "Location", "BankAccount", "Formula", "Mystery"]
_words = st.text(max_size=12) | st.sampled_from(["", " ", "长" * 2100, "<&>", "x" * 160])


@st.composite
def controls(draw: st.DrawFn, control_id: str, depth: int = 0) -> Control:
    kind = draw(st.sampled_from(ANY_KINDS))
    option_count = draw(st.integers(1, 4) | st.sampled_from([0, 101]))
    children = (
        tuple(draw(controls(f"{control_id}.{i}", depth + 1)) for i in range(draw(st.integers(0, 4))))
        if kind == "Table" and depth == 0
        else ()
    )
    return Control(
        kind=kind,
        id=control_id,
        title=draw(_words),
        placeholder=draw(_words),
        required=draw(st.integers(0, 3)) == 0,
        date_type=draw(st.sampled_from(["day", "hour", "halfday", ""])),
        multi=draw(st.booleans()),
        options=tuple(Option(f"option-{i}", draw(_words)) for i in range(option_count)),
        contact_mode=draw(st.sampled_from(["user", "department"])),
        children=children,
        attendance_type=draw(st.sampled_from([0, 1, 3, 4, 5])),
        text=draw(_words),
    )


@st.composite
def templates(draw: st.DrawFn) -> Template:
    count = draw(st.integers(0, 10))
    return Template(
        "wecom", "tpl", "alias", draw(_words), tuple(draw(controls(f"c{i}")) for i in range(count))
    )


def element_states(block: dict[str, Any], well_formed: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A value Slack could send for this input, mostly a valid one; unless `well_formed`, anything at all."""
    element_ = block["element"]
    kind = element_["type"]
    field, _, empty = _STATE_OF_INITIAL[kind]
    offered = element_.get("options") or [option_object("x")]
    values: dict[str, st.SearchStrategy[Any]] = {
        "plain_text_input": st.text(st.characters(exclude_characters="\r\n"), max_size=20),
        "number_input": st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,2})?", fullmatch=True),
        "datepicker": st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat),
        "datetimepicker": st.integers(0, 4_102_444_800),
        "static_select": st.sampled_from(offered),
        "multi_static_select": st.lists(st.sampled_from(offered), max_size=3, unique_by=lambda o: o["value"]),
        "users_select": st.from_regex(r"U[A-Z0-9]{8}", fullmatch=True),
        "multi_users_select": st.lists(st.from_regex(r"U[A-Z0-9]{8}", fullmatch=True), max_size=3),
        "file_input": st.lists(st.integers(0, 99).map(slack_file), max_size=4, unique_by=lambda f: f["id"]),
    }
    proper = st.one_of(values[kind], values[kind], st.just(empty)).map(
        lambda value: entry(kind, **{field: value})
    )
    if well_formed:
        return proper
    odd = {"plain_text_input": st.text(max_size=20), "number_input": st.text("0123456789.-+e ", max_size=8)}
    junk = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=5), inner, max_size=2),
        max_leaves=6,
    )
    return st.one_of(
        proper,
        odd.get(kind, st.nothing()).map(lambda value: entry(kind, **{field: value})),
        junk.map(lambda value: entry(kind, **{field: value})),
        junk,
    )


def without_files(answers: Mapping[str, Any]) -> bool:
    def has_file(value: Any) -> bool:
        if isinstance(value, tuple):
            return any(
                isinstance(v, UploadedFile) or (isinstance(v, Mapping) and any(map(has_file, v.values())))
                for v in value
            )
        return False

    return not any(map(has_file, answers.values()))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_any_template_builds_a_valid_view_or_a_plain_refusal(data: st.DataObject) -> None:
    form = data.draw(templates())
    tables = [c.id for c in form.controls if c.kind == "Table"]
    rows = {t: data.draw(st.integers(0, 4)) for t in tables}
    departments = data.draw(
        st.sampled_from([(), DEPARTMENTS, tuple(Option(str(i), "d") for i in range(101))])
    )
    lang = data.draw(st.sampled_from([*LANGUAGES, "xx"]))
    notice = data.draw(_words)
    try:
        view = wecom_form(form, lang, private_metadata="m", rows=rows, departments=departments, notice=notice)
    except (TemplateTooLarge, FormNotFillable) as refusal:
        event(type(refusal).__name__)
        assert str(refusal)
        return
    assert_valid(view)

    well_formed = data.draw(st.booleans())
    state = {
        block_id: data.draw(element_states(block, well_formed)) for block_id, block in inputs(view).items()
    }
    result = read_submission(form, state, rows, lang)

    if isinstance(result, dict):
        event("errors")
        assert result and set(result) <= set(inputs(view)), "errors must land on inputs of the view"
        return
    assert isinstance(result, FilledForm)
    if not well_formed or not without_files(result.answers):
        return
    # What was read comes back as the initial values of a new view, and reads back the same.
    event("round trip")
    again = {t: max(1, len(result.answers.get(t, ()))) for t in tables}
    view = wecom_form(
        form, lang, private_metadata="m", rows=again, initial=result.answers, departments=departments
    )
    assert_valid(view)
    reread = read_submission(form, state_from_view(view), again, lang)
    assert isinstance(reread, FilledForm) and reread.answers == result.answers


def test_files_in_table_rows_count_towards_the_limit_of_the_view() -> None:
    """The reader's file limit applies to file inputs the builder made (a smoke test of the shared ids)."""
    form = every_control_template()
    view = view_of(form, rows={TABLE: 1}, departments=DEPARTMENTS)
    state = state_from_view(view) | {"form/File-1700000000012": files(*range(7))}

    assert read_submission(form, state, {TABLE: 1}, "en") == {
        "form/Text-1700000000001": "This is required.",
        "form/Number-1700000000003": "This is required.",
        "form/Money-1700000000004": "This is required.",
        "form/Date-1700000000005": "This is required.",
        "form/Selector-1700000000006": "This is required.",
        "form/File-1700000000012": "An approval takes at most 6 files in all; counting these, it has 7.",
    }


@pytest.mark.parametrize("length", [2_998, 10_000])
def test_a_refusal_notice_of_any_length_is_clamped_with_its_warning_sign(length: int) -> None:
    """What the "Edit and resubmit" form shows on top: WeCom's reason, escaped once, then clamped."""
    reason = ("<b> & " * length)[:length]
    view = view_of(template(*texts(1)), notice=t("submit.refused_notice", "en", reason=reason))
    assert_valid(view)
    notice = view["blocks"][0]["text"]["text"]
    assert notice.startswith("⚠️ The last attempt was refused: &lt;b&gt; &amp; ")
    assert len(notice) <= SECTION_LIMIT and notice.endswith("…") and "&amp;amp;" not in notice

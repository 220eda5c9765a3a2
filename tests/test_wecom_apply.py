"""FilledForm -> oa/applyevent body: each control against the spec's examples, the flow, limits, summary."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.forms import Control, DateSpan, FilledForm, Option, Template, UploadedFile
from bot.providers.wecom.apply import ApproverNode, build_apply_request, summary_lines
from bot.providers.wecom.kinds.attendance import day_weights as _day_weights

FIXTURES = Path(__file__).parent / "fixtures" / "wecom" / "apply"
TEMPLATE_ID = "3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioeFXkaaa"
USERS = {"U_WU": ("WuJunJie", "Jackie"), "U_WANG": ("WangXiaoMing", "Tom"), "U_LI": ("lisi007", "李四")}
DEPARTMENTS = {"2": "销售部", "3": "生产部"}
SPEC_MEDIA_ID = "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K1aaa"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def wecom_user(slack_id: str) -> tuple[str, str]:
    if slack_id not in USERS:
        raise LookupError(f"no WeCom user for {slack_id}")
    return USERS[slack_id]


def media_id(upload: UploadedFile) -> str:
    return SPEC_MEDIA_ID if upload.slack_id == "F_SPEC" else f"media-{upload.slack_id}"


def department_name(key: str) -> str:
    return DEPARTMENTS.get(key, "")


def form(*controls: Control, answers: dict[str, Any], name: str = "全字段") -> FilledForm:
    return FilledForm(Template("wecom", TEMPLATE_ID, "all", name, tuple(controls)), answers)


def build(filled: FilledForm, **options: Any) -> dict[str, Any]:
    options.setdefault("media_id", media_id)
    return build_apply_request(
        filled, creator="WangXiaoMing", wecom_user=wecom_user, department_name=department_name, **options
    )


def assert_same_json(actual: Any, expected: Any) -> None:
    """Equal as JSON text too: 1 == 1.0 == True in Python, and "700" vs 700 is exactly what must not slip."""
    assert actual == expected
    assert json.dumps(actual, sort_keys=True, ensure_ascii=False) == json.dumps(
        expected, sort_keys=True, ensure_ascii=False
    )


def span(begin: int, end: int, unit: str, duration: int) -> DateSpan:
    return DateSpan(begin=begin, end=end, unit=unit, duration=duration)


# -- every control against the spec's example (fixtures/wecom/apply/*.json) ------------------------------

TEXT_IN_TABLE = Control("Text", "Text-15111111111", "明细内文本控件")
LEAVE_TYPES = (Option("1", "年假"), Option("3", "病假"))

CASES = [
    ("text", Control("Text", "Text-15111111111", "文本控件"), "文本填写的内容"),
    ("textarea", Control("Textarea", "Textarea-15111111111", "多行文本控件"), "文本填写的内容\n第二行"),
    ("number", Control("Number", "Number-15111111111", "数字控件"), "700"),
    ("money", Control("Money", "Money-15111111111", "金额控件"), "700"),
    ("date", Control("Date", "Date-15111111111", "日期控件", date_type="day"), 1569859200),
    (
        "selector",
        Control(
            "Selector",
            "Selector-15111111111",
            "多选控件",
            multi=True,
            options=(Option("option-15111111111", "选项1"), Option("option-15222222222", "选项2")),
        ),
        ("option-15111111111", "option-15222222222"),
    ),
    (
        "contact_members",
        Control("Contact", "Contact-15111111111", "成员控件", multi=True, contact_mode="user"),
        ("U_WU", "U_WANG"),
    ),
    (
        "contact_departments",
        Control("Contact", "Contact-15222222222", "部门控件", multi=True, contact_mode="department"),
        ("2", "3"),
    ),
    (
        "file",
        Control("File", "File-15111111111", "附件控件"),
        (UploadedFile("F_SPEC", "a.pdf", "https://x/a"),),
    ),
    (
        "table",
        Control("Table", "Table-15111111111", "明细控件", children=(TEXT_IN_TABLE,)),
        ({"Text-15111111111": "明细文本"},),
    ),
    (
        "vacation",
        Control("Vacation", "Vacation-15111111111", "请假控件", date_type="hour", options=LEAVE_TYPES),
        ("3", span(1568077200, 1568368800, "hour", 291600)),
    ),
    (
        "attendance",
        Control("Attendance", "Attendance-15111111111", "外出控件", date_type="halfday", attendance_type=4),
        span(1570550400, 1570593600, "halfday", 86400),
    ),
    (
        "attendance_two_days",
        Control("Attendance", "Attendance-15111111111", "外出控件", date_type="halfday", attendance_type=4),
        span(1713801600, 1713931200, "halfday", 172800),
    ),
    (
        "date_range",
        Control("DateRange", "DateRange-15111111111", "时长控件", date_type="halfday"),
        span(1570550400, 1570636800, "halfday", 129600),
    ),
    (
        "related_approval",
        Control("RelatedApproval", "RelatedApproval-15111111111", "关联审批单控件"),
        ("202011180001",),
    ),
    ("phone_number", Control("PhoneNumber", "PhoneNumber-15111111111", "电话号码控件"), "+62 87827717730"),
]


@pytest.mark.parametrize(("name", "control", "answer"), CASES, ids=[case[0] for case in CASES])
def test_each_control_matches_the_spec_example(name: str, control: Control, answer: Any) -> None:
    body = build(form(control, answers={control.id: answer}))

    (content,) = body["apply_data"]["contents"]
    assert_same_json(content, fixture(name))


def test_the_spec_request_example_field_for_field() -> None:
    """The spec's 请求示例, with the summary this module writes in place of the example's three lines."""
    filled = form(
        Control("Text", "Text-15111111111", "文本控件"), answers={"Text-15111111111": "文本填写的内容"}
    )
    process = [ApproverNode(1, ("abc", "bcd"), apv_rel=1), ApproverNode(1, ("abc",), apv_rel=1)]

    assert_same_json(build(filled, process=process, choose_department=2), fixture("request"))


def test_a_date_with_time_is_of_type_hour() -> None:
    date = Control("Date", "Date-1", "开始时间", date_type="hour")

    (content,) = build(form(date, answers={"Date-1": 1569888000}))["apply_data"]["contents"]

    assert_same_json(content["value"], {"date": {"type": "hour", "s_timestamp": "1569888000"}})


def test_a_single_selector_and_unanswered_controls_and_tips() -> None:
    controls = (
        Control("Tips", "Tips-1", "说明", text="请如实填写"),
        Control("Selector", "Selector-1", "单选", options=(Option("o1", "一"), Option("o2", "二"))),
        Control("Text", "Text-1", "备注"),
    )

    contents = build(form(*controls, answers={"Selector-1": ("o2",)}))["apply_data"]["contents"]

    assert_same_json(
        contents,
        [
            {
                "control": "Selector",
                "id": "Selector-1",
                "title": [{"text": "单选", "lang": "zh_CN"}],
                "value": {"selector": {"type": "single", "options": [{"key": "o2"}]}},
            }
        ],
    )


def test_contents_follow_template_order_not_answer_order() -> None:
    first, second = Control("Text", "Text-1", "一"), Control("Number", "Number-1", "二")

    contents = build(form(first, second, answers={"Number-1": "2", "Text-1": "1"}))["apply_data"]["contents"]

    assert [c["id"] for c in contents] == ["Text-1", "Number-1"]


def test_table_rows_keep_their_order_and_skip_unanswered_cells() -> None:
    children = (Control("Text", "Text-2", "项目"), Control("Money", "Money-2", "金额"))
    table = Control("Table", "Table-1", "明细", children=children)
    rows = ({"Text-2": "机票", "Money-2": "1200.00"}, {"Money-2": "80.00"})

    (content,) = build(form(table, answers={"Table-1": rows}))["apply_data"]["contents"]

    lists = [[(cell["id"], cell["value"]) for cell in row["list"]] for row in content["value"]["children"]]
    assert lists == [
        [("Text-2", {"text": "机票"}), ("Money-2", {"new_money": "1200.00"})],
        [("Money-2", {"new_money": "80.00"})],
    ]


def test_english_titles_and_summary_when_asked() -> None:
    body = build(form(Control("Text", "Text-1", "Reason"), answers={"Text-1": "trip"}), lang="en")

    assert body["apply_data"]["contents"][0]["title"] == [{"text": "Reason", "lang": "en"}]
    assert body["summary_list"] == [{"summary_info": [{"text": "Reason: trip", "lang": "en"}]}]


def test_lang_must_be_spelled_as_wecom_wants() -> None:
    with pytest.raises(ValueError, match="lang"):
        build(form(Control("Text", "Text-1", "Reason"), answers={"Text-1": "x"}), lang="zh-CN")


# -- phone numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "area", "number"),
    [
        ("+62 87827717730", "+62", "87827717730"),
        ("+86-13800000000", "+86", "13800000000"),
        ("13800000000", "+86", "13800000000"),
    ],
)
def test_phone_numbers_split_into_area_and_number(written: str, area: str, number: str) -> None:
    phone = Control("PhoneNumber", "PhoneNumber-1", "电话")

    (content,) = build(form(phone, answers={"PhoneNumber-1": written}))["apply_data"]["contents"]

    assert content["value"] == {"phonenumber": {"area": area, "number": number}}


def test_a_country_code_run_into_the_number_is_refused() -> None:
    phone = Control("PhoneNumber", "PhoneNumber-1", "电话")

    with pytest.raises(ValueError, match="country code"):
        build(form(phone, answers={"PhoneNumber-1": "+6287827717730"}))


# -- the flow: the template's or the one chosen in Slack ---------------------------------------------------


def test_without_a_process_the_template_flow_is_used() -> None:
    body = build(form(Control("Text", "Text-1", "事由"), answers={"Text-1": "x"}))

    assert body["use_template_approver"] == 1
    assert "process" not in body
    assert "choose_department" not in body


def test_a_chosen_process_replaces_the_template_flow() -> None:
    process = [
        ApproverNode(1, ("LiuDaShu",), apv_rel=2),
        ApproverNode(3, ("ZhaoLiu",), apv_rel=3),
        ApproverNode(2, ("WuJunJie", "lisi007")),
    ]

    body = build(
        form(Control("Text", "Text-1", "事由"), answers={"Text-1": "x"}), process=process, choose_department=3
    )

    assert body["use_template_approver"] == 0
    assert body["choose_department"] == 3
    assert_same_json(
        body["process"],
        {
            "node_list": [
                {"type": 1, "apv_rel": 2, "userid": ["LiuDaShu"]},
                {"type": 3, "apv_rel": 3, "userid": ["ZhaoLiu"]},
                {"type": 2, "userid": ["WuJunJie", "lisi007"]},
            ]
        },
    )


@pytest.mark.parametrize("kind", [1, 3])
def test_approver_and_handler_nodes_need_apv_rel(kind: int) -> None:
    with pytest.raises(ValueError, match="apv_rel"):
        ApproverNode(kind, ("abc",))
    with pytest.raises(ValueError, match="apv_rel"):
        ApproverNode(kind, ("abc",), apv_rel=4)


def test_cc_nodes_take_no_apv_rel() -> None:
    with pytest.raises(ValueError, match="apv_rel"):
        ApproverNode(2, ("abc",), apv_rel=1)


@pytest.mark.parametrize(("kind", "userids"), [(4, ("abc",)), (1, ())])
def test_nodes_of_unknown_type_or_nobody_are_refused(kind: int, userids: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="node"):
        ApproverNode(kind, userids, apv_rel=1)


# -- limits and refusals -------------------------------------------------------------------------------------


def uploads(count: int, prefix: str = "F") -> tuple[UploadedFile, ...]:
    return tuple(UploadedFile(f"{prefix}{i}", f"{i}.pdf", f"https://files/{i}") for i in range(count))


def test_six_files_are_fine_seven_are_refused_before_any_upload() -> None:
    attachments = Control("File", "File-1", "附件")
    table = Control("Table", "Table-1", "明细", children=(Control("File", "File-2", "票据"),))
    uploaded: list[str] = []

    def upload(file: UploadedFile) -> str:
        uploaded.append(file.slack_id)
        return f"media-{file.slack_id}"

    six = {"File-1": uploads(4), "Table-1": ({"File-2": uploads(1, "R")}, {"File-2": uploads(1, "S")})}
    assert len(build(form(attachments, table, answers=six), media_id=upload)["apply_data"]["contents"]) == 2
    assert len(uploaded) == 6

    uploaded.clear()
    seven = {**six, "File-1": uploads(5)}
    with pytest.raises(ValueError, match="at most 6 attachments"):
        build(form(attachments, table, answers=seven), media_id=upload)
    assert uploaded == []


def test_an_unmapped_member_raises_lookup_error() -> None:
    contact = Control("Contact", "Contact-1", "同行人", multi=True, contact_mode="user")

    with pytest.raises(LookupError, match="U_NOBODY"):
        build(form(contact, answers={"Contact-1": ("U_WU", "U_NOBODY")}))


def test_a_line_break_in_a_one_line_text_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        build(form(Control("Text", "Text-1", "事由"), answers={"Text-1": "a\nb"}))


def test_a_number_that_is_not_text_is_refused() -> None:
    """new_number is a JSON string (附2): an int slipping through would change the type on the wire."""
    with pytest.raises(ValueError, match="expected text"):
        build(form(Control("Number", "Number-1", "天数"), answers={"Number-1": 3}))


def test_an_answered_control_the_bot_cannot_fill_is_refused() -> None:
    with pytest.raises(ValueError, match="Location"):
        build(form(Control("Location", "Location-1", "地点"), answers={"Location-1": "somewhere"}))


@pytest.mark.parametrize(
    "bad",
    [
        span(1570550400 + 3600, 1570593600, "halfday", 86400),  # 01:00 is neither half-day mark
        span(1570593600, 1570550400, "halfday", 86400),  # ends before it begins
        span(1570550400, 1570593600, "day", 86400),  # no such unit
    ],
)
def test_ranges_wecom_would_refuse(bad: DateSpan) -> None:
    trip = Control("Attendance", "Attendance-1", "出差", date_type="halfday", attendance_type=3)

    with pytest.raises(ValueError, match="出差"):
        build(form(trip, answers={"Attendance-1": bad}))


def test_attendance_needs_a_known_type() -> None:
    untyped = Control("Attendance", "Attendance-1", "外出", date_type="hour")

    with pytest.raises(ValueError, match="Attendance type"):
        build(form(untyped, answers={"Attendance-1": span(1570582800, 1570590000, "hour", 7200)}))


def test_overtime_spans_at_most_seven_days() -> None:
    overtime = Control("Attendance", "Attendance-1", "加班", date_type="halfday", attendance_type=5)
    monday = 1713801600 - 86400  # 2024-04-22 00:00 +08:00

    week = span(monday, monday + 6 * 86400 + 43200, "halfday", 7 * 86400)
    assert (
        len(attendance_of(build(form(overtime, answers={"Attendance-1": week})))["slice_info"]["day_items"])
        == 7
    )
    eight_days = span(monday, monday + 7 * 86400, "halfday", 7 * 86400 + 43200)
    with pytest.raises(ValueError, match="7 days"):
        build(form(overtime, answers={"Attendance-1": eight_days}))


# -- Attendance slice_info -----------------------------------------------------------------------------------


def attendance_of(body: dict[str, Any]) -> dict[str, Any]:
    (content,) = body["apply_data"]["contents"]
    return content["value"]["attendance"]


def test_one_day_gets_no_slices() -> None:
    outing = Control("Attendance", "Attendance-1", "外出", date_type="hour", attendance_type=4)

    attendance = attendance_of(
        build(form(outing, answers={"Attendance-1": span(1570582800, 1570590000, "hour", 7200)}))
    )

    assert "slice_info" not in attendance


def test_two_days_by_hours_are_sliced_at_midnight_in_multiples_of_360() -> None:
    """2019-10-09 09:15 -> 10-10 18:00 (+08:00): 14h45 then 18h, 32.75 h in all."""
    trip = Control("Attendance", "Attendance-1", "出差", date_type="hour", attendance_type=3)
    begin, end = 1570583700, 1570701600

    attendance = attendance_of(
        build(form(trip, answers={"Attendance-1": span(begin, end, "hour", end - begin)}))
    )

    items = attendance["slice_info"]["day_items"]
    assert [item["daytime"] for item in items] == [1570550400, 1570636800]
    assert all(item["duration"] % 360 == 0 for item in items)
    assert sum(item["duration"] for item in items) == attendance["date_range"]["new_duration"]
    assert (
        abs(attendance["date_range"]["new_duration"] - (end - begin)) <= 180
    )  # rounded to the nearest 0.1 h
    assert [item["duration"] for item in items] == [53280, 64800]  # 14.8 h (14.75 rounded up) and 18 h


def test_half_days_split_by_which_halves_fall_on_each_day() -> None:
    """Afternoon of 10-09 to morning of 10-11: half, whole, half."""
    trip = Control("Attendance", "Attendance-1", "出差", date_type="halfday", attendance_type=3)
    answer = span(1570593600, 1570723200, "halfday", 172800)

    items = attendance_of(build(form(trip, answers={"Attendance-1": answer})))["slice_info"]["day_items"]

    assert items == [
        {"daytime": 1570550400, "duration": 43200},
        {"daytime": 1570636800, "duration": 86400},
        {"daytime": 1570723200, "duration": 43200},
    ]


def test_overtime_half_days_use_steps_of_8640() -> None:
    overtime = Control("Attendance", "Attendance-1", "加班", date_type="halfday", attendance_type=5)
    answer = span(1570593600, 1570636800, "halfday", 60480)  # 0.7 day asked over two half-days

    items = attendance_of(build(form(overtime, answers={"Attendance-1": answer})))["slice_info"]["day_items"]

    assert [item["duration"] for item in items] == [34560, 25920]  # 4 and 3 steps of 8640
    assert all(item["duration"] % 8640 == 0 for item in items)


# -- summary_list --------------------------------------------------------------------------------------------


def shown(line: str) -> str:
    """What WeCom displays: ID-translation tokens replaced by the names they stand for."""
    names = {userid: name for userid, name in USERS.values()}
    return re.sub(r"\$userName=([^$]+)\$", lambda m: names[m[1]], line)


def test_summary_takes_the_first_three_answered_controls_within_20_characters() -> None:
    controls = (
        Control("Tips", "Tips-1", "说明", text="请如实填写"),
        Control("File", "File-1", "附件"),
        Control("Text", "Text-1", "事由"),
        Control("Table", "Table-1", "明细", children=(Control("Text", "Text-9", "项"),)),
        Control("Money", "Money-1", "金额"),
        Control("Text", "Text-2", "未填"),
        Control("Date", "Date-1", "日期", date_type="day"),
        Control("Number", "Number-1", "第四个"),
    )
    answers = {
        "File-1": uploads(1),
        "Text-1": "去上海参加客户的年度技术交流会议并做报告",
        "Table-1": ({"Text-9": "x"},),
        "Money-1": "4839.00",
        "Date-1": 1569859200,
        "Number-1": "4",
    }

    lines = summary_lines(form(*controls, answers=answers))

    assert lines == ["事由: 去上海参加客户的年度技术交流会…", "金额: 4839.00", "日期: 2019-10-01"]
    assert all(len(line) <= 20 for line in lines)


def test_summary_in_the_body_is_one_summary_info_per_line() -> None:
    controls = (Control("Text", "Text-1", "事由"), Control("Number", "Number-1", "天数"))
    body = build(form(*controls, answers={"Text-1": "出差", "Number-1": "3"}))

    assert_same_json(
        body["summary_list"],
        [
            {"summary_info": [{"text": "事由: 出差", "lang": "zh_CN"}]},
            {"summary_info": [{"text": "天数: 3", "lang": "zh_CN"}]},
        ],
    )


def test_summary_falls_back_to_the_template_name() -> None:
    filled = form(Control("File", "File-1", "附件"), answers={"File-1": uploads(1)}, name="报销申请")

    assert summary_lines(filled) == ["报销申请"]
    assert build(filled)["summary_list"] == [{"summary_info": [{"text": "报销申请", "lang": "zh_CN"}]}]


def test_summary_clips_a_long_template_name_too() -> None:
    filled = form(answers={}, name="一个名字特别特别特别特别特别特别长的审批模板")

    assert summary_lines(filled) == ["一个名字特别特别特别特别特别特别长的审…"]


def test_summary_names_members_with_id_translation_counted_as_their_names() -> None:
    contact = Control("Contact", "Contact-1", "同行", multi=True, contact_mode="user")
    filled = form(contact, answers={"Contact-1": ("U_LI", "U_WU", "U_WANG")})

    (line,) = summary_lines(filled, wecom_user=wecom_user)

    # shown as "同行: 李四, Jackie, Tom": 19 characters, so nothing is cut though far longer as sent
    assert line == "同行: $userName=lisi007$, $userName=WuJunJie$, $userName=WangXiaoMing$"
    assert len(shown(line)) == 19


def test_summary_never_cuts_a_translation_token() -> None:
    contact = Control("Contact", "Contact-1", "同行的同事", multi=True, contact_mode="user")
    filled = form(contact, answers={"Contact-1": ("U_LI", "U_WU", "U_WANG")})

    (line,) = summary_lines(filled, wecom_user=wecom_user)

    assert line == "同行的同事: $userName=lisi007$, $userName=WuJunJie$,…"
    assert len(shown(line)) <= 20


def test_summary_passes_over_members_it_cannot_name() -> None:
    contact = Control("Contact", "Contact-1", "同行", contact_mode="user")
    filled = form(
        contact, Control("Text", "Text-1", "事由"), answers={"Contact-1": ("U_LI",), "Text-1": "出差"}
    )

    assert summary_lines(filled) == ["事由: 出差"]


def test_summary_shows_option_texts_departments_and_ranges() -> None:
    controls = (
        Control(
            "Selector", "Selector-1", "类型", multi=True, options=(Option("o1", "交通"), Option("o2", "住宿"))
        ),
        Control("Contact", "Contact-1", "部门", contact_mode="department"),
        Control("Vacation", "Vacation-1", "假", options=LEAVE_TYPES),
        Control("DateRange", "DateRange-1", "时长", date_type="halfday"),
    )
    answers = {
        "Selector-1": ("o2", "o1"),
        "Contact-1": ("2", "99"),
        "Vacation-1": ("3", span(1570550400, 1570593600, "halfday", 86400)),
        "DateRange-1": span(1570550400, 1570593600, "halfday", 86400),
    }

    lines = summary_lines(
        form(*controls, answers=answers), department_name=department_name, limit=4, width=40
    )

    assert lines == [
        "类型: 住宿, 交通",
        "部门: 销售部, 99",
        "假: 病假 2019-10-09 AM–2019-10-09 PM",
        "时长: 2019-10-09 AM–2019-10-09 PM",
    ]


def test_summary_turns_line_breaks_into_spaces() -> None:
    filled = form(Control("Textarea", "Textarea-1", "说明"), answers={"Textarea-1": "第一行\n第二行"})

    assert summary_lines(filled) == ["说明: 第一行 第二行"]


# -- any form over any template ------------------------------------------------------------------------------

MIDNIGHT = 1570550400  # 2019-10-09 00:00 +08:00
text_line = st.text(alphabet=st.characters(exclude_characters="\r\n"), max_size=30)


@st.composite
def spans(draw: st.DrawFn, unit: str, max_days: int = 10) -> DateSpan:
    if unit == "halfday":
        begin = MIDNIGHT + draw(st.integers(0, 60)) * 43200
        halves = draw(st.integers(0, 2 * max_days - 1))
        return span(begin, begin + halves * 43200, unit, (halves + 1) * 43200)
    begin = MIDNIGHT + draw(st.integers(0, 30 * 86400))
    end = begin + draw(st.integers(0, max_days * 86400 - 1))
    return span(begin, end, unit, end - begin)


@st.composite
def control_and_answer(draw: st.DrawFn, cid: str, in_table: bool = False) -> tuple[Control, Any]:
    """A control of any kind the bot submits, and an answer of the shape forms.py promises (or None)."""
    kinds = ["Text", "Textarea", "Number", "Money", "Date", "Selector", "Contact", "Tips", "File"]
    kinds += ["Vacation", "Attendance", "DateRange", "RelatedApproval", "PhoneNumber"]
    kind = draw(st.sampled_from(kinds if in_table else [*kinds, "Table"]))
    title = draw(st.text(min_size=1, max_size=12))
    unit = draw(st.sampled_from(["halfday", "hour"]))
    options = tuple(
        Option(f"option-{i}", draw(st.text(min_size=1, max_size=8))) for i in range(draw(st.integers(1, 4)))
    )
    keys = [o.key for o in options]
    control = Control(kind, f"{kind}-{cid}", title)
    answer: Any
    if kind == "Text":
        answer = draw(text_line)
    elif kind == "Textarea":
        answer = draw(st.text(max_size=60))
    elif kind == "Number":
        answer = str(draw(st.integers(-(10**9), 10**9)))
    elif kind == "Money":
        cents = draw(st.integers(0, 10**11))
        answer = f"{cents // 100}.{cents % 100:02d}"
    elif kind == "Date":
        control = Control(kind, control.id, title, date_type=draw(st.sampled_from(["day", "hour"])))
        answer = draw(st.integers(0, 4_102_444_800))
    elif kind == "Selector":
        multi = draw(st.booleans())
        control = Control(kind, control.id, title, multi=multi, options=options)
        chosen = draw(
            st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys) if multi else 1, unique=True)
        )
        answer = tuple(chosen)
    elif kind == "Contact":
        mode = draw(st.sampled_from(["user", "department"]))
        control = Control(kind, control.id, title, multi=True, contact_mode=mode)
        pool = list(USERS) if mode == "user" else [*DEPARTMENTS, "7", "42"]
        answer = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))
    elif kind == "Tips":
        control = Control(kind, control.id, title, text=draw(st.text(max_size=20)))
        answer = None
    elif kind == "File":
        answer = uploads(draw(st.integers(1, 3)), prefix=f"{cid}-")
    elif kind == "Vacation":
        control = Control(kind, control.id, title, date_type=unit, options=options, attendance_type=1)
        answer = (draw(st.sampled_from(keys)), draw(spans(unit)))
    elif kind == "Attendance":
        kind_of_leave = draw(st.sampled_from([3, 4, 5]))
        control = Control(kind, control.id, title, date_type=unit, attendance_type=kind_of_leave)
        answer = draw(spans(unit, max_days=7 if kind_of_leave == 5 else 10))
    elif kind == "DateRange":
        control = Control(kind, control.id, title, date_type=unit)
        answer = draw(spans(unit))
    elif kind == "RelatedApproval":
        answer = tuple(draw(st.lists(st.from_regex(r"20[0-9]{10}", fullmatch=True), min_size=1, max_size=3)))
    elif kind == "PhoneNumber":
        answer = draw(st.from_regex(r"(\+[1-9][0-9]{0,2} )?1[0-9]{10}", fullmatch=True))
    else:  # Table
        cells = [
            draw(control_and_answer(f"{cid}-{j}", in_table=True)) for j in range(draw(st.integers(1, 3)))
        ]
        control = Control(kind, control.id, title, children=tuple(c for c, _ in cells))
        rows = []
        for _ in range(draw(st.integers(1, 3))):
            row = {c.id: a for c, a in cells if a is not None and draw(st.booleans())}
            rows.append(row)
        answer = tuple(rows)
    return control, answer if answer is None or draw(st.booleans()) else None


@st.composite
def filled_forms(draw: st.DrawFn) -> FilledForm:
    pairs = [draw(control_and_answer(str(i))) for i in range(draw(st.integers(0, 8)))]
    answers = {control.id: answer for control, answer in pairs if answer is not None}
    return form(
        *(control for control, _ in pairs), answers=answers, name=draw(st.text(min_size=1, max_size=30))
    )


def every_content(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    nested = [
        cell
        for content in contents
        if content["control"] == "Table"
        for row in content["value"]["children"]
        for cell in every_content(row["list"])
    ]
    return [*contents, *nested]


def files_in(filled: FilledForm) -> int:
    def count(controls: tuple[Control, ...], answers: dict[str, Any]) -> int:
        total = 0
        for control in controls:
            if control.id in answers and control.kind == "File":
                total += len(answers[control.id])
            elif control.id in answers and control.kind == "Table":
                total += sum(count(control.children, row) for row in answers[control.id])
        return total

    return count(filled.template.controls, filled.answers)


def long_overtime(filled: FilledForm) -> bool:
    """附12: 加班的时间跨度不能超过七天 (days as the builder counts them for slice_info)."""
    return any(
        control.kind == "Attendance"
        and control.attendance_type == 5
        and isinstance(span := filled.answers.get(control.id), DateSpan)
        and span.end >= span.begin
        and len(_day_weights(span)) > 7
        for control in filled.template.controls
    )


@settings(max_examples=200)
@given(filled_forms())
def test_any_form_gives_a_well_formed_body(filled: FilledForm) -> None:
    if files_in(filled) > 6:
        with pytest.raises(ValueError, match="attachments"):
            build(filled)
        return
    if long_overtime(filled):
        with pytest.raises(ValueError, match="overtime cannot span more than 7 days"):
            build(filled)
        return

    body = build(filled)

    json.loads(json.dumps(body, ensure_ascii=False))
    contents = body["apply_data"]["contents"]
    assert [c["id"] for c in contents] == [
        c.id for c in filled.template.controls if c.id in filled.answers and c.kind != "Tips"
    ]
    for content in every_content(contents):
        assert set(content) == {"control", "id", "title", "value"}
        assert content["control"] != "Tips"
        if content["control"] == "Attendance":
            attendance = content["value"]["attendance"]
            items = attendance.get("slice_info", {}).get("day_items", [])
            assert all(item["duration"] % 360 == 0 for item in items)
            assert not items or sum(i["duration"] for i in items) == attendance["date_range"]["new_duration"]
    assert 1 <= len(body["summary_list"]) <= 3
    for line in body["summary_list"]:
        (info,) = line["summary_info"]
        assert info["lang"] == "zh_CN"
        assert 1 <= len(shown(info["text"])) <= 20
        assert len(info["text"].splitlines()) == 1

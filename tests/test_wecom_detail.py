"""WeCom detail responses -> Snapshot: flow, display text of every control, summary, bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.model import (
    ApprovalMode,
    ApprovalStatus,
    Comment,
    FormField,
    Member,
    MemberStatus,
    Node,
    NodeType,
    Snapshot,
)
from bot.providers.wecom.detail import DetailParseError, parse_approval_detail, parse_open_approval_data

FIXTURES = Path(__file__).parent / "fixtures" / "wecom"


def detail_info() -> dict[str, Any]:
    return json.loads((FIXTURES / "approval_detail.json").read_text(encoding="utf-8"))["info"]


def open_data() -> dict[str, Any]:
    return json.loads((FIXTURES / "open_approval_data.json").read_text(encoding="utf-8"))["data"]


def control(kind: str, value: Any, title: str = "控件") -> dict[str, Any]:
    return {"control": kind, "id": f"{kind}-1", "title": [{"text": title, "lang": "zh_CN"}], "value": value}


def rendered(*controls: dict[str, Any]) -> tuple[FormField, ...]:
    """The fields of an otherwise unchanged fixture whose form holds just these controls."""
    info = detail_info()
    info["apply_data"] = {"contents": list(controls)}
    return parse_approval_detail(info).fields


def value_of(kind: str, value: Any) -> str:
    (field,) = rendered(control(kind, value))
    return field.value


# -- getapprovaldetail: the flow ---------------------------------------------------------------------------


def test_detail_maps_every_flow_field() -> None:
    snapshot = parse_approval_detail(detail_info())

    assert snapshot.provider == "wecom"
    assert snapshot.number == "201909270002"
    assert snapshot.template_id == "Bs5KJ2NT4ncf4ZygaE8MB3779yUW8nsMaJd3mmE9v"
    assert snapshot.template_name == "全字段"
    assert snapshot.status is ApprovalStatus.PENDING
    assert snapshot.applicant == "WuJunJie"
    assert snapshot.applicant_party == "2"
    assert snapshot.apply_time == 1569584428
    assert snapshot.cc == ("LiuXiaoGang",)
    assert snapshot.comments == (
        Comment(
            "6741314136717778040",
            "WuJunJie",
            1569584111,
            "这是备注信息",
            ("WWCISP_comment_1", "WWCISP_comment_2"),
        ),
    )
    assert (snapshot.action, snapshot.event_time, snapshot.current_step) == (None, 0, None)
    assert snapshot.has_details is True


def test_detail_nodes_come_from_process_list() -> None:
    snapshot = parse_approval_detail(detail_info())

    assert snapshot.nodes == (
        Node(
            NodeType.APPROVER,
            ApprovalMode.ANY,
            MemberStatus.APPROVED,
            (
                Member("LiuDaShu", MemberStatus.APPROVED, "同意", 1569590000, ("media-approve-1",)),
                Member("ZhaoLiu"),
            ),
        ),
        Node(
            NodeType.APPROVER,
            ApprovalMode.SEQUENTIAL,
            MemberStatus.PENDING,
            (
                Member("WangXiaoMing", MemberStatus.APPROVED, "", 1569591000),
                Member("XiaoGangHuang"),
                Member("XiaoHongLiu"),
            ),
        ),
        Node(NodeType.CC, ApprovalMode.ALL, MemberStatus.PENDING, (Member("LiuXiaoGang"),)),
        Node(
            NodeType.HANDLER,
            ApprovalMode.ALL,
            MemberStatus.PENDING,
            (Member("HandlerOne"), Member("HandlerTwo")),
        ),
    )


def test_detail_sequential_step_waits_on_the_next_in_line() -> None:
    snapshot = parse_approval_detail(detail_info())

    assert snapshot.current_node() is snapshot.nodes[1]
    assert snapshot.waiting_on() == ("XiaoGangHuang",)
    assert snapshot.all_cc() == ("LiuXiaoGang",)  # Notifyer and the CC node name the same person


def test_detail_or_sign_step_waits_on_everyone_pending() -> None:
    info = detail_info()
    info["process_list"]["node_list"][0]["sp_status"] = 1
    info["process_list"]["node_list"][0]["sub_node_list"][0]["sp_yj"] = 1

    assert parse_approval_detail(info).waiting_on() == ("LiuDaShu", "ZhaoLiu")


def test_detail_accepts_media_id_spelling_on_sub_nodes() -> None:
    info = detail_info()
    sub = info["process_list"]["node_list"][0]["sub_node_list"][0]
    sub["media_id"] = sub.pop("media_ids")

    assert parse_approval_detail(info).nodes[0].members[0].media_ids == ("media-approve-1",)


@pytest.mark.parametrize("process_list", [None, {}, {"node_list": []}])
def test_detail_falls_back_to_sp_record(process_list: dict[str, Any] | None) -> None:
    info = detail_info()
    if process_list is None:
        del info["process_list"]
    else:
        info["process_list"] = process_list

    snapshot = parse_approval_detail(info)

    assert snapshot.nodes == (
        Node(
            NodeType.APPROVER,
            ApprovalMode.ANY,  # approverattr 1 = 或签
            MemberStatus.APPROVED,
            (
                Member("LiuDaShu", MemberStatus.APPROVED, "同意", 1569590000, ("media-approve-1",)),
                Member("ZhaoLiu"),
            ),
        ),
        Node(
            NodeType.APPROVER,
            ApprovalMode.ALL,  # approverattr 2 = 会签
            MemberStatus.PENDING,
            (
                Member("WangXiaoMing", MemberStatus.APPROVED, "", 1569591000),
                Member("XiaoGangHuang"),
                Member("XiaoHongLiu"),
            ),
        ),
    )
    assert snapshot.waiting_on() == ("XiaoGangHuang", "XiaoHongLiu")  # 会签: everyone not yet approved


def test_detail_snapshot_holds_no_raw_dicts() -> None:
    snapshot = parse_approval_detail(detail_info())

    hash(snapshot)  # a dict or list anywhere inside would make this fail
    assert all(isinstance(f.value, str) and isinstance(f.title, str) for f in snapshot.fields)


# -- getapprovaldetail: the form ---------------------------------------------------------------------------


EXPECTED_FIELDS = (
    FormField("文本控件", "文本填写的内容"),
    FormField("多行文本控件", "第一行\n第二行"),
    FormField("数字控件", "700"),
    FormField("金额控件", "700.00"),
    FormField("日期控件", "2019-10-01"),
    FormField("日期+时间控件", "2019-10-01 09:50"),
    FormField("单选/多选控件", "选项1, 选项2"),
    FormField("成员控件", "Jackie, Tom, NoNameUser"),
    FormField("部门控件", "销售部, 生产部"),
    FormField("附件控件", "2 files"),
    FormField(
        "明细控件",
        "明细内文本控件: 明细文本1; 明细内金额控件: 10.50\n明细内文本控件: 明细文本2; 明细内金额控件: 20.00",
    ),
    FormField("请假类型", "病假, 2019-09-10 09:00 – 2019-09-13 18:00 (81 hours)"),
    FormField("外出", "2019-10-09 AM – 2019-10-09 PM (1 day), outing"),
    FormField("补卡控件", "迟到, 2019-10-09 00:00"),
    FormField("时长控件", "2019-10-09 AM – 2019-10-10 AM (1.5 days)"),
    FormField("位置控件", "腾讯成都大厦 (四川省成都市武侯区天府三街198号)"),
    FormField("关联审批单控件", "202011180001 (模板A)"),
    FormField("公式控件", "5.0"),
    FormField("收款账户控件", "张三, 6222000000000000, 招商银行, 深圳分行"),
    FormField("电话号码控件", "+86, 13800000000"),
)


def test_every_control_type_is_rendered_and_tips_are_skipped() -> None:
    snapshot = parse_approval_detail(detail_info())

    assert snapshot.fields == EXPECTED_FIELDS
    assert "说明文字控件" not in [f.title for f in snapshot.fields]


def test_summary_falls_back_to_the_first_filled_fields() -> None:
    snapshot = parse_approval_detail(detail_info())

    assert snapshot.summary == ("文本控件: 文本填写的内容", "多行文本控件: 第一行; 第二行", "数字控件: 700")


def test_summary_fallback_skips_empty_fields() -> None:
    info = detail_info()
    info["apply_data"]["contents"][0]["value"]["text"] = ""

    summary = parse_approval_detail(info).summary

    assert summary == ("多行文本控件: 第一行; 第二行", "数字控件: 700", "金额控件: 700.00")


def test_summary_lines_from_the_response_win() -> None:
    info = detail_info()
    info["summary_list"] = [
        {"summary_info": [{"text": "Line 1", "lang": "en"}, {"text": "摘要第1行", "lang": "zh_CN"}]},
        {"summary_info": [{"text": "摘要第2行", "lang": "zh_CN"}]},
        {"summary_info": []},
        {"summary_info": [{"text": "Only English", "lang": "en"}]},
        {"summary_info": [{"text": "摘要第5行", "lang": "zh_CN"}]},
    ]

    assert parse_approval_detail(info).summary == ("摘要第1行", "摘要第2行", "Only English")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ([{"text": "Amount", "lang": "en"}, {"text": "金额", "lang": "zh_CN"}], "金额"),
        ([{"text": "Amount", "lang": "en"}, {"text": "Betrag", "lang": "de"}], "Amount"),
        ([{"text": "", "lang": "zh_CN"}, {"text": "Amount", "lang": "en"}], "Amount"),
        ([], ""),
        (None, ""),
        ("not a list", ""),
    ],
)
def test_titles_prefer_zh_cn(title: Any, expected: str) -> None:
    (field,) = rendered({"control": "Number", "title": title, "value": {"new_number": "1"}})

    assert field.title == expected


@pytest.mark.parametrize(
    ("money", "expected"),
    [("700", "700.00"), ("0.5", "0.50"), ("1234.567", "1234.57"), ("-3", "-3.00"), ("", "")],
)
def test_money_has_two_decimals(money: str, expected: str) -> None:
    assert value_of("Money", {"new_money": money}) == expected


@pytest.mark.parametrize("money", ["abc", "1e5", "NaN", "Infinity", "1,000"])
def test_money_that_is_not_a_plain_number_is_shown_as_sent(money: str) -> None:
    assert value_of("Money", {"new_money": money}) == money


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ({"type": "day", "s_timestamp": "1569859199"}, "2019-09-30"),  # 23:59:59 in Shanghai, 15:59 UTC
        (
            {"type": "day", "s_timestamp": "1569859200"},
            "2019-10-01",
        ),  # midnight in Shanghai, 16:00 UTC before
        ({"type": "hour", "s_timestamp": "1569859200"}, "2019-10-01 00:00"),
        ({"type": "hour", "s_timestamp": 1569894600}, "2019-10-01 09:50"),
        ({"type": "day", "s_timestamp": ""}, ""),
        ({"type": "day"}, ""),
        ({"type": "day", "s_timestamp": "99999999999999999999"}, ""),  # no plausible time
        ({"type": "day", "s_timestamp": "-1"}, ""),
        ({"type": "day", "s_timestamp": -1}, ""),
    ],
)
def test_dates_are_shown_in_shanghai_time(date: dict[str, Any], expected: str) -> None:
    assert value_of("Date", {"date": date}) == expected


def test_selector_falls_back_to_first_text_then_key() -> None:
    options = [
        {"key": "a", "value": [{"text": "Yes", "lang": "en"}]},
        {"key": "option-b"},
        {"key": "c", "value": [{"text": "否", "lang": "zh_CN"}, {"text": "No", "lang": "en"}]},
    ]

    assert value_of("Selector", {"selector": {"type": "multi", "options": options}}) == "Yes, option-b, 否"


@pytest.mark.parametrize(("files", "expected"), [([{"file_id": "x"}], "1 file"), ([], ""), (None, "")])
def test_file_count(files: Any, expected: str) -> None:
    assert value_of("File", {"files": files}) == expected


def test_attendance_types_and_hour_ranges() -> None:
    attendance = {
        "date_range": {"type": "hour", "new_begin": 1568077200, "new_end": 1568080800, "new_duration": 3600},
        "type": 5,
    }

    assert (
        value_of("Attendance", {"attendance": attendance})
        == "2019-09-10 09:00 – 2019-09-10 10:00 (1 hour), overtime"
    )


def test_table_rows_skip_tips_and_empty_rows() -> None:
    rows = [
        {"list": [control("Tips", {}), control("Number", {"new_number": "3"}, "数量")]},
        {"list": []},
        {"list": [control("Date", {"date": {"type": "day", "s_timestamp": "1569859200"}}, "日期")]},
    ]

    assert value_of("Table", {"children": rows}) == "数量: 3\n日期: 2019-10-01"


def test_location_without_title_and_address_shows_coordinates() -> None:
    assert value_of("Location", {"location": {"latitude": "30.5", "longitude": "104.0"}}) == "30.5, 104.0"


def test_unknown_control_with_nested_controls_is_rendered_best_effort() -> None:
    resignation = {
        "date": control("Date", {"date": {"type": "day", "s_timestamp": "1569859200"}}, "离职日期"),
        "reason": {
            "control": "Textarea",
            "title": [{"text": "Reason", "lang": "en"}, {"text": "离职原因", "lang": "zh_CN"}],
            "value": {"text": "个人发展"},
        },
        "docs": [],
    }

    assert value_of("Resignation", resignation) == "离职日期: 2019-10-01, 离职原因: 个人发展"


def test_unknown_control_with_plain_values() -> None:
    value = {"score": 5, "comment": {"text": "很好", "lang": "zh_CN"}, "flag": True, "none": None}

    assert value_of("Rating", value) == "5, 很好"


CONTROL_KINDS = [
    "Text",
    "Textarea",
    "Number",
    "Money",
    "Date",
    "Selector",
    "Contact",
    "Tips",
    "File",
    "Table",
    "Vacation",
    "Attendance",
    "PunchCorrection",
    "DateRange",
    "Location",
    "RelatedApproval",
    "Formula",
    "BankAccount",
    "PhoneNumber",
    "SomethingNew",
]

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([-1, 2**63, 10**400, "1569859200", "-1", "1e9", "halfday", "hour", "zh_CN"])
    | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
# The keys the renderers look for, so that hypothesis reaches their branches.
# fmt: off
KEYS = st.sampled_from([
    "text", "new_number", "new_money", "date", "s_timestamp", "type", "selector", "options", "value",
    "key", "members", "departments", "files", "children", "list", "vacation", "attendance", "date_range",
    "new_begin", "new_end", "new_duration", "punch_correction", "time", "state", "location", "title",
    "related_approval", "template_names", "sp_no", "formula", "bank_account", "control", "lang",
])
# fmt: on
SHAPED = st.recursive(
    JSON,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)


@given(kind=st.sampled_from(CONTROL_KINDS), value=SHAPED, title=JSON)
def test_no_control_shape_can_crash_the_snapshot(kind: str, value: Any, title: Any) -> None:
    fields = rendered({"control": kind, "title": title, "value": value})

    assert all(isinstance(f.value, str) and isinstance(f.title, str) for f in fields)


# -- getapprovaldetail: bad input --------------------------------------------------------------------------


def _set(info: dict[str, Any], path: list[Any], new: Any) -> None:
    target = info
    for step in path[:-1]:
        target = target[step]
    if new is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = new


@pytest.mark.parametrize(
    ("path", "new", "message"),
    [
        (["sp_status"], 5, "sp_status: unknown code"),
        (["sp_status"], 0, "sp_status: unknown code"),
        (["process_list", "node_list", 0, "sub_node_list", 0, "sp_yj"], 9, "sp_yj: unknown code"),
        (["process_list", "node_list", 1, "sp_status"], 16, "sp_status: unknown code"),
        (["process_list", "node_list", 1, "node_type"], 4, "node_type: unknown code"),
        (["process_list", "node_list", 1, "apv_rel"], 0, "apv_rel: unknown code"),
        (["sp_record", 0, "approverattr"], 3, "approverattr: unknown code"),
        (["sp_record", 0, "details", 0, "sp_status"], 5, "sp_status: unknown code"),
    ],
)
def test_detail_unknown_codes_are_errors(path: list[Any], new: Any, message: str) -> None:
    info = detail_info()
    if path[0] == "sp_record":
        del info["process_list"]
    _set(info, path, new)

    with pytest.raises(DetailParseError, match=message):
        parse_approval_detail(info)


@pytest.mark.parametrize(
    ("path", "new", "message"),
    [
        (["sp_no"], KeyError, "sp_no missing"),
        (["sp_no"], "", "sp_no missing"),
        (["template_id"], KeyError, "template_id missing"),
        (["sp_status"], KeyError, "sp_status missing"),
        (["apply_time"], KeyError, "apply_time missing"),
        (["applyer"], KeyError, "userid missing"),
        (["applyer", "userid"], None, "userid missing"),
        (["process_list", "node_list", 1, "sub_node_list", 0, "userid"], KeyError, "userid missing"),
        (["process_list", "node_list", 1, "node_type"], KeyError, "node_type missing"),
        (["notifyer", 0, "userid"], KeyError, "userid missing"),
        (["comments", 0, "commentid"], KeyError, "commentid missing"),
        (["comments", 0, "commentUserInfo"], KeyError, "userid missing"),
    ],
)
def test_detail_missing_required_fields_are_errors(path: list[Any], new: Any, message: str) -> None:
    info = detail_info()
    _set(info, path, new)

    with pytest.raises(DetailParseError, match=message):
        parse_approval_detail(info)


@pytest.mark.parametrize(
    ("path", "new", "message"),
    [
        (["sp_status"], "abc", "not an integer"),
        (["sp_status"], 1.0, "not an integer"),
        (["sp_status"], True, "not an integer"),
        (["apply_time"], "1569584428.5", "not an integer"),
        (["apply_time"], "-1", "not an integer"),
        (["apply_time"], -1, "not an integer"),
        (["process_list", "node_list", 0, "sub_node_list", 0, "sptime"], [1], "not an integer"),
        (["comments", 0, "commenttime"], "soon", "not an integer"),
        (["applyer"], "WuJunJie", "applyer is not an object"),
        (["process_list", "node_list"], "nodes", "node_list is not a list of objects"),
        (["process_list", "node_list", 0, "sub_node_list"], [1, 2], "sub_node_list is not a list of objects"),
        (["comments", 0, "media_id"], "one", "media_id is not a list"),
    ],
)
def test_detail_malformed_values_are_errors(path: list[Any], new: Any, message: str) -> None:
    info = detail_info()
    _set(info, path, new)

    with pytest.raises(DetailParseError, match=message):
        parse_approval_detail(info)


def test_detail_integers_may_come_as_digit_strings() -> None:
    info = detail_info()
    info["sp_status"] = "2"
    info["apply_time"] = " 1569584428 "

    snapshot = parse_approval_detail(info)

    assert (snapshot.status, snapshot.apply_time) == (ApprovalStatus.APPROVED, 1569584428)


def test_detail_rejects_a_non_object() -> None:
    with pytest.raises(DetailParseError):
        parse_approval_detail(["not", "a", "dict"])  # type: ignore[arg-type]


# -- getopenapprovaldata ----------------------------------------------------------------------------------


OPEN_SAMPLE = Snapshot(
    provider="wecom_open",
    number="thirdNoxxx",
    template_id="1234567111",
    template_name="付款",
    status=ApprovalStatus.PENDING,
    applicant="WuJunJie",
    apply_time=1527837645,
    applicant_party="产品部",
    nodes=(Node(NodeType.APPROVER, ApprovalMode.ANY, MemberStatus.PENDING, (Member("XiaoWen"),)),),
    cc=("GuoJinHui",),
    current_step=0,
    has_details=True,
)


def test_open_data_maps_every_field() -> None:
    snapshot = parse_open_approval_data(open_data())

    assert snapshot == OPEN_SAMPLE
    assert snapshot.waiting_on() == ("XiaoWen",)
    hash(snapshot)


def test_open_data_with_several_nodes_follows_approver_step() -> None:
    data = open_data()
    data["ApprovalNodes"]["ApprovalNode"][0]["NodeStatus"] = 2
    data["ApprovalNodes"]["ApprovalNode"][0]["Items"]["Item"][0].update(
        ItemStatus=2, ItemSpeech="同意", ItemOpTime=1527838000
    )
    data["ApprovalNodes"]["ApprovalNode"].append(
        {
            "NodeStatus": 1,
            "NodeAttr": 2,
            "NodeType": 3,
            "Items": {
                "Item": [
                    {
                        "ItemName": "a",
                        "ItemUserId": "Alice",
                        "ItemStatus": 1,
                        "ItemSpeech": "",
                        "ItemOpTime": 0,
                    },
                    {
                        "ItemName": "b",
                        "ItemUserId": "Bob",
                        "ItemStatus": 1,
                        "ItemSpeech": "",
                        "ItemOpTime": 0,
                    },
                ]
            },
        }
    )
    data["ApproverStep"] = 1

    snapshot = parse_open_approval_data(data)

    assert snapshot.nodes == (
        Node(
            NodeType.APPROVER,
            ApprovalMode.ANY,
            MemberStatus.APPROVED,
            (Member("XiaoWen", MemberStatus.APPROVED, "同意", 1527838000),),
        ),
        Node(NodeType.APPROVER, ApprovalMode.ALL, MemberStatus.PENDING, (Member("Alice"), Member("Bob"))),
    )
    assert snapshot.current_node() is snapshot.nodes[1]
    assert snapshot.waiting_on() == ("Alice", "Bob")


def test_open_data_accepts_the_callbacks_spellings() -> None:
    data = open_data()
    data["OpenSpStatus"] = data.pop("OpenSpstatus")
    item = data["ApprovalNodes"]["ApprovalNode"][0]["Items"]["Item"][0]
    item["ItemUserid"] = item.pop("ItemUserId")

    assert parse_open_approval_data(data) == OPEN_SAMPLE


def test_open_data_tolerates_a_lone_object_for_a_list() -> None:
    data = open_data()
    data["ApprovalNodes"]["ApprovalNode"] = data["ApprovalNodes"]["ApprovalNode"][0]
    data["NotifyNodes"]["NotifyNode"] = data["NotifyNodes"]["NotifyNode"][0]

    assert parse_open_approval_data(data) == OPEN_SAMPLE


def test_open_data_without_optional_parts() -> None:
    data = open_data()
    for key in ("ApproverStep", "NotifyNodes", "ApplyUserParty", "OpenSpName"):
        del data[key]

    snapshot = parse_open_approval_data(data)

    assert (snapshot.current_step, snapshot.cc, snapshot.applicant_party, snapshot.template_name) == (
        None,
        (),
        "",
        "",
    )


@pytest.mark.parametrize("status", [0, 5, 6, 7, 10])
def test_open_data_status_beyond_the_engines_four_is_an_error(status: int) -> None:
    data = open_data()
    data["OpenSpstatus"] = status

    with pytest.raises(DetailParseError, match="OpenSpstatus: unknown code"):
        parse_open_approval_data(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("ThirdNo"), "ThirdNo missing"),
        (lambda d: d.pop("ApplyUserId"), "ApplyUserId missing"),
        (lambda d: d.pop("OpenSpstatus"), "OpenSpStatus missing"),
        (lambda d: d.update(ApplyTime="yesterday"), "not an integer"),
        (lambda d: d.update(ApproverStep="first"), "not an integer"),
        (lambda d: d["ApprovalNodes"]["ApprovalNode"][0].update(NodeAttr=3), "NodeAttr: unknown code"),
        (lambda d: d["ApprovalNodes"]["ApprovalNode"][0].update(NodeStatus=8), "NodeStatus: unknown code"),
        (
            lambda d: d["ApprovalNodes"]["ApprovalNode"][0]["Items"]["Item"][0].update(ItemStatus=0),
            "ItemStatus",
        ),
        (lambda d: d["ApprovalNodes"]["ApprovalNode"][0]["Items"]["Item"][0].pop("ItemUserId"), "ItemUserId"),
        (lambda d: d["NotifyNodes"]["NotifyNode"][0].pop("ItemUserId"), "ItemUserId or ItemUserid missing"),
        (lambda d: d.update(ApprovalNodes=[]), "ApprovalNodes is not an object"),
    ],
)
def test_open_data_errors(change: Any, message: str) -> None:
    data = copy.deepcopy(open_data())
    change(data)

    with pytest.raises(DetailParseError, match=message):
        parse_open_approval_data(data)

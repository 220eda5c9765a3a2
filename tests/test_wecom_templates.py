"""oa/gettemplatedetail -> Template: every control kind and its config, tolerant of what WeCom may add.

The fixture follows the reply of WeCom's "获取审批模板详情" (developer.work.weixin.qq.com/document/path/91982:
template_names, template_content.controls[].property/config, config.date/selector/contact/table/attendance/
vacation_list), with the extra property fields (inner_id, un_replace, display), selector extras (exp_type,
op_relations, external_option) and the tips_content/sub_text shape of Tips as real replies carry them
(WxJava's WxCpOaApprovalTemplateResultTest and TemplateTips* beans), and DateRange's date_range config as in
WxJava's TemplateDateRange. WeCom allows one Vacation or Attendance control per template; the fixture holds
both, to cover both mappings.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.forms import Control, Option, Template
from bot.providers.wecom.templates import TemplateParseError, parse_template_detail

FIXTURE = Path(__file__).parent / "fixtures" / "wecom" / "templates" / "every_control.json"


def every_control_reply() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def every_control_template() -> Template:
    return parse_template_detail(every_control_reply(), alias="seal", template_id="tpl-seal")


def parse_controls(*controls: dict[str, Any]) -> tuple[Control, ...]:
    reply = {
        "template_names": [{"text": "T", "lang": "zh_CN"}],
        "template_content": {"controls": list(controls)},
    }
    return parse_template_detail(reply, alias="a", template_id="t").controls


def raw_control(kind: str, config: dict[str, Any] | None = None, **prop: Any) -> dict[str, Any]:
    property_ = {"control": kind, "id": f"{kind}-1", "title": [{"text": "标题", "lang": "zh_CN"}], **prop}
    return {"property": property_} if config is None else {"property": property_, "config": config}


def test_every_control_maps_every_attribute() -> None:
    expected = Template(
        provider="wecom",
        id="tpl-seal",
        alias="seal",
        name="用印申请（全部控件）",
        controls=(
            Control("Text", "Text-1700000000001", "用印事由", "请输入用印事由", required=True),
            Control("Textarea", "Textarea-1700000000002", "详细说明", "请详细说明"),
            Control("Number", "Number-1700000000003", "用印份数", "请填写份数", required=True),
            Control("Money", "Money-1700000000004", "合同金额", "单位：元", required=True),
            Control("Date", "Date-1700000000005", "用印日期", "请选择", required=True, date_type="day"),
            Control(
                "Selector",
                "Selector-1700000000006",
                "印章类型",
                "请选择",
                required=True,
                options=(
                    Option("option-1700000000006", "公章"),
                    Option("option-1700000000007", "合同章"),  # zh_CN picked though listed second
                    Option("option-1700000000008", "法人章"),
                ),
            ),
            Control("Contact", "Contact-1700000000009", "经办人", "请选择", contact_mode="user"),
            Control(
                "Contact",
                "Contact-1700000000010",
                "费用承担部门",
                "请选择",
                multi=True,
                contact_mode="department",
            ),
            Control(
                "Tips",
                "Tips-1700000000011",
                "说明",
                text="用印类型说明：合同类用印须附合同原件，用印制度 (https://example.com/seal-policy)",
            ),
            Control("File", "File-1700000000012", "附件", "请上传盖章原件"),
            Control(
                "Table",
                "Table-1700000000013",
                "费用明细",
                children=(
                    Control("Text", "Text-1700000000014", "费用项目", "请输入", required=True),
                    Control("Money", "Money-1700000000015", "金额", "请输入金额", required=True),
                    Control("Date", "Date-1700000000016", "发生时间", date_type="hour"),
                    Control(
                        "Selector",
                        "Selector-1700000000017",
                        "费用类别",
                        multi=True,
                        options=(
                            Option("option-1700000000017", "交通"),
                            Option("option-1700000000018", "住宿"),
                        ),
                    ),
                ),
            ),
            Control(
                "Vacation",
                "Vacation-1700000000019",
                "请假类型",
                date_type="halfday",
                options=(Option("1", "年假"), Option("2", "事假"), Option("3", "病假")),
                attendance_type=1,
            ),
            Control("Attendance", "Attendance-1700000000020", "出差", date_type="hour", attendance_type=3),
            Control("Location", "Location-1700000000021", "用印地点"),
            Control("RelatedApproval", "RelatedApproval-1700000000022", "关联审批单", "填写审批编号"),
            Control("PhoneNumber", "PhoneNumber-1700000000023", "联系电话", "请输入"),
            Control("DateRange", "DateRange-1700000000024", "时长", date_type="halfday"),
            Control("BankAccount", "BankAccount-1700000000025", "收款账户"),
            Control("Formula", "Formula-1700000000026", "合计"),
            Control("PunchCorrection", "PunchCorrection-1700000000027", "补卡"),  # unknown to the form model
        ),
    )

    assert every_control_template() == expected


def test_texts_fall_back_to_the_first_language_when_there_is_no_zh_cn() -> None:
    reply = every_control_reply()
    reply["template_names"] = [{"text": "Leave", "lang": "en"}, {"text": "Congé", "lang": "fr"}]
    first = reply["template_content"]["controls"][0]["property"]
    first["title"] = [{"text": "", "lang": "zh_CN"}, {"text": "Reason", "lang": "en"}]
    first["placeholder"] = []

    template = parse_template_detail(reply, alias="a", template_id="t")

    assert template.name == "Leave"
    assert (template.controls[0].title, template.controls[0].placeholder) == ("Reason", "")


def test_options_accept_the_create_template_shape_and_keys_as_numbers() -> None:
    options = [
        {"key": "option-1", "value": {"text": "选项1", "lang": "zh_CN"}},
        {"key": 7, "value": []},
        {"value": []},
    ]
    (selector,) = parse_controls(raw_control("Selector", {"selector": {"type": "multi", "options": options}}))

    assert selector.multi
    assert selector.options == (Option("option-1", "选项1"), Option("7", "7"))  # no text: the key shows


def test_config_inside_property_is_read_too() -> None:
    """Some SDKs model config as a property field; a reply shaped that way still parses."""
    raw = raw_control("Date")
    raw["property"]["config"] = {"date": {"type": "hour"}}

    assert parse_controls(raw)[0].date_type == "hour"


def test_defaults_when_a_config_is_missing() -> None:
    controls = parse_controls(
        raw_control("Date"),
        raw_control("Selector"),
        raw_control("Contact"),
        raw_control(
            "Vacation", {"vacation_list": {"item": [{"id": 1, "name": [{"text": "年假", "lang": "zh_CN"}]}]}}
        ),
        raw_control("Attendance", {"attendance": {"type": "4"}}),
        raw_control("DateRange"),
        raw_control("Tips"),
        raw_control("Table"),
    )

    date, selector, contact, vacation, attendance, date_range, tips, table = controls
    assert date.date_type == "day"
    assert (selector.multi, selector.options) == (False, ())
    assert (contact.multi, contact.contact_mode) == (False, "user")
    assert (vacation.date_type, vacation.attendance_type, vacation.options) == (
        "halfday",
        1,
        (Option("1", "年假"),),
    )
    assert (attendance.date_type, attendance.attendance_type) == ("halfday", 4)
    assert date_range.date_type == "halfday"
    assert tips.text == ""
    assert table.children == ()


def test_tips_pick_zh_cn_and_render_links() -> None:
    def content(lang: str, *subs: dict[str, Any]) -> dict[str, Any]:
        return {"text": {"sub_text": list(subs)}, "lang": lang}

    plain = {"type": 1, "content": {"plain_text": {"content": "见 "}}}
    titled = {"type": 2, "content": {"link": {"title": "制度", "url": "https://example.com/p"}}}
    bare = {"type": 2, "content": {"link": {"url": "https://example.com/q"}}}
    config = {"tips": {"tips_content": [content("en", plain), content("zh_CN", plain, titled, bare)]}}

    (tips,) = parse_controls(raw_control("Tips", config))

    assert tips.text == "见 制度 (https://example.com/p)https://example.com/q"


def test_require_flag() -> None:
    controls = [raw_control("Text", require=value) for value in (1, "1", 0, None, True)]
    for index, raw in enumerate(controls):
        raw["property"]["id"] = f"Text-{index}"

    assert [c.required for c in parse_controls(*controls)] == [True, True, False, False, False]


@pytest.mark.parametrize(
    "reply",
    [
        [],
        {"errcode": 0},
        {"template_content": []},
        {"template_content": {"controls": [{"property": {"control": "Text"}}]}},
        {"template_content": {"controls": [{"property": {"id": "Text-1"}}]}},
        {
            "template_content": {
                "controls": [raw_control("Table", {"table": {"children": [{"property": {}}]}})]
            }
        },
    ],
)
def test_replies_that_are_not_templates_are_refused(reply: Any) -> None:
    with pytest.raises(TemplateParseError):
        parse_template_detail(reply, alias="a", template_id="t")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_config_keys = st.sampled_from(
    ["date", "selector", "contact", "tips", "table", "attendance", "vacation_list", "date_range", "options"]
)


@given(
    kind=st.sampled_from(
        ["Date", "Selector", "Contact", "Tips", "Table", "Vacation", "Attendance", "DateRange", "X"]
    ),
    config=st.dictionaries(_config_keys, _json, max_size=3),
    title=_json,
    require=_json,
)
def test_any_config_yields_a_control_or_a_parse_error(
    kind: str, config: dict[str, Any], title: Any, require: Any
) -> None:
    raw = {"property": {"control": kind, "id": "c-1", "title": title, "require": require}, "config": config}
    reply = {"template_names": title, "template_content": {"controls": [copy.deepcopy(raw)]}}

    try:
        (control,) = parse_template_detail(reply, alias="a", template_id="t").controls
    except TemplateParseError:
        return
    assert control.kind == kind and isinstance(control.title, str)
    assert all(isinstance(o.key, str) and o.key and isinstance(o.text, str) for o in control.options)

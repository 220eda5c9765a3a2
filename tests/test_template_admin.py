"""WeCom template management: every rule of the create/update_template spec checked before WeCom is called,
each problem named beside its control; the client calls; current bodies and diffs; the sandbox's answers."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import from_dict
from bot.i18n import LANGUAGES, t
from bot.offline.sandbox import Sandbox
from bot.provider_ports import ControlChange, ProviderError, TemplateProblem
from bot.providers.wecom.client import WeComClient, WeComRefused
from bot.providers.wecom.setup import setup
from bot.providers.wecom.template_admin import (
    KINDS,
    WeComTemplates,
    body_from_detail,
    template_diff,
    template_problems,
)
from bot.providers.wecom.templates import parse_template_detail
from bot.store.tinydb import TinyDBStore
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import AES_KEY, CORP_ID, SECRET, TOKEN

FIXTURE = Path(__file__).parent / "fixtures" / "wecom" / "templates" / "every_control.json"
Json = dict[str, Any]


def zh(text: str) -> list[Json]:
    return [{"text": text, "lang": "zh_CN"}]


# A valid config for every kind that needs one; the others take none.
CONFIGS: dict[str, Json] = {
    "Date": {"date": {"type": "day"}},
    "Selector": {
        "selector": {
            "type": "single",
            "options": [
                {"key": "option-1", "value": {"text": "公章", "lang": "zh_CN"}},
                {"key": "option-2", "value": zh("合同章")},
            ],
        }
    },
    "Contact": {"contact": {"type": "multi", "mode": "department"}},
    "Tips": {
        "tips": {
            "tips_content": [
                {
                    "lang": "zh_CN",
                    "text": {
                        "sub_text": [
                            {"type": 1, "content": {"plain_text": {"content": "须附合同原件"}}},
                            {"type": 2, "content": {"link": {"title": "制度", "url": "https://example.com"}}},
                        ]
                    },
                }
            ]
        }
    },
    "File": {"file": {"is_only_photo": 0}},
    "Table": {
        "table": {
            "children": [
                {"property": {"control": "Text", "id": "Text-90", "title": zh("项目"), "require": 1}},
                {"property": {"control": "Money", "id": "Money-91", "title": zh("金额")}},
            ]
        }
    },
    "Vacation": {
        "vacation_list": {"item": [{"id": 1, "name": zh("年假")}]},
        "attendance": {"date_range": {"type": "halfday"}, "type": 1},
    },
    "Attendance": {"attendance": {"date_range": {"type": "hour"}, "type": 3}},
    "DateRange": {"date_range": {"type": "halfday", "official_holiday": 0, "perday_duration": 86400}},
}


def control(kind: str, number: int, title: str | list[Json] | None = None, **prop: Any) -> Json:
    """A valid control of `kind`, id `<kind>-<number>`, titled `title` (a text, or the list as it is);
    `prop` overrides its property."""
    raw: Json = {
        "property": {
            "control": kind,
            "id": f"{kind}-{number:02d}",
            "title": zh(f"{kind} {number}" if title is None else title)
            if not isinstance(title, list)
            else title,
            "placeholder": zh("请填写"),
            "require": 0,
            "un_print": 0,
            **prop,
        }
    }
    if kind in CONFIGS:
        raw["config"] = copy.deepcopy(CONFIGS[kind])
    return raw


def body(*controls: Json, name: Any = None) -> Json:
    return {
        "template_name": zh("用印申请") if name is None else name,
        "template_content": {"controls": list(controls)},
    }


def found(problems: list[TemplateProblem]) -> set[tuple[str, str]]:
    return {(p.where, p.key) for p in problems}


def check(template: Json, known: tuple[str, ...] = (), *, updating: bool = False) -> set[tuple[str, str]]:
    return found(template_problems(template, known, updating=updating))


SPEC_SAMPLE = {  # the request body of the spec, as it is
    "template_name": [{"text": "我的api测试模版", "lang": "zh_CN"}],
    "template_content": {
        "controls": [
            {
                "property": {
                    "control": "Text",
                    "id": "Text-01",
                    "title": [{"text": "控件名称", "lang": "zh_CN"}],
                    "placeholder": [{"text": "控件说明", "lang": "zh_CN"}],
                    "require": 0,
                    "un_print": 1,
                },
                "config": {},
            }
        ]
    },
}


# -- valid bodies ----------------------------------------------------------------------------------------


def test_the_spec_sample_is_valid() -> None:
    assert template_problems(SPEC_SAMPLE, ["请假", "报销"], updating=False) == []


def test_every_kind_with_its_config_is_valid() -> None:
    controls = [control(kind, n) for n, kind in enumerate(KINDS, 1) if kind != "Attendance"]

    assert check(body(*controls)) == set()


def test_limits_are_inclusive() -> None:
    longest = control("Text", 1, "题" * 40, placeholder=zh("说" * 80))

    assert check(body(longest, name=zh("名" * 40))) == set()


def test_config_may_be_absent_or_empty_for_kinds_that_take_none() -> None:
    bare = control("Text", 1)
    empty = {**control("Number", 2), "config": {}}
    photo = {"property": control("File", 3)["property"]}  # File's config is optional

    assert check(body(bare, empty, photo)) == set()


# -- one test per rule -------------------------------------------------------------------------------------

NAME_RULES = [
    pytest.param(None, "text_missing", id="name-missing"),
    pytest.param([], "text_missing", id="name-empty-list"),
    pytest.param(zh("  "), "text_missing", id="name-blank"),
    pytest.param("用印申请", "text_list", id="name-not-a-list"),
    pytest.param(zh("名" * 41), "text_too_long", id="name-too-long"),
    pytest.param([{"text": "用印申请", "lang": "zh-CN"}], "lang_invalid", id="name-lang-zh-CN"),
    pytest.param([{"text": "用印申请"}], "lang_missing", id="name-lang-missing"),
    pytest.param(zh("用印") + zh("用印申请"), "lang_repeated", id="name-lang-twice"),
]


@pytest.mark.parametrize(("name", "key"), NAME_RULES)
def test_template_name_rules(name: Any, key: str) -> None:
    template = body(control("Text", 1))
    if name is None:
        del template["template_name"]
    else:
        template["template_name"] = name

    assert ("template_name", key) in check(template)


def test_a_name_may_not_repeat_a_known_one_in_any_case_or_spacing() -> None:
    problems = template_problems(body(name=zh(" Seal Request ")), ["seal request"], updating=False)

    assert found(problems) == {("template_name", "name_duplicate")}
    assert problems[0].params == {"name": "Seal Request"}


def test_an_update_keeps_its_own_name_and_must_say_which_template() -> None:
    update = {**body(control("Text", 1)), "template_id": "tpl-1"}

    assert check(update, ("报销",), updating=True) == set()  # the caller leaves the template's own name out
    del update["template_id"]
    assert check(update, updating=True) == {("template_id", "template_id_missing")}


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert check([]) == {("template", "body_invalid")}  # type: ignore[arg-type]


def test_controls_must_be_a_list() -> None:
    assert check({**body(), "template_content": {"controls": {}}}) == {
        ("template_content", "controls_invalid")
    }


def test_a_control_without_a_property_is_named_by_position() -> None:
    assert check(body(control("Text", 1), {"config": {}})) == {("control 2", "control_invalid")}


def test_an_unknown_kind_is_refused() -> None:
    problems = template_problems(body(control("Formula", 1)), [], updating=False)

    assert found(problems) == {("Formula-01", "kind_unknown")}
    assert "BankAccount" in problems[0].params["kinds"]


@pytest.mark.parametrize(
    "bad_id",
    ["Number-01", "Text01", "Text-", "Text-a1", "text-01", "Text-０１", " Text-01"],
)
def test_an_id_must_be_its_kind_a_dash_and_digits(bad_id: str) -> None:
    assert ("control 1" if not bad_id.strip() else bad_id, "id_format") in check(
        body(control("Text", 1, id=bad_id))
    )


def test_a_control_without_an_id_is_named_by_position() -> None:
    assert check(body(control("Text", 1), control("Money", 2, id=""))) == {("control 2", "id_missing")}


def test_ids_are_unique_across_the_template_table_columns_included() -> None:
    table = control("Table", 3)
    table["config"]["table"]["children"][1]["property"]["id"] = "Money-02"

    assert check(body(control("Text", 1), control("Text", 1, "另一个"), control("Money", 2), table)) == {
        ("Text-01", "id_duplicate"),
        ("Money-02", "id_duplicate"),
    }


@pytest.mark.parametrize(
    ("title", "key"),
    [
        pytest.param([], "text_missing", id="missing"),
        pytest.param(zh("题" * 41), "text_too_long", id="too-long"),
        pytest.param([{"text": "事由", "lang": "zh-CN"}], "lang_invalid", id="lang-zh-CN"),
        pytest.param([{"text": "事由"}], "lang_missing", id="lang-missing"),
        pytest.param([{"text": 5, "lang": "zh_CN"}], "text_list", id="text-not-a-string"),
    ],
)
def test_title_rules(title: Any, key: str) -> None:
    assert check(body(control("Text", 1, title=title))) == {("Text-01", key)}


def test_titles_are_unique_among_siblings_in_any_case() -> None:
    problems = template_problems(
        body(control("Text", 1, "Reason"), control("Textarea", 2, " reason")), [], updating=False
    )

    assert found(problems) == {("Textarea-02", "title_duplicate")}


def test_one_control_may_show_the_same_title_in_both_languages() -> None:
    both = control("Text", 1, title=[{"text": "PO", "lang": "zh_CN"}, {"text": "PO", "lang": "en"}])

    assert check(body(both)) == set()


@pytest.mark.parametrize(
    ("placeholder", "key"),
    [
        pytest.param(zh("说" * 81), "text_too_long", id="too-long"),
        pytest.param([{"text": "请填写"}], "lang_missing", id="text-without-lang"),
        pytest.param([{"text": "请填写", "lang": "cn"}], "lang_invalid", id="bad-lang"),
    ],
)
def test_placeholder_rules(placeholder: Any, key: str) -> None:
    assert check(body(control("Text", 1, placeholder=placeholder))) == {("Text-01", key)}


def test_a_placeholder_may_be_empty_and_needs_no_lang_then() -> None:
    assert (
        check(body(control("Text", 1, placeholder=[{"text": ""}]), control("Text", 2, placeholder=[])))
        == set()
    )


@pytest.mark.parametrize(
    ("flag", "value"), [("require", 2), ("require", "1"), ("un_print", True), ("un_print", -1)]
)
def test_require_and_un_print_are_0_or_1(flag: str, value: Any) -> None:
    assert check(body(control("Text", 1, **{flag: value}))) == {("Text-01", "flag_invalid")}


@pytest.mark.parametrize("second", ["Vacation", "Attendance"])
def test_a_template_holds_at_most_one_attendance_type_control(second: str) -> None:
    problems = template_problems(
        body(control("Attendance", 1), control("Text", 2), control(second, 3)), [], updating=False
    )

    assert found(problems) == {(f"{second}-03", "attendance_twice")}
    assert problems[0].params == {"first": "Attendance-01"}


MISSING_CONFIG = [
    ("Date", {}, "config_missing"),
    ("Date", {"date": {"type": "week"}}, "config_value"),
    ("Selector", {"selector": {"type": "single", "options": []}}, "options_missing"),
    ("Selector", {"selector": {"options": CONFIGS["Selector"]["selector"]["options"]}}, "config_missing"),
    ("Contact", {"contact": {"type": "single", "mode": "team"}}, "config_value"),
    ("Contact", {"contact": {"mode": "user"}}, "config_missing"),
    ("Tips", {"tips": {"tips_content": []}}, "tips_empty"),
    (
        "Tips",
        {"tips": {"tips_content": [{"lang": "zh_CN", "text": {"sub_text": [{"type": 3}]}}]}},
        "tips_text",
    ),
    ("Tips", {"tips": {"tips_content": [{"text": {"sub_text": [{"type": 1}]}}]}}, "lang_missing"),
    ("File", {"file": {"is_only_photo": 2}}, "config_value"),
    ("Table", {"table": {"children": []}}, "table_empty"),
    ("Vacation", {"attendance": {"date_range": {"type": "halfday"}, "type": 3}}, "config_value"),
    (
        "Vacation",
        {"vacation_list": {"item": [{"name": zh("年假")}]}, **CONFIGS["Attendance"]},
        "vacation_item",
    ),
    ("Vacation", {}, "config_missing"),
    ("Attendance", {"attendance": {"date_range": {"type": "hour"}, "type": 1}}, "config_value"),
    ("Attendance", {"attendance": {"type": 4}}, "config_missing"),
    ("DateRange", {"date_range": {}}, "config_missing"),
    ("DateRange", {"date_range": {"type": "day"}}, "config_value"),
    ("DateRange", {"date_range": {"type": "hour", "perday_duration": 0}}, "config_value"),
]


@pytest.mark.parametrize(
    ("kind", "config", "key"), MISSING_CONFIG, ids=[f"{k}-{key}" for k, _, key in MISSING_CONFIG]
)
def test_each_kind_needs_its_config(kind: str, config: Json, key: str) -> None:
    broken = {**control(kind, 1), "config": config}

    assert (f"{kind}-01", key) in check(body(broken))


def test_the_vacation_fix_for_the_leave_case_is_type_1() -> None:
    leave = {**control("Vacation", 1), "config": {"attendance": {"date_range": {"type": "hour"}, "type": 1}}}

    assert check(body(leave)) == set()  # the leave types may come from the corp's settings


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("Text", {"date": {"type": "day"}}),
        ("Money", {"selector": CONFIGS["Selector"]["selector"]}),
        ("Date", {**CONFIGS["Date"], "contact": {"type": "single", "mode": "user"}}),
        ("Attendance", {**CONFIGS["Attendance"], "vacation_list": {"item": []}}),
    ],
)
def test_no_config_a_kind_does_not_take(kind: str, config: Json) -> None:
    assert check(body({**control(kind, 1), "config": config})) == {(f"{kind}-01", "config_unexpected")}


def test_config_must_be_an_object() -> None:
    assert check(body({**control("Text", 1), "config": []})) == {("Text-01", "config_invalid")}


def test_selector_options_need_unique_keys_and_texts_in_a_language() -> None:
    selector = control("Selector", 1)
    selector["config"]["selector"]["options"] = [
        {"key": "option-1", "value": zh("甲")},
        {"key": "option-1", "value": zh("乙")},
        {"value": zh("丙")},
        {"key": "option-4", "value": {"text": "丁", "lang": "zh-CN"}},
        {"key": "option-5", "value": []},
    ]

    assert [p.key for p in template_problems(body(selector), [], updating=False)] == [
        "option_key_duplicate",
        "option_key_missing",
        "lang_invalid",
        "text_missing",
    ]


def test_table_columns_are_checked_as_controls_and_named_by_their_own_ids() -> None:
    table = control("Table", 1)
    columns = table["config"]["table"]["children"]
    columns[0]["property"]["title"] = zh("题" * 41)
    columns.append(
        {
            "property": {"control": "Table", "id": "Table-02", "title": zh("套表")},
            "config": copy.deepcopy(CONFIGS["Table"]),
        }
    )
    columns.append({"property": {"control": "Text", "title": zh("无 id")}})

    assert check(body(table)) == {
        ("Text-90", "text_too_long"),
        ("Table-02", "table_child_kind"),
        ("Text-90", "id_duplicate"),  # the nested table's columns reuse ids
        ("Money-91", "id_duplicate"),
        ("Table-01.4", "id_missing"),
    }


def test_table_column_titles_may_repeat_top_level_titles_but_not_each_other() -> None:
    table = control("Table", 1)
    columns = table["config"]["table"]["children"]
    columns[1]["property"]["title"] = zh("项目")

    assert check(body(control("Text", 2, "项目"), table)) == {("Money-91", "title_duplicate")}


def test_every_problem_has_a_text_in_every_language() -> None:
    broken = body(
        control("Nope", 1),
        {**control("Date", 2), "config": {"selector": {}}},
        control("Vacation", 3),
        control("Attendance", 4, id="Attendance"),
        name=[{"text": "名" * 41}],
    )
    problems = template_problems(broken, [], updating=True)

    assert len(problems) >= 6
    for problem in problems:
        for lang in LANGUAGES:
            assert "{" not in t(f"template.problem.{problem.key}", lang, **problem.params)


# -- property: one mutation of a valid body is refused beside the mutated control -------------------------


@st.composite
def valid_bodies(draw: st.DrawFn) -> Json:
    plain = [k for k in KINDS if k not in ("Vacation", "Attendance")]
    kinds = draw(st.lists(st.sampled_from(plain), min_size=1, max_size=6))
    kinds.insert(draw(st.integers(0, len(kinds))), draw(st.sampled_from(["Vacation", "Attendance", None])))
    controls = [control(kind, n) for n, kind in enumerate(kinds, 1) if kind is not None]
    for raw in controls:  # the table's column ids may not repeat a top-level one
        for column in raw.get("config", {}).get("table", {}).get("children", []):
            column["property"]["id"] = column["property"]["id"].replace(
                "-9", f"-9{raw['property']['id'][-2:]}"
            )
    return body(*controls, name=zh(draw(st.text("申请报销ab ", min_size=1, max_size=40).filter(str.strip))))


def _set(path: str, value: Any) -> Callable[[Json, list[Json], int], str | None]:
    def mutate(_body: Json, controls: list[Json], index: int) -> str | None:
        controls[index]["property"][path] = value
        return None

    return mutate


def _wrong_id(_body: Json, controls: list[Json], index: int) -> str:
    controls[index]["property"]["id"] = "Wrong-01"
    return "Wrong-01"


def _no_id(_body: Json, controls: list[Json], index: int) -> str:
    del controls[index]["property"]["id"]
    return f"control {index + 1}"


def _extra_config(_body: Json, controls: list[Json], index: int) -> None:
    controls[index].setdefault("config", {})["bogus"] = {}


def _same_title_as_first(_body: Json, controls: list[Json], index: int) -> str | None:
    if index == 0:
        controls[0]["property"]["title"] = zh("题" * 41)
    else:
        controls[index]["property"]["title"] = copy.deepcopy(controls[0]["property"]["title"])
    return None


def _second_attendance(_body: Json, controls: list[Json], index: int) -> str | None:
    """The control becomes a second attendance-type one when there is one before it; else un_print 7."""
    attendance = [i for i, c in enumerate(controls) if c["property"]["control"] in ("Vacation", "Attendance")]
    if not attendance or attendance[0] >= index:
        controls[index]["property"]["un_print"] = 7
        return None
    controls[index] = control("Attendance", 80, title=f"出差 {index}")
    return "Attendance-80"


MUTATIONS = {
    "wrong id": _wrong_id,
    "no id": _no_id,
    "unknown kind": _set("control", "Formula"),
    "title too long": _set("title", zh("题" * 41)),
    "title lang zh-CN": _set("title", [{"text": "事由", "lang": "zh-CN"}]),
    "title missing": _set("title", []),
    "placeholder too long": _set("placeholder", zh("说" * 81)),
    "placeholder without lang": _set("placeholder", [{"text": "请填写"}]),
    "require 2": _set("require", 2),
    "config it does not take": _extra_config,
    "title repeated": _same_title_as_first,
    "second attendance control": _second_attendance,
}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(valid_bodies(), st.sampled_from(sorted(MUTATIONS)), st.data())
def test_one_mutation_is_refused_beside_the_mutated_control(
    original: Json, mutation: str, data: st.DataObject
) -> None:
    assert template_problems(original, [], updating=False) == []
    mutated = copy.deepcopy(original)
    controls = mutated["template_content"]["controls"]
    index = data.draw(st.integers(0, len(controls) - 1))
    original_where = controls[index]["property"]["id"]

    where = MUTATIONS[mutation](mutated, controls, index) or original_where

    assert where in {p.where for p in template_problems(mutated, [], updating=False)}


# -- current bodies, round trips and diffs -----------------------------------------------------------------


def test_the_fixture_round_trips_to_a_body_whose_only_problems_are_what_wecom_forbids() -> None:
    """gettemplatedetail can answer what create_template refuses: the fixture holds both attendance-type
    controls and two kinds (Formula, PunchCorrection) no template body may hold."""
    detail = json.loads(FIXTURE.read_text(encoding="utf-8"))
    current = body_from_detail(detail, "tpl-1")

    assert check(current, updating=True) == {
        ("Attendance-1700000000020", "attendance_twice"),
        ("Formula-1700000000026", "kind_unknown"),
        ("PunchCorrection-1700000000027", "kind_unknown"),
    }
    forbidden = ("Attendance", "Formula", "PunchCorrection")
    controls = current["template_content"]["controls"]
    current["template_content"]["controls"] = [
        c for c in controls if c["property"]["control"] not in forbidden
    ]
    assert check(current, updating=True) == set()
    # and it still reads as the same template, minus what was taken out
    again = parse_template_detail(
        {"template_names": current["template_name"], "template_content": current["template_content"]},
        alias="seal",
        template_id="tpl-1",
    )
    before = parse_template_detail(detail, alias="seal", template_id="tpl-1")
    assert again.controls == tuple(c for c in before.controls if c.kind not in forbidden)


def test_a_current_body_keeps_only_what_a_body_may_hold() -> None:
    detail = json.loads(FIXTURE.read_text(encoding="utf-8"))
    current = body_from_detail(detail, "tpl-1")
    controls = current["template_content"]["controls"]

    assert current["template_id"] == "tpl-1" and current["template_name"] == detail["template_names"]
    assert all(
        set(c["property"]) <= {"control", "id", "title", "placeholder", "require", "un_print"}
        for c in controls
    )
    assert "config" not in controls[0]  # a Text takes none
    table = next(c for c in controls if c["property"]["control"] == "Table")
    assert "inner_id" not in table["config"]["table"]["children"][0]["property"]


def test_diff_of_identical_bodies_is_empty() -> None:
    template = body(control("Text", 1), control("Table", 2))

    assert template_diff(template, copy.deepcopy(template)) == []


def test_diff_names_added_removed_and_changed_controls_with_what_changed() -> None:
    old = body(control("Text", 1, "事由"), control("Money", 2, "金额"), control("Selector", 3, "印章"))
    new = body(
        control("Text", 1, "用途", require=1), control("Selector", 3, "印章"), control("Date", 4, "日期")
    )
    new["template_content"]["controls"][1]["config"]["selector"]["type"] = "multi"

    assert template_diff(old, new) == [
        ControlChange("removed", "Money-02", "金额"),
        ControlChange("changed", "Text-01", "用途", ("title", "require")),
        ControlChange("changed", "Selector-03", "印章", ("config",)),
        ControlChange("added", "Date-04", "日期"),
    ]


def test_diff_reports_a_table_column_not_the_table() -> None:
    old = body(control("Table", 1, "明细"))
    new = copy.deepcopy(old)
    new["template_content"]["controls"][0]["config"]["table"]["children"][1]["property"]["require"] = 1

    assert template_diff(old, new) == [ControlChange("changed", "Money-91", "金额", ("require",))]


def test_diff_treats_absent_defaults_as_given() -> None:
    old = body({"property": {"control": "Text", "id": "Text-01", "title": zh("事由")}})
    new = body(control("Text", 1, "事由", placeholder=[]))

    assert template_diff(old, new) == []


# -- the manager against WeCom (the fake), and its registration --------------------------------------------


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi() as fake:
        yield fake


@pytest.fixture
def templates(wecom: FakeWeComApi) -> Iterator[WeComTemplates]:
    with WeComClient(wecom.corp_id, wecom.secret, api_base=wecom.base_url, sleep=lambda _s: None) as client:
        yield WeComTemplates(client, lang="en")


def test_create_and_update_send_the_body_as_it_is(wecom: FakeWeComApi, templates: WeComTemplates) -> None:
    template_id = templates.create(SPEC_SAMPLE)
    templates.update({**SPEC_SAMPLE, "template_id": template_id})

    assert [c.body for c in wecom.calls_to("oa/approval/create_template")] == [SPEC_SAMPLE]
    assert [c.body for c in wecom.calls_to("oa/approval/update_template")] == [
        {**SPEC_SAMPLE, "template_id": template_id}
    ]
    assert templates.current_body(template_id) == {**SPEC_SAMPLE, "template_id": template_id} | {
        "template_content": {
            "controls": [{"property": SPEC_SAMPLE["template_content"]["controls"][0]["property"]}]
        }
    }


@pytest.mark.parametrize(
    ("errcode", "words"),
    [
        (301086, "refused a control"),
        (301087, "as many approval templates as WeCom allows"),
        (301088, "may not manage approvals"),
        (620004, "internal error"),
        (-1, "check later whether the template was saved"),
    ],
)
def test_wecom_refusals_come_back_in_plain_words(
    wecom: FakeWeComApi, templates: WeComTemplates, errcode: int, words: str
) -> None:
    wecom.fail("oa/approval/create_template", None, errcode=errcode)

    with pytest.raises(ProviderError, match=words) as caught:
        templates.create(SPEC_SAMPLE)

    assert f"error {errcode}" in str(caught.value)


def test_a_refused_update_says_it_in_the_configured_language(wecom: FakeWeComApi) -> None:
    wecom.templates["tpl-1"] = {"template_names": zh("用印"), "template_content": {"controls": []}}
    wecom.fail("oa/approval/update_template", errcode=301086)
    with (
        WeComClient(wecom.corp_id, wecom.secret, api_base=wecom.base_url) as client,
        pytest.raises(ProviderError, match="企业微信拒绝了模板的控件参数"),
    ):
        WeComTemplates(client, lang="zh_CN").update({**SPEC_SAMPLE, "template_id": "tpl-1"})


def test_an_unknown_template_has_no_current_body(templates: WeComTemplates) -> None:
    with pytest.raises(ProviderError, match="301025"):
        templates.current_body("no-such-template")


def test_control_kinds_are_the_spec_kinds(templates: WeComTemplates) -> None:
    assert templates.control_kinds() == list(KINDS) and len(KINDS) == 17


def test_the_wecom_setup_registers_its_template_manager_when_the_api_is_on(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "approvals.json")
    try:
        with_api = setup(from_dict({"wecom": {"corp_id": "ww1", "secret": "s"}}, {}), store)
        without = setup(from_dict({"wecom": {"token": "t"}}, {}), store)
        assert isinstance(with_api.template_managers["wecom"], WeComTemplates)
        assert without.template_managers == {}
        assert with_api.merge(without).template_managers == with_api.template_managers
        with_api.close()
    finally:
        store.close()


# -- the sandbox accepts and refuses as the validation says ----------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(CORP_ID, SECRET, token=TOKEN, encoding_aes_key=AES_KEY) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_client(sandbox: Sandbox) -> Iterator[WeComClient]:
    with WeComClient(CORP_ID, SECRET, api_base=sandbox.base_url, sleep=lambda _s: None) as client:
        yield client


def test_the_sandbox_refuses_an_invalid_body_naming_every_problem(sandbox_client: WeComClient) -> None:
    invalid = body(control("Text", 1, id="Text1"), control("Date", 2, title=zh("题" * 41)), name=zh("用印"))

    with pytest.raises(WeComRefused) as caught:
        sandbox_client.oa.create_template(invalid)

    assert caught.value.code == 301086
    assert "Text1: Id “Text1” must be Text- followed by digits" in caught.value.errmsg
    assert "Date-02: title is 41 characters long" in caught.value.errmsg
    # nothing was created: the name is still free
    assert sandbox_client.oa.create_template(body(control("Text", 1), name=zh("用印")))


def test_the_sandbox_creates_serves_and_files_a_valid_template(sandbox_client: WeComClient) -> None:
    template_id = sandbox_client.oa.create_template(body(control("Text", 1, "事由", require=1)))

    template = parse_template_detail(
        sandbox_client.oa.get_template_detail(template_id), alias="seal", template_id=template_id
    )
    assert (template.name, [c.id for c in template.controls]) == ("用印申请", ["Text-01"])


def test_the_sandbox_refuses_duplicate_names_but_lets_an_update_keep_its_own(
    sandbox_client: WeComClient,
) -> None:
    first = sandbox_client.oa.create_template(body(control("Text", 1), name=zh("用印")))
    second = sandbox_client.oa.create_template(body(control("Text", 1), name=zh("报销")))

    sandbox_client.oa.update_template({**body(control("Money", 2), name=zh("用印")), "template_id": first})
    for duplicate in (
        lambda: sandbox_client.oa.create_template(body(name=zh(" 用印 "))),
        lambda: sandbox_client.oa.update_template({**body(name=zh("用印")), "template_id": second}),
    ):
        with pytest.raises(WeComRefused) as caught:
            duplicate()
        assert caught.value.code == 301086 and "template_name: A template named" in caught.value.errmsg
    assert sandbox_client.oa.get_template_detail(first)["template_content"]["controls"][0]["property"][
        "id"
    ] == ("Money-02")


def test_the_sandbox_refuses_templates_past_its_limit(
    sandbox_client: WeComClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.offline.sandbox._TEMPLATE_LIMIT", 2)
    sandbox_client.oa.create_template(body(name=zh("一")))
    sandbox_client.oa.create_template(body(name=zh("二")))

    with pytest.raises(WeComRefused) as caught:
        sandbox_client.oa.create_template(body(name=zh("三")))

    assert caught.value.code == 301087


def test_the_sandbox_refusal_reaches_the_admin_with_its_problems(sandbox_client: WeComClient) -> None:
    """Were an invalid body ever sent, the admin would still learn what WeCom disliked."""
    with pytest.raises(
        ProviderError, match=r"refused a control.*Text-01: Id “Text-01” is used by more"
    ) as caught:
        WeComTemplates(sandbox_client, lang="en").create(
            body(control("Text", 1), control("Text", 1, "again"))
        )

    assert "301086" in str(caught.value)

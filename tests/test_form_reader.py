"""Reading a view_submission back: answers normalized as the form model says, every error on its block.

State is built in Slack's view_submission shape: ``view.state.values[block_id][action_id]`` holds the
element's ``type`` and its value under ``value`` (plain_text_input, number_input), ``selected_date``,
``selected_date_time``, ``selected_option``, ``selected_options``, ``selected_user``, ``selected_users`` or
``files`` (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload).
"""

from __future__ import annotations

from datetime import date
from string import Formatter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.form_reader import (
    ACTION,
    AM,
    BEGIN,
    BEGIN_HALF,
    END,
    END_HALF,
    PM,
    TYPE,
    Slot,
    day_start,
    first_block,
    read_submission,
    row_count,
)
from bot.forms import Control, DateSpan, FilledForm, Option, Template, UploadedFile
from bot.i18n import CATALOG, LANGUAGES
from tests.test_wecom_templates import every_control_template

MARCH_1 = 1_709_222_400  # 2024-03-01 00:00 in Asia/Shanghai (2024-02-29 16:00 UTC)
DAY = 86_400


# -- Slack's state shapes ----------------------------------------------------------------------------------


def entry(element_type: str, **fields: Any) -> dict[str, Any]:
    return {ACTION: {"type": element_type, **fields}}


def text(value: str | None) -> dict[str, Any]:
    return entry("plain_text_input", value=value)


def number(value: str | None) -> dict[str, Any]:
    return entry("number_input", value=value)


def day(value: str | None) -> dict[str, Any]:
    return entry("datepicker", selected_date=value)


def moment(value: int | None) -> dict[str, Any]:
    return entry("datetimepicker", selected_date_time=value)


def option_object(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}


def choice(value: str | None) -> dict[str, Any]:
    return entry("static_select", selected_option=None if value is None else option_object(value))


def choices(*values: str) -> dict[str, Any]:
    return entry("multi_static_select", selected_options=[option_object(v) for v in values])


def user(value: str | None) -> dict[str, Any]:
    return entry("users_select", selected_user=value)


def users(*values: str) -> dict[str, Any]:
    return entry("multi_users_select", selected_users=list(values))


def slack_file(index: int) -> dict[str, Any]:
    return {
        "id": f"F{index:04d}",
        "name": f"scan-{index}.pdf",
        "title": f"scan-{index}.pdf",
        "mimetype": "application/pdf",
        "filetype": "pdf",
        "url_private": f"https://files.slack.com/files-pri/T1-F{index:04d}/scan-{index}.pdf",
        "size": 1024,
    }


def files(*indexes: int) -> dict[str, Any]:
    return entry("file_input", files=[slack_file(i) for i in indexes])


# -- a small template ----------------------------------------------------------------------------------------


def control(kind: str, required: bool = False, **config: Any) -> Control:
    return Control(kind, f"{kind}-1", f"{kind} title", required=required, **config)


def template(*controls: Control) -> Template:
    return Template("wecom", "tpl", "alias", "Name", controls)


def read(form: Template, values: dict[str, Any], rows: dict[str, int] | None = None, lang: str = "en") -> Any:
    return read_submission(form, values, rows or {}, lang)


def answers(form: Template, values: dict[str, Any], rows: dict[str, int] | None = None) -> dict[str, Any]:
    result = read(form, values, rows)
    assert isinstance(result, FilledForm), result
    return result.answers


def errors(form: Template, values: dict[str, Any], rows: dict[str, int] | None = None) -> dict[str, str]:
    result = read(form, values, rows)
    assert isinstance(result, dict), result
    return result


def block(c: Control, part: str = "", table: str = "", row: int = 0) -> str:
    return Slot(c, table, row).block_id(part)


SEAL = Control("Selector", "Selector-1", "Seal", options=(Option("a", "A"), Option("b", "B")))
SEALS = Control("Selector", "Selector-2", "Seals", multi=True, options=SEAL.options)
LEAVE = Control("Vacation", "Vacation-1", "Leave", date_type="halfday", options=(Option("1", "年假"),))
TRIP = Control("Attendance", "Attendance-1", "Trip", date_type="hour", attendance_type=3)
ITEM = Control("Text", "Text-9", "Item", required=True)
COST = Control("Money", "Money-9", "Cost", required=True)
NOTE = Control("Textarea", "Textarea-9", "Note")
PROOF = Control("File", "File-9", "Proof")
LINES = Control("Table", "Table-1", "Lines", children=(ITEM, COST, NOTE, PROOF))


# -- ids -------------------------------------------------------------------------------------------------


def test_block_ids_are_scoped_by_table_row_and_part() -> None:
    assert block(ITEM) == "form/Text-9"
    assert block(ITEM, table="Table-1", row=2) == "form/Table-1/2/Text-9"
    assert block(LEAVE, TYPE) == "form/Vacation-1/type"
    assert block(LEAVE, BEGIN_HALF, "Table-1", 0) == "form/Table-1/0/Vacation-1/begin_half"
    assert [first_block(Slot(c)) for c in (ITEM, LEAVE, TRIP)] == [
        "form/Text-9",
        "form/Vacation-1/type",
        "form/Attendance-1/begin",
    ]


@pytest.mark.parametrize(
    ("given_rows", "expected"), [({}, 1), ({"T": 3}, 3), ({"T": 0}, 1), ({"T": 10**9}, 100)]
)
def test_row_count_is_clamped(given_rows: dict[str, int], expected: int) -> None:
    assert row_count(given_rows, "T") == expected


# -- answers -----------------------------------------------------------------------------------------------


def test_text_like_answers_are_stripped_and_kept() -> None:
    form = template(
        Control("Text", "t", "T"),
        Control("Textarea", "ta", "TA"),
        Control("PhoneNumber", "p", "P"),
        Control("RelatedApproval", "r", "R"),
    )
    values = {
        "form/t": text("  Seal for contract  "),
        "form/ta": text("line 1\nline 2"),
        "form/p": text("+86 138-0000-0000"),
        "form/r": text("202401010001, 202401010002，202401010001 202401010003"),
    }

    assert answers(form, values) == {
        "t": "Seal for contract",
        "ta": "line 1\nline 2",
        "p": "+86 138-0000-0000",
        "r": ("202401010001", "202401010002", "202401010003"),
    }


@pytest.mark.parametrize(
    ("raw", "as_number", "as_money"),
    [
        ("12", "12", "12.00"),
        ("12.5", "12.5", "12.50"),
        ("007.50", "7.5", "7.50"),
        ("+3", "3", "3.00"),
        ("-0.0", "0", "0.00"),
        ("-4.25", "-4.25", "-4.25"),
        (".5", "0.5", "0.50"),
        ("100", "100", "100.00"),
        ("1.230", "1.23", "1.23"),
        (
            "123456789012345678901234567890.1",
            "123456789012345678901234567890.1",
            "123456789012345678901234567890.10",
        ),
    ],
)
def test_numbers_are_normalized(raw: str, as_number: str, as_money: str) -> None:
    form = template(control("Number"), control("Money"))

    assert answers(form, {"form/Number-1": number(raw), "form/Money-1": number(raw)}) == {
        "Number-1": as_number,
        "Money-1": as_money,
    }


def test_dates_are_unix_seconds_with_days_at_shanghai_midnight() -> None:
    form = template(Control("Date", "d", "D", date_type="day"), Control("Date", "h", "H", date_type="hour"))

    assert answers(form, {"form/d": day("2024-03-01"), "form/h": moment(MARCH_1 + 9 * 3600)}) == {
        "d": MARCH_1,
        "h": MARCH_1 + 9 * 3600,
    }
    assert day_start(date(2024, 3, 1)) == MARCH_1


def test_selectors_contacts_and_files() -> None:
    people = Control("Contact", "people", "People", multi=True, contact_mode="user")
    boss = Control("Contact", "boss", "Boss", contact_mode="user")
    teams = Control("Contact", "teams", "Teams", multi=True, contact_mode="department")
    form = template(SEAL, SEALS, people, boss, teams, PROOF)
    values = {
        block(SEAL): choice("b"),
        block(SEALS): choices("a", "b"),
        "form/people": users("U1", "U2"),
        "form/boss": user("U3"),
        "form/teams": choices("2", "3"),
        block(PROOF): files(1, 2),
    }

    assert answers(form, values) == {
        "Selector-1": ("b",),
        "Selector-2": ("a", "b"),
        "people": ("U1", "U2"),
        "boss": ("U3",),
        "teams": ("2", "3"),
        "File-9": (
            UploadedFile("F0001", "scan-1.pdf", slack_file(1)["url_private"], "application/pdf"),
            UploadedFile("F0002", "scan-2.pdf", slack_file(2)["url_private"], "application/pdf"),
        ),
    }


@pytest.mark.parametrize(
    ("begin", "begin_half", "end", "end_half", "span"),
    [
        ("2024-03-01", AM, "2024-03-01", PM, DateSpan(MARCH_1, MARCH_1 + 43200, "halfday", DAY)),
        ("2024-03-01", AM, "2024-03-01", AM, DateSpan(MARCH_1, MARCH_1, "halfday", 43200)),
        ("2024-03-01", PM, "2024-03-02", AM, DateSpan(MARCH_1 + 43200, MARCH_1 + DAY, "halfday", DAY)),
        (
            "2024-03-01",
            AM,
            "2024-03-03",
            PM,
            DateSpan(MARCH_1, MARCH_1 + 2 * DAY + 43200, "halfday", 3 * DAY),
        ),
    ],
)
def test_half_day_spans_count_half_days_inclusively(
    begin: str, begin_half: str, end: str, end_half: str, span: DateSpan
) -> None:
    values = {
        block(LEAVE, TYPE): choice("1"),
        block(LEAVE, BEGIN): day(begin),
        block(LEAVE, BEGIN_HALF): choice(begin_half),
        block(LEAVE, END): day(end),
        block(LEAVE, END_HALF): choice(end_half),
    }

    assert answers(template(LEAVE), values) == {"Vacation-1": ("1", span)}


def test_half_day_selects_default_to_morning_start_and_afternoon_end() -> None:
    span = DateSpan(MARCH_1, MARCH_1 + 43200, "halfday", DAY)
    dates_only = {
        block(LEAVE, TYPE): choice("1"),
        block(LEAVE, BEGIN): day("2024-03-01"),
        block(LEAVE, END): day("2024-03-01"),
    }

    assert answers(template(LEAVE), dates_only) == {"Vacation-1": ("1", span)}


def test_hour_spans_last_from_begin_to_end() -> None:
    begin, end = MARCH_1 + 9 * 3600, MARCH_1 + DAY + 18 * 3600
    values = {block(TRIP, BEGIN): moment(begin), block(TRIP, END): moment(end)}

    assert answers(template(TRIP), values) == {"Attendance-1": DateSpan(begin, end, "hour", end - begin)}


def test_empty_optional_controls_are_absent() -> None:
    form = every_control_template()
    optional = Template(
        form.provider, form.id, form.alias, form.name, tuple(c for c in form.controls if not c.required)
    )
    empty = {
        "form/Textarea-1700000000002": text(None),
        "form/Contact-1700000000009": user(None),
        "form/Contact-1700000000010": choices(),
        "form/File-1700000000012": files(),
        "form/Vacation-1700000000019/begin_half": choice(AM),  # the AM/PM selects always hold a value
        "form/Vacation-1700000000019/end_half": choice(PM),
        "form/PhoneNumber-1700000000023": text("   "),
    }

    assert answers(optional, empty) == {}


def test_table_rows_are_kept_in_order_and_untouched_rows_dropped() -> None:
    def row(index: int, item: str, cost: str) -> dict[str, Any]:
        return {
            block(ITEM, table="Table-1", row=index): text(item),
            block(COST, table="Table-1", row=index): number(cost),
        }

    values = {
        **row(0, "Taxi", "35"),
        **row(2, "Hotel", "480.5"),
        block(NOTE, table="Table-1", row=1): text(""),
    }

    assert answers(template(LINES), values, {"Table-1": 3}) == {
        "Table-1": ({"Text-9": "Taxi", "Money-9": "35.00"}, {"Text-9": "Hotel", "Money-9": "480.50"})
    }
    assert answers(template(LINES), {}, {"Table-1": 3}) == {}


# -- errors, each on its block ---------------------------------------------------------------------------


def test_required_controls_left_empty() -> None:
    form = template(
        control("Text", True),
        control("Date", True, date_type="day"),
        control("Selector", True, options=(Option("a", "A"),)),
        control("File", True),
        control("Vacation", True, date_type="halfday", options=(Option("1", "年假"),)),
        control("Attendance", True, date_type="hour"),
        control("Tips", True),  # nothing to fill in: never an error
        control("Location", True),  # the modal refuses such a template; the reader has nowhere to say so
    )

    assert set(errors(form, {})) == {
        "form/Text-1",
        "form/Date-1",
        "form/Selector-1",
        "form/File-1",
        "form/Vacation-1/type",
        "form/Attendance-1/begin",
    }
    assert errors(form, {})["form/Text-1"] == "This is required."


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("Number", "twelve", "Enter a number, like 12 or 3.5."),
        ("Number", "1e5", "Enter a number, like 12 or 3.5."),
        ("Number", "NaN", "Enter a number, like 12 or 3.5."),
        ("Money", "12.345", "Enter an amount with at most 2 decimals, like 12.50."),
        ("Money", "١٢", "Enter a number, like 12 or 3.5."),
        ("Text", "two\nlines", "This takes a single line: remove the line breaks."),
        ("Text", "carriage\rreturn", "This takes a single line: remove the line breaks."),
    ],
)
def test_malformed_values(kind: str, raw: str, message: str) -> None:
    element = number(raw) if kind in ("Number", "Money") else text(raw)

    assert errors(template(control(kind)), {f"form/{kind}-1": element}) == {f"form/{kind}-1": message}


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("13800000000", True),
        ("+86 13800000000", True),
        ("+1-415-555-0100", True),
        ("010 8888 8888", True),
        ("12345", True),
        ("1234", False),  # 4 digits
        ("1" * 21, False),
        ("+8613800000000", False),  # no space after the country code: WeCom needs to tell it apart
        ("138 0000 0000 ext 1", False),
        ("(010) 8888 8888", False),
        ("13800000000+", False),
    ],
)
def test_phone_numbers(raw: str, valid: bool) -> None:
    result = read(template(control("PhoneNumber")), {"form/PhoneNumber-1": text(raw)})

    assert isinstance(result, FilledForm) == valid
    if not valid:
        assert set(result) == {"form/PhoneNumber-1"}


def test_an_unknown_option_is_refused_on_its_block() -> None:
    form = template(SEAL, SEALS, LEAVE)
    values = {
        block(SEAL): choice("gone"),
        block(SEALS): choices("a", "gone"),
        block(LEAVE, TYPE): choice("9"),
        block(LEAVE, BEGIN): day("2024-03-01"),
        block(LEAVE, END): day("2024-03-01"),
    }

    assert set(errors(form, values)) == {block(SEAL), block(SEALS), block(LEAVE, TYPE)}
    assert errors(form, values)[block(SEAL)] == "This option is no longer offered: choose again."


def test_an_end_before_its_begin() -> None:
    leave = {
        block(LEAVE, TYPE): choice("1"),
        block(LEAVE, BEGIN): day("2024-03-01"),
        block(LEAVE, BEGIN_HALF): choice(PM),
        block(LEAVE, END): day("2024-03-01"),
        block(LEAVE, END_HALF): choice(AM),
    }
    trip = {block(TRIP, BEGIN): moment(MARCH_1 + 3600), block(TRIP, END): moment(MARCH_1 + 3600)}

    assert errors(template(LEAVE, TRIP), leave | trip) == {
        block(LEAVE, END): "The end must come after the start.",
        block(TRIP, END): "The end must come after the start.",
    }


def test_a_span_half_filled_asks_for_the_missing_end() -> None:
    values = {block(TRIP, BEGIN): moment(MARCH_1)}
    leave_without_type = {block(LEAVE, BEGIN): day("2024-03-01"), block(LEAVE, END): day("2024-03-02")}
    leave_without_dates = {block(LEAVE, TYPE): choice("1")}

    assert errors(template(TRIP), values) == {block(TRIP, END): "This is required."}
    assert errors(template(LEAVE), leave_without_type) == {block(LEAVE, TYPE): "This is required."}
    assert errors(template(LEAVE), leave_without_dates) == {block(LEAVE, BEGIN): "This is required."}


def test_a_malformed_date_is_not_mistaken_for_an_empty_one() -> None:
    form = template(control("Date", True, date_type="day"), TRIP)
    values = {
        "form/Date-1": day("2024-02-30"),
        block(TRIP, BEGIN): moment(-5),
        block(TRIP, END): moment(MARCH_1),
    }

    assert errors(form, values) == {
        "form/Date-1": "Pick a date from the calendar.",
        block(TRIP, BEGIN): "Pick a date from the calendar.",
    }


def test_a_started_row_needs_its_required_columns() -> None:
    values = {
        block(ITEM, table="Table-1", row=0): text("Taxi"),
        block(COST, table="Table-1", row=0): number("35"),
        block(NOTE, table="Table-1", row=1): text("forgot the rest"),
        block(COST, table="Table-1", row=2): number("abc"),
    }

    assert errors(template(LINES), values, {"Table-1": 3}) == {
        block(ITEM, table="Table-1", row=1): "Required when this row is filled in.",
        block(COST, table="Table-1", row=1): "Required when this row is filled in.",
        block(ITEM, table="Table-1", row=2): "Required when this row is filled in.",
        block(COST, table="Table-1", row=2): "Enter a number, like 12 or 3.5.",
    }


def test_a_required_table_needs_a_row() -> None:
    required = Control(
        "Table", "Table-1", "Lines", required=True, children=(Control("Tips", "Tips-1", "Tip"), NOTE)
    )

    assert errors(template(required), {}, {"Table-1": 2}) == {
        block(NOTE, table="Table-1", row=0): "Fill in at least one row."
    }


def test_more_than_six_files_in_the_whole_form() -> None:
    first = Control("File", "File-1", "Contract")
    second = Control("File", "File-2", "Invoices")
    form = template(first, LINES, second)
    values = {
        block(first): files(1, 2, 3),
        block(ITEM, table="Table-1", row=0): text("Taxi"),
        block(COST, table="Table-1", row=0): number("35"),
        block(PROOF, table="Table-1", row=0): files(4, 5),
        block(ITEM, table="Table-1", row=1): text("Hotel"),
        block(COST, table="Table-1", row=1): number("480"),
        block(PROOF, table="Table-1", row=1): files(6, 7),  # the 7th file
        block(second): files(8),
    }

    assert errors(form, values, {"Table-1": 2}) == {
        block(
            PROOF, table="Table-1", row=1
        ): "An approval takes at most 6 files in all; counting these, it has 7.",
        block(second): "An approval takes at most 6 files in all; counting these, it has 8.",
    }
    del values[block(second)], values[block(PROOF, table="Table-1", row=1)]
    assert isinstance(read(form, values, {"Table-1": 2}), FilledForm)  # exactly 5 is fine, so is 6


def test_errors_speak_the_reader_language() -> None:
    form = template(control("Text", True))

    assert read(form, {}, lang="zh_CN") == {"form/Text-1": "此项为必填项。"}
    assert read(form, {}, lang="fr") == {"form/Text-1": "This is required."}


def test_the_catalog_speaks_every_language_with_the_same_parameters() -> None:
    form_entries = {key: entry_ for key, entry_ in CATALOG.items() if key.startswith("form.")}
    assert form_entries
    for key, entry_ in form_entries.items():
        assert set(entry_) == set(LANGUAGES), key
        fields = {lang: sorted(_fields(text_)) for lang, text_ in entry_.items()}
        assert len({tuple(f) for f in fields.values()}) == 1, key


def _fields(template_text: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template_text) if name]


# -- anything Slack (or a forged request) may send -------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=20), inner, max_size=3),
    max_leaves=10,
)
_element_fields = st.sampled_from(
    [
        "value",
        "selected_date",
        "selected_date_time",
        "selected_option",
        "selected_options",
        "selected_user",
        "selected_users",
        "files",
        "type",
    ]
)
_known_blocks = st.sampled_from(
    [
        "form/Text-1700000000001",
        "form/Number-1700000000003",
        "form/Money-1700000000004",
        "form/Date-1700000000005",
        "form/Selector-1700000000006",
        "form/File-1700000000012",
        "form/Table-1700000000013/0/Text-1700000000014",
        "form/Table-1700000000013/1/Money-1700000000015",
        "form/Table-1700000000013/0/Date-1700000000016",
        "form/Vacation-1700000000019/type",
        "form/Vacation-1700000000019/begin",
        "form/Vacation-1700000000019/end_half",
        "form/Attendance-1700000000020/end",
        "form/PhoneNumber-1700000000023",
        "form/DateRange-1700000000024/begin",
    ]
)


@given(
    values=st.dictionaries(
        _known_blocks | st.text(max_size=10),
        st.dictionaries(
            st.just(ACTION) | st.text(max_size=3), st.dictionaries(_element_fields, _json) | _json
        )
        | _json,
    ),
    rows=st.dictionaries(st.just("Table-1700000000013") | st.text(max_size=3), st.integers(-5, 5)),
    lang=st.sampled_from([*LANGUAGES, "xx"]),
)
def test_any_state_reads_as_a_form_or_errors(values: dict[str, Any], rows: dict[str, int], lang: str) -> None:
    result = read_submission(every_control_template(), values, rows, lang)

    assert isinstance(result, FilledForm) or (
        isinstance(result, dict) and result and all(isinstance(m, str) and m for m in result.values())
    )

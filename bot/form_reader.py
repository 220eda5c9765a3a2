"""A submitted approval form, read back from Slack's view state and checked before any provider sees it.

The modal (`handlers.modals`) and this reader address every input through `Slot`, so the two cannot
disagree on an id:

  block_id   ``form/<control id>``                     a top-level control
             ``form/<table id>/<row>/<control id>``    a column of row <row> (0-based) of a Table
             either one + ``/<part>``                  one input of a control that takes several: a span
                                                       (Vacation, Attendance, DateRange) has ``type``
                                                       (Vacation only), ``begin`` and ``end``, and by half
                                                       days also ``begin_half`` and ``end_half`` (AM/PM)
  action_id  ``value`` on every input: an input block holds one element, so its block id says it all

Ids are positional and stable: Slack keeps what people typed across ``views.update`` as long as block and
action ids stay the same, so adding or removing a table's last row loses nothing.

Errors come back as ``{block_id: message}``, ready for ``response_action: "errors"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from bot.forms import Answer, Control, DateSpan, FilledForm, Option, Template, UploadedFile
from bot.i18n import t

ACTION = "value"
TYPE, BEGIN, END, BEGIN_HALF, END_HALF = "type", "begin", "end", "begin_half", "end_half"
AM, PM = "am", "pm"  # values of the half-day selects
SPANS = frozenset({"Vacation", "Attendance", "DateRange"})  # controls filled in as a begin and an end

MAX_FILES = 6  # WeCom takes at most 6 attachments per approval, all controls and table rows together
MAX_OPTIONS = 100  # a Slack select lists at most 100 options...
OPTION_VALUE_LIMIT = 150  # ...each with a value of at most 150 characters
MAX_ROWS = 100  # a view holds at most 100 blocks, so no table can have more rows than that

# WeCom works in China Standard Time, which has had no daylight saving since 1991: a fixed offset is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
LATEST = 9_999_999_999  # the datetimepicker's upper bound, and far inside what datetime can hold
_HALF_DAY = 43_200

_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")  # what number_input sends; no exponent or NaN
# Digits, spaces and hyphens; a country code leads with "+" and ends with a space or hyphen ("+86 138..."), as
# the WeCom request needs to tell it from the number.
_PHONE = re.compile(r"(\+[0-9]{1,3}[ -]+)?[0-9][0-9 -]*")
_PHONE_DIGITS = (5, 20)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class Slot:
    """Where a control sits in the modal: at the top level, or in row `row` of the Table `table`."""

    control: Control
    table: str = ""
    row: int = 0

    def block_id(self, part: str = "") -> str:
        where = f"{self.table}/{self.row}/{self.control.id}" if self.table else self.control.id
        return f"form/{where}/{part}" if part else f"form/{where}"

    @property
    def first_block(self) -> str:
        """The block a "required" error belongs on: the control's first input."""
        if self.control.kind == "Vacation":
            return self.block_id(TYPE)
        return self.block_id(BEGIN) if self.control.kind in SPANS else self.block_id()


def row_count(rows: Mapping[str, int], table_id: str) -> int:
    """How many rows a table shows: at least one, and never more than any view could hold."""
    count = rows.get(table_id, 1)
    return min(max(count, 1), MAX_ROWS) if isinstance(count, int) else 1


def hourly(control: Control) -> bool:
    """Date and spans: to the minute ("hour"), rather than by day or half day."""
    return control.date_type == "hour"


def options_problem(options: Sequence[Option]) -> str:
    """Why a Slack select cannot offer these options, as a short code ("" when it can).

    More than 100 would need an external select and the options endpoint that goes with it; rather than
    offer the first 100 and hide the rest, such a control is not offered at all."""
    keys = [o.key for o in options]
    if not keys:
        return "no_options"
    if len(keys) > MAX_OPTIONS:
        return "too_many_options"
    if len(set(keys)) < len(keys) or not all(0 < len(k) <= OPTION_VALUE_LIMIT for k in keys):
        return "bad_options"
    return ""


def is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


def day_start(day: date) -> int:
    """00:00 of `day` in Asia/Shanghai, the instant WeCom means by a date."""
    return int(datetime.combine(day, time(), SHANGHAI).timestamp())


def shanghai_time(moment: int) -> datetime:
    return datetime.fromtimestamp(moment, SHANGHAI)


def read_submission(
    template: Template, state_values: Mapping[str, Any], rows: Mapping[str, int], lang: str
) -> FilledForm | dict[str, str]:
    """The validated answers of a view_submission (``view.state.values``), or ``{block_id: error}``."""
    reader = _Reader(state_values, lang)
    answers: dict[str, Answer] = {}
    for control in template.controls:
        if control.kind == "Table":
            answer = reader.table(control, row_count(rows, control.id))
        else:
            answer = reader.control(Slot(control), required=control.required)
        if answer is not None:
            answers[control.id] = answer
    return reader.errors or FilledForm(template, answers)


class _Reader:
    """One pass over a submission; errors pile up so that people see them all at once."""

    def __init__(self, values: Mapping[str, Any], lang: str) -> None:
        self._values = values
        self._lang = lang
        self._files = 0
        self.errors: dict[str, str] = {}

    def fail(self, block_id: str, key: str, **params: object) -> None:
        """The first error of a block stands: it is the most specific (a bad date over "required").
        `key` is one of the catalog's ``form.*`` messages (`bot.i18n`)."""
        self.errors.setdefault(block_id, t(key, self._lang, **params))

    def control(self, slot: Slot, *, required: bool) -> Answer | None:
        answer, failed = self._attempt(slot)
        if answer is None and not failed and required and readable(slot.control):
            self.fail(slot.first_block, "form.required")
        return answer

    def table(self, table: Control, count: int) -> tuple[dict[str, Answer], ...] | None:
        """Rows someone started on, with their required columns checked; untouched rows are dropped."""
        kept: list[dict[str, Answer]] = []
        for row in range(count):
            results = [
                (slot, *self._attempt(slot)) for slot in (Slot(c, table.id, row) for c in table.children)
            ]
            answers = {slot.control.id: answer for slot, answer, _ in results if answer is not None}
            if not answers and not any(failed for *_, failed in results):
                continue
            for slot, answer, failed in results:
                if answer is None and not failed and slot.control.required and readable(slot.control):
                    self.fail(slot.first_block, "form.row_required")
            kept.append(answers)
        if not kept and table.required:
            anchor = _anchor(table)
            if anchor is not None:
                self.fail(anchor.first_block, "form.table_required")
        return tuple(kept) or None

    def _attempt(self, slot: Slot) -> tuple[Answer | None, bool]:
        """The control's answer (None when left empty or wrong) and whether it recorded an error."""
        if not readable(slot.control):
            return None, False
        before = len(self.errors)
        answer = _READERS[slot.control.kind](self, slot)
        return answer, len(self.errors) > before

    # -- one reader per kind: None when empty, None plus an error when wrong --------------------------------

    def text(self, slot: Slot) -> str | None:
        value = self._string(slot.block_id())
        if slot.control.kind == "Text" and ("\n" in value or "\r" in value):
            self.fail(slot.block_id(), "form.newline")  # WeCom's Text takes no line breaks
            return None
        return value or None

    def phone(self, slot: Slot) -> str | None:
        value = self._string(slot.block_id())
        digits = sum(c.isdigit() for c in value)
        if value and not (_PHONE.fullmatch(value) and _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]):
            self.fail(slot.block_id(), "form.phone")
            return None
        return value or None

    def number(self, slot: Slot) -> str | None:
        raw = self._string(slot.block_id())
        if not raw:
            return None
        if not is_number(raw):
            self.fail(slot.block_id(), "form.not_number")
            return None
        canonical = _canonical(raw)
        if slot.control.kind != "Money":
            return canonical
        whole, _, cents = canonical.partition(".")
        if len(cents) > 2:
            self.fail(slot.block_id(), "form.money_decimals")
            return None
        return f"{whole}.{cents:0<2}"

    def date(self, slot: Slot) -> int | None:
        if hourly(slot.control):
            return self._moment(slot.block_id())
        day = self._day(slot.block_id())
        return None if day is None else day_start(day)

    def selector(self, slot: Slot) -> tuple[str, ...] | None:
        keys = self._one_or_many(slot, self._choices(slot.block_id()))
        if any(key not in {o.key for o in slot.control.options} for key in keys):
            self.fail(slot.block_id(), "form.unknown_option")
            return None
        return keys or None

    def contact(self, slot: Slot) -> tuple[str, ...] | None:
        """Slack user ids (mapped to the provider's later), or department keys as offered."""
        block_id = slot.block_id()
        chosen = (
            self._choices(block_id) if slot.control.contact_mode == "department" else self._users(block_id)
        )
        return self._one_or_many(slot, chosen) or None

    def file(self, slot: Slot) -> tuple[UploadedFile, ...] | None:
        files = self._uploads(slot.block_id())
        self._files += len(files)
        if files and self._files > MAX_FILES:
            self.fail(slot.block_id(), "form.too_many_files", limit=MAX_FILES, count=self._files)
        return files or None

    def related(self, slot: Slot) -> tuple[str, ...] | None:
        """Approval numbers, however people separated them."""
        numbers = _NUMBER_SEPARATORS.split(self._string(slot.block_id()))
        return tuple(dict.fromkeys(n for n in numbers if n)) or None

    def span(self, slot: Slot) -> DateSpan | None:
        """Begin, end and duration; by half days, begin and end fall on 00:00 (AM) or 12:00 (PM) and the
        duration counts half days inclusively (AM to PM of one day is a whole day)."""
        if hourly(slot.control):
            begin, end = self._moment(slot.block_id(BEGIN)), self._moment(slot.block_id(END))
        else:
            begin, end = self._half_day(slot, BEGIN, BEGIN_HALF, AM), self._half_day(slot, END, END_HALF, PM)
        if begin is None or end is None:
            if begin is not None or end is not None:
                self.fail(slot.block_id(END if begin is not None else BEGIN), "form.required")
            return None
        if end < begin or (end == begin and hourly(slot.control)):
            self.fail(slot.block_id(END), "form.end_before_begin")
            return None
        if hourly(slot.control):
            return DateSpan(begin, end, "hour", end - begin)
        return DateSpan(begin, end, "halfday", end - begin + _HALF_DAY)

    def vacation(self, slot: Slot) -> tuple[str, DateSpan] | None:
        before = len(self.errors)
        span = self.span(slot)
        keys = self._choices(slot.block_id(TYPE))[:1]
        if not keys:
            if span is not None or len(self.errors) > before:
                self.fail(slot.block_id(TYPE), "form.required")
            return None
        if keys[0] not in {o.key for o in slot.control.options}:
            self.fail(slot.block_id(TYPE), "form.unknown_option")
            return None
        if span is None:
            if len(self.errors) == before:
                self.fail(slot.block_id(BEGIN), "form.required")
            return None
        return keys[0], span

    # -- Slack's state, read defensively: whatever arrives, a reader gets "" or () rather than an exception -

    def _element(self, block_id: str) -> Mapping[str, Any]:
        block = self._values.get(block_id)
        element = block.get(ACTION) if isinstance(block, Mapping) else None
        return element if isinstance(element, Mapping) else {}

    def _string(self, block_id: str) -> str:
        value = self._element(block_id).get("value")
        return value.strip() if isinstance(value, str) else ""

    def _choices(self, block_id: str) -> tuple[str, ...]:
        element = self._element(block_id)
        picked = [element.get("selected_option"), *_list(element.get("selected_options"))]
        return _strings(o.get("value") for o in picked if isinstance(o, Mapping))

    def _users(self, block_id: str) -> tuple[str, ...]:
        element = self._element(block_id)
        return _strings([element.get("selected_user"), *_list(element.get("selected_users"))])

    def _uploads(self, block_id: str) -> tuple[UploadedFile, ...]:
        files = (f for f in _list(self._element(block_id).get("files")) if isinstance(f, Mapping))
        return tuple(
            UploadedFile(f["id"], _text(f.get("name")), f["url_private"], _text(f.get("mimetype")))
            for f in files
            if _text(f.get("id")) and _text(f.get("url_private"))
        )

    def _day(self, block_id: str) -> date | None:
        raw = self._element(block_id).get("selected_date")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            if _DAY.fullmatch(raw):
                return date.fromisoformat(raw)
        except ValueError:
            self.fail(block_id, "form.bad_date")  # shaped like a date, but no such day
            return None
        self.fail(block_id, "form.bad_date")
        return None

    def _moment(self, block_id: str) -> int | None:
        raw = self._element(block_id).get("selected_date_time")
        if raw is None:
            return None
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= LATEST:
            return raw
        self.fail(block_id, "form.bad_date")
        return None

    def _half_day(self, slot: Slot, day_part: str, half_part: str, default: str) -> int | None:
        day = self._day(slot.block_id(day_part))
        if day is None:
            return None
        half = (self._choices(slot.block_id(half_part)) or (default,))[0]
        return day_start(day) + (_HALF_DAY if half == PM else 0)

    @staticmethod
    def _one_or_many(slot: Slot, chosen: tuple[str, ...]) -> tuple[str, ...]:
        return chosen if slot.control.multi else chosen[:1]


_READERS: dict[str, Callable[[_Reader, Slot], Answer | None]] = {
    "Text": _Reader.text,
    "Textarea": _Reader.text,
    "PhoneNumber": _Reader.phone,
    "RelatedApproval": _Reader.related,
    "Number": _Reader.number,
    "Money": _Reader.number,
    "Date": _Reader.date,
    "Selector": _Reader.selector,
    "Contact": _Reader.contact,
    "File": _Reader.file,
    "Vacation": _Reader.vacation,
    "Attendance": _Reader.span,
    "DateRange": _Reader.span,
}
READ_KINDS = frozenset(_READERS)  # every kind a person can fill in (Tables aside, which hold them)


def readable(control: Control) -> bool:
    """Whether the modal may show an input for `control`: a known kind, and options a select can list.
    (A department Contact also needs departments to pick from, which only the modal knows.)"""
    if control.kind in ("Selector", "Vacation"):
        return not options_problem(control.options)
    return control.kind in READ_KINDS


def _anchor(table: Control) -> Slot | None:
    """The first column of the first row that surely has an input, for errors about the whole table."""
    columns = [Slot(c, table.id) for c in table.children if readable(c)]
    department = [
        s for s in columns if s.control.kind == "Contact" and s.control.contact_mode == "department"
    ]
    return next((s for s in columns if s not in department), department[0] if department else None)


def _canonical(number: str) -> str:
    """A plain decimal without superfluous zeros or sign: "007.50" -> "7.5", "-0" -> "0"."""
    text = format(Decimal(number), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(values: Any) -> tuple[str, ...]:
    """The non-empty strings among `values`, each once, in order."""
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))

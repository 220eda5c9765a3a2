"""What every control kind shares: the `Kind` a kind module defines, and the constants and helpers kinds use.

A kind is one module in `bot.kinds` (what it reads back from a submitted modal, how it is validated, how its
answer reads on a card), registered in `bot.kinds.KINDS`; its Slack element is one module in `handlers.kinds`,
registered there under the same name. The WeCom provider keeps its own translations, keyed by the same name.
"""

from __future__ import annotations

import re
import time as clock
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol

from bot.forms import Answer, Control, DateSpan, Option, UploadedFile

ACTION = "value"
TYPE, BEGIN, END, BEGIN_HALF, END_HALF = "type", "begin", "end", "begin_half", "end_half"
AM, PM = "am", "pm"  # values of the half-day selects

MAX_FILES = 6  # WeCom takes at most 6 attachments per approval, all controls and table rows together
MAX_OPTIONS = 100  # a Slack select lists at most 100 options...
OPTION_VALUE_LIMIT = 150  # ...each with a value of at most 150 characters

# WeCom works in China Standard Time, which has had no daylight saving since 1991: a fixed offset is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
LATEST = 9_999_999_999  # the datetimepicker's upper bound, and far inside what datetime can hold
HALF_DAY = 43_200

MAX_ROWS = 100  # a view holds at most 100 blocks, so no table can have more rows than that

_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")  # what number_input sends; no exponent or NaN

# How a kind says another control's answer in words (a Table its columns'), passed in by the registry.
Say = Callable[[Control, Answer], str]
# Why another control cannot be offered (a Table asks it of its columns), passed in by the registry.
Check = Callable[..., str]


@dataclass(frozen=True)
class Slot:
    """Where a control sits in the modal: at the top level, or in row `row` of the Table `table`."""

    control: Control
    table: str = ""
    row: int = 0

    def block_id(self, part: str = "") -> str:
        where = f"{self.table}/{self.row}/{self.control.id}" if self.table else self.control.id
        return f"form/{where}/{part}" if part else f"form/{where}"


class Reader(Protocol):
    """What a kind asks of the pass over a submission (`bot.form_reader` makes it): typed values of
    the view state by block id, and a place for errors, which pile up so people see them all at once."""

    files: int  # attachments read so far, across controls and rows
    errors: dict[str, str]

    def fail(self, block_id: str, key: str, **params: object) -> None: ...
    def top(self, control: Control) -> Answer | None: ...
    def table(self, table: Control, count: int) -> tuple[dict[str, Answer], ...] | None: ...
    def string(self, block_id: str) -> str: ...
    def choices(self, block_id: str) -> tuple[str, ...]: ...
    def users(self, block_id: str) -> tuple[str, ...]: ...
    def uploads(self, block_id: str) -> tuple[UploadedFile, ...]: ...
    def day(self, block_id: str) -> date | None: ...
    def moment(self, block_id: str) -> int | None: ...
    def half_day(self, slot: Slot, day_part: str, half_part: str, default: str) -> int | None: ...
    def one_or_many(self, slot: Slot, chosen: tuple[str, ...]) -> tuple[str, ...]: ...


class Kind:
    """One control kind. A subclass sets `name` and overrides what differs from these defaults."""

    name = ""
    fillable = True  # a person fills it in: it has inputs, and may be a column of a Table
    first_part = ""  # the part of its first input's block id, where a "required" error goes
    # The `Control` attributes it uses beyond id, title, placeholder and required (what a control of
    # [[local.templates]] may set), and the values its date_type takes, the first being the default.
    settings: frozenset[str] = frozenset()
    date_types: tuple[str, ...] = ()

    def read(self, reader: Reader, slot: Slot) -> Answer | None:
        """The answer in the submitted view state: None when left empty, None plus an error when wrong."""
        return None

    def read_top(self, reader: Reader, control: Control, rows: Mapping[str, int]) -> Answer | None:
        """The answer of a top-level control (a Table reads its rows)."""
        return reader.top(control)

    def problem(
        self, control: Control, departments: Sequence[Option] | None, *, nested: bool, check: Check
    ) -> str:
        """Why a modal cannot offer an input for `control`, as a reason code ("" when it can). `departments`
        is what a department Contact can offer (None when unknown yet); `nested` means a column of a Table."""
        return "" if self.fillable else "unsupported"

    def display(self, control: Control, answer: Answer, say: Say) -> str:
        """The answer in words, on a card."""
        return plain_display(control, answer)


def plain_display(control: Control, answer: Answer) -> str:
    """Spans as "begin – end", tuples as option texts or file names, anything else as its text."""
    if isinstance(answer, DateSpan):
        return f"{moment_text(answer.begin)} – {moment_text(answer.end)}"
    if isinstance(answer, tuple):
        options = {option.key: option.text for option in control.options}
        return ", ".join(
            v.name if isinstance(v, UploadedFile) else options.get(str(v), str(v)) for v in answer
        )
    return str(answer)


def moment_text(ts: int) -> str:
    return clock.strftime("%Y-%m-%d %H:%M", clock.gmtime(ts + 8 * 3600))


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


def read_span(reader: Reader, slot: Slot) -> DateSpan | None:
    """Begin, end and duration; by half days, begin and end fall on 00:00 (AM) or 12:00 (PM) and the
    duration counts half days inclusively (AM to PM of one day is a whole day)."""
    if hourly(slot.control):
        begin, end = reader.moment(slot.block_id(BEGIN)), reader.moment(slot.block_id(END))
    else:
        begin, end = reader.half_day(slot, BEGIN, BEGIN_HALF, AM), reader.half_day(slot, END, END_HALF, PM)
    if begin is None or end is None:
        if begin is not None or end is not None:
            reader.fail(slot.block_id(END if begin is not None else BEGIN), "form.required")
        return None
    if end < begin or (end == begin and hourly(slot.control)):
        reader.fail(slot.block_id(END), "form.end_before_begin")
        return None
    if hourly(slot.control):
        return DateSpan(begin, end, "hour", end - begin)
    return DateSpan(begin, end, "halfday", end - begin + HALF_DAY)

"""What every control kind shares: the `Kind` a kind module defines, and the constants and helpers kinds use.

A kind is one module in `bot.kinds`, registered in `bot.kinds.KINDS`: what it shows in the modal (as
`bot.kinds.widgets`, which the Slack edge renders), what it reads back from a submission, how it is
validated, how its answer reads on a card. The WeCom provider keeps its own translations, keyed by the same
name (`bot.providers.wecom.kinds`).
"""

from __future__ import annotations

import re
import time as clock
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol, TypeGuard

from bot.forms import Answer, Control, DateSpan, Option, UploadedFile
from bot.kinds.slot import Slot
from bot.kinds.widgets import DatePicker, DateTimePicker, Select, Widget

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


class FormView(Protocol):
    """What a kind asks of the form it is shown in (the Slack edge's modal makes it): the answer to start
    from, the rows of each table, the departments a Contact may offer, texts in the form's language, and
    how many blocks are left over for another table row."""

    max_blocks: int  # the most blocks a form holds
    spare: int  # blocks left over once every control is shown
    rows: Mapping[str, int]  # rows per table id, as the person last asked for
    departments: Sequence[Option]

    def answer(self, slot: Slot) -> Answer | None: ...
    def row(self, table: Control, row: int) -> list[Widget]: ...
    def say(self, key: str, **params: object) -> str: ...


class Kind(ABC):
    """One control kind. A subclass sets `name`, says what it shows (`inputs`), and overrides what else
    differs from these defaults."""

    name = ""
    fillable = True  # a person fills it in: it has inputs, and may be a column of a Table
    first_part = ""  # the part of its first input's block id, where a "required" error goes
    # The `Control` attributes it uses beyond id, title, placeholder and required (what a control of
    # [[local.templates]] may set), and the values its date_type takes, the first being the default.
    settings: frozenset[str] = frozenset()
    date_types: tuple[str, ...] = ()

    @abstractmethod
    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        """What the modal shows for the control in `slot`, starting from `form.answer(slot)`: one block per
        widget, nothing when there is nothing to show."""

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


def is_moment(value: object) -> TypeGuard[int]:
    """Seconds since the epoch, as a datetimepicker takes them."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= LATEST


def initial_moment(answer: Answer | None) -> int | None:
    return answer if is_moment(answer) else None


def initial_day(answer: Answer | None) -> date | None:
    """The day (in Asia/Shanghai) of a moment, for a datepicker."""
    return shanghai_time(answer).date() if is_moment(answer) else None


def strings(answer: Answer | None) -> tuple[str, ...]:
    """The keys or ids of an initial answer (a tuple), each once; nothing from an answer of another shape."""
    return (
        tuple(dict.fromkeys(v for v in answer if isinstance(v, str) and v))
        if isinstance(answer, tuple)
        else ()
    )


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


def span_inputs(form: FormView, slot: Slot, span: Answer | None) -> list[Widget]:
    """Begin and end of a span (`read_span` reads them): date and time to the minute, or by half days a
    date and a morning/afternoon select, which starts from the half the moment falls in."""
    widgets: list[Widget] = []
    for part, half_part, default in ((BEGIN, BEGIN_HALF, AM), (END, END_HALF, PM)):
        moment = None if not isinstance(span, DateSpan) else span.begin if part == BEGIN else span.end
        if hourly(slot.control):
            widgets.append(
                DateTimePicker(
                    slot, part=part, label=form.say(f"form.{part}"), initial=initial_moment(moment)
                )
            )
            continue
        widgets.append(
            DatePicker(slot, part=part, label=form.say(f"form.{part}_day"), initial=initial_day(moment))
        )
        half = (PM if shanghai_time(moment).hour >= 12 else AM) if is_moment(moment) else default
        halves = tuple(Option(h, form.say(f"form.{h}")) for h in (AM, PM))
        widgets.append(
            Select(slot, part=half_part, label=form.say(f"form.{half_part}"), options=halves, chosen=(half,))
        )
    return widgets

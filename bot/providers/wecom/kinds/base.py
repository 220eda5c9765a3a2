"""What every control kind shares on WeCom: the `WeComKind` a kind module defines, and its helpers.

A kind module says, for one ``control`` WeCom names, how its template ``config`` reads into a `Control`
(``gettemplatedetail``) and back (the sandbox's replies), what ``apply_data`` value an answer becomes
(``applyevent``) and how it reads in ``summary_list``, and how a filled control of a detail response
(``getapprovaldetail``) reads on a card. Every part has a default, so a kind defines only what it has: a
kind WeCom only ever shows (Location, Formula, ...) has no ``apply_data``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.forms import Control, DateSpan, UploadedFile
from bot.providers.wecom import codes

Json = Mapping[str, Any]

# WeCom reckons days in China Standard Time, which has had no daylight saving since 1991: a fixed offset
# is exact and needs no tz database on the host.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
UTC_OFFSET = 8 * 3600
DAY = 86_400
HALF_DAY = 43_200

_NUMBERS = (int, float)  # JSON numbers read as text (detail responses): both kinds, as Python prints them
_LATEST = 4_102_444_800  # 2100-01-01: a later "time" is garbage, and datetime cannot hold them all


@dataclass(frozen=True)
class Lookups:
    """What building ``apply_data`` needs from outside: users, uploads, department names, the language."""

    wecom_user: Callable[[str], tuple[str, str]]
    media_id: Callable[[UploadedFile], str]
    department_name: Callable[[str], str]
    lang: str


# The whole-form operations a kind is handed, for the controls it holds (a Table's rows) or nests: the
# form-level modules pass their own, so no kind imports them.
Parse = Callable[[Json], Control]  # a template control -> Control (templates.parse_control)
Write = Callable[[Control], dict[str, Any]]  # Control -> a template control (render.template_control)
Fill = Callable[[Sequence[Control], Mapping[str, Any], Lookups], list[dict[str, Any]]]  # apply.contents
Count = Callable[[Sequence[Control], Mapping[str, Any]], int]  # attachments (apply.count_files)
Render = Callable[[Json], str]  # a filled control of a detail reply -> its text (detail.render)


@dataclass(frozen=True)
class Token:
    """ID-translation syntax: WeCom shows a name in place of `text`, never cut in half."""

    text: str  # what is sent, e.g. $userName=WuJunJie$
    shown: int  # how many characters the name WeCom shows instead takes


Piece = str | Token


@dataclass(frozen=True)
class SummaryLookups:
    """What a summary line needs: WeCom users (None: members are passed over) and department names."""

    wecom_user: Callable[[str], tuple[str, str]] | None
    department_name: Callable[[str], str]


class WeComKind:
    """One control kind on WeCom. A subclass sets `name` and overrides what it has."""

    name = ""
    sent = True  # part of apply_data (Tips are filled in by WeCom itself, 附8)

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        """The `Control` with what the template's ``config`` says about it."""
        return control

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        """The reverse of `configure`: the ``config`` of a gettemplatedetail reply."""
        return {}

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        """The ``value`` of the control's apply_data entry; ValueError for what WeCom would refuse."""
        raise ValueError(
            f"{control.title} ({control.kind}, {control.id}): this bot cannot fill it in on WeCom"
        )

    def files(self, control: Control, answer: Any, count: Count) -> int:
        """How many attachments the answer holds (WeCom counts them over the whole request)."""
        return 0

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        """The answer as pieces of one summary line; empty for a control that cannot be summarized."""
        return []

    def show(self, value: Json, render: Render) -> str:
        """Display text of a filled control's ``value`` in a detail response, whatever its shape."""
        return any_text(value, render)


# -- apply_data ---------------------------------------------------------------------------------------------


def text(text: str, lang: str) -> dict[str, str]:
    return {"text": text, "lang": lang}


def string(control: Control, answer: Any) -> str:
    """The answer of a text-like control: WeCom wants a JSON string even for numbers (附2, 附3)."""
    if not isinstance(answer, str):
        raise ValueError(f"{control.title} ({control.kind}): expected text, got {type(answer).__name__}")
    return answer


def option_text(control: Control, key: str) -> str:
    return next((option.text for option in control.options if option.key == key), key)


def date_range(control: Control, span: DateSpan) -> dict[str, Any]:
    """附12 date_range; a half-day range may only start and end at 00:00 (AM) or 12:00 (PM), UTC+8."""
    if span.unit not in ("halfday", "hour"):
        raise ValueError(f"{control.title}: a range is counted in halfday or hour, not {span.unit!r}")
    if span.end < span.begin:
        raise ValueError(f"{control.title}: the range ends before it begins")
    if span.unit == "halfday" and not (_half_day_mark(span.begin) and _half_day_mark(span.end)):
        raise ValueError(f"{control.title}: a half-day range begins and ends at 00:00 or 12:00 (UTC+8)")
    return {"type": span.unit, "new_begin": span.begin, "new_end": span.end, "new_duration": span.duration}


def _half_day_mark(moment: int) -> bool:
    return (moment + UTC_OFFSET) % HALF_DAY == 0


def format_time(moment: int, pattern: str) -> str:
    return datetime.fromtimestamp(moment, SHANGHAI).strftime(pattern)


def format_span(span: DateSpan) -> str:
    """A summary's span: "begin–end"."""
    return "–".join(_summary_point(moment, span.unit) for moment in (span.begin, span.end))


def _summary_point(moment: int, unit: str) -> str:
    """A date and time; by half-days the date and which half (each end names a half-day)."""
    if unit == "hour":
        return format_time(moment, "%Y-%m-%d %H:%M")
    return _half_of_day(moment)


def _format_point(moment: int, unit: Any) -> str:
    """A detail's end of a range: by half days the date and which half, otherwise to the minute."""
    if unit != "halfday":
        return format_time(moment, "%Y-%m-%d %H:%M")
    return _half_of_day(moment)


def _half_of_day(moment: int) -> str:
    local = datetime.fromtimestamp(moment, SHANGHAI)
    return f"{local:%Y-%m-%d} {'AM' if local.hour < 12 else 'PM'}"


# -- templates ----------------------------------------------------------------------------------------------


def template_localized(entries: Any) -> str:
    """The zh_CN text of a [{text, lang}] list, else its first text; a lone {text, lang} object (the shape
    create_template uses for option values) counts as a list of one."""
    return codes.localized([entries] if isinstance(entries, Mapping) else entries)


def span_unit(holder: Json) -> str:
    return "hour" if codes.as_obj(holder.get("date_range")).get("type") == "hour" else "halfday"


def span_config(control: Control) -> dict[str, Any]:
    return {"date_range": {"type": "hour" if control.date_type == "hour" else "halfday"}}


def zh(text: str) -> list[dict[str, str]]:
    return [{"text": text, "lang": "zh_CN"}]


# -- detail responses: tolerant of any shape ----------------------------------------------------------------


def any_text(value: Any, render: Render) -> str:
    """Best-effort text of a value of unknown shape: nested controls as "title: value" (each shown by
    `render`, as its kind shows it), texts as they are."""
    if isinstance(value, Mapping):
        if "control" in value:
            return f"{localized(value.get('title'))}: {render(value)}"
        if "text" in value and set(value) <= {"text", "lang"}:
            return scalar(value.get("text"))
        return join(*(any_text(v, render) for v in value.values()))
    if isinstance(value, list):
        if value and all(isinstance(v, Mapping) and "lang" in v for v in value):
            return localized(value)
        return join(*(any_text(v, render) for v in value))
    return scalar(value)


def localized(entries: Any) -> str:
    """The zh_CN text of a WeCom [{text, lang}] list, else its first text."""
    return codes.localized(entries, _NUMBERS)


def join(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def scalar(value: Any) -> str:
    """A string, stripped, or a number of either kind as Python prints it; "" for anything else."""
    return codes.text(value, _NUMBERS)


def integer(value: Any) -> int | None:
    """A whole JSON number, or a digit string; None for anything else (codes and times are never negative)."""
    number = codes.integer(value)
    return None if number is None or number < 0 else number


def timestamp(value: Any) -> int | None:
    """Unix seconds (or a duration) to show; None when absent, malformed or past any plausible time."""
    number = integer(value)
    return number if number is not None and number < _LATEST else None


def shown_options(selector: Json) -> str:
    """Chosen options' texts (the detail response carries them); the key when an option has no text."""
    return join(
        *(localized(o.get("value")) or scalar(o.get("key")) for o in codes.as_objs(selector.get("options")))
    )


def shown_range(span: Json) -> str:
    """Begin – end (duration); halfday ranges start at 00:00 (AM) or 12:00 (PM) of a day."""
    unit = span.get("type")
    ends = (timestamp(span.get("new_begin")), timestamp(span.get("new_end")))
    text = " – ".join(_format_point(moment, unit) for moment in ends if moment is not None)
    duration = timestamp(span.get("new_duration"))
    if duration is None:
        return text
    length = plural(duration / 86400, "day") if unit == "halfday" else plural(duration / 3600, "hour")
    return f"{text} ({length})" if text else length


def plural(amount: float, unit: str) -> str:
    return f"{amount:g} {unit}" if amount == 1 else f"{amount:g} {unit}s"

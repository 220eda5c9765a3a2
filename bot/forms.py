"""Approval forms: a template's controls and what a person filled in.

The vocabulary is WeCom's (the embedded engine reuses it), so one modal builder
and one submission reader serve every provider. Providers translate their own
template format into `Template`, and `FilledForm` into their own payload. Answers
are said in words here (`display_fields`, for a provider with no form data to give
back) and kept as JSON (`encode_answers`/`decode_answers`, for drafts).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.model import FormField


@dataclass(frozen=True)
class Option:
    key: str  # what the provider wants back (Selector option key, vacation type id, department id)
    text: str  # what a person sees


@dataclass(frozen=True)
class Control:
    """One control of a template. Only the attributes its `kind` uses are set."""

    kind: str  # Text, Textarea, Number, Money, Date, Selector, Contact, Tips, File, Table, Vacation,
    # Attendance, Location, RelatedApproval, PhoneNumber, DateRange, BankAccount, Formula, ...
    id: str
    title: str
    placeholder: str = ""
    required: bool = False
    date_type: str = ""  # Date: "day" or "hour"; Vacation/Attendance/DateRange: "halfday" or "hour"
    multi: bool = False  # Selector multi / Contact multi
    options: tuple[Option, ...] = ()  # Selector options, Vacation types
    contact_mode: str = ""  # Contact: "user" or "department"
    children: tuple[Control, ...] = ()  # Table: the controls of one row
    attendance_type: int = 0  # Attendance: 3 出差, 4 外出, 5 加班; Vacation: 1
    text: str = ""  # Tips: the text shown


@dataclass(frozen=True)
class Template:
    provider: str  # "wecom", "local", ...
    id: str  # the provider's template id
    alias: str  # what people type: /approval new <alias>
    name: str
    controls: tuple[Control, ...]

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
            for child in control.children:
                if child.id == control_id:
                    return child
        raise KeyError(control_id)


@dataclass(frozen=True)
class DateSpan:
    """Vacation / Attendance / DateRange: a range, its unit and its duration in seconds."""

    begin: int
    end: int
    unit: str  # "halfday" or "hour"
    duration: int


@dataclass(frozen=True)
class UploadedFile:
    """A file a person attached in Slack, to be fetched and re-uploaded to the provider."""

    slack_id: str
    name: str
    url: str  # url_private: needs the bot token
    mimetype: str = ""


# What a control's answer is, once read from the modal and validated:
#   Text/Textarea/PhoneNumber/Money/Number -> str (numbers normalized, e.g. "4839.00" for Money)
#   Date -> int (unix seconds; a day is its 00:00 in Asia/Shanghai)
#   Selector -> tuple[str, ...] (option keys); Contact -> tuple[str, ...] (Slack user ids or department keys)
#   File -> tuple[UploadedFile, ...]; Table -> tuple[dict[str, Answer], ...] (one dict per row)
#   Vacation -> (option key, DateSpan); Attendance/DateRange -> DateSpan
#   RelatedApproval -> tuple[str, ...] (approval numbers)
Answer = object


@dataclass(frozen=True)
class FilledForm:
    """A submission that passed validation: control id -> answer (absent when left empty)."""

    template: Template
    answers: dict[str, Answer] = field(default_factory=dict)


# answers in words (a card's fields, when the provider gives no form data back) --------------


def display_fields(form: FilledForm) -> tuple[FormField, ...]:
    """The answers as a card shows them, for when the provider has no form data to give back."""
    return tuple(
        FormField(control.title, _display(control, form.answers[control.id]))
        for control in form.template.controls
        if control.id in form.answers and not control.id.startswith("_")
    )


def _display(control: Control, answer: Answer) -> str:
    """One answer in words, by what the control is (option texts, mentions, dates, file names)."""
    options = {option.key: option.text for option in control.options}
    if control.kind == "Table":
        return " | ".join(
            "; ".join(_display(child, row[child.id]) for child in control.children if child.id in row)
            for row in answer  # type: ignore[attr-defined]
        )
    if isinstance(answer, DateSpan):
        return f"{_moment(answer.begin)} – {_moment(answer.end)}"
    if control.kind == "Vacation" and isinstance(answer, tuple):
        return f"{options.get(answer[0], answer[0])}: {_display(control, answer[1])}"
    if control.kind == "Contact" and control.contact_mode == "user" and isinstance(answer, tuple):
        return ", ".join(f"<@{user}>" for user in answer)
    if isinstance(answer, tuple):
        return ", ".join(
            v.name if isinstance(v, UploadedFile) else options.get(str(v), str(v)) for v in answer
        )
    if control.kind == "Date" and isinstance(answer, int):
        return _moment(answer)
    return str(answer)


def _moment(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts + 8 * 3600))


# answers <-> JSON (drafts keep them to prefill a resubmission) ---------------------------


def encode_answers(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {key: _encode(value) for key, value in answers.items()}


def decode_answers(data: Mapping[str, Any]) -> dict[str, Answer]:
    return {key: _decode(value) for key, value in data.items()}


def _encode(value: Answer) -> Any:
    if isinstance(value, DateSpan):
        return {"span": asdict(value)}
    if isinstance(value, UploadedFile):
        return {"file": asdict(value)}
    if isinstance(value, dict):
        return {"row": encode_answers(value)}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    return value


def _decode(value: Any) -> Answer:
    if isinstance(value, dict):
        if "span" in value:
            return DateSpan(**value["span"])
        if "file" in value:
            return UploadedFile(**value["file"])
        if "row" in value:
            return decode_answers(value["row"])
        if "tuple" in value:
            return tuple(_decode(v) for v in value["tuple"])
    return value

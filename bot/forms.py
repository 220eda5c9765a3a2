"""Approval forms: a template's controls and what a person filled in.

The vocabulary is WeCom's (the embedded engine reuses it), so one modal builder
and one submission reader serve every provider. Providers translate their own
template format into `Template`, and `FilledForm` into their own payload. Answers
are kept as JSON here (`encode_answers`/`decode_answers`, for drafts); what each
kind of control reads, checks and says in words is its module's, in `bot.kinds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


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

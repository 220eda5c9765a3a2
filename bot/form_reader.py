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
from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.forms import Answer, Control, FilledForm, Template, UploadedFile
from bot.i18n import t
from bot.kinds import FILLABLE, kind_of, problem
from bot.kinds.base import (
    ACTION,
    AM,
    BEGIN,
    BEGIN_HALF,
    END,
    END_HALF,
    HALF_DAY,
    LATEST,
    MAX_FILES,
    MAX_OPTIONS,
    MAX_ROWS,
    OPTION_VALUE_LIMIT,
    PM,
    SHANGHAI,
    TYPE,
    Slot,
    day_start,
    hourly,
    is_moment,
    is_number,
    options_problem,
    row_count,
    shanghai_time,
)

__all__ = [  # what the modal and the tests take from here; the kinds define most of it
    "ACTION",
    "AM",
    "BEGIN",
    "BEGIN_HALF",
    "END",
    "END_HALF",
    "LATEST",
    "MAX_FILES",
    "MAX_OPTIONS",
    "MAX_ROWS",
    "OPTION_VALUE_LIMIT",
    "PM",
    "READ_KINDS",
    "SHANGHAI",
    "TYPE",
    "Slot",
    "day_start",
    "hourly",
    "is_number",
    "options_problem",
    "read_submission",
    "readable",
    "row_count",
    "shanghai_time",
]

READ_KINDS = FILLABLE  # every kind a person can fill in (Tables aside, which hold them)

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def first_block(slot: Slot) -> str:
    """The block a "required" error belongs on: the control's first input."""
    kind = kind_of(slot.control)
    return slot.block_id(kind.first_part if kind else "")


def read_submission(
    template: Template, state_values: Mapping[str, Any], rows: Mapping[str, int], lang: str
) -> FilledForm | dict[str, str]:
    """The validated answers of a view_submission (``view.state.values``), or ``{block_id: error}``."""
    reader = _Reader(state_values, lang)
    answers: dict[str, Answer] = {}
    for control in template.controls:
        kind = kind_of(control)
        answer = kind.read_top(reader, control, rows) if kind else reader.top(control)
        if answer is not None:
            answers[control.id] = answer
    return reader.errors or FilledForm(template, answers)


class _Reader:
    """One pass over a submission; errors pile up so that people see them all at once."""

    def __init__(self, values: Mapping[str, Any], lang: str) -> None:
        self._values = values
        self._lang = lang
        self.files = 0  # attachments so far, over the whole form (`bot.kinds.file`)
        self.errors: dict[str, str] = {}

    def fail(self, block_id: str, key: str, **params: object) -> None:
        """The first error of a block stands: it is the most specific (a bad date over "required").
        `key` is one of the catalog's ``form.*`` messages (`bot.i18n`)."""
        self.errors.setdefault(block_id, t(key, self._lang, **params))

    def top(self, control: Control) -> Answer | None:
        return self.control(Slot(control), required=control.required)

    def control(self, slot: Slot, *, required: bool) -> Answer | None:
        answer, failed = self._attempt(slot)
        if answer is None and not failed and required and readable(slot.control):
            self.fail(first_block(slot), "form.required")
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
                    self.fail(first_block(slot), "form.row_required")
            kept.append(answers)
        if not kept and table.required:
            anchor = _anchor(table)
            if anchor is not None:
                self.fail(first_block(anchor), "form.table_required")
        return tuple(kept) or None

    def _attempt(self, slot: Slot) -> tuple[Answer | None, bool]:
        """The control's answer (None when left empty or wrong) and whether it recorded an error."""
        if not readable(slot.control):
            return None, False
        before = len(self.errors)
        kind = kind_of(slot.control)
        answer = kind.read(self, slot) if kind else None
        return answer, len(self.errors) > before

    # -- Slack's state, read defensively (by the kinds): whatever arrives, a kind gets "" or () rather than an
    # exception

    def element(self, block_id: str) -> Mapping[str, Any]:
        block = self._values.get(block_id)
        element = block.get(ACTION) if isinstance(block, Mapping) else None
        return element if isinstance(element, Mapping) else {}

    def string(self, block_id: str) -> str:
        value = self.element(block_id).get("value")
        return value.strip() if isinstance(value, str) else ""

    def choices(self, block_id: str) -> tuple[str, ...]:
        element = self.element(block_id)
        picked = [element.get("selected_option"), *_list(element.get("selected_options"))]
        return _strings(o.get("value") for o in picked if isinstance(o, Mapping))

    def users(self, block_id: str) -> tuple[str, ...]:
        element = self.element(block_id)
        return _strings([element.get("selected_user"), *_list(element.get("selected_users"))])

    def uploads(self, block_id: str) -> tuple[UploadedFile, ...]:
        files = (f for f in _list(self.element(block_id).get("files")) if isinstance(f, Mapping))
        return tuple(
            UploadedFile(f["id"], _text(f.get("name")), f["url_private"], _text(f.get("mimetype")))
            for f in files
            if _text(f.get("id")) and _text(f.get("url_private"))
        )

    def day(self, block_id: str) -> date | None:
        raw = self.element(block_id).get("selected_date")
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

    def moment(self, block_id: str) -> int | None:
        raw = self.element(block_id).get("selected_date_time")
        if raw is None:
            return None
        if is_moment(raw):
            return raw
        self.fail(block_id, "form.bad_date")
        return None

    def half_day(self, slot: Slot, day_part: str, half_part: str, default: str) -> int | None:
        day = self.day(slot.block_id(day_part))
        if day is None:
            return None
        half = (self.choices(slot.block_id(half_part)) or (default,))[0]
        return day_start(day) + (HALF_DAY if half == PM else 0)

    @staticmethod
    def one_or_many(slot: Slot, chosen: tuple[str, ...]) -> tuple[str, ...]:
        return chosen if slot.control.multi else chosen[:1]


def readable(control: Control) -> bool:
    """Whether the modal may show an input for `control`: a registered kind that a person fills in, and
    options a select can list. (A department Contact also needs departments to pick from, which only the
    modal knows.)"""
    kind = kind_of(control)
    return kind is not None and kind.fillable and not problem(control)


def _anchor(table: Control) -> Slot | None:
    """The first column of the first row that surely has an input, for errors about the whole table."""
    columns = [Slot(c, table.id) for c in table.children if readable(c)]
    sure = [s for s in columns if not problem(s.control, ())]  # not a department Contact with none to offer
    return next(iter(sure), columns[0] if columns else None)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(values: Any) -> tuple[str, ...]:
    """The non-empty strings among `values`, each once, in order."""
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))

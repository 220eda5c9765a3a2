"""Vacation: a leave type (one of the template's options) and a span, answered as (type key, DateSpan)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.forms import Answer, Control, DateSpan, Option
from bot.kinds.base import (
    BEGIN,
    TYPE,
    Check,
    Kind,
    Say,
    options_problem,
    plain_display,
    read_span,
    span_inputs,
    strings,
)
from bot.kinds.widgets import Select

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class Vacation(Kind):
    name = "Vacation"
    first_part = TYPE
    settings = frozenset({"options", "date_type"})
    date_types = ("halfday", "hour")

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        """The leave type, then the span."""
        answer = form.answer(slot)
        key, span = answer if isinstance(answer, tuple) and len(answer) == 2 else ("", None)
        leave = Select(
            slot,
            part=TYPE,
            label=form.say("form.type"),
            placeholder=slot.control.placeholder,
            options=slot.control.options,
            chosen=strings((key,)),
            multi=slot.control.multi,
        )
        return [leave, *span_inputs(form, slot, span)]

    def read(self, reader: Reader, slot: Slot) -> tuple[str, DateSpan] | None:
        before = len(reader.errors)
        span = read_span(reader, slot)
        keys = reader.choices(slot.block_id(TYPE))[:1]
        if not keys:
            if span is not None or len(reader.errors) > before:
                reader.fail(slot.block_id(TYPE), "form.required")
            return None
        if keys[0] not in {o.key for o in slot.control.options}:
            reader.fail(slot.block_id(TYPE), "form.unknown_option")
            return None
        if span is None:
            if len(reader.errors) == before:
                reader.fail(slot.block_id(BEGIN), "form.required")
            return None
        return keys[0], span

    def problem(
        self, control: Control, departments: Sequence[Option] | None, *, nested: bool, check: Check
    ) -> str:
        return options_problem(control.options)

    def display(self, control: Control, answer: Answer, say: Say) -> str:
        if isinstance(answer, tuple):
            options = {option.key: option.text for option in control.options}
            return f"{options.get(answer[0], answer[0])}: {self.display(control, answer[1], say)}"
        return plain_display(control, answer)


KIND = Vacation()

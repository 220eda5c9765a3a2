"""The control kinds: one module each, registered here under the name WeCom gives the kind.

A kind module says what a kind shows in the modal (in the neutral words of `bot.kinds.widgets`, which the
Slack edge renders), what it reads back from a submission, how it is checked, and how its answer reads on a
card (`bot.kinds.base.Kind`). Adding a kind is its module and its line below; a provider that files it
adds its own translation (for WeCom, a module and a line in `bot.providers.wecom.kinds`). A kind this
registry does not know (Location, BankAccount, Formula, ...) cannot be filled in from Slack.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.forms import Answer, Control, FilledForm, Option
from bot.kinds import (
    attendance,
    contact,
    date,
    date_range,
    file,
    money,
    number,
    phone_number,
    related_approval,
    selector,
    table,
    text,
    textarea,
    tips,
    vacation,
)
from bot.kinds.base import FormView, Kind, plain_display
from bot.kinds.slot import Slot
from bot.kinds.widgets import Unfillable, Widget
from bot.model import FormField

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        text.KIND,
        textarea.KIND,
        phone_number.KIND,
        related_approval.KIND,
        number.KIND,
        money.KIND,
        date.KIND,
        selector.KIND,
        contact.KIND,
        file.KIND,
        tips.KIND,
        table.KIND,
        vacation.KIND,
        attendance.KIND,
        date_range.KIND,
    )
}
FILLABLE = frozenset(name for name, kind in KINDS.items() if kind.fillable)  # what a person fills in


def kind_of(control: Control) -> Kind | None:
    return KINDS.get(control.kind)


def problem(control: Control, departments: Sequence[Option] | None = None, *, nested: bool = False) -> str:
    """Why a modal cannot offer an input for `control`, as a reason code ("" when it can)."""
    kind = kind_of(control)
    return "unsupported" if kind is None else kind.problem(control, departments, nested=nested, check=problem)


def inputs(form: FormView, slot: Slot) -> list[Widget]:
    """What the modal shows for the control in `slot`: its kind's inputs, or why it cannot be filled in."""
    kind = kind_of(slot.control)
    reason = problem(slot.control, form.departments, nested=bool(slot.table))
    return [Unfillable(slot, reason)] if kind is None or reason else kind.inputs(form, slot)


def display(control: Control, answer: Answer) -> str:
    """One answer in words, by what the control is (option texts, mentions, dates, file names)."""
    kind = kind_of(control)
    return plain_display(control, answer) if kind is None else kind.display(control, answer, display)


def display_fields(form: FilledForm) -> tuple[FormField, ...]:
    """The answers as a card shows them, for when the provider has no form data to give back."""
    return tuple(
        FormField(control.title, display(control, form.answers[control.id]))
        for control in form.template.controls
        if control.id in form.answers and not control.id.startswith("_")
    )

"""The approval form modal: a `Template` as a Slack view, for ``views.open`` and ``views.update``.

Ids (the submission reader, `bot.form_reader`, finds inputs through the same `Slot`, so they are defined
there once):

  callback_id  ``approval_form``
  block_id     ``form/<control id>``; a table column ``form/<table id>/<row>/<control id>`` (row from 0);
               either one + ``/<part>`` for the several inputs of a span: ``type`` (Vacation), ``begin``,
               ``end``, and ``begin_half`` / ``end_half`` (AM/PM selects) when it goes by half days
  action_id    ``value`` on every input; ``form_table_add`` / ``form_table_remove`` on a table's row
               buttons, whose value is the table id (the caller keeps row counts, re-renders, and passes
               them back as `rows`)

What the modal cannot offer it says in a sentence where the input would be, and it refuses the whole
template (`FormNotFillable`) when such a control is required: Location, BankAccount, Formula and kinds it
does not know; a Selector or Vacation with no options or more than 100 (an external select would need an
options endpoint, and listing only the first 100 would hide choices); a department Contact when no
departments are given; a Table none of whose columns can be filled in. A form that needs more than
Slack's 100 blocks raises `TemplateTooLarge`: it is never truncated, and "Add row" only appears while
another row fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.form_reader import (
    ACTION,
    AM,
    BEGIN,
    BEGIN_HALF,
    END,
    END_HALF,
    PM,
    Slot,
    hourly,
    row_count,
    shanghai_time,
)
from bot.forms import Answer, Control, DateSpan, Option, Template
from bot.i18n import CATALOG, t
from bot.kinds import problem
from handlers.cards import HEADER_LIMIT, context, escape, one_line, section, user_text
from handlers.kinds import ELEMENTS
from handlers.kinds.base import (
    LABEL_LIMIT,
    initial_day,
    initial_moment,
    is_moment,
    name,
    option,
    placeholder,
    plain,
    plain_text,
)
from handlers.kinds.table import ACTION_TABLE_ADD, ACTION_TABLE_REMOVE

__all__ = [
    "ACTION_TABLE_ADD",
    "ACTION_TABLE_REMOVE",
    "CALLBACK_ID",
    "MAX_BLOCKS",
    "FormNotFillable",
    "TemplateTooLarge",
    "build_form_view",
]

CALLBACK_ID = "approval_form"

# Slack's limits (https://docs.slack.dev/reference/block-kit)
MAX_BLOCKS = 100
VIEW_TITLE_LIMIT = 24
NAME_LIMIT = 200  # a control's title inside a sentence: WeCom allows 40, so this only stops garbage
REASON_LIMIT = 1000  # our own sentence, but it names the control's kind, which comes from the template


class FormNotFillable(ValueError):
    """A required control cannot be filled in from Slack; the message says which, and why, in plain words."""


class TemplateTooLarge(ValueError):
    """The form needs more blocks than a Slack view holds; the message says how many."""


def build_form_view(
    template: Template,
    lang: str,
    *,
    private_metadata: str,
    rows: Mapping[str, int] | None = None,
    initial: Mapping[str, Answer] | None = None,
    departments: Sequence[Option] = (),
    notice: str = "",
) -> dict:
    """The modal for `template`: `rows` per table id (1 when absent), `initial` answers to start from (a
    draft WeCom refused, say), `departments` for department Contacts, and a `notice` to show on top."""
    form = Form(template, lang, rows or {}, initial or {}, departments, spare=MAX_BLOCKS)
    form.refuse_unfillable()
    intro = [*_notice(notice), _header(form.name)]
    needed = len(intro) + len(form.body())  # the count does not depend on spare
    if needed > MAX_BLOCKS:
        raise TemplateTooLarge(form.say("form.too_large", count=needed, limit=MAX_BLOCKS))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(form.name, VIEW_TITLE_LIMIT),  # clipped; the header below has it whole
        "submit": plain(form.say("form.submit"), VIEW_TITLE_LIMIT),
        "close": plain(form.say("form.close"), VIEW_TITLE_LIMIT),
        "private_metadata": private_metadata,
        "blocks": [*intro, *form.spared(MAX_BLOCKS - needed).body()],
    }


class Form:
    """Renders one template in one language; every method is a pure function of the constructor's inputs.

    Each kind's element (`handlers.kinds`) builds its blocks through the public methods; a table offers
    "Add row" only while one more row fits in `spare` blocks."""

    max_blocks = MAX_BLOCKS

    def __init__(
        self,
        template: Template,
        lang: str,
        rows: Mapping[str, int],
        initial: Mapping[str, Answer],
        departments: Sequence[Option],
        *,
        spare: int,
    ) -> None:
        self._template = template
        self._lang = lang
        self.rows = rows
        self._initial = initial
        self.departments = departments
        self.spare = spare
        self.name = one_line(template.name) or t("card.untitled", lang)

    def spared(self, spare: int) -> Form:
        """The same form, with `spare` blocks left for more table rows."""
        return Form(self._template, self._lang, self.rows, self._initial, self.departments, spare=spare)

    def say(self, key: str, **params: object) -> str:
        """The catalog's text `key` (``form.*`` in `bot.i18n`), naming this template and its provider."""
        return t(key, self._lang, template=self.name, provider=self._provider(), **params)

    def refuse_unfillable(self) -> None:
        """Raises `FormNotFillable` for the first required control or table column it cannot offer."""
        for control in self._template.controls:
            problem = self._problem(control)
            self._refuse_if(control, problem)
            if not problem:  # a table's columns: any other kind has none
                for column in control.children:
                    self._refuse_if(column, self._problem(column, nested=True))

    def _refuse_if(self, control: Control, problem: str) -> None:
        if control.required and problem:
            reason = self._reason(control, problem)
            raise FormNotFillable(self.say("form.not_fillable", control=name(control), reason=reason))

    def _provider(self) -> str:
        """Where else the approval can be submitted, named as people know it."""
        key = f"provider.{self._template.provider}"
        return t(key, self._lang) if key in CATALOG else self._template.provider

    def body(self) -> list[dict]:
        """Every control's blocks."""
        return [block for control in self._template.controls for block in self._blocks(Slot(control))]

    # -- what can be offered -----------------------------------------------------------------------------

    def _problem(self, control: Control, *, nested: bool = False) -> str:
        """Why the modal cannot offer an input for `control`, as a reason code ("" when it can)."""
        return problem(control, self.departments, nested=nested)

    def _reason(self, control: Control, problem: str) -> str:
        return self.say(f"form.reason.{problem}", kind=control.kind, count=len(control.options))

    # -- blocks ------------------------------------------------------------------------------------------

    def _blocks(self, slot: Slot) -> list[dict]:
        problem = self._problem(slot.control, nested=bool(slot.table))
        if problem:
            reason = self._reason(slot.control, problem)
            text = self.say(
                "form.cannot_fill",
                control=user_text(name(slot.control), NAME_LIMIT),
                reason=user_text(reason, REASON_LIMIT),
            )
            return [context(text)]
        return ELEMENTS[slot.control.kind](self, slot)

    def row(self, table: Control, row: int) -> list[dict]:
        return [block for child in table.children for block in self._blocks(Slot(child, table.id, row))]

    def input(self, slot: Slot, element: dict, *, part: str = "", label: str = "", hint: str = "") -> dict:
        """An input block: the control's title as label (row and part added), required as the control is."""
        control = slot.control
        text = " · ".join(filter(None, [self._row_label(slot), name(control), label]))
        required = self._required(slot)
        hints = [hint]
        if control.required and not required:  # a column of a row the table may do without
            hints.append(t("form.row_required", self._lang))
        block = {
            "type": "input",
            "block_id": slot.block_id(part),
            "label": plain(text, LABEL_LIMIT),
            "optional": not required,
            "element": {**element, "action_id": ACTION},
        }
        if hint_text := " ".join(filter(None, hints)):
            block["hint"] = plain(hint_text, LABEL_LIMIT)
        return block

    def _row_label(self, slot: Slot) -> str:
        return (
            self.say("form.row", row=slot.row + 1)
            if slot.table and row_count(self.rows, slot.table) > 1
            else ""
        )

    def _required(self, slot: Slot) -> bool:
        """Slack enforces required inputs itself, so only where an empty one is always wrong: at the top
        level, and in the first row of a required table; the reader checks the other rows."""
        if not slot.table:
            return slot.control.required
        return slot.control.required and slot.row == 0 and self._template.control(slot.table).required

    def answer(self, slot: Slot) -> Answer | None:
        """The initial answer for this control (in this row)."""
        if not slot.table:
            return self._initial.get(slot.control.id)
        table = self._initial.get(slot.table)
        row = table[slot.row] if isinstance(table, tuple) and slot.row < len(table) else None
        return row.get(slot.control.id) if isinstance(row, Mapping) else None

    # -- pieces the kinds share -----------------------------------------------------------------------------

    def ends(self, slot: Slot, span: DateSpan | None) -> list[dict]:
        """Begin and end: date and time to the minute, or a date and morning/afternoon by half days."""
        blocks = []
        for part, half_part, default in ((BEGIN, BEGIN_HALF, AM), (END, END_HALF, PM)):
            moment = None if span is None else span.begin if part == BEGIN else span.end
            if hourly(slot.control):
                picker = {"type": "datetimepicker", **initial_moment(moment)}
                blocks.append(self.input(slot, picker, part=part, label=self.say(f"form.{part}")))
                continue
            picker = {"type": "datepicker", **initial_day(moment)}
            blocks.append(self.input(slot, picker, part=part, label=self.say(f"form.{part}_day")))
            blocks.append(
                self.input(
                    slot, self._half(moment, default), part=half_part, label=self.say(f"form.{half_part}")
                )
            )
        return blocks

    def select(
        self, slot: Slot, options: Sequence[Option], chosen: Sequence[str], *, part: str = "", label: str = ""
    ) -> dict:
        """A (multi) static select over `options`, starting from the `chosen` keys it still offers."""
        offered = {o.key: option(o) for o in options}
        initial = [offered[key] for key in chosen if key in offered]
        element: dict[str, Any] = {
            "type": "multi_static_select" if slot.control.multi else "static_select",
            **placeholder(slot.control),
            "options": list(offered.values()),
        }
        if initial:
            element.update(
                {"initial_options": initial} if slot.control.multi else {"initial_option": initial[0]}
            )
        return self.input(slot, element, part=part, label=label)

    def _half(self, moment: int | None, default: str) -> dict:
        """The morning/afternoon select, starting from the half `moment` falls in."""
        half = (PM if shanghai_time(moment).hour >= 12 else AM) if is_moment(moment) else default
        options = {h: {"text": plain_text(self.say(f"form.{h}")), "value": h} for h in (AM, PM)}
        return {"type": "static_select", "options": list(options.values()), "initial_option": options[half]}


# -- Block Kit pieces ------------------------------------------------------------------------------------


def _header(text: str) -> dict:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def _notice(notice: str) -> list[dict]:
    """The plain-text `notice` (why the last attempt was refused, say) on top, escaped, then clamped
    with its warning sign to what a section holds."""
    text = notice.strip()
    return [section(f"⚠️ {escape(text)}")] if text else []

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

from bot.form_reader import ACTION, Slot, row_count
from bot.forms import Answer, Control, Option, Template
from bot.i18n import t
from bot.kinds import inputs, problem
from bot.kinds.widgets import Input, Widget
from handlers.cards import escape, one_line, section
from handlers.widgets import (
    ACTION_TABLE_ADD,
    ACTION_TABLE_REMOVE,
    LABEL_LIMIT,
    block,
    element,
    header,
    name,
    plain,
    reason,
)

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


class FormNotFillable(ValueError):
    """A required control cannot be filled in from Slack; the message says which, and why, in plain words."""


class TemplateTooLarge(ValueError):
    """The form needs more blocks than a Slack view holds; the message says how many."""


def build_form_view(
    template: Template,
    lang: str,
    *,
    private_metadata: str,
    provider_name: str = "",
    rows: Mapping[str, int] | None = None,
    initial: Mapping[str, Answer] | None = None,
    departments: Sequence[Option] = (),
    notice: str = "",
) -> dict:
    """The modal for `template`: `provider_name` is what people call the system it is filed in (the
    provider's display name; its id when empty), `rows` per table id (1 when absent), `initial` answers to
    start from (a draft WeCom refused, say), `departments` for department Contacts, a `notice` on top."""
    where = provider_name or template.provider
    form = Form(template, lang, where, rows or {}, initial or {}, departments, spare=MAX_BLOCKS)
    form.refuse_unfillable()
    intro = [*_notice(notice), header(form.name)]
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

    It is the `bot.kinds.base.FormView` the kinds describe their widgets through (`bot.kinds.inputs`),
    and renders those widgets (`handlers.widgets`); a table offers "Add row" only while one more row fits
    in `spare` blocks."""

    max_blocks = MAX_BLOCKS

    def __init__(
        self,
        template: Template,
        lang: str,
        provider_name: str,
        rows: Mapping[str, int],
        initial: Mapping[str, Answer],
        departments: Sequence[Option],
        *,
        spare: int,
    ) -> None:
        self._template = template
        self._lang = lang
        self._provider_name = provider_name
        self.rows = rows
        self._initial = initial
        self.departments = departments
        self.spare = spare
        self.name = one_line(template.name) or t("card.untitled", lang)

    def spared(self, spare: int) -> Form:
        """The same form, with `spare` blocks left for more table rows."""
        return Form(
            self._template,
            self._lang,
            self._provider_name,
            self.rows,
            self._initial,
            self.departments,
            spare=spare,
        )

    def say(self, key: str, **params: object) -> str:
        """The catalog's text `key` (``form.*`` in `bot.i18n`), naming this template and its provider."""
        return t(key, self._lang, template=self.name, provider=self._provider_name, **params)

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
            why = reason(control, problem, self.say)
            raise FormNotFillable(self.say("form.not_fillable", control=name(control), reason=why))

    def body(self) -> list[dict]:
        """Every control's blocks."""
        widgets = [widget for control in self._template.controls for widget in inputs(self, Slot(control))]
        return [self._block(widget) for widget in widgets]

    def _problem(self, control: Control, *, nested: bool = False) -> str:
        """Why the modal cannot offer an input for `control`, as a reason code ("" when it can)."""
        return problem(control, self.departments, nested=nested)

    # -- what the kinds ask of the form (`bot.kinds.base.FormView`) -------------------------------------

    def row(self, table: Control, row: int) -> list[Widget]:
        return [widget for child in table.children for widget in inputs(self, Slot(child, table.id, row))]

    def answer(self, slot: Slot) -> Answer | None:
        """The initial answer for this control (in this row)."""
        if not slot.table:
            return self._initial.get(slot.control.id)
        table = self._initial.get(slot.table)
        row = table[slot.row] if isinstance(table, tuple) and slot.row < len(table) else None
        return row.get(slot.control.id) if isinstance(row, Mapping) else None

    # -- blocks ------------------------------------------------------------------------------------------

    def _block(self, widget: Widget) -> dict:
        return self._input(widget) if isinstance(widget, Input) else block(widget, self.say)

    def _input(self, widget: Input) -> dict:
        """An input block: the control's title as label (row and widget's label added), required as the
        control is."""
        slot, control = widget.slot, widget.slot.control
        text = " · ".join(filter(None, [self._row_label(slot), name(control), widget.label]))
        required = self._required(slot)
        hints = [one_line(widget.hint)]
        if control.required and not required:  # a column of a row the table may do without
            hints.append(t("form.row_required", self._lang))
        found = {
            "type": "input",
            "block_id": slot.block_id(widget.part),
            "label": plain(text, LABEL_LIMIT),
            "optional": not required,
            "element": {**element(widget), "action_id": ACTION},
        }
        if hint_text := " ".join(filter(None, hints)):
            found["hint"] = plain(hint_text, LABEL_LIMIT)
        return found

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


# -- Block Kit pieces ------------------------------------------------------------------------------------


def _notice(notice: str) -> list[dict]:
    """The plain-text `notice` (why the last attempt was refused, say) on top, escaped, then clamped
    with its warning sign to what a section holds."""
    text = notice.strip()
    return [section(f"⚠️ {escape(text)}")] if text else []

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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.form_reader import (
    ACTION,
    AM,
    BEGIN,
    BEGIN_HALF,
    END,
    END_HALF,
    LATEST,
    MAX_FILES,
    PM,
    READ_KINDS,
    TYPE,
    Slot,
    hourly,
    is_number,
    options_problem,
    row_count,
    shanghai_time,
)
from bot.forms import Answer, Control, DateSpan, Option, Template
from bot.i18n import CATALOG, t
from handlers.cards import HEADER_LIMIT, SECTION_LIMIT, clip, context, escape, one_line, section, user_text

CALLBACK_ID = "approval_form"
ACTION_TABLE_ADD = "form_table_add"
ACTION_TABLE_REMOVE = "form_table_remove"

# Slack's limits (https://docs.slack.dev/reference/block-kit)
MAX_BLOCKS = 100
VIEW_TITLE_LIMIT = 24
LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150
OPTION_TEXT_LIMIT = 75
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
    form = _Form(template, lang, rows or {}, initial or {}, departments)
    form.refuse_unfillable()
    intro = [*_notice(notice), _header(form.name)]
    needed = len(intro) + len(form.body(spare=MAX_BLOCKS))  # the count does not depend on spare
    if needed > MAX_BLOCKS:
        raise TemplateTooLarge(form.say("form.too_large", count=needed, limit=MAX_BLOCKS))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(form.name, VIEW_TITLE_LIMIT),  # clipped; the header below has it whole
        "submit": _plain(form.say("form.submit"), VIEW_TITLE_LIMIT),
        "close": _plain(form.say("form.close"), VIEW_TITLE_LIMIT),
        "private_metadata": private_metadata,
        "blocks": [*intro, *form.body(spare=MAX_BLOCKS - needed)],
    }


class _Form:
    """Renders one template in one language; every method is a pure function of the constructor's inputs."""

    def __init__(
        self,
        template: Template,
        lang: str,
        rows: Mapping[str, int],
        initial: Mapping[str, Answer],
        departments: Sequence[Option],
    ) -> None:
        self._template = template
        self._lang = lang
        self._rows = rows
        self._initial = initial
        self._departments = departments
        self.name = one_line(template.name) or t("card.untitled", lang)

    def say(self, key: str, **params: object) -> str:
        """The catalog's text `key` (``form.*`` in `bot.i18n`), naming this template and its provider."""
        return t(key, self._lang, template=self.name, provider=self._provider(), **params)

    def refuse_unfillable(self) -> None:
        """Raises `FormNotFillable` for the first required control or table column it cannot offer."""
        for control in self._template.controls:
            problem = self._problem(control, top=True)
            self._refuse_if(control, problem)
            if control.kind == "Table" and not problem:
                for column in control.children:
                    self._refuse_if(column, self._problem(column, top=False))

    def _refuse_if(self, control: Control, problem: str) -> None:
        if control.required and problem:
            reason = self._reason(control, problem)
            raise FormNotFillable(self.say("form.not_fillable", control=_name(control), reason=reason))

    def _provider(self) -> str:
        """Where else the approval can be submitted, named as people know it."""
        key = f"provider.{self._template.provider}"
        return t(key, self._lang) if key in CATALOG else self._template.provider

    def body(self, *, spare: int) -> list[dict]:
        """Every control's blocks; a table offers "Add row" only if one more row fits in `spare` blocks."""
        return [
            block
            for control in self._template.controls
            for block in (
                self._table(control, spare)
                if control.kind == "Table" and not self._problem(control, top=True)
                else self._blocks(Slot(control))
            )
        ]

    # -- what can be offered -----------------------------------------------------------------------------

    def _problem(self, control: Control, *, top: bool) -> str:
        """Why the modal cannot offer an input for `control`, as a reason code ("" when it can)."""
        if control.kind == "Table" and top:
            columns = [c for c in control.children if c.kind != "Tips"]
            return "" if any(not self._problem(c, top=False) for c in columns) else "no_columns"
        if control.kind == "Tips":
            return ""
        if control.kind not in READ_KINDS:  # a Table inside a table included
            return "unsupported"
        if control.kind in ("Selector", "Vacation"):
            return options_problem(control.options)
        if control.kind == "Contact" and control.contact_mode == "department":
            return "no_departments" if options_problem(self._departments) else ""
        return ""

    def _reason(self, control: Control, problem: str) -> str:
        return self.say(f"form.reason.{problem}", kind=control.kind, count=len(control.options))

    # -- blocks ------------------------------------------------------------------------------------------

    def _blocks(self, slot: Slot) -> list[dict]:
        problem = self._problem(slot.control, top=not slot.table)
        if problem:
            name, reason = _name(slot.control), self._reason(slot.control, problem)
            text = self.say(
                "form.cannot_fill",
                control=user_text(name, NAME_LIMIT),
                reason=user_text(reason, REASON_LIMIT),
            )
            return [context(text)]
        return _RENDERERS[slot.control.kind](self, slot)

    def _table(self, table: Control, spare: int) -> list[dict]:
        count = row_count(self._rows, table.id)
        blocks = [_header(_name(table))]
        for row in range(count):
            blocks += self._row(table, row)
        buttons = []
        if len(self._row(table, 0)) <= spare:
            buttons.append(_button(self.say("form.add_row"), ACTION_TABLE_ADD, table.id))
        if count > 1:
            buttons.append(_button(self.say("form.remove_row"), ACTION_TABLE_REMOVE, table.id))
        blocks.append(
            {"type": "actions", "elements": buttons}
            if buttons
            else context(self.say("form.table_full", limit=MAX_BLOCKS))
        )
        return blocks

    def _row(self, table: Control, row: int) -> list[dict]:
        return [block for child in table.children for block in self._blocks(Slot(child, table.id, row))]

    def _input(self, slot: Slot, element: dict, *, part: str = "", label: str = "", hint: str = "") -> dict:
        """An input block: the control's title as label (row and part added), required as the control is."""
        control = slot.control
        text = " · ".join(filter(None, [self._row_label(slot), _name(control), label]))
        required = self._required(slot)
        hints = [hint]
        if control.required and not required:  # a column of a row the table may do without
            hints.append(t("form.row_required", self._lang))
        block = {
            "type": "input",
            "block_id": slot.block_id(part),
            "label": _plain(text, LABEL_LIMIT),
            "optional": not required,
            "element": {**element, "action_id": ACTION},
        }
        if hint_text := " ".join(filter(None, hints)):
            block["hint"] = _plain(hint_text, LABEL_LIMIT)
        return block

    def _row_label(self, slot: Slot) -> str:
        return (
            self.say("form.row", row=slot.row + 1)
            if slot.table and row_count(self._rows, slot.table) > 1
            else ""
        )

    def _required(self, slot: Slot) -> bool:
        """Slack enforces required inputs itself, so only where an empty one is always wrong: at the top
        level, and in the first row of a required table; the reader checks the other rows."""
        if not slot.table:
            return slot.control.required
        return slot.control.required and slot.row == 0 and self._template.control(slot.table).required

    def _answer(self, slot: Slot) -> Answer | None:
        """The initial answer for this control (in this row)."""
        if not slot.table:
            return self._initial.get(slot.control.id)
        table = self._initial.get(slot.table)
        row = table[slot.row] if isinstance(table, tuple) and slot.row < len(table) else None
        return row.get(slot.control.id) if isinstance(row, Mapping) else None

    # -- one renderer per kind ---------------------------------------------------------------------------

    def _text(self, slot: Slot) -> list[dict]:
        element: dict[str, Any] = {"type": "plain_text_input", **_placeholder(slot.control)}
        if slot.control.kind == "Textarea":
            element["multiline"] = True
        answer = self._answer(slot)
        value = ", ".join(_strings(answer)) if isinstance(answer, tuple) else answer
        if isinstance(value, str) and value:
            element["initial_value"] = value
        return [self._input(slot, element)]

    def _number(self, slot: Slot) -> list[dict]:
        element: dict[str, Any] = {
            "type": "number_input",
            "is_decimal_allowed": True,
            **_placeholder(slot.control),
        }
        answer = self._answer(slot)
        if isinstance(answer, str) and is_number(answer):
            element["initial_value"] = answer
        return [self._input(slot, element)]

    def _date(self, slot: Slot) -> list[dict]:
        answer = self._answer(slot)
        if hourly(slot.control):
            element = {"type": "datetimepicker", **_initial_moment(answer)}
            return [self._input(slot, element, hint=one_line(slot.control.placeholder))]
        return [
            self._input(slot, {"type": "datepicker", **_placeholder(slot.control), **_initial_day(answer)})
        ]

    def _selector(self, slot: Slot) -> list[dict]:
        return [self._select(slot, slot.control.options, _strings(self._answer(slot)))]

    def _contact(self, slot: Slot) -> list[dict]:
        chosen = _strings(self._answer(slot))
        if slot.control.contact_mode == "department":
            return [self._select(slot, self._departments, chosen)]
        element: dict[str, Any] = {
            "type": "multi_users_select" if slot.control.multi else "users_select",
            **_placeholder(slot.control),
        }
        if chosen:
            element.update(
                {"initial_users": list(chosen)} if slot.control.multi else {"initial_user": chosen[0]}
            )
        return [self._input(slot, element)]

    def _file(self, slot: Slot) -> list[dict]:
        """Up to 6 files here; the approval-wide limit of 6 is the reader's to enforce."""
        hints = [
            one_line(slot.control.placeholder),
            self.say("form.files_not_kept") if self._answer(slot) else "",
        ]
        element = {"type": "file_input", "max_files": MAX_FILES}
        return [self._input(slot, element, hint=" ".join(filter(None, hints)))]

    def _tips(self, slot: Slot) -> list[dict]:
        text = (slot.control.text or slot.control.title).strip()
        return [section(user_text(text, SECTION_LIMIT))] if text else []

    def _span(self, slot: Slot) -> list[dict]:
        """Attendance and DateRange, whose answer is a DateSpan."""
        answer = self._answer(slot)
        return self._ends(slot, answer if isinstance(answer, DateSpan) else None)

    def _vacation(self, slot: Slot) -> list[dict]:
        """The leave type, then the span: the answer is (type key, DateSpan)."""
        answer = self._answer(slot)
        key, span = answer if isinstance(answer, tuple) and len(answer) == 2 else ("", None)
        kind = self._select(
            slot, slot.control.options, _strings((key,)), part=TYPE, label=self.say("form.type")
        )
        return [kind, *self._ends(slot, span if isinstance(span, DateSpan) else None)]

    def _ends(self, slot: Slot, span: DateSpan | None) -> list[dict]:
        """Begin and end: date and time to the minute, or a date and morning/afternoon by half days."""
        blocks = []
        for part, half_part, default in ((BEGIN, BEGIN_HALF, AM), (END, END_HALF, PM)):
            moment = None if span is None else span.begin if part == BEGIN else span.end
            if hourly(slot.control):
                picker = {"type": "datetimepicker", **_initial_moment(moment)}
                blocks.append(self._input(slot, picker, part=part, label=self.say(f"form.{part}")))
                continue
            picker = {"type": "datepicker", **_initial_day(moment)}
            blocks.append(self._input(slot, picker, part=part, label=self.say(f"form.{part}_day")))
            blocks.append(
                self._input(
                    slot, self._half(moment, default), part=half_part, label=self.say(f"form.{half_part}")
                )
            )
        return blocks

    def _select(
        self, slot: Slot, options: Sequence[Option], chosen: Sequence[str], *, part: str = "", label: str = ""
    ) -> dict:
        """A (multi) static select over `options`, starting from the `chosen` keys it still offers."""
        offered = {o.key: _option(o) for o in options}
        initial = [offered[key] for key in chosen if key in offered]
        element: dict[str, Any] = {
            "type": "multi_static_select" if slot.control.multi else "static_select",
            **_placeholder(slot.control),
            "options": list(offered.values()),
        }
        if initial:
            element.update(
                {"initial_options": initial} if slot.control.multi else {"initial_option": initial[0]}
            )
        return self._input(slot, element, part=part, label=label)

    def _half(self, moment: int | None, default: str) -> dict:
        """The morning/afternoon select, starting from the half `moment` falls in."""
        half = (PM if shanghai_time(moment).hour >= 12 else AM) if _is_moment(moment) else default
        options = {h: {"text": _plain_text(self.say(f"form.{h}")), "value": h} for h in (AM, PM)}
        return {"type": "static_select", "options": list(options.values()), "initial_option": options[half]}


_RENDERERS: dict[str, Callable[[_Form, Slot], list[dict]]] = {
    "Text": _Form._text,
    "Textarea": _Form._text,
    "PhoneNumber": _Form._text,
    "RelatedApproval": _Form._text,
    "Number": _Form._number,
    "Money": _Form._number,
    "Date": _Form._date,
    "Selector": _Form._selector,
    "Contact": _Form._contact,
    "File": _Form._file,
    "Tips": _Form._tips,
    "Vacation": _Form._vacation,
    "Attendance": _Form._span,
    "DateRange": _Form._span,
}


# -- Block Kit pieces ------------------------------------------------------------------------------------


def _name(control: Control) -> str:
    """A control's title on one line; its id when it has none (Slack refuses empty labels)."""
    return one_line(control.title) or control.id


def _plain_text(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def _plain(text: str, limit: int) -> dict:
    return _plain_text(clip(text, limit))


def _placeholder(control: Control) -> dict:
    text = one_line(control.placeholder)
    return {"placeholder": _plain(text, PLACEHOLDER_LIMIT)} if text else {}


def _option(option: Option) -> dict:
    return {"text": _plain(one_line(option.text) or option.key, OPTION_TEXT_LIMIT), "value": option.key}


def _initial_moment(moment: Any) -> dict:
    return {"initial_date_time": moment} if _is_moment(moment) else {}


def _initial_day(moment: Any) -> dict:
    return {"initial_date": shanghai_time(moment).date().isoformat()} if _is_moment(moment) else {}


def _is_moment(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= LATEST


def _strings(value: Any) -> tuple[str, ...]:
    """The keys or ids of an initial answer (a tuple), each once; nothing from an answer of another shape."""
    return (
        tuple(dict.fromkeys(v for v in value if isinstance(v, str) and v)) if isinstance(value, tuple) else ()
    )


def _header(text: str) -> dict:
    return {"type": "header", "text": _plain(text, HEADER_LIMIT)}


def _notice(notice: str) -> list[dict]:
    """The plain-text `notice` (why the last attempt was refused, say) on top, escaped, then clamped
    with its warning sign to what a section holds."""
    text = notice.strip()
    return [section(f"⚠️ {escape(text)}")] if text else []


def _button(text: str, action_id: str, value: str) -> dict:
    return {"type": "button", "text": _plain_text(text), "action_id": action_id, "value": value}

"""What the control kinds show (`bot.kinds.widgets`), as Block Kit: each widget is one block.

An input widget becomes an element here, which the modal (`handlers.modals`) wraps in an input block with
the control's label and hint; the other widgets become whole blocks. Texts are clipped to Slack's limits,
and the template's own texts escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.forms import Control, Option
from bot.kinds.widgets import (
    DatePicker,
    DateTimePicker,
    FileInput,
    Heading,
    Input,
    Note,
    NumberInput,
    RowButtons,
    Select,
    TextInput,
    Unfillable,
    UserSelect,
)
from handlers.cards import (
    CONTEXT_LIMIT,
    HEADER_LIMIT,
    SECTION_LIMIT,
    clip,
    context,
    one_line,
    section,
    user_text,
)

ACTION_TABLE_ADD = "form_table_add"
ACTION_TABLE_REMOVE = "form_table_remove"

# Slack's limits (https://docs.slack.dev/reference/block-kit)
LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150
OPTION_TEXT_LIMIT = 75
NAME_LIMIT = 200  # a control's title inside a sentence: WeCom allows 40, so this only stops garbage
REASON_LIMIT = 1000  # our own sentence, but it names the control's kind, which comes from the template

Words = Callable[..., str]  # the form's catalog texts, in its language (its `say`)


def element(widget: Input) -> dict:
    """The Block Kit element of an input widget (its action id is the modal's to add)."""
    match widget:
        case TextInput():
            return {
                "type": "plain_text_input",
                **placeholder(widget.placeholder),
                **({"multiline": True} if widget.multiline else {}),
                **({"initial_value": widget.initial} if widget.initial else {}),
            }
        case NumberInput():
            return {
                "type": "number_input",
                "is_decimal_allowed": True,
                **placeholder(widget.placeholder),
                **({"initial_value": widget.initial} if widget.initial else {}),
            }
        case DatePicker():
            return {
                "type": "datepicker",
                **placeholder(widget.placeholder),
                **({"initial_date": widget.initial.isoformat()} if widget.initial is not None else {}),
            }
        case DateTimePicker():
            return {
                "type": "datetimepicker",
                **({"initial_date_time": widget.initial} if widget.initial is not None else {}),
            }
        case Select():
            return _select(widget)
        case UserSelect():
            return _user_select(widget)
        case FileInput():
            return {"type": "file_input", "max_files": widget.max_files}
    raise TypeError(f"no Block Kit element for {type(widget).__name__}")


def _user_select(widget: UserSelect) -> dict:
    found: dict[str, Any] = {
        "type": "multi_users_select" if widget.multi else "users_select",
        **placeholder(widget.placeholder),
    }
    if widget.chosen:
        found.update(
            {"initial_users": list(widget.chosen)} if widget.multi else {"initial_user": widget.chosen[0]}
        )
    return found


def _select(widget: Select) -> dict:
    """A (multi) static select over its options, starting from the chosen keys it still offers."""
    offered = {o.key: option(o) for o in widget.options}
    initial = [offered[key] for key in widget.chosen if key in offered]
    found: dict[str, Any] = {
        "type": "multi_static_select" if widget.multi else "static_select",
        **placeholder(widget.placeholder),
        "options": list(offered.values()),
    }
    if initial:
        found.update({"initial_options": initial} if widget.multi else {"initial_option": initial[0]})
    return found


def block(widget: Note | Heading | RowButtons | Unfillable, say: Words) -> dict:
    """The block of a widget that is no input."""
    match widget:
        case Note(text=text, aside=True):
            return context(user_text(text, CONTEXT_LIMIT))
        case Note(text=text):
            return section(user_text(text, SECTION_LIMIT))
        case Heading():
            return header(name(widget.slot.control))
        case RowButtons():
            table = widget.slot.control.id
            buttons = [
                *([button(say("form.add_row"), ACTION_TABLE_ADD, table)] if widget.add else []),
                *([button(say("form.remove_row"), ACTION_TABLE_REMOVE, table)] if widget.remove else []),
            ]
            return {"type": "actions", "elements": buttons}
        case Unfillable():
            control = widget.slot.control
            text = say(
                "form.cannot_fill",
                control=user_text(name(control), NAME_LIMIT),
                reason=user_text(reason(control, widget.problem, say), REASON_LIMIT),
            )
            return context(text)
    raise TypeError(f"no Block Kit block for {type(widget).__name__}")


def reason(control: Control, problem: str, say: Words) -> str:
    """Why `control` cannot be filled in, from its reason code (`bot.kinds.problem`), in words."""
    return say(f"form.reason.{problem}", kind=control.kind, count=len(control.options))


# -- Block Kit pieces ------------------------------------------------------------------------------------


def name(control: Control) -> str:
    """A control's title on one line; its id when it has none (Slack refuses empty labels)."""
    return one_line(control.title) or control.id


def plain_text(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def plain(text: str, limit: int) -> dict:
    return plain_text(clip(text, limit))


def placeholder(text: str) -> dict:
    shown = one_line(text)
    return {"placeholder": plain(shown, PLACEHOLDER_LIMIT)} if shown else {}


def option(choice: Option) -> dict:
    return {"text": plain(one_line(choice.text) or choice.key, OPTION_TEXT_LIMIT), "value": choice.key}


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def button(text: str, action_id: str, value: str) -> dict:
    return {"type": "button", "text": plain_text(text), "action_id": action_id, "value": value}

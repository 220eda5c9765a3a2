"""What every Slack element of a control kind shares: Block Kit pieces, clipped to Slack's limits.

An element module (one per kind, registered in `handlers.kinds`) turns a `Slot` into the blocks of the
approval form modal, through the form it is given (`handlers.modals`): its inputs, selects, the initial
answer of the slot, and the template's words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from bot.form_reader import LATEST, shanghai_time
from bot.forms import Answer, Control, DateSpan, Option
from bot.kinds.base import Slot
from handlers.cards import clip, one_line


class Form(Protocol):
    """What a kind's element asks of the form being rendered (`handlers.modals.Form` makes it): the
    answer to prefill, inputs and selects built the form's way, texts in its language, table rows."""

    max_blocks: int
    rows: Mapping[str, int]
    departments: Sequence[Option]
    spare: int

    def answer(self, slot: Slot) -> Answer | None: ...
    def ends(self, slot: Slot, span: DateSpan | None) -> list[dict]: ...
    def input(
        self, slot: Slot, element: dict, *, part: str = "", label: str = "", hint: str = ""
    ) -> dict: ...
    def row(self, table: Control, row: int) -> list[dict]: ...
    def say(self, key: str, **params: object) -> str: ...
    def select(
        self, slot: Slot, options: Sequence[Option], chosen: Sequence[str], *, part: str = "", label: str = ""
    ) -> dict: ...

# Slack's limits (https://docs.slack.dev/reference/block-kit)
LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150
OPTION_TEXT_LIMIT = 75

Element = Callable[["Form", Slot], list[dict]]  # a kind's blocks for one slot of the form


def name(control: Control) -> str:
    """A control's title on one line; its id when it has none (Slack refuses empty labels)."""
    return one_line(control.title) or control.id


def plain_text(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def plain(text: str, limit: int) -> dict:
    return plain_text(clip(text, limit))


def placeholder(control: Control) -> dict:
    text = one_line(control.placeholder)
    return {"placeholder": plain(text, PLACEHOLDER_LIMIT)} if text else {}


def option(choice: Option) -> dict:
    return {"text": plain(one_line(choice.text) or choice.key, OPTION_TEXT_LIMIT), "value": choice.key}


def initial_moment(moment: Any) -> dict:
    return {"initial_date_time": moment} if is_moment(moment) else {}


def initial_day(moment: Any) -> dict:
    return {"initial_date": shanghai_time(moment).date().isoformat()} if is_moment(moment) else {}


def is_moment(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= LATEST


def strings(value: Any) -> tuple[str, ...]:
    """The keys or ids of an initial answer (a tuple), each once; nothing from an answer of another shape."""
    return (
        tuple(dict.fromkeys(v for v in value if isinstance(v, str) and v)) if isinstance(value, tuple) else ()
    )


def header(text: str, limit: int) -> dict:
    return {"type": "header", "text": plain(text, limit)}


def button(text: str, action_id: str, value: str) -> dict:
    return {"type": "button", "text": plain_text(text), "action_id": action_id, "value": value}

"""What a control kind shows in the approval form, in words of its own rather than Slack's.

A kind describes its part of the form as a list of these widgets (`bot.kinds.base.Kind.inputs`); the Slack
edge (`handlers.widgets`) renders each to exactly one Block Kit block, so a kind can count the blocks it
needs by counting widgets (a Table does, to tell whether one more row fits). An input widget sits in a
`Slot` and, when the control takes several inputs, in a `part` of it; its `label` is said after the
control's title, its `hint` below it. Texts arrive raw: the renderer puts them on one line, clips and
escapes them as Slack needs.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date

from bot.forms import Option
from bot.kinds.slot import Slot


@dataclass(frozen=True)
class Input:
    """One input: where it sits, and what it says beside the control's title."""

    slot: Slot
    _: KW_ONLY
    part: str = ""  # the block id's suffix, for a control of several inputs
    label: str = ""
    hint: str = ""
    placeholder: str = ""


@dataclass(frozen=True)
class TextInput(Input):
    initial: str = ""
    multiline: bool = False


@dataclass(frozen=True)
class NumberInput(Input):
    """A decimal number; `initial` is a number as text, or ""."""

    initial: str = ""


@dataclass(frozen=True)
class DatePicker(Input):
    initial: date | None = None


@dataclass(frozen=True)
class DateTimePicker(Input):
    """A date and time to the minute, as seconds since the epoch. Slack shows it no placeholder."""

    initial: int | None = None


@dataclass(frozen=True)
class Select(Input):
    """One (or with `multi` several) of `options`, starting from the `chosen` keys it still offers."""

    options: tuple[Option, ...] = ()
    chosen: tuple[str, ...] = ()
    multi: bool = False


@dataclass(frozen=True)
class UserSelect(Input):
    """People of the workspace, by their Slack user ids."""

    chosen: tuple[str, ...] = ()
    multi: bool = False


@dataclass(frozen=True)
class FileInput(Input):
    """Attachments; they cannot start from an earlier answer."""

    max_files: int = 1


@dataclass(frozen=True)
class Note:
    """Text to read, not fill in: the template's own (Tips), or, set `aside` in small print, one of ours."""

    text: str
    aside: bool = False


@dataclass(frozen=True)
class Heading:
    """The control's title as a heading over the inputs it holds (a Table over its rows)."""

    slot: Slot


@dataclass(frozen=True)
class RowButtons:
    """A table's buttons: add a row (`add`), remove the last one (`remove`); at least one of them."""

    slot: Slot
    add: bool
    remove: bool


@dataclass(frozen=True)
class Unfillable:
    """Where the control's inputs would be: why it cannot be filled in, as a reason code (`Kind.problem`)."""

    slot: Slot
    problem: str


Widget = Input | Note | Heading | RowButtons | Unfillable

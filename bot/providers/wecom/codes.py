"""What WeCom's numeric codes mean, shared by the callback XML (events.py) and the detail JSON (detail.py).

The two formats spell their fields differently (<SpYj> vs "sp_yj") but send the same codes. Each module
extracts plain values from its own format and builds statuses, nodes and members here, so a code table,
what an absent code means, and the error for an unknown one live in one place.

The JSON parsers (detail.py, templates.py) also share their tolerant readers of plain values here: a text,
an integer, the zh_CN text of a ``[{text, lang}]`` list, and objects of a value that may be anything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, ParamSpec, TypeVar

from bot.model import ApprovalMode, ApprovalStatus, Member, MemberStatus, Node, NodeType

_P = ParamSpec("_P")
_T = TypeVar("_T")

# int() would also take "+1", "1_000" or non-ASCII digits; WeCom only ever sends plain digits, and never more
# than 20 of them (its largest ids are 64-bit): a longer string is refused before int() (which would raise on
# thousands of digits, or spend time on them).
MAX_DIGITS = 20
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
# Codes (statuses, actions, steps, types) are small: WeCom's fit in a signed 32-bit int, and one beyond
# that is garbage, not a code added later.
MAX_CODE = 2**31 - 1
# Times end before the year 10000: the cards show them as dates, and datetime cannot go further.
MAX_TIME = 253_402_300_800
# Ids (approval numbers, templates, users, comments) key the bot's state and its lookups: WeCom's are short.
MAX_ID_CHARS = 256
# Repeated elements (nodes, members, comments, CC, attachments) per list: real approvals have a few dozen.
MAX_ITEMS = 2_000

ZH_CN = "zh_CN"  # the language whose text a [{text, lang}] list is read in

# ApproverAttr (SpRecord) and NodeAttr (open engine) count the other way round from ApvRel.
_ATTR_MODES = {1: ApprovalMode.ANY, 2: ApprovalMode.ALL}  # 1-或签 2-会签

# The open engine knows only these 申请单 states (审批中/已通过/已驳回/已撤销).
_OPEN_STATUSES = {code: ApprovalStatus(code) for code in (1, 2, 3, 4)}


class CodeError(ValueError):
    """An integer the snapshot needs is missing, or a code is one this bot does not know.

    Callers catch each parser's own error, which this module cannot know: `reraised_as` turns this into it.
    """


class Raw(NamedTuple):
    """An integer field as sent (None when absent), named so that an error can say which one."""

    field: str
    value: int | None


def reraised_as(error: type[ValueError]) -> Callable[[Callable[_P, _T]], Callable[_P, _T]]:
    """Decorates a parser so that a `CodeError` leaves it as `error`, the one exception its callers catch."""

    def decorate(parse: Callable[_P, _T]) -> Callable[_P, _T]:
        @functools.wraps(parse)
        def reraising(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            try:
                return parse(*args, **kwargs)
            except CodeError as exc:
                raise error(str(exc)) from exc

        return reraising

    return decorate


def digits(text: str) -> int | None:
    """The number a text of at most MAX_DIGITS plain ASCII digits spells, surrounding space aside; None for
    anything else."""
    text = text.strip()
    return int(text) if _DIGITS.fullmatch(text) else None


def text(value: Any, numbers: tuple[type, ...] = (int,)) -> str:
    """A JSON string, stripped, or a number of one of the types `numbers` as Python prints it (ids may come
    as numbers); "" for anything else, booleans included."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, numbers) and not isinstance(value, bool):
        return str(value)
    return ""


def integer(value: Any) -> int | None:
    """A whole JSON number as it is, or a text of plain digits; None for anything else, booleans included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return digits(value) if isinstance(value, str) else None


def localized(entries: Any, numbers: tuple[type, ...] = (int,)) -> str:
    """The zh_CN text of a WeCom ``[{text, lang}]`` list, else its first text; "" when it has none. Each
    text is read as `text` reads it."""
    texts = [(e.get("lang"), text(e.get("text"), numbers)) for e in as_objs(entries)]
    texts = [(lang, found) for lang, found in texts if found]
    return next((found for lang, found in texts if lang == ZH_CN), texts[0][1] if texts else "")


def as_obj(value: Any) -> Mapping[str, Any]:
    """An object as it is; {} for anything else."""
    return value if isinstance(value, Mapping) else {}


def as_objs(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list; [] for anything but a list."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def number(raw: Raw, default: int | None = None) -> int:
    """A code or count as it is (at most MAX_CODE); without a default the field is required."""
    value = _decode(raw, int, default)
    if value > MAX_CODE:
        raise CodeError(f"{raw.field}: {value} is too large for a code or count")
    return value


def moment(raw: Raw, default: int | None = None) -> int:
    """A unix time the bot can show and compare: from 0 up to the end of year 9999."""
    value = _decode(raw, int, default)
    if not 0 <= value < MAX_TIME:
        raise CodeError(f"{raw.field}: time out of range: {value}")
    return value


def identifier(field: str, value: str) -> str:
    """An id the bot keys state and lookups on, as it is: at most MAX_ID_CHARS printable characters."""
    if len(value) > MAX_ID_CHARS:
        raise CodeError(f"{field}: longer than {MAX_ID_CHARS} characters")
    if not value.replace(" ", "").isprintable():
        raise CodeError(f"{field}: control or invisible characters in {value[:40]!r}")
    return value


def bounded(field: str, items: list[_T]) -> list[_T]:
    """A repeated element's items, refused beyond MAX_ITEMS: no approval needs more."""
    if len(items) > MAX_ITEMS:
        raise CodeError(f"{field}: {len(items)} items, more than {MAX_ITEMS}")
    return items


def approval_status(raw: Raw) -> ApprovalStatus:
    """SpStatus of the 审批 app, which may be any `ApprovalStatus`."""
    return _decode(raw, ApprovalStatus)


def open_status(raw: Raw) -> ApprovalStatus:
    """OpenSpStatus of the approval engine."""
    return _decode(raw, _OPEN_STATUSES.__getitem__)


def process_node(node_type: Raw, apv_rel: Raw, status: Raw, members: Iterable[Member]) -> Node:
    """A ProcessList node; a CC node carries neither status nor ApvRel: it never waits on anyone."""
    return Node(
        type=_decode(node_type, NodeType),
        mode=_decode(apv_rel, ApprovalMode, ApprovalMode.ALL),
        status=_member_status(status),
        members=tuple(members),
    )


def approver_node(attr: Raw, status: Raw, members: Iterable[Member]) -> Node:
    """An SpRecord or engine node: always an approver step (the engine's NodeType is 固定成员/标签/上级)."""
    return Node(
        type=NodeType.APPROVER,
        mode=_decode(attr, _ATTR_MODES.__getitem__, ApprovalMode.ALL),
        status=_member_status(status),
        members=tuple(members),
    )


def member(user_id: str, status: Raw, speech: str, time: int, media_ids: tuple[str, ...] = ()) -> Member:
    """A node's member: everything but the status is taken as extracted."""
    return Member(user_id, _member_status(status), speech, time, media_ids)


def _member_status(raw: Raw) -> MemberStatus:
    """A node's or member's state; absent means nobody has acted yet."""
    return _decode(raw, MemberStatus, MemberStatus.PENDING)


def _decode(raw: Raw, meaning: Callable[[int], _T], absent: _T | None = None) -> _T:
    """What a code means; `absent` stands in for a missing one, and without it the field is required."""
    if raw.value is None:
        if absent is None:
            raise CodeError(f"{raw.field} missing")
        return absent
    try:
        return meaning(raw.value)
    except (KeyError, ValueError) as exc:
        raise CodeError(f"{raw.field}: unknown code {raw.value}") from exc

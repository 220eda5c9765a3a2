"""WeCom detail responses -> `Snapshot`.

``oa/getapprovaldetail`` (the 审批 app) returns the form as well as the flow, so its snapshot carries
display-ready fields and summary; ``corp/getopenapprovaldata`` (the approval engine) returns the flow
only. The raw dicts stay in this module: callers get a `Snapshot` or a `DetailParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from bot.model import Comment, FormField, Member, Node, Snapshot
from bot.providers.wecom import codes

_Json = Mapping[str, Any]

_NUMBERS = (int, float)  # JSON numbers read as text: both kinds, as Python prints them
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # no exponent, NaN or Infinity to blow up a format

# WeCom shows times in China Standard Time, which has had no daylight saving since 1991: a fixed
# offset is exact and needs no tz database on the host.
_SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_ATTENDANCE_TYPES = {1: "leave", 3: "business trip", 4: "outing", 5: "overtime"}
_SUMMARY_LINES = 3  # WeCom shows at most three summary lines
_LATEST = 4_102_444_800  # 2100-01-01: a later "time" is garbage, and datetime cannot hold them all


class DetailParseError(ValueError):
    """A detail response lacks a field the snapshot needs, or carries a code this bot does not know."""


@codes.reraised_as(DetailParseError)
def parse_approval_detail(info: _Json) -> Snapshot:
    """The `info` object of ``oa/getapprovaldetail``: the full approval, form included."""
    if not isinstance(info, Mapping):
        raise DetailParseError("info is not an object")
    applyer = _obj_field(info, "applyer")
    nodes = [_process_node(n) for n in _objs(_obj_field(info, "process_list"), "node_list")]
    if not nodes:  # process_list is newer; older approvals only have sp_record
        nodes = [_record_node(r) for r in _objs(info, "sp_record")]
    # The form is only shown, never acted on: a control of an odd shape degrades its text, not the snapshot.
    fields = tuple(
        FormField(_localized(c.get("title")), _render(c))
        for c in codes.as_objs(codes.as_obj(info.get("apply_data")).get("contents"))
        if c.get("control") != "Tips"  # fixed instructions from the template, not something filled in
    )
    return Snapshot(
        provider="wecom",
        number=_str(info, "sp_no", required=True),
        template_id=_str(info, "template_id", required=True),
        template_name=_str(info, "sp_name"),
        status=codes.approval_status(_raw(info, "sp_status")),
        applicant=_str(applyer, "userid", required=True),
        apply_time=_time(info, "apply_time"),
        applicant_party=_str(applyer, "partyid"),
        nodes=tuple(nodes),
        cc=tuple(_str(n, "userid", required=True) for n in _objs(info, "notifyer")),
        comments=tuple(_comment(c) for c in _objs(info, "comments")),
        summary=_summary(info) or _fallback_summary(fields),
        fields=fields,
        has_details=True,
    )


@codes.reraised_as(DetailParseError)
def parse_open_approval_data(data: _Json) -> Snapshot:
    """The `data` object of ``corp/getopenapprovaldata``: the engine keeps no form, so no fields."""
    if not isinstance(data, Mapping):
        raise DetailParseError("data is not an object")
    # The response spells it OpenSpstatus, the parameter table (and the callback) OpenSpStatus.
    given = _int(data, "OpenSpstatus" if "OpenSpstatus" in data else "OpenSpStatus")
    status = codes.open_status(codes.Raw("OpenSpstatus", given))
    step = data.get("ApproverStep")
    return Snapshot(
        provider="wecom_open",
        number=_str(data, "ThirdNo", required=True),
        template_id=_str(data, "OpenTemplateId", required=True),
        template_name=_str(data, "OpenSpName"),
        status=status,
        applicant=_str(data, "ApplyUserId", required=True),
        apply_time=_time(data, "ApplyTime"),
        applicant_party=_str(data, "ApplyUserParty"),
        nodes=tuple(_open_node(n) for n in _objs(_obj_field(data, "ApprovalNodes"), "ApprovalNode")),
        cc=tuple(
            _str(n, "ItemUserId", "ItemUserid", required=True)
            for n in _objs(_obj_field(data, "NotifyNodes"), "NotifyNode")
        ),
        current_step=None if step is None else _int(data, "ApproverStep"),
        has_details=True,  # this response is all there is to read about an engine approval
    )


# -- flow ----------------------------------------------------------------------------------------------


def _process_node(node: _Json) -> Node:
    return codes.process_node(
        _raw(node, "node_type"),
        _raw(node, "apv_rel"),
        _raw(node, "sp_status"),
        (_process_member(sub) for sub in _objs(node, "sub_node_list")),
    )


def _process_member(sub: _Json) -> Member:
    return codes.member(
        user_id=_str(sub, "userid", required=True),
        status=_raw(sub, "sp_yj"),
        speech=_str(sub, "speech"),
        time=_time(sub, "sptime", 0),
        # The docs' table says media_id; responses seen in the wild say media_ids.
        media_ids=_strs(sub, "media_ids") or _strs(sub, "media_id"),
    )


def _record_node(record: _Json) -> Node:
    return codes.approver_node(
        _raw(record, "approverattr"),
        _raw(record, "sp_status"),
        (_record_member(detail) for detail in _objs(record, "details")),
    )


def _record_member(detail: _Json) -> Member:
    return codes.member(
        user_id=_str(_obj_field(detail, "approver"), "userid", required=True),
        status=_raw(detail, "sp_status"),
        speech=_str(detail, "speech"),
        time=_time(detail, "sptime", 0),
        media_ids=_strs(detail, "media_id"),
    )


def _open_node(node: _Json) -> Node:
    return codes.approver_node(
        _raw(node, "NodeAttr"),
        _raw(node, "NodeStatus"),
        (_open_member(item) for item in _objs(_obj_field(node, "Items"), "Item")),
    )


def _open_member(item: _Json) -> Member:
    return codes.member(
        user_id=_str(item, "ItemUserId", "ItemUserid", required=True),
        status=_raw(item, "ItemStatus"),
        speech=_str(item, "ItemSpeech"),
        time=_time(item, "ItemOpTime", 0),
    )


def _comment(comment: _Json) -> Comment:
    return Comment(
        id=_str(comment, "commentid", required=True),
        user_id=_str(_obj_field(comment, "commentUserInfo"), "userid", required=True),
        time=_time(comment, "commenttime", 0),
        content=_str(comment, "commentcontent"),
        attachments=_strs(comment, "media_id"),
    )


def _summary(info: _Json) -> tuple[str, ...]:
    """The summary lines the submitter set (summary_list/summary_info), when the response has them."""
    lines = (_localized(item.get("summary_info")) for item in codes.as_objs(info.get("summary_list")))
    return tuple(line for line in lines if line)[:_SUMMARY_LINES]


def _fallback_summary(fields: tuple[FormField, ...]) -> tuple[str, ...]:
    """No summary given: the first filled-in fields stand in, one line each."""
    lines = (f"{f.title}: {'; '.join(f.value.splitlines())}" for f in fields if f.value)
    return tuple(lines)[:_SUMMARY_LINES]


# -- form controls: every renderer takes the control's `value` and tolerates any shape -------------------


def _render(control: _Json) -> str:
    """Display text of one filled control; an unknown control gets whatever text its value holds."""
    value = codes.as_obj(control.get("value"))
    renderer = _RENDERERS.get(_scalar(control.get("control")))
    return renderer(value) if renderer else _any_text(value)


def _text_value(value: _Json) -> str:
    return _scalar(value.get("text"))


def _number(value: _Json) -> str:
    return _scalar(value.get("new_number"))


def _money(value: _Json) -> str:
    raw = _scalar(value.get("new_money"))
    return f"{Decimal(raw):.2f}" if _PLAIN_DECIMAL.fullmatch(raw) else raw  # not a number: show what was sent


def _date(value: _Json) -> str:
    date = codes.as_obj(value.get("date"))
    moment = _timestamp(date.get("s_timestamp"))
    if moment is None:
        return ""
    return _format_time(moment, "%Y-%m-%d %H:%M" if date.get("type") == "hour" else "%Y-%m-%d")


def _selector(value: _Json) -> str:
    return _options(codes.as_obj(value.get("selector")))


def _contact(value: _Json) -> str:
    members = [
        _scalar(m.get("name")) or _scalar(m.get("userid")) for m in codes.as_objs(value.get("members"))
    ]
    departments = [
        _scalar(d.get("name")) or _scalar(d.get("openapi_id"))
        for d in codes.as_objs(value.get("departments"))
    ]
    return _join(*members, *departments)


def _file(value: _Json) -> str:
    count = len(codes.as_objs(value.get("files")))
    return _plural(count, "file") if count else ""


def _table(value: _Json) -> str:
    """One line per row: "title: value; title: value"."""
    rows = (
        "; ".join(
            f"{_localized(cell.get('title'))}: {_render(cell)}"
            for cell in codes.as_objs(row.get("list"))
            if cell.get("control") != "Tips"
        )
        for row in codes.as_objs(value.get("children"))
    )
    return "\n".join(row for row in rows if row)


def _vacation(value: _Json) -> str:
    vacation = codes.as_obj(value.get("vacation"))
    attendance = codes.as_obj(vacation.get("attendance"))
    return _join(
        _options(codes.as_obj(vacation.get("selector"))),
        _date_range(codes.as_obj(attendance.get("date_range"))),
    )


def _attendance(value: _Json) -> str:
    attendance = codes.as_obj(value.get("attendance"))
    kind = _ATTENDANCE_TYPES.get(_integer(attendance.get("type")), "")
    return _join(_date_range(codes.as_obj(attendance.get("date_range"))), kind)


def _punch_correction(value: _Json) -> str:
    punch = codes.as_obj(value.get("punch_correction"))
    moment = _timestamp(punch.get("time"))
    return _join(
        _scalar(punch.get("state")), "" if moment is None else _format_time(moment, "%Y-%m-%d %H:%M")
    )


def _duration_control(value: _Json) -> str:
    return _date_range(codes.as_obj(value.get("date_range")))


def _location(value: _Json) -> str:
    location = codes.as_obj(value.get("location"))
    title, address = _scalar(location.get("title")), _scalar(location.get("address"))
    if title and address:
        return f"{title} ({address})"
    return title or address or _join(_scalar(location.get("latitude")), _scalar(location.get("longitude")))


def _related_approval(value: _Json) -> str:
    related = (
        (_scalar(r.get("sp_no")), _localized(r.get("template_names")))
        for r in codes.as_objs(value.get("related_approval"))
    )
    return _join(*(f"{number} ({name})" if number and name else number or name for number, name in related))


def _formula(value: _Json) -> str:
    return _scalar(codes.as_obj(value.get("formula")).get("value"))


def _bank_account(value: _Json) -> str:
    account = codes.as_obj(value.get("bank_account"))
    return _join(
        _scalar(account.get("account_name")),
        _scalar(account.get("account_number")),
        _any_text(account.get("bank")),
    )


_RENDERERS: dict[str, Callable[[_Json], str]] = {
    "Text": _text_value,
    "Textarea": _text_value,
    "Number": _number,
    "Money": _money,
    "Date": _date,
    "Selector": _selector,
    "Contact": _contact,
    "File": _file,
    "Table": _table,
    "Vacation": _vacation,
    "Attendance": _attendance,
    "PunchCorrection": _punch_correction,
    "DateRange": _duration_control,
    "Location": _location,
    "RelatedApproval": _related_approval,
    "Formula": _formula,
    "BankAccount": _bank_account,
}


def _options(selector: _Json) -> str:
    """Chosen options' texts (the detail response carries them); the key when an option has no text."""
    return _join(
        *(_localized(o.get("value")) or _scalar(o.get("key")) for o in codes.as_objs(selector.get("options")))
    )


def _date_range(span: _Json) -> str:
    """Begin – end (duration); halfday ranges start at 00:00 (AM) or 12:00 (PM) of a day."""
    unit = span.get("type")
    ends = (_timestamp(span.get("new_begin")), _timestamp(span.get("new_end")))
    text = " – ".join(_format_point(moment, unit) for moment in ends if moment is not None)
    duration = _timestamp(span.get("new_duration"))
    if duration is None:
        return text
    length = _plural(duration / 86400, "day") if unit == "halfday" else _plural(duration / 3600, "hour")
    return f"{text} ({length})" if text else length


def _format_point(moment: int, unit: Any) -> str:
    if unit != "halfday":
        return _format_time(moment, "%Y-%m-%d %H:%M")
    local = datetime.fromtimestamp(moment, _SHANGHAI)
    return f"{local:%Y-%m-%d} {'AM' if local.hour < 12 else 'PM'}"


def _format_time(moment: int, pattern: str) -> str:
    return datetime.fromtimestamp(moment, _SHANGHAI).strftime(pattern)


def _plural(amount: float, unit: str) -> str:
    return f"{amount:g} {unit}" if amount == 1 else f"{amount:g} {unit}s"


def _any_text(value: Any) -> str:
    """Best-effort text of a value of unknown shape: nested controls as "title: value", texts as they are."""
    if isinstance(value, Mapping):
        if "control" in value:
            return f"{_localized(value.get('title'))}: {_render(value)}"
        if "text" in value and set(value) <= {"text", "lang"}:
            return _scalar(value.get("text"))
        return _join(*map(_any_text, value.values()))
    if isinstance(value, list):
        if value and all(isinstance(v, Mapping) and "lang" in v for v in value):
            return _localized(value)
        return _join(*map(_any_text, value))
    return _scalar(value)


def _localized(entries: Any) -> str:
    """The zh_CN text of a WeCom [{text, lang}] list, else its first text."""
    return codes.localized(entries, _NUMBERS)


def _join(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def _scalar(value: Any) -> str:
    """A string, stripped, or a number of either kind as Python prints it; "" for anything else."""
    return codes.text(value, _NUMBERS)


def _integer(value: Any) -> int | None:
    """A whole JSON number, or a digit string; None for anything else (codes and times are never negative)."""
    number = codes.integer(value)
    return None if number is None or number < 0 else number


def _timestamp(value: Any) -> int | None:
    """Unix seconds (or a duration) to show; None when absent, malformed or past any plausible time."""
    number = _integer(value)
    return number if number is not None and number < _LATEST else None


# -- strict accessors for the fields the snapshot is built from -----------------------------------------


def _str(obj: _Json, *keys: str, required: bool = False) -> str:
    """The first non-empty text among alternative keys (ids may come as numbers)."""
    for key in keys:
        if text := _scalar(obj.get(key)):
            return text
    if required:
        raise DetailParseError(f"{' or '.join(keys)} missing")
    return ""


def _strs(obj: _Json, key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise DetailParseError(f"{key} is not a list")
    return tuple(text for text in map(_scalar, value) if text)


def _raw(obj: _Json, key: str) -> codes.Raw:
    """A strict integer (a JSON number or a digit string), None when absent: `codes` knows what that means."""
    value = obj.get(key)
    if value is None or value == "":
        return codes.Raw(key, None)
    number = _integer(value)
    if number is None:
        raise DetailParseError(f"{key} is not an integer: {value!r}")
    return codes.Raw(key, number)


def _int(obj: _Json, key: str, default: int | None = None) -> int:
    """A strict integer; without a default the key is required."""
    return codes.number(_raw(obj, key), default)


def _time(obj: _Json, key: str, default: int | None = None) -> int:
    """A strict unix time within the dates the bot can show; without a default the key is required."""
    return codes.moment(_raw(obj, key), default)


def _obj_field(obj: _Json, key: str) -> _Json:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DetailParseError(f"{key} is not an object")
    return value


def _objs(obj: _Json, key: str) -> list[_Json]:
    """A list of objects; a lone object counts as a list of one (the engine's XML-shaped JSON may do that)."""
    value = obj.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, Mapping) else value
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise DetailParseError(f"{key} is not a list of objects")
    return items

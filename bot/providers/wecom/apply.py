"""A validated `FilledForm` -> the ``oa/applyevent`` request body (企业微信 提交审批申请).

Pure functions: the caller passes the lookups (Slack user -> WeCom user, attachment -> media_id,
department names), so the body is checked against fixtures without a network. Field names, nesting and
types follow the spec (``wecom-applyevent.md``, 附1–附12): a string stays a string (``s_timestamp``,
``new_number``), an integer an integer (``new_begin``). The three controls that spec leaves out
(DateRange, RelatedApproval, PhoneNumber) follow public SDKs, cited where they are built.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.forms import Control, DateSpan, FilledForm, UploadedFile

MAX_FILES = 6  # 附9: 一个审批申请单，全局仅支持上传6个附件
LANGS = ("zh_CN", "en")  # the only spellings WeCom takes ("zh-CN" is refused)

# WeCom reckons days in China Standard Time, which has had no daylight saving since 1991: a fixed offset
# is exact and needs no tz database on the host.
_SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_UTC_OFFSET = 8 * 3600
_DAY = 86_400
_HALF_DAY = 43_200
_OVERTIME = 5  # Attendance type 加班
_OVERTIME_MAX_DAYS = 7  # 附12: 加班的时间跨度不能超过七天
_NOT_SENT = frozenset({"Tips"})  # 附8: 后台自动填充，无需赋值
_NOT_SUMMARIZED = frozenset({"Table", "File", "Tips"})  # rows, attachments and fixed text make poor summaries
_PHONE = re.compile(r"\+(\d{1,3})[\s-]+(\S.*)")  # "+62 87827717730": E.164 country codes have 1-3 digits
_HOME_AREA = "+86"  # a number written without a country code is taken as mainland China's


@dataclass(frozen=True)
class ApproverNode:
    """A ``process.node_list`` entry, for approvers chosen in Slack instead of the template's own flow.

    Checked when built, so a bad flow fails where it is assembled rather than as WeCom's 301025.
    """

    type: int  # 1 审批人, 2 抄送人, 3 办理人
    userids: tuple[str, ...]  # WeCom userids
    apv_rel: int | None = None  # 1 会签, 2 或签, 3 依次审批: required for types 1 and 3, absent for 2

    def __post_init__(self) -> None:
        if self.type not in (1, 2, 3):
            raise ValueError(
                f"process node type must be 1 (审批人), 2 (抄送人) or 3 (办理人), not {self.type!r}"
            )
        if not self.userids:
            raise ValueError(f"process node of type {self.type} names nobody: give at least one userid")
        if self.type == 2:
            if self.apv_rel is not None:
                raise ValueError(
                    "apv_rel is for approver and handler nodes (type 1, 3), not cc nodes (type 2)"
                )
        elif self.apv_rel not in (1, 2, 3):
            raise ValueError(
                f"process node of type {self.type} needs apv_rel 1 (会签), 2 (或签) or 3 (依次审批), "
                f"not {self.apv_rel!r}"
            )

    def as_json(self) -> dict[str, Any]:
        node: dict[str, Any] = {"type": self.type}
        if self.apv_rel is not None:
            node["apv_rel"] = self.apv_rel
        node["userid"] = list(self.userids)
        return node


def _unnamed(key: str) -> str:
    return ""


def build_apply_request(
    form: FilledForm,
    *,
    creator: str,
    wecom_user: Callable[[str], tuple[str, str]],
    media_id: Callable[[UploadedFile], str],
    department_name: Callable[[str], str] = _unnamed,
    process: Sequence[ApproverNode] = (),
    choose_department: int | None = None,
    lang: str = "zh_CN",
) -> dict[str, Any]:
    """The whole request body for `form`, submitted as WeCom user `creator`.

    `wecom_user` maps a Slack user id to (WeCom userid, name) and raises LookupError for someone unmapped,
    which propagates; `media_id` uploads an attachment. An empty `process` keeps the template's own flow.
    `lang` is the language of every text written here (titles, vacation type, summary). Raises ValueError
    for what WeCom would refuse; the attachment limit is checked before anything is uploaded.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    files = _count_files(form.template.controls, form.answers)
    if files > MAX_FILES:
        raise ValueError(f"WeCom takes at most {MAX_FILES} attachments in one approval; this one has {files}")
    users = functools.cache(wecom_user)  # the summary names the members the form has already looked up
    lookups = _Lookups(users, media_id, department_name, lang)
    body: dict[str, Any] = {
        "creator_userid": creator,
        "template_id": form.template.id,
        "use_template_approver": 0 if process else 1,
    }
    if process:
        body["process"] = {"node_list": [node.as_json() for node in process]}
    if choose_department is not None:
        body["choose_department"] = choose_department
    body["apply_data"] = {"contents": _contents(form.template.controls, form.answers, lookups)}
    lines = summary_lines(form, wecom_user=users, department_name=department_name)
    body["summary_list"] = [{"summary_info": [_text(line, lang)]} for line in lines]
    return body


# -- apply_data.contents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lookups:
    wecom_user: Callable[[str], tuple[str, str]]
    media_id: Callable[[UploadedFile], str]
    department_name: Callable[[str], str]
    lang: str


def _count_files(controls: Sequence[Control], answers: Mapping[str, Any]) -> int:
    """Attachments anywhere in the form, table rows included: WeCom counts them over the whole request."""
    count = 0
    for control in controls:
        answer = answers.get(control.id)
        if answer is None:
            continue
        if control.kind == "File":
            count += len(answer)
        elif control.kind == "Table":
            count += sum(_count_files(control.children, row) for row in answer)
    return count


def _contents(
    controls: Sequence[Control], answers: Mapping[str, Any], lookups: _Lookups
) -> list[dict[str, Any]]:
    """One entry per answered control, in template order (a table row is a form of its own)."""
    return [
        _content(control, answers[control.id], lookups)
        for control in controls
        if control.id in answers and control.kind not in _NOT_SENT
    ]


def _content(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    build = _VALUES.get(control.kind)
    if build is None:
        raise ValueError(
            f"{control.title} ({control.kind}, {control.id}): this bot cannot fill it in on WeCom"
        )
    return {
        "control": control.kind,
        "id": control.id,
        "title": [_text(control.title, lookups.lang)],
        "value": build(control, answer, lookups),
    }


def _text(text: str, lang: str) -> dict[str, str]:
    return {"text": text, "lang": lang}


def _string(control: Control, answer: Any) -> str:
    """The answer of a text-like control: WeCom wants a JSON string even for numbers (附2, 附3)."""
    if not isinstance(answer, str):
        raise ValueError(f"{control.title} ({control.kind}): expected text, got {type(answer).__name__}")
    return answer


def _text_value(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    text = _string(control, answer)
    if control.kind == "Text" and ("\n" in text or "\r" in text):  # the reader refuses them; WeCom too (附1)
        raise ValueError(f"{control.title}: a one-line Text control cannot hold a line break")
    return {"text": text}


def _number(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    return {"new_number": _string(control, answer)}


def _money(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    return {"new_money": _string(control, answer)}


def _date(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    # 附4: s_timestamp is a string; type follows the template (day, or hour for date + time)
    return {"date": {"type": "hour" if control.date_type == "hour" else "day", "s_timestamp": str(answer)}}


def _selector(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    kind = "multi" if control.multi else "single"
    return {"selector": {"type": kind, "options": [{"key": key} for key in answer]}}


def _contact(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    if control.contact_mode == "department":  # 附7: openapi_id is a string
        return {"departments": [{"openapi_id": key, "name": lookups.department_name(key)} for key in answer]}
    members = (lookups.wecom_user(slack_id) for slack_id in answer)  # 附6
    return {"members": [{"userid": userid, "name": name} for userid, name in members]}


def _files(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    return {"files": [{"file_id": lookups.media_id(upload)} for upload in answer]}  # 附9


def _table(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    return {"children": [{"list": _contents(control.children, row, lookups)} for row in answer]}  # 附10


def _vacation(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    key, span = answer  # 附11: the chosen leave type carries its text too, and type is always 1 (请假)
    option = {"key": key, "value": [_text(_option_text(control, key), lookups.lang)]}
    return {
        "vacation": {
            "selector": {"type": "single", "options": [option], "exp_type": 0},
            "attendance": {"date_range": _date_range(control, span), "type": 1},
        }
    }


def _attendance(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    """附12; a span over several days also gets ``slice_info``: each day's share of the duration."""
    if control.attendance_type not in (3, 4, _OVERTIME):
        raise ValueError(
            f"{control.title}: Attendance type must be 3 (出差), 4 (外出) or 5 (加班), "
            f"not {control.attendance_type!r}"
        )
    span: DateSpan = answer
    date_range = _date_range(control, span)
    attendance: dict[str, Any] = {"date_range": date_range, "type": control.attendance_type}
    days = _day_weights(span)
    if control.attendance_type == _OVERTIME and len(days) > _OVERTIME_MAX_DAYS:
        raise ValueError(f"{control.title}: overtime cannot span more than {_OVERTIME_MAX_DAYS} days")
    if len(days) > 1:
        items = _day_items(span, days, _step(span.unit, control.attendance_type))
        attendance["slice_info"] = {"day_items": items}
        # WeCom totals the slices (附12: new_duration 无需填写); state the same total so the body agrees
        date_range["new_duration"] = sum(item["duration"] for item in items)
    return {"attendance": attendance}


def _date_range_value(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    # 时长 control. Not in the spec's appendix; WeCom's own applyevent page lists it (附11 "control参数为
    # DateRange，且value参数为date_range"), and SKIT.FlurlHttpClient.Wechat's CgibinOAApplyEventRequest
    # (DateRangeControlValue) and WxJava's ContentValue (date_range -> Attendance.DataRange) give the shape:
    # type (string) and new_begin / new_end / new_duration (integers), as in Attendance.
    return {"date_range": _date_range(control, answer)}


def _related_approval(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    # Not in the spec's appendix; SKIT.FlurlHttpClient.Wechat's CgibinOAApplyEventRequest
    # (RelatedApprovalControlValue) sends a list of {"sp_no": "..."}; WxJava's ContentValue.RelatedApproval
    # agrees (the other fields there are read-only, filled in by WeCom in detail responses).
    return {"related_approval": [{"sp_no": number} for number in answer]}


def _phone_number(control: Control, answer: Any, lookups: _Lookups) -> dict[str, Any]:
    """Split "+CC number"; a number written without a country code is taken as mainland China's.

    Not in the spec's appendix, nor in SKIT or WxJava's request models. The spec says apply_data has the
    shape of getapprovaldetail's, and WxJava PR #3973 (binarywang/WxJava, merged) records what that returns
    for this control: {"phonenumber": {"area": "+62", "number": "87827717730"}}.
    """
    text = _string(control, answer).strip()
    match = _PHONE.fullmatch(text)
    if match:
        area, number = f"+{match[1]}", match[2]
    elif text.startswith("+"):
        raise ValueError(f"{control.title}: put a space after the country code, e.g. +86 13800000000")
    else:
        area, number = _HOME_AREA, text
    return {"phonenumber": {"area": area, "number": number}}


_VALUES: dict[str, Callable[[Control, Any, _Lookups], dict[str, Any]]] = {
    "Text": _text_value,
    "Textarea": _text_value,
    "Number": _number,
    "Money": _money,
    "Date": _date,
    "Selector": _selector,
    "Contact": _contact,
    "File": _files,
    "Table": _table,
    "Vacation": _vacation,
    "Attendance": _attendance,
    "DateRange": _date_range_value,
    "RelatedApproval": _related_approval,
    "PhoneNumber": _phone_number,
}


def _option_text(control: Control, key: str) -> str:
    return next((option.text for option in control.options if option.key == key), key)


# -- ranges ------------------------------------------------------------------------------------------------


def _date_range(control: Control, span: DateSpan) -> dict[str, Any]:
    """附12 date_range; a half-day range may only start and end at 00:00 (AM) or 12:00 (PM), UTC+8."""
    if span.unit not in ("halfday", "hour"):
        raise ValueError(f"{control.title}: a range is counted in halfday or hour, not {span.unit!r}")
    if span.end < span.begin:
        raise ValueError(f"{control.title}: the range ends before it begins")
    if span.unit == "halfday" and not (_half_day_mark(span.begin) and _half_day_mark(span.end)):
        raise ValueError(f"{control.title}: a half-day range begins and ends at 00:00 or 12:00 (UTC+8)")
    return {"type": span.unit, "new_begin": span.begin, "new_end": span.end, "new_duration": span.duration}


def _half_day_mark(moment: int) -> bool:
    return (moment + _UTC_OFFSET) % _HALF_DAY == 0


def _midnight(moment: int) -> int:
    """00:00 in UTC+8 of the day holding `moment` (附12 daytime: 当天的东八区的零点时间戳)."""
    return moment - (moment + _UTC_OFFSET) % _DAY


def _day_weights(span: DateSpan) -> list[tuple[int, int]]:
    """(day's midnight, how much of the range falls on it), for each day the range touches.

    A half-day range names its first and last half-days, both included (00:00 -> 12:00 is one whole day,
    as in 附12's example); an hour range is the seconds from begin to end.
    """
    if span.unit == "halfday":
        days: dict[int, int] = {}
        for half in range(span.begin, span.end + 1, _HALF_DAY):
            days[_midnight(half)] = days.get(_midnight(half), 0) + _HALF_DAY
        return list(days.items())
    weights = []
    day = _midnight(span.begin)
    while day < span.end:
        weights.append((day, min(span.end, day + _DAY) - max(span.begin, day)))
        day += _DAY
    return weights


def _step(unit: str, attendance_type: int) -> int:
    """附12: a day's duration is a multiple of 43200 by half-days (8640 for overtime), of 360 by hours."""
    if unit == "hour":
        return 360
    return 8640 if attendance_type == _OVERTIME else _HALF_DAY


def _day_items(span: DateSpan, days: list[tuple[int, int]], step: int) -> list[dict[str, int]]:
    """The duration, rounded to whole steps, shared among the days in proportion to their part of the range.

    Largest remainders get the leftover steps (the earlier day on a tie), so the shares add up exactly; a
    range that is all whole steps is shared exactly as it falls on the days.
    """
    units = (span.duration + step // 2) // step
    total = sum(weight for _, weight in days)
    exact = [units * weight for _, weight in days]  # each day's share in steps, times `total`
    shares = [part // total for part in exact]
    by_remainder = sorted(range(len(days)), key=lambda i: -(exact[i] % total))
    for i in by_remainder[: units - sum(shares)]:
        shares[i] += 1
    return [{"daytime": day, "duration": share * step} for (day, _), share in zip(days, shares, strict=True)]


# -- summary_list ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    """ID-translation syntax: WeCom shows a name in place of `text`, never cut in half."""

    text: str  # what is sent, e.g. $userName=WuJunJie$
    shown: int  # how many characters the name WeCom shows instead takes


_Piece = str | _Token


def summary_lines(
    form: FilledForm,
    *,
    limit: int = 3,
    width: int = 20,
    wecom_user: Callable[[str], tuple[str, str]] | None = None,
    department_name: Callable[[str], str] = _unnamed,
) -> list[str]:
    """Up to `limit` "title: value" lines for WeCom's cards and lists, from the first answered controls.

    WeCom asks for at most 3 lines of at most 20 characters; a longer line is cut to end in "…" within
    `width`. Members are written ``$userName=<WeCom userid>$`` so WeCom shows the names it knows; the width
    counts such a token as the length of the name `wecom_user` gives (what people see, not what is sent),
    and a token is left out whole rather than cut. Without `wecom_user`, member controls are passed over.
    Never empty: the template name (or id, if the name is blank) stands in when nothing fits a summary.
    """
    lines: list[str] = []
    for control in form.template.controls:
        if len(lines) == limit:
            break
        if control.id not in form.answers or control.kind in _NOT_SUMMARIZED:
            continue
        pieces = _summary_value(control, form.answers[control.id], wecom_user, department_name)
        value = [piece if isinstance(piece, _Token) else _one_line(piece) for piece in pieces]
        if sum(_shown(piece) for piece in value):
            title = _one_line(control.title)
            lines.append(_clip([f"{title}: " if title else "", *value], width))
    return lines or [_clip([_one_line(form.template.name).strip() or form.template.id], width)]


def _one_line(text: str) -> str:
    """A summary line is one line: each line break (a Textarea's, an option's) becomes a space."""
    return " ".join(text.splitlines())


def _summary_value(
    control: Control,
    answer: Any,
    wecom_user: Callable[[str], tuple[str, str]] | None,
    department_name: Callable[[str], str],
) -> list[_Piece]:
    """The value as pieces of one line; empty for a control that cannot be summarized."""
    kind = control.kind
    if kind in ("Text", "Textarea", "Number", "Money", "PhoneNumber"):
        return [answer]
    if kind == "Date":
        return [_format_time(answer, "%Y-%m-%d %H:%M" if control.date_type == "hour" else "%Y-%m-%d")]
    if kind == "Selector":
        return [", ".join(_option_text(control, key) for key in answer)]
    if kind == "Contact" and control.contact_mode == "department":
        return [", ".join(department_name(key) or key for key in answer)]
    if kind == "Contact":
        return [] if wecom_user is None else _members(answer, wecom_user)
    if kind == "Vacation":
        key, span = answer
        return [f"{_option_text(control, key)} {_format_span(span)}"]
    if kind in ("Attendance", "DateRange"):
        return [_format_span(answer)]
    if kind == "RelatedApproval":
        return [", ".join(answer)]
    return []


def _members(slack_ids: Sequence[str], wecom_user: Callable[[str], tuple[str, str]]) -> list[_Piece]:
    pieces: list[_Piece] = []
    for slack_id in slack_ids:
        userid, name = wecom_user(slack_id)
        if pieces:
            pieces.append(", ")
        pieces.append(_Token(f"$userName={userid}$", len(name or userid)))
    return pieces


def _clip(pieces: Sequence[_Piece], width: int) -> str:
    """Join the pieces; past `width` shown characters, cut and end in "…" (which counts too)."""
    if sum(_shown(piece) for piece in pieces) <= width:
        return "".join(_sent(piece) for piece in pieces)
    room = width - 1
    kept = []
    for piece in pieces:
        if isinstance(piece, _Token) and piece.shown > room:
            break
        part = piece if isinstance(piece, _Token) else piece[:room]
        kept.append(_sent(part))
        room -= _shown(part)
        if room == 0:
            break
    return "".join(kept).rstrip() + "…"


def _shown(piece: _Piece) -> int:
    return piece.shown if isinstance(piece, _Token) else len(piece)


def _sent(piece: _Piece) -> str:
    return piece.text if isinstance(piece, _Token) else piece


def _format_time(moment: int, pattern: str) -> str:
    return datetime.fromtimestamp(moment, _SHANGHAI).strftime(pattern)


def _format_span(span: DateSpan) -> str:
    return "–".join(_format_point(moment, span.unit) for moment in (span.begin, span.end))


def _format_point(moment: int, unit: str) -> str:
    """A date and time; by half-days the date and which half (each end names a half-day)."""
    if unit == "hour":
        return _format_time(moment, "%Y-%m-%d %H:%M")
    local = datetime.fromtimestamp(moment, _SHANGHAI)
    return f"{local:%Y-%m-%d} {'AM' if local.hour < 12 else 'PM'}"

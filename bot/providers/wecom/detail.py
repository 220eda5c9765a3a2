"""WeCom detail responses -> `Snapshot`.

``oa/getapprovaldetail`` (the 审批 app) returns the form as well as the flow, so its snapshot carries
display-ready fields and summary; ``corp/getopenapprovaldata`` (the approval engine) returns the flow
only. The raw dicts stay in this module: callers get a `Snapshot` or a `DetailParseError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.model import Comment, FormField, Member, Node, Snapshot
from bot.providers.wecom import codes
from bot.providers.wecom.kinds import wecom_kind
from bot.providers.wecom.kinds.base import integer as _integer
from bot.providers.wecom.kinds.base import localized as _localized
from bot.providers.wecom.kinds.base import scalar as _scalar

_Json = Mapping[str, Any]

_SUMMARY_LINES = 3  # WeCom shows at most three summary lines


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
        FormField(_localized(c.get("title")), render(c))
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


# -- form controls: each kind's module (`bot.providers.wecom.kinds`) shows its value, tolerating any shape --


def render(control: _Json) -> str:
    """Display text of one filled control; an unknown control gets whatever text its value holds."""
    value = codes.as_obj(control.get("value"))
    return wecom_kind(_scalar(control.get("control"))).show(value, render)


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

"""FXiaoKe ``cgi/approval/get`` responses -> `Snapshot`.

The flow (tasks, members, states) drives notifications, so it is read strictly: a missing id or an
unknown code raises `FXiaoKeParseError` rather than guess who must act. The form is only shown, so an
odd shape there degrades its text, never the snapshot. The raw dicts stay in this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from bot.model import (
    ApprovalMode,
    ApprovalStatus,
    Comment,
    FormField,
    Member,
    MemberStatus,
    Node,
    NodeType,
    Snapshot,
)

_Json = Mapping[str, Any]

# FXiaoKe writes times as China Standard Time, which has had no daylight saving since 1991.
_SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_SUMMARY_LINES = 3

# approval/query and approval/get share these codes. 5 (错误: e.g. an approver left the company) has no
# ApprovalStatus: the approval is still open, so it stays PENDING until an admin repairs the flow.
_STATUSES = {
    1: ApprovalStatus.PENDING,
    2: ApprovalStatus.APPROVED,
    3: ApprovalStatus.REJECTED,
    4: ApprovalStatus.REVOKED,
    5: ApprovalStatus.PENDING,
}
_MODES = {"all_pass": ApprovalMode.ALL, "one_pass": ApprovalMode.ANY, "single": ApprovalMode.ALL}
# cancel: the approval was withdrawn (its status says REVOKED), the member never decided. error: the
# approver cannot act (left, disabled); nobody decided either.
_STATES = {
    "agree": MemberStatus.APPROVED,
    "reject": MemberStatus.REJECTED,
    "go_back": MemberStatus.RETURNED,
    "cancel": MemberStatus.PENDING,
    "schedule": MemberStatus.PENDING,
    "in_progress": MemberStatus.PENDING,
    "error": MemberStatus.PENDING,
}

_APPROVE_TYPES = {
    1: "普通审批",
    2: "请假单",
    3: "报销单",
    4: "出差申请单",
    5: "借款申请单",
    6: "付款申请单",
    7: "折扣申请单",
    8: "差旅报销单",
    9: "加班",
    100: "固定审批流程",
}
_CUSTOM_FORM = 100

# Labels of the preset forms' formRecord keys, per approveType; a key not listed shows as itself.
_LABELS: dict[int, dict[str, str]] = {
    2: {"leaveType": "请假类型", "startTime": "开始时间", "endTime": "结束时间", "hours": "请假小时数"},
    3: {
        "title": "标题",
        "amount": "报销金额",
        "customerId": "客户Id",
        "remark": "备注",
        "attachments": "附件",
    },
    4: {
        "items": "出差明细",
        "startPoint": "出发地",
        "startTime": "出发时间",
        "endPoint": "目的地",
        "endTime": "到达时间",
        "vehicle": "交通工具",
        "daysNumber": "住宿天数",
        "memberIds": "出差人",
        "approveReason": "事由",
        "approveBudget": "预算",
        "approvePrepayments": "预支",
    },
    5: {"borrowerId": "借款人", "reason": "事由", "amount": "借款金额"},
    6: {
        "paymentAmount": "金额",
        "paymentTime": "付款时间",
        "paymentType": "付款方式",
        "invoiced": "是否开票",
        "receiverName": "收款人姓名",
        "receiverAccount": "收款人账号",
        "openBank": "开户行",
        "companyName": "企业名称",
        "remark": "备注",
    },
    7: {
        "amount": "金额",
        "discountPercent": "折扣率",
        "endTime": "结束时间",
        "companyName": "公司名称",
        "remark": "说明",
    },
    8: {
        "travelType": "类型",
        "travelAmount": "报销金额",
        "remark": "备注",
        "startAddress": "出发地点",
        "endAddress": "目的地点",
        "startTime": "出发时间",
        "endTime": "到达时间",
        "attachments": "附件",
    },
    9: {"leaveType": "类型", "startTime": "开始时间", "endTime": "结束时间", "hours": "加班小时数"},
}
_DETAILS_LABEL = "明细"  # the examples wrap rows in `details`, which no table names
_CHOICES: dict[str, dict[int, str]] = {
    "travelType": {1: "飞机", 2: "汽车", 3: "火车", 4: "住宿", 5: "打车", 6: "餐饮", 7: "其他"},
    "vehicle": {1: "火车", 2: "飞机", 3: "汽车", 4: "其他"},
    "leaveType": {
        1: "事假",
        2: "病假",
        3: "调休",
        4: "年休假",
        5: "婚假",
        6: "生育假",
        7: "丧假",
        8: "加班",
        9: "外勤",
        10: "出差",
        11: "其他",
    },
}
_TWO_DECIMALS = {
    "amount",
    "travelAmount",
    "paymentAmount",
    "approveBudget",
    "approvePrepayments",
    "discountPercent",
}
_ATTACHMENT_KINDS = {1: "recording", 2: "image", 3: "file"}
_CRM_TYPES = {
    2: "旧客户",
    3: "旧联系人",
    100: "销售记录",
    101: "线索",
    102: "客户",
    103: "联系人",
    104: "产品",
    105: "回款",
    106: "退款",
    107: "销售流程",
    108: "商机",
    109: "开票",
    110: "成交",
    111: "订单",
    112: "退货单",
    113: "拜访",
    114: "拜访动作",
    115: "盘点动作",
    116: "合同",
    117: "线索池",
    118: "公海",
    119: "竞争对手",
    120: "市场活动",
    121: "盘点",
    200: "自定义",
}

# plain ASCII digits, as many as a 64-bit id has ("²".isdigit() is True; int() of 5,000 digits raises)
_DIGITS = re.compile(r"[0-9]{1,20}")


class FXiaoKeParseError(ValueError):
    """An approval lacks a field the snapshot needs, or carries a code this bot does not know."""


def status_from_query(code: int) -> ApprovalStatus:
    """The approval's status from approval/query's (or approval/get's) code; 5 (错误) stays PENDING."""
    if isinstance(code, bool) or code not in _STATUSES:
        raise FXiaoKeParseError(f"status is not a known code: {code!r}")
    return _STATUSES[code]


def parse_approval(approval: _Json, *, status: int | None = None, form_name: str = "") -> Snapshot:
    """The `approval` object of approval/get.

    `status` is approval/query's code for this approval (1 pending, 2 agreed, 3 rejected, 4 cancelled,
    5 error); without it the payload's own `status`, else the tasks' states, decide. Code 5 (错误) keeps
    the approval PENDING: it is still open, stuck on an approver who cannot act. `form_name` is the name
    approvalTypeForms/get gives the form, preferred to the one the payload carries.
    """
    if not isinstance(approval, Mapping):
        raise FXiaoKeParseError("approval is not an object")
    feed = _obj(approval, "feed")
    tasks = sorted(_objs(approval, "approvalTasks"), key=_sequence)
    nodes = tuple(_node(task) for task in tasks)
    current = _str(approval, "currentTaskId")
    task_ids = [_str(task, "taskId") for task in tasks]
    approve_type = _int_or_none(approval.get("approveType"))
    code = approval.get("status") if status is None else status
    return Snapshot(
        provider="fxiaoke",
        number=_str(approval, "approvalId", required=True),
        template_id=_template_id(approval),
        template_name=form_name
        or _str(approval, "approvalFormName")  # the example's spelling
        or _str(approval, "approveFormName")  # the table's spelling
        or _APPROVE_TYPES.get(approve_type or 0, ""),
        status=_derived_status(tasks) if code is None else status_from_query(code),
        applicant=_str(approval, "senderId", required=True),
        apply_time=_time(feed, "createTime", required=True),
        nodes=nodes,
        comments=tuple(c for task in tasks for c in _outside_comments(task)),
        event_time=_time(feed, "lastUpdateTime"),
        current_step=task_ids.index(current) if current in task_ids else None,
        summary=_summary(feed),
        fields=(*_form(approval.get("formRecord"), approve_type), *_feed_fields(feed)),
        has_details=True,
    )


def _template_id(approval: _Json) -> str:
    """The form id; the bare approveType when there is none (preset types are one form each)."""
    if template := _str(approval, "approvalFormId") or _str(approval, "approveType"):
        return template
    raise FXiaoKeParseError("approvalFormId or approveType missing")


# -- flow ----------------------------------------------------------------------------------------------


def _sequence(task: _Json) -> int:
    """sequenceNumber orders the tasks (a task without one counts as 0; the sort keeps payload order)."""
    value = task.get("sequenceNumber")
    number = _int_or_none(value)
    if value not in (None, "") and number is None:
        raise FXiaoKeParseError(f"sequenceNumber is not an integer: {value!r}")
    return number or 0


def _node(task: _Json) -> Node:
    """One task: its state is the node's (FXiaoKe decides 或签 and 会签 outcomes itself)."""
    kind = _str(task, "type", required=True)
    if kind not in _MODES:
        raise FXiaoKeParseError(f"approvalTask.type is not a known type: {kind!r}")
    replies = _replies(task)
    members = tuple(_member(m, replies) for m in _objs(task, "taskMembers"))
    return Node(NodeType.APPROVER, _MODES[kind], _state(task, "approvalTask.state"), members)


def _member(member: _Json, replies: Mapping[str, list[_Json]]) -> Member:
    user_id = _str(member, "employeeId", required=True)
    own = replies.get(user_id, [])
    return Member(
        user_id=user_id,
        status=_state(member, "taskMember.state"),
        speech="\n".join(text for text in (_str(c, "content") for c in own) if text),
        media_ids=tuple(media for c in own for media in _attachment_ids(c)),
    )


def _replies(task: _Json) -> dict[str, list[_Json]]:
    """A task's comments by sender: a member's are their opinion on the task."""
    by_sender: dict[str, list[_Json]] = {}
    for comment in _objs(task, "comments"):
        by_sender.setdefault(_str(comment, "senderId", required=True), []).append(comment)
    return by_sender


def _outside_comments(task: _Json) -> list[Comment]:
    """Replies on a task from someone not on it; FXiaoKe gives them neither an id nor a time."""
    members = {_str(m, "employeeId") for m in _objs(task, "taskMembers")}
    return [
        Comment(
            id=f"{_str(task, 'taskId')}/{index}",
            user_id=_str(comment, "senderId", required=True),
            time=0,
            content=_str(comment, "content"),
            attachments=_attachment_ids(comment),
        )
        for index, comment in enumerate(_objs(task, "comments"))
        if _str(comment, "senderId") not in members
    ]


def _attachment_ids(comment: _Json) -> tuple[str, ...]:
    return tuple(_str(a, "id", required=True) for a in _objs(comment, "attachments"))


def _state(obj: _Json, name: str) -> MemberStatus:
    state = _str(obj, "state", required=True)
    if state not in _STATES:
        raise FXiaoKeParseError(f"{name} is not a known state: {state!r}")
    return _STATES[state]


def _derived_status(tasks: list[_Json]) -> ApprovalStatus:
    """No status code given: a rejection or a cancellation ends the approval, all agreed tasks pass it."""
    states = [_str(task, "state") for task in tasks]
    if "reject" in states:
        return ApprovalStatus.REJECTED
    if "cancel" in states:
        return ApprovalStatus.REVOKED
    if states and all(state == "agree" for state in states):
        return ApprovalStatus.APPROVED
    return ApprovalStatus.PENDING


# -- display: form, feed, summary -----------------------------------------------------------------------


def _summary(feed: _Json) -> tuple[str, ...]:
    lines = (line.strip() for line in _text(feed.get("feedContent")).splitlines())
    return tuple(line for line in lines if line)[:_SUMMARY_LINES]


def _form(record: Any, approve_type: int | None) -> list[FormField]:
    if not isinstance(record, Mapping):
        return []
    if approve_type == _CUSTOM_FORM:
        return [_custom_field(key, item) for key, item in record.items()]
    labels = _LABELS.get(approve_type or 0, {})
    return [
        FormField(
            labels.get(key, _DETAILS_LABEL if key == "details" else key), _preset_value(key, value, labels)
        )
        for key, value in record.items()
    ]


def _custom_field(key: str, item: Any) -> FormField:
    """A custom form entry {label, value, type}; select texts are the chosen options as shown."""
    if not isinstance(item, Mapping):
        return FormField(key, _text(item))
    value, kind = item.get("value"), item.get("type")
    if kind in ("file_attachment", "image"):
        count = len(value) if isinstance(value, list) else int(bool(_text(value)))
        text = _count(count, "image" if kind == "image" else "file")
    else:
        text = _text(value)  # text, select_one, select_many (a list of option texts) and anything else
    return FormField(_text(item.get("label")) or key, text)


def _preset_value(key: str, value: Any, labels: Mapping[str, str]) -> str:
    if key in ("details", "items") and isinstance(value, list):
        return "\n".join(_row(row, labels) for row in value if isinstance(row, Mapping))
    if key == "attachments":
        return _attachments_text(value)
    number = _int_or_none(value)
    if key in _CHOICES and number is not None:
        return _CHOICES[key].get(number, str(number))
    if key in _TWO_DECIMALS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{Decimal(str(value)):.2f}"
    return _text(value)


def _row(row: _Json, labels: Mapping[str, str]) -> str:
    """One line per row of `details`/`items`: "label: value; label: value"."""
    cells = ((labels.get(k, k), _preset_value(k, v, labels)) for k, v in row.items())
    return "; ".join(f"{label}: {text}" for label, text in cells if text)


def _feed_fields(feed: _Json) -> list[FormField]:
    fields = [FormField("表格", text) for text in map(_table_text, _list(feed.get("tables"))) if text]
    if crm := [_crm_text(o) for o in _list(feed.get("crmObjects")) if isinstance(o, Mapping)]:
        fields.append(FormField("关联对象", ", ".join(crm)))
    if attachments := _attachments_text(feed.get("attachments")):
        fields.append(FormField("附件", attachments))
    return fields


def _crm_text(crm_object: _Json) -> str:
    """A linked CRM object as "type id", the type named when the spec's list knows it."""
    kind = crm_object.get("type")
    name = _CRM_TYPES.get(_int_or_none(kind) or 0, _text(kind))
    return f"{name} {_text(crm_object.get('id'))}".strip()


def _table_text(table: Any) -> str:
    """A feed table's html as text: one line per row, cells joined by " | "."""
    marked = re.sub(r"(?i)<br\s*/?>|</tr\s*>", "\n", re.sub(r"(?i)</t[dh]\s*>", "\x1f", _text(table)))
    lines = (
        " | ".join(cell for cell in (html.unescape(c).strip() for c in line.split("\x1f")) if cell)
        for line in re.sub(r"<[^>]*>", "", marked).splitlines()
    )
    return "\n".join(line for line in lines if line)


def _attachments_text(value: Any) -> str:
    """Attachment objects counted by kind (1 recording, 2 image, 3 file): "2 images, 1 file"."""
    counts: dict[str, int] = {}
    for item in _list(value):
        kind = (
            _ATTACHMENT_KINDS.get(_int_or_none(item.get("type")) or 0, "file")
            if isinstance(item, Mapping)
            else "file"
        )
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(_count(n, kind) for kind, n in counts.items())


def _count(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"


def _text(value: Any) -> str:
    """Display text of a form value of any shape; booleans as 是/否, lists joined."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return ", ".join(text for text in map(_text, value) if text)
    if isinstance(value, Mapping):
        return ", ".join(text for text in map(_text, value.values()) if text)
    return ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# -- strict accessors for the fields the snapshot is built from -----------------------------------------


def _int_or_none(value: Any) -> int | None:
    """A whole JSON number or a digit string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value)
    return None


def _str(obj: _Json, key: str, *, required: bool = False) -> str:
    """Text of an id or code (ids may come as numbers)."""
    value = obj.get(key)
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and text.strip():
        return text.strip()
    if required:
        raise FXiaoKeParseError(f"{key} missing")
    return ""


def _time(feed: _Json, key: str, *, required: bool = False) -> int:
    """feed.<key>, "yyyy-MM-dd HH:mm:ss" in Shanghai time, as unix seconds; 0 when absent and optional."""
    text = _str(feed, key, required=required)
    if not text:
        return 0
    try:
        moment = datetime.strptime(text, _TIME_FORMAT)
    except ValueError:
        raise FXiaoKeParseError(f"feed.{key} is not yyyy-MM-dd HH:mm:ss: {text!r}") from None
    return int(moment.replace(tzinfo=_SHANGHAI).timestamp())


def _obj(obj: _Json, key: str) -> _Json:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise FXiaoKeParseError(f"{key} is not an object")
    return value


def _objs(obj: _Json, key: str) -> list[_Json]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise FXiaoKeParseError(f"{key} is not a list of objects")
    return value

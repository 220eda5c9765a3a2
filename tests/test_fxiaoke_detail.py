"""FXiaoKe approval/get -> Snapshot: the spec's example, 会签/或签/single, every state, forms, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.model import (
    ApprovalMode,
    ApprovalStatus,
    Comment,
    FormField,
    Member,
    MemberStatus,
    Node,
    NodeType,
)
from bot.providers.fxiaoke.detail import FXiaoKeParseError, parse_approval, status_from_query

FIXTURES = Path(__file__).parent / "fixtures" / "fxiaoke"


def approval(name: str = "approval_get") -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["approval"]


def preset_fields(approve_type: int) -> tuple[FormField, ...]:
    records = json.loads((FIXTURES / "preset_form_records.json").read_text(encoding="utf-8"))
    payload = approval()
    payload["approveType"] = approve_type
    payload["formRecord"] = records[str(approve_type)]
    return parse_approval(payload).fields


# -- the spec's own example ------------------------------------------------------------------------------


def test_spec_example_maps_every_field() -> None:
    snapshot = parse_approval(approval())

    assert snapshot.provider == "fxiaoke"
    assert snapshot.number == "71676"
    assert snapshot.key == "fxiaoke:71676"
    assert snapshot.template_id == "9A8AF67A-4793-4D8C-AE3D-AA03FB9F80CF"
    assert snapshot.template_name == "付款申请"
    assert snapshot.status is ApprovalStatus.PENDING
    assert snapshot.applicant == "FSUID_68D40E4FE7F461644E37E70B9BD64522"
    assert snapshot.apply_time == 1483626166  # 2017-01-05 22:22:46 +08:00
    assert snapshot.event_time == 1483626166
    assert snapshot.current_step == 0
    assert snapshot.nodes == (
        Node(
            NodeType.APPROVER,
            ApprovalMode.ALL,
            MemberStatus.PENDING,
            (Member("FSUID_442A9447ADD9EB86760B4AF319D187AC"),),
        ),
        Node(
            NodeType.APPROVER,
            ApprovalMode.ALL,
            MemberStatus.PENDING,
            (Member("FSUID_F7E1595DBD7CE7D0232EBE075CD8E54B"),),
        ),
    )
    assert snapshot.waiting_on() == ("FSUID_442A9447ADD9EB86760B4AF319D187AC",)
    assert snapshot.comments == ()
    assert snapshot.cc == ()
    assert snapshot.action is None
    assert snapshot.summary == ("加班",)
    assert snapshot.has_details is True
    assert snapshot.fields == (
        FormField("是否开票", "是"),
        FormField("收款人姓名", "雷龙"),
        FormField("企业名称", "永辉"),
        FormField("付款时间", "2017-01-04 22:25"),
        FormField("金额", "12.00"),
        FormField("收款人账号", "ll"),
        FormField("付款方式", "支付宝"),
    )


def test_form_name_from_the_forms_list_wins() -> None:
    assert parse_approval(approval(), form_name="付款申请(新)").template_name == "付款申请(新)"


def test_table_spelling_of_the_form_name() -> None:
    payload = approval()
    payload["approveFormName"] = payload.pop("approvalFormName")
    assert parse_approval(payload).template_name == "付款申请"


def test_template_falls_back_to_the_approve_type() -> None:
    payload = approval()
    del payload["approvalFormName"], payload["approvalFormId"]
    snapshot = parse_approval(payload)
    assert (snapshot.template_id, snapshot.template_name) == ("6", "付款申请单")


# -- 会签 (all_pass), custom form, feed extras --------------------------------------------------------------


def test_all_pass_rejected_with_replies_and_custom_form() -> None:
    snapshot = parse_approval(approval("approval_get_all_pass"))

    assert snapshot.number == "80001"
    assert snapshot.template_id == "767f6c06dfa8491e84dcc88c3e4c50c1"
    assert snapshot.template_name == "服务器采购"
    assert snapshot.status is ApprovalStatus.REJECTED
    assert snapshot.applicant == "FSUID_APPLICANT"
    assert snapshot.apply_time == 1709256600
    assert snapshot.event_time == 1709373910
    assert snapshot.current_step == 1  # task-2, second once ordered by sequenceNumber
    assert snapshot.nodes == (
        Node(
            NodeType.APPROVER,
            ApprovalMode.ALL,
            MemberStatus.APPROVED,
            (Member("FSUID_A", MemberStatus.APPROVED, speech="可以"),),
        ),
        Node(
            NodeType.APPROVER,
            ApprovalMode.ALL,
            MemberStatus.REJECTED,
            (
                Member("FSUID_B", MemberStatus.APPROVED, speech="同意", media_ids=("media-b",)),
                Member("FSUID_C", MemberStatus.REJECTED, speech="预算超标\n请重新询价"),
            ),
        ),
    )
    assert snapshot.comments == (
        Comment(id="task-2/3", user_id="FSUID_X", time=0, content="我也看看", attachments=("media-x",)),
    )
    assert snapshot.summary == ("采购服务器", "3台, 预算 6 万", "供应商: 戴尔")
    assert snapshot.fields == (
        FormField("用途", "机房扩容"),
        FormField("紧急程度", "高"),
        FormField("部门", "研发, 运维"),
        FormField("报价单", "2 files"),
        FormField("现场照片", "1 image"),
        FormField("表格", "品名 | 数量\n服务器 & 机柜 | 3"),
        FormField("关联对象", "客户 cust-1, 999 obj-9"),
        FormField("附件", "1 file, 2 images, 1 recording"),
    )


def test_custom_form_tolerates_odd_entries() -> None:
    payload = approval("approval_get_all_pass")
    payload["formRecord"] = {
        "bare": "纯文本",
        "nolabel": {"value": 3, "type": "text"},
        "weird": {"label": "未知类型", "value": {"a": "x", "b": ["y"]}, "type": "location"},
        "empty": {"label": "空附件", "value": [], "type": "file_attachment"},
    }
    assert parse_approval(payload).fields[:4] == (
        FormField("bare", "纯文本"),
        FormField("nolabel", "3"),
        FormField("未知类型", "x, y"),
        FormField("空附件", "0 files"),
    )


# -- 或签 (one_pass), go_back, error, cancel ----------------------------------------------------------------


def test_one_pass_go_back_and_error() -> None:
    snapshot = parse_approval(approval("approval_get_one_pass"))

    assert snapshot.status is ApprovalStatus.PENDING  # 5 错误: still open, stuck on an approver who left
    assert snapshot.template_id == "B0B1C2D3-0000-4000-8000-000000000005"
    assert snapshot.template_name == "借款申请单"
    assert snapshot.apply_time == 1709596800
    assert snapshot.event_time == 1709691330
    assert snapshot.current_step == 2
    assert snapshot.nodes == (
        Node(
            NodeType.APPROVER,
            ApprovalMode.ANY,
            MemberStatus.APPROVED,
            (Member("FSUID_A", MemberStatus.APPROVED, speech="同意"), Member("FSUID_B")),
        ),
        Node(
            NodeType.APPROVER,
            ApprovalMode.ALL,
            MemberStatus.RETURNED,
            (Member("FSUID_C", MemberStatus.RETURNED, speech="退回补充材料"),),
        ),
        Node(NodeType.APPROVER, ApprovalMode.ALL, MemberStatus.PENDING, (Member("FSUID_D"),)),
    )
    assert snapshot.waiting_on() == ("FSUID_D",)
    assert snapshot.fields == (
        FormField("借款人", "FSUID_68D40E4FE7F461644E37E70B9BD64522"),
        FormField("事由", "111"),
        FormField("借款金额", "111.11"),
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("agree", MemberStatus.APPROVED),
        ("reject", MemberStatus.REJECTED),
        ("go_back", MemberStatus.RETURNED),
        ("cancel", MemberStatus.PENDING),
        ("schedule", MemberStatus.PENDING),
        ("in_progress", MemberStatus.PENDING),
        ("error", MemberStatus.PENDING),
    ],
)
def test_every_state(state: str, expected: MemberStatus) -> None:
    payload = approval()
    task = payload["approvalTasks"][0]
    task["state"] = task["taskMembers"][0]["state"] = state
    node = parse_approval(payload).nodes[0]
    assert (node.status, node.members[0].status) == (expected, expected)


@pytest.mark.parametrize(
    ("kind", "mode"),
    [("all_pass", ApprovalMode.ALL), ("one_pass", ApprovalMode.ANY), ("single", ApprovalMode.ALL)],
)
def test_every_task_type(kind: str, mode: ApprovalMode) -> None:
    payload = approval()
    payload["approvalTasks"][0]["type"] = kind
    assert parse_approval(payload).nodes[0].mode is mode


# -- overall status --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1, ApprovalStatus.PENDING),
        (2, ApprovalStatus.APPROVED),
        (3, ApprovalStatus.REJECTED),
        (4, ApprovalStatus.REVOKED),
        (5, ApprovalStatus.PENDING),
    ],
)
def test_status_argument_wins(code: int, expected: ApprovalStatus) -> None:
    assert status_from_query(code) is expected
    assert parse_approval(approval("approval_get_all_pass"), status=code).status is expected


def test_status_argument_may_be_the_snapshots_own() -> None:
    """The provider re-reads a known approval passing int(snap.status): codes 1-4 coincide."""
    assert parse_approval(approval(), status=ApprovalStatus.REVOKED).status is ApprovalStatus.REVOKED


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["agree", "agree"], ApprovalStatus.APPROVED),
        (["agree", "reject"], ApprovalStatus.REJECTED),
        (["cancel", "schedule"], ApprovalStatus.REVOKED),
        (["agree", "in_progress"], ApprovalStatus.PENDING),
        (["go_back", "schedule"], ApprovalStatus.PENDING),
        (["agree", "error"], ApprovalStatus.PENDING),
    ],
)
def test_status_derived_from_tasks_without_a_code(states: list[str], expected: ApprovalStatus) -> None:
    payload = approval()
    del payload["status"]
    for task, state in zip(payload["approvalTasks"], states, strict=True):
        task["state"] = task["taskMembers"][0]["state"] = state
    assert parse_approval(payload).status is expected


@pytest.mark.parametrize("code", [0, 6, 7, True, "2", None])
def test_unknown_status_code(code: Any) -> None:
    with pytest.raises(FXiaoKeParseError, match="status"):
        status_from_query(code)


def test_unknown_status_in_payload() -> None:
    payload = approval()
    payload["status"] = 9
    with pytest.raises(FXiaoKeParseError, match="status"):
        parse_approval(payload)


# -- preset forms: the spec's examples -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approve_type", "fields"),
    [
        (
            2,
            (
                FormField(
                    "明细",
                    "请假小时数: 8.4; 请假类型: 事假; "
                    "开始时间: 2017-01-04 22:15; 结束时间: 2017-01-06 22:15\n"
                    "请假小时数: 12.5; 请假类型: 病假; "
                    "开始时间: 2017-01-07 22:15; 结束时间: 2017-01-09 22:15",
                ),
            ),
        ),
        (3, (FormField("明细", "报销金额: 200.00; 附件: 1 image; 备注: 100只笔,50个本; 标题: 办公用品"),)),
        (
            4,
            (
                FormField("事由", "出差"),
                FormField(
                    "明细",
                    "目的地: 武汉; 住宿天数: 1; 出发地: 上海; 出发时间: 2017-01-03 16:45; "
                    "到达时间: 2017-01-09 16:45; 交通工具: 飞机",
                ),
                FormField("预支", "222.00"),
                FormField("出差人", "FSUID_55E332B8B9637C744CFD5FC89F7FCA57"),
                FormField("预算", "111.00"),
            ),
        ),
        (
            5,
            (
                FormField("借款人", "FSUID_68D40E4FE7F461644E37E70B9BD64522"),
                FormField("事由", "111"),
                FormField("借款金额", "111.11"),
            ),
        ),
        (
            7,
            (
                FormField("金额", "11.00"),
                FormField("折扣率", "11.00"),
                FormField("公司名称", "百度"),
                FormField("说明", "备注"),
                FormField("结束时间", "2017-01-03"),
            ),
        ),
        (
            8,
            (
                FormField(
                    "明细",
                    "类型: 住宿; 备注: 上搜索; 出发时间: 2000-01-01 00:00; 到达时间: 2000-01-01 00:00; "
                    "报销金额: 123.00\n"
                    "类型: 住宿; 附件: 1 image; 备注: 搜索; 出发时间: 2000-01-01 00:00; "
                    "到达时间: 2000-01-01 00:00; 报销金额: 3234.00",
                ),
            ),
        ),
        (
            9,
            (
                FormField(
                    "明细",
                    "加班小时数: 12; 类型: 加班; 开始时间: 2017-01-04 16:50; 结束时间: 2017-01-09 16:50",
                ),
            ),
        ),
    ],
)
def test_preset_form_examples(approve_type: int, fields: tuple[FormField, ...]) -> None:
    assert preset_fields(approve_type) == fields


def test_items_spelling_of_trip_rows() -> None:
    payload = approval()
    payload["approveType"] = 4
    payload["formRecord"] = {
        "items": [{"startPoint": "上海", "vehicle": 9}],
        "memberIds": ["FSUID_1", "FSUID_2"],
    }
    assert parse_approval(payload).fields == (
        FormField("出差明细", "出发地: 上海; 交通工具: 9"),
        FormField("出差人", "FSUID_1, FSUID_2"),
    )


def test_form_of_odd_shape_degrades_to_text() -> None:
    payload = approval()
    payload["approveType"] = 1  # 普通审批: the spec defines no form
    payload["formRecord"] = {"note": "自由文本", "flag": False, "nested": {"a": 1}}
    assert parse_approval(payload).fields == (
        FormField("note", "自由文本"),
        FormField("flag", "否"),
        FormField("nested", "1"),
    )
    payload["formRecord"] = ["not", "an", "object"]
    assert parse_approval(payload).fields == ()


# -- strict flow fields -----------------------------------------------------------------------------------


def _mutated(change: Any) -> dict[str, Any]:
    payload = approval()
    change(payload)
    return payload


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a["approvalTasks"][0].update(type="sequential"), "approvalTask.type"),
        (lambda a: a["approvalTasks"][0].update(state="done"), "approvalTask.state"),
        (lambda a: a["approvalTasks"][0]["taskMembers"][0].update(state="done"), "taskMember.state"),
        (lambda a: a["approvalTasks"][0]["taskMembers"][0].pop("state"), "state missing"),
        (lambda a: a["approvalTasks"][0]["taskMembers"][0].pop("employeeId"), "employeeId missing"),
        (lambda a: a["approvalTasks"][0].pop("type"), "type missing"),
        (lambda a: a["approvalTasks"][0].update(comments=[{"content": "?"}]), "senderId missing"),
        (lambda a: a["approvalTasks"][0].update(sequenceNumber="first"), "sequenceNumber"),
        (lambda a: a.update(approvalTasks={"taskId": "x"}), "approvalTasks is not a list"),
        (lambda a: a.pop("approvalId"), "approvalId missing"),
        (lambda a: a.pop("senderId"), "senderId missing"),
        (lambda a: a.update(approvalFormId="", approveType=None), "approvalFormId or approveType missing"),
        (lambda a: a["feed"].pop("createTime"), "createTime missing"),
        (lambda a: a["feed"].update(createTime="2017/01/05 22:22"), "feed.createTime is not"),
        (lambda a: a["feed"].update(lastUpdateTime="yesterday"), "feed.lastUpdateTime is not"),
        (lambda a: a.update(feed="加班"), "feed is not an object"),
    ],
)
def test_bad_flow_fields_raise(change: Any, message: str) -> None:
    with pytest.raises(FXiaoKeParseError, match=message):
        parse_approval(_mutated(change))


def test_parse_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="approval is not an object"):
        parse_approval(["not", "a", "dict"])  # type: ignore[arg-type]


def test_missing_optional_parts() -> None:
    payload = approval()
    del payload["currentTaskId"], payload["feed"]["lastUpdateTime"], payload["feed"]["feedContent"]
    snapshot = parse_approval(payload)
    assert (snapshot.current_step, snapshot.event_time, snapshot.summary) == (None, 0, ())
    assert snapshot.waiting_on() == ("FSUID_442A9447ADD9EB86760B4AF319D187AC",)

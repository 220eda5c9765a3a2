"""Small builders for snapshots in tests."""

from __future__ import annotations

from dataclasses import replace

from bot.model import (
    Action,
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


def member(user: str, status: int = 1, time: int = 0, speech: str = "") -> Member:
    return Member(user, MemberStatus(status), speech, time)


def node(*members: Member, mode: ApprovalMode = ApprovalMode.ALL, kind: NodeType = NodeType.APPROVER) -> Node:
    statuses = {m.status for m in members}
    if MemberStatus.REJECTED in statuses:
        status = MemberStatus.REJECTED
    elif mode is ApprovalMode.ANY and statuses - {MemberStatus.PENDING}:
        status = MemberStatus.APPROVED
    elif MemberStatus.PENDING in statuses:
        status = MemberStatus.PENDING
    else:
        status = MemberStatus.APPROVED
    return Node(kind, mode, status, tuple(members))


def snapshot(
    *nodes: Node,
    number: str = "202611210001",
    status: ApprovalStatus = ApprovalStatus.PENDING,
    action: Action | None = Action.SUBMIT,
    cc: tuple[str, ...] = (),
    comments: tuple[Comment, ...] = (),
    provider: str = "wecom",
    applicant: str = "applicant",
    event_time: int = 1_700_000_000,
) -> Snapshot:
    return Snapshot(
        provider=provider,
        number=number,
        template_id="tmpl",
        template_name="采购申请",
        status=status,
        applicant=applicant,
        apply_time=1_700_000_000,
        nodes=nodes,
        cc=cc,
        comments=comments,
        action=action,
        event_time=event_time,
    )


def with_fields(snap: Snapshot) -> Snapshot:
    return replace(snap, fields=(FormField("金额", "4839.00"),), summary=("金额: 4839.00",), has_details=True)

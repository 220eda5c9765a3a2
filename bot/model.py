"""The domain: one normalized approval, whatever system it lives in.

Providers translate their own payloads into a `Snapshot` (the full state of one
approval at one moment); the service compares snapshots and decides who must be
told. Codes follow the WeCom specs, which the embedded engine reuses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum


class ApprovalStatus(IntEnum):
    """申请单状态 (SpStatus / OpenSpStatus)."""

    PENDING = 1  # 审批中
    APPROVED = 2  # 已通过
    REJECTED = 3  # 已驳回
    REVOKED = 4  # 已撤销
    REVOKED_AFTER_APPROVAL = 6  # 通过后撤销
    DELETED = 7  # 已删除
    PAID = 10  # 已支付

    @property
    def is_final(self) -> bool:
        return self is not ApprovalStatus.PENDING

    @property
    def rank(self) -> int:
        """How far along the life cycle a status is; a snapshot never moves back."""
        return {
            ApprovalStatus.PENDING: 0,
            ApprovalStatus.APPROVED: 1,
            ApprovalStatus.REJECTED: 1,
            ApprovalStatus.REVOKED: 1,
            ApprovalStatus.PAID: 2,
            ApprovalStatus.REVOKED_AFTER_APPROVAL: 2,
            ApprovalStatus.DELETED: 3,
        }[self]


class Action(IntEnum):
    """审批申请状态变化类型 (StatuChangeEvent): what caused a change."""

    SUBMIT = 1  # 提单
    APPROVE = 2  # 同意
    REJECT = 3  # 驳回
    TRANSFER = 4  # 转审
    URGE = 5  # 催办
    REVOKE = 6  # 撤销
    REVOKE_AFTER_APPROVAL = 8  # 通过后撤销
    COMMENT = 10  # 添加备注
    RETURN = 11  # 回退给指定审批人
    ADD_APPROVER = 12  # 添加审批人
    ADD_AND_APPROVE = 13  # 加签并同意


class NodeType(IntEnum):
    """节点类型."""

    APPROVER = 1  # 审批人
    CC = 2  # 抄送人
    HANDLER = 3  # 办理人


class ApprovalMode(IntEnum):
    """多人办理方式 (ApvRel)."""

    ALL = 1  # 会签: everyone must approve
    ANY = 2  # 或签: one approval is enough
    SEQUENTIAL = 3  # 依次审批: one after another


class MemberStatus(IntEnum):
    """节点 / 子节点状态 (SpStatus / SpYj / ItemStatus)."""

    PENDING = 1  # 审批中
    APPROVED = 2  # 同意
    REJECTED = 3  # 驳回
    TRANSFERRED = 4  # 转审
    RETURNED = 11  # 退回给指定审批人
    ADDED = 12  # 加签
    APPROVED_AND_ADDED = 13  # 同意并加签
    HANDLED = 14  # 办理
    HANDED_OVER = 15  # 转交

    @property
    def is_decided(self) -> bool:
        return self is not MemberStatus.PENDING


@dataclass(frozen=True)
class Member:
    """One person on a node, with what they did (if anything)."""

    user_id: str  # the provider's user id (WeCom userid, FSUID, or Slack id for the embedded engine)
    status: MemberStatus = MemberStatus.PENDING
    speech: str = ""
    time: int = 0  # unix seconds; 0 = not acted yet
    media_ids: tuple[str, ...] = ()
    # Set when this share was handed to `user_id` because the approver named here was away: whose
    # share it is, until when they are away, and when it was handed over (cards and timeline say so).
    for_user: str = ""
    for_until: int = 0
    handed_at: int = 0


@dataclass(frozen=True)
class Node:
    """One step of the flow."""

    type: NodeType
    mode: ApprovalMode
    status: MemberStatus
    members: tuple[Member, ...]
    # the embedded engine's auto_approve rule matched at filing that approves this step when it is reached,
    # and when it did (0: not reached yet); a step a rule approved waits on nobody
    rule: str = ""
    ruled_at: int = 0

    def pending_members(self) -> tuple[Member, ...]:
        """Who must act now on this node: for 依次 only the first still pending; nobody once a rule
        approved it."""
        if self.ruled_at:
            return ()
        pending = tuple(m for m in self.members if m.status is MemberStatus.PENDING)
        if self.mode is ApprovalMode.SEQUENTIAL:
            return pending[:1]
        return pending

    def progress(self) -> tuple[int, int]:
        """(approved, total) for the progress line ("1 of 2 approved")."""
        approved = sum(
            1
            for m in self.members
            if m.status in (MemberStatus.APPROVED, MemberStatus.APPROVED_AND_ADDED, MemberStatus.HANDLED)
        )
        return approved, len(self.members)


@dataclass(frozen=True)
class Comment:
    id: str
    user_id: str
    time: int
    content: str
    attachments: tuple[str, ...] = ()
    # the card (its key under the approval) in whose thread it was written, if any: it is mirrored into
    # every other card's thread, not back into that one
    thread: str = ""


@dataclass(frozen=True)
class FormField:
    """A filled form control, rendered as display text."""

    title: str
    value: str


@dataclass(frozen=True)
class Snapshot:
    """The whole state of one approval at one moment, as one provider reports it."""

    provider: str  # "wecom", "wecom_open", "fxiaoke", "local"
    number: str  # SpNoStr / ThirdNo / FXiaoKe id / local number
    template_id: str
    template_name: str
    status: ApprovalStatus
    applicant: str
    apply_time: int
    applicant_party: str = ""
    nodes: tuple[Node, ...] = ()
    cc: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()
    action: Action | None = None  # what caused this snapshot, when known
    event_time: int = 0  # when the provider reported the change (callback CreateTime)
    current_step: int | None = None  # index into approver/handler nodes, when the provider says
    summary: tuple[str, ...] = ()
    fields: tuple[FormField, ...] = ()
    has_details: bool = False  # fields/summary were read (a callback alone carries none)
    expired_at: int = 0  # when the bot ended it as expired (embedded engine, per its template's policy)

    @property
    def key(self) -> str:
        return approval_key(self.provider, self.number)

    def flow_nodes(self) -> tuple[Node, ...]:
        """Approver and handler nodes, in order (CC nodes are not steps)."""
        return tuple(n for n in self.nodes if n.type is not NodeType.CC)

    def current_node(self) -> Node | None:
        """The step waiting for action, or None when nothing is pending."""
        if self.status is not ApprovalStatus.PENDING:
            return None
        steps = self.flow_nodes()
        if self.current_step is not None and 0 <= self.current_step < len(steps):
            node = steps[self.current_step]
            return node if node.pending_members() else None
        for node in steps:
            if node.status is MemberStatus.PENDING and node.pending_members():
                return node
        return None

    def waiting_on(self) -> tuple[str, ...]:
        """Provider user ids whose turn it is."""
        node = self.current_node()
        return tuple(m.user_id for m in node.pending_members()) if node else ()

    def all_cc(self) -> tuple[str, ...]:
        """CC recipients, from Notifyer/NotifyNodes and CC nodes, deduplicated in order."""
        seen: dict[str, None] = dict.fromkeys(self.cc)
        for node in self.nodes:
            if node.type is NodeType.CC:
                seen.update(dict.fromkeys(m.user_id for m in node.members))
        return tuple(seen)

    def step_waiting_since(self) -> int | None:
        """When the current step began waiting: the latest decision outside it (a step before it, or a
        return from a later one), else the filing; None when nothing waits. A transfer within the step
        does not restart it: the step has waited all along."""
        node = self.current_node()
        if node is None:
            return None
        decided = [m for n in self.flow_nodes() if n is not node for m in n.members if m.status.is_decided]
        return max([self.apply_time, *(m.time for m in decided)])

    def last_activity(self) -> int:
        times = [self.apply_time, *(c.time for c in self.comments)]
        times += [m.time for n in self.nodes for m in n.members]
        times += [n.ruled_at for n in self.nodes]
        return max(times)

    def progress_key(self) -> tuple[int, int, int, int]:
        """Orders snapshots of one approval so an older one never overwrites a newer one."""
        acted = sum(1 for n in self.nodes for m in n.members if m.status.is_decided)
        return (self.status.rank, self.last_activity(), acted, len(self.comments))

    def with_details(self, summary: tuple[str, ...], fields: tuple[FormField, ...]) -> Snapshot:
        return replace(self, summary=summary, fields=fields, has_details=True)


def approval_key(provider: str, number: str) -> str:
    return f"{provider}:{number}"


def dedupe_key(snapshot: Snapshot) -> str:
    """What identifies one delivery of a change: (approval number, action, change time).

    Never (sender, time), which drops batch approvals. The progress of the state is part of the
    key too: a retry repeats it exactly, while two different changes in the same second (possible
    when the action is unknown) do not collide.
    """
    action = int(snapshot.action) if snapshot.action is not None else 0
    progress = ".".join(map(str, snapshot.progress_key()))
    return f"{snapshot.key}|{action}|{snapshot.event_time}|{progress}"

"""Snapshot <-> plain JSON, for the store and the journal."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any

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


def snapshot_to_dict(snap: Snapshot) -> dict[str, Any]:
    """What `dataclasses.asdict` gives, without its deep copies: every value of a snapshot is immutable
    (text, numbers, enums, tuples), and asdict was a tenth of applying a callback (issue 12)."""
    return _plain(snap)


@cache
def _names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return {name: _plain(getattr(value, name)) for name in _names(type(value))}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def snapshot_from_dict(data: dict[str, Any]) -> Snapshot:
    nodes = tuple(
        Node(
            type=NodeType(n["type"]),
            mode=ApprovalMode(n["mode"]),
            status=MemberStatus(n["status"]),
            members=tuple(
                Member(
                    user_id=m["user_id"],
                    status=MemberStatus(m["status"]),
                    speech=m["speech"],
                    time=m["time"],
                    media_ids=tuple(m["media_ids"]),
                    for_user=m.get("for_user", ""),
                    for_until=m.get("for_until", 0),
                    handed_at=m.get("handed_at", 0),
                )
                for m in n["members"]
            ),
            rule=n.get("rule", ""),
            ruled_at=n.get("ruled_at", 0),
        )
        for n in data["nodes"]
    )
    return Snapshot(
        provider=data["provider"],
        number=data["number"],
        template_id=data["template_id"],
        template_name=data["template_name"],
        status=ApprovalStatus(data["status"]),
        applicant=data["applicant"],
        apply_time=data["apply_time"],
        applicant_party=data["applicant_party"],
        nodes=nodes,
        cc=tuple(data["cc"]),
        comments=tuple(
            Comment(
                id=c["id"],
                user_id=c["user_id"],
                time=c["time"],
                content=c["content"],
                attachments=tuple(c["attachments"]),
                thread=c.get("thread", ""),
            )
            for c in data["comments"]
        ),
        action=Action(data["action"]) if data.get("action") is not None else None,
        event_time=data["event_time"],
        current_step=data.get("current_step"),
        summary=tuple(data["summary"]),
        fields=tuple(FormField(**f) for f in data["fields"]),
        has_details=data["has_details"],
        expired_at=data.get("expired_at", 0),
    )

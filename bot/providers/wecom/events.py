"""Decrypted WeCom callback XML -> `Snapshot`.

Two events carry an approval's state: ``sys_approval_change`` (the 审批 app, provider "wecom") and
``open_approval_change`` (the self-built app's approval engine, provider "wecom_open"). Anything else a
callback URL receives is not ours to handle and yields None. The XML comes from the network, so it is
parsed only with defusedxml: a DTD that declares entities (billion laughs) or reaches outside is refused
before anything expands.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.model import Action, Comment, Member, Node, Snapshot
from bot.providers.wecom import codes


class CallbackParseError(ValueError):
    """The callback is not well-formed XML, or lacks or garbles a field the snapshot needs."""


@codes.reraised_as(CallbackParseError)
def parse_event(xml: bytes) -> Snapshot | None:
    """The snapshot an approval callback carries; None for events this bot does not follow."""
    try:
        root = fromstring(xml)
    except (ParseError, DefusedXmlException) as exc:
        raise CallbackParseError(f"unreadable callback XML: {exc}") from exc
    if _text(root, "MsgType") != "event":
        return None
    event = _text(root, "Event")
    if event not in ("sys_approval_change", "open_approval_change"):
        return None
    info = root.find("ApprovalInfo")
    if info is None:
        raise CallbackParseError("ApprovalInfo missing")
    event_time = _int(root, "CreateTime")
    if event == "sys_approval_change":
        return _sys_approval(info, event_time)
    return _open_approval(info, event_time)


def _sys_approval(info: Element, event_time: int) -> Snapshot:
    """审批应用: the flow is ProcessList when sent (it has CC and handler nodes), else the older SpRecord."""
    nodes = [_process_node(n) for n in info.findall("ProcessList/NodeList")]
    if not nodes:
        nodes = [_record_node(r) for r in info.findall("SpRecord")]
    return Snapshot(
        provider="wecom",
        number=_required(info, "SpNoStr", "SpNo"),  # SpNo is absent on 局校 approvals; SpNoStr replaces it
        template_id=_required(info, "TemplateId"),
        template_name=_text(info, "SpName"),
        status=codes.approval_status(_raw(info, "SpStatus")),
        applicant=_required(info, "Applyer/UserId"),
        apply_time=_int(info, "ApplyTime"),
        applicant_party=_text(info, "Applyer/Party"),
        nodes=tuple(nodes),
        cc=_texts(info, "Notifyer/UserId"),
        comments=tuple(_comment(c) for c in info.findall("Comments")),
        action=_action(_int(info, "StatuChangeEvent", 0)),
        event_time=event_time,
    )


def _process_node(node: Element) -> Node:
    return codes.process_node(
        _raw(node, "NodeType"),
        _raw(node, "ApvRel"),
        _raw(node, "SpStatus"),
        (_process_member(sub) for sub in node.findall("SubNodeList")),
    )


def _process_member(sub: Element) -> Member:
    return codes.member(
        user_id=_required(sub, "UserInfo/UserId"),
        status=_raw(sub, "SpYj"),
        speech=_text(sub, "Speech"),
        time=_int(sub, "Sptime", 0),
        media_ids=_texts(sub, "MediaIds"),
    )


def _record_node(record: Element) -> Node:
    return codes.approver_node(
        _raw(record, "ApproverAttr"),
        _raw(record, "SpStatus"),
        (_record_member(detail) for detail in record.findall("Details")),
    )


def _record_member(detail: Element) -> Member:
    return codes.member(
        # The spec's table spells it "Approvor", its sample and real callbacks "Approver".
        user_id=_required(detail, "Approver/UserId", "Approvor/UserId"),
        status=_raw(detail, "SpStatus"),
        speech=_text(detail, "Speech"),
        time=_int(detail, "SpTime", 0),
        media_ids=_texts(detail, "MediaId"),
    )


def _comment(comment: Element) -> Comment:
    return Comment(
        id=_required(comment, "CommentId"),
        user_id=_required(comment, "CommentUserInfo/UserId"),
        time=_int(comment, "CommentTime", 0),
        content=_text(comment, "CommentContent"),
        attachments=_texts(comment, "Attach"),
    )


def _action(code: int) -> Action | None:
    """StatuChangeEvent; a code added after this bot was written names no known cause."""
    try:
        return Action(code)
    except ValueError:
        return None


def _open_approval(info: Element, event_time: int) -> Snapshot:
    """审批流程引擎: NodeType there means 固定成员/标签/上级, so every node is an approver step."""
    status = codes.open_status(_raw(info, "OpenSpStatus"))
    return Snapshot(
        provider="wecom_open",
        number=_required(info, "ThirdNo"),
        template_id=_required(info, "OpenTemplateId"),
        template_name=_text(info, "OpenSpName"),
        status=status,
        applicant=_required(info, "ApplyUserId"),
        apply_time=_int(info, "ApplyTime"),
        applicant_party=_text(info, "ApplyUserParty"),
        nodes=tuple(_open_node(n) for n in info.findall("ApprovalNodes/ApprovalNode")),
        cc=_texts(info, "NotifyNodes/NotifyNode/ItemUserid"),
        event_time=event_time,
        current_step=_raw(info, "ApproverStep").value,
    )


def _open_node(node: Element) -> Node:
    return codes.approver_node(
        _raw(node, "NodeAttr"),
        _raw(node, "NodeStatus"),
        (_open_member(item) for item in node.findall("Items/Item")),
    )


def _open_member(item: Element) -> Member:
    return codes.member(
        user_id=_required(item, "ItemUserid"),
        status=_raw(item, "ItemStatus"),
        speech=_text(item, "ItemSpeech"),
        time=_int(item, "ItemOpTime", 0),
    )


def _text(element: Element, path: str) -> str:
    """Stripped text of the first match, "" when absent; CDATA arrives as plain text."""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _texts(element: Element, path: str) -> tuple[str, ...]:
    """Every non-empty text of a repeatable element, in document order."""
    return tuple(text for text in ((found.text or "").strip() for found in element.findall(path)) if text)


def _required(element: Element, *paths: str) -> str:
    """The first non-empty text among alternative paths; a field the snapshot cannot go without."""
    for path in paths:
        if value := _text(element, path):
            return value
    raise CallbackParseError(f"{' or '.join(paths)} missing")


def _raw(element: Element, path: str) -> codes.Raw:
    """A strict integer, None when absent: `codes` knows what absence means for each field."""
    text = _text(element, path)
    value = codes.digits(text)
    if text and value is None:
        raise CallbackParseError(f"{path} is not an integer: {text!r}")
    return codes.Raw(path, value)


def _int(element: Element, path: str, default: int | None = None) -> int:
    """A strict integer; without a default the element is required."""
    return codes.number(_raw(element, path), default)

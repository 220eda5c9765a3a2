"""Decrypted WeCom callback XML -> `Snapshot`.

Two events carry an approval's state: ``sys_approval_change`` (the 审批 app, provider "wecom") and
``open_approval_change`` (the self-built app's approval engine, provider "wecom_open"). Anything else a
callback URL receives is not ours to handle and yields None. The XML comes from the network, so it is
parsed only with defusedxml and no DTD at all (WeCom never sends one): entities (billion laughs) and
external subsets are refused before anything expands or is fetched.

A callback is answered "success" only once it is journaled, and the worker that applies it later cannot
ask WeCom again: so parsing refuses everything applying could not take. The XML must be UTF-8 (what WeCom
sends, and what the journal keeps), times must be dates (0 to year 9999), ids short and printable, codes
known, lists bounded (`codes` holds the limits).
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.model import Action, Comment, Member, Node, Snapshot
from bot.providers.wecom import codes

# The encoding an XML declaration names, if it names one (it can only come first, after an optional BOM).
_DECLARED_ENCODING = re.compile(r"\ufeff?<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_UTF8 = "utf-8"


class CallbackParseError(ValueError):
    """The callback is not well-formed XML, or lacks or garbles a field the snapshot needs."""


@codes.reraised_as(CallbackParseError)
def parse_event(xml: bytes) -> Snapshot | None:
    """The snapshot an approval callback carries; None for events this bot does not follow."""
    _require_utf8(xml)
    try:
        root = fromstring(xml, forbid_dtd=True)
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
    event_time = _time(root, "CreateTime")
    if event == "sys_approval_change":
        return _sys_approval(info, event_time)
    return _open_approval(info, event_time)


def _require_utf8(xml: bytes) -> None:
    """WeCom sends UTF-8, and the journal keeps the callback as UTF-8 text: anything else is refused, so that
    what the worker parses again is exactly what was parsed here."""
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CallbackParseError(f"callback XML is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    declared = _DECLARED_ENCODING.match(text)
    if declared and declared.group(1).strip().lower() != _UTF8:
        raise CallbackParseError(f"callback XML declares encoding {declared.group(1)[:40]!r}, not UTF-8")


def _sys_approval(info: Element, event_time: int) -> Snapshot:
    """审批应用: the flow is ProcessList when sent (it has CC and handler nodes), else the older SpRecord."""
    nodes = [_process_node(n) for n in _all(info, "ProcessList/NodeList")]
    if not nodes:
        nodes = [_record_node(r) for r in _all(info, "SpRecord")]
    return Snapshot(
        provider="wecom",
        number=_required(info, "SpNoStr", "SpNo"),  # SpNo is absent on 局校 approvals; SpNoStr replaces it
        template_id=_required(info, "TemplateId"),
        template_name=_text(info, "SpName"),
        status=codes.approval_status(_raw(info, "SpStatus")),
        applicant=_required(info, "Applyer/UserId"),
        apply_time=_time(info, "ApplyTime"),
        applicant_party=_text(info, "Applyer/Party"),
        nodes=tuple(nodes),
        cc=_ids(info, "Notifyer/UserId"),
        comments=tuple(_comment(c) for c in _all(info, "Comments")),
        action=_action(_int(info, "StatuChangeEvent", 0)),
        event_time=event_time,
    )


def _process_node(node: Element) -> Node:
    return codes.process_node(
        _raw(node, "NodeType"),
        _raw(node, "ApvRel"),
        _raw(node, "SpStatus"),
        (_process_member(sub) for sub in _all(node, "SubNodeList")),
    )


def _process_member(sub: Element) -> Member:
    return codes.member(
        user_id=_required(sub, "UserInfo/UserId"),
        status=_raw(sub, "SpYj"),
        speech=_text(sub, "Speech"),
        time=_time(sub, "Sptime", 0),
        media_ids=_ids(sub, "MediaIds"),
    )


def _record_node(record: Element) -> Node:
    return codes.approver_node(
        _raw(record, "ApproverAttr"),
        _raw(record, "SpStatus"),
        (_record_member(detail) for detail in _all(record, "Details")),
    )


def _record_member(detail: Element) -> Member:
    return codes.member(
        # The spec's table spells it "Approvor", its sample and real callbacks "Approver".
        user_id=_required(detail, "Approver/UserId", "Approvor/UserId"),
        status=_raw(detail, "SpStatus"),
        speech=_text(detail, "Speech"),
        time=_time(detail, "SpTime", 0),
        media_ids=_ids(detail, "MediaId"),
    )


def _comment(comment: Element) -> Comment:
    return Comment(
        id=_required(comment, "CommentId"),
        user_id=_required(comment, "CommentUserInfo/UserId"),
        time=_time(comment, "CommentTime", 0),
        content=_text(comment, "CommentContent"),
        attachments=_ids(comment, "Attach"),
    )


def _action(code: int) -> Action | None:
    """StatuChangeEvent; a code added after this bot was written names no known cause."""
    try:
        return Action(code)
    except ValueError:
        return None


def _open_approval(info: Element, event_time: int) -> Snapshot:
    """审批流程引擎: NodeType there means 固定成员/标签/上级, so every node is an approver step.

    The engine's spec spells some fields two ways (its callback sample ItemUserid and OpenSpStatus, its JSON
    ItemUserId and OpenSpstatus): either is taken, the callback's first.
    """
    status = codes.open_status(_raw(info, "OpenSpStatus", "OpenSpstatus"))
    return Snapshot(
        provider="wecom_open",
        number=_required(info, "ThirdNo"),
        template_id=_required(info, "OpenTemplateId"),
        template_name=_text(info, "OpenSpName"),
        status=status,
        applicant=_required(info, "ApplyUserId"),
        apply_time=_time(info, "ApplyTime"),
        applicant_party=_text(info, "ApplyUserParty"),
        nodes=tuple(_open_node(n) for n in _all(info, "ApprovalNodes/ApprovalNode")),
        cc=tuple(
            codes.identifier("NotifyNode/ItemUserid", user)
            for notify in _all(info, "NotifyNodes/NotifyNode")
            if (user := _first_text(notify, *_ITEM_USER_ID))
        ),
        event_time=event_time,
        current_step=_int(info, "ApproverStep") if _text(info, "ApproverStep") else None,
    )


_ITEM_USER_ID = ("ItemUserid", "ItemUserId")  # callback sample, JSON


def _open_node(node: Element) -> Node:
    return codes.approver_node(
        _raw(node, "NodeAttr"),
        _raw(node, "NodeStatus"),
        (_open_member(item) for item in _all(node, "Items/Item")),
    )


def _open_member(item: Element) -> Member:
    return codes.member(
        user_id=_required(item, *_ITEM_USER_ID),
        status=_raw(item, "ItemStatus"),
        speech=_text(item, "ItemSpeech"),
        time=_time(item, "ItemOpTime", 0),
    )


def _text(element: Element, path: str) -> str:
    """Stripped text of the first match, "" when absent; CDATA arrives as plain text."""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _first_text(element: Element, *paths: str) -> str:
    """The first non-empty text among alternative paths (spellings of one field), "" when none has one."""
    return next((value for path in paths if (value := _text(element, path))), "")


def _all(element: Element, path: str) -> list[Element]:
    """Every match of a repeatable element, in document order, as many as an approval can have."""
    return codes.bounded(path, element.findall(path))


def _ids(element: Element, path: str) -> tuple[str, ...]:
    """Every non-empty id of a repeatable element, in document order."""
    texts = ((found.text or "").strip() for found in _all(element, path))
    return tuple(codes.identifier(path, text) for text in texts if text)


def _required(element: Element, *paths: str) -> str:
    """The first non-empty text among alternative paths; an id the snapshot cannot go without."""
    if value := _first_text(element, *paths):
        return codes.identifier(paths[0], value)
    raise CallbackParseError(f"{' or '.join(paths)} missing")


def _raw(element: Element, *paths: str) -> codes.Raw:
    """A strict integer under any of its spellings, None when absent: `codes` knows what absence means."""
    text = _first_text(element, *paths)
    value = codes.digits(text)
    if text and value is None:
        raise CallbackParseError(
            f"{paths[0]} is not an integer of at most {codes.MAX_DIGITS} digits: {text[:40]!r}"
        )
    return codes.Raw(paths[0], value)


def _int(element: Element, path: str, default: int | None = None) -> int:
    """A strict integer; without a default the element is required."""
    return codes.number(_raw(element, path), default)


def _time(element: Element, path: str, default: int | None = None) -> int:
    """A strict unix time within the dates the bot can show; without a default the element is required."""
    return codes.moment(_raw(element, path), default)

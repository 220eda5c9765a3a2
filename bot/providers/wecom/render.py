"""`Snapshot` -> what WeCom sends: the reverse of detail.py and events.py, for the sandbox (bot/offline/).

Pure functions. `approval_detail_info` builds the ``info`` of ``oa/getapprovaldetail``, `callback_xml` the
decrypted ``sys_approval_change`` callback, each in the shape of the spec's samples, so the bot's own parsers
read back what was rendered. Both carry the flow twice, as WeCom does: ``process_list`` / ProcessList (every
node) and the older ``sp_record`` / SpRecord (approver nodes only, which know 或签 and 会签 alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from bot.forms import Control, Template
from bot.model import ApprovalMode, Comment, Member, Node, NodeType, Snapshot
from bot.providers.wecom.kinds import wecom_kind
from bot.providers.wecom.kinds.base import zh

_LANG = "zh_CN"
# ApproverAttr / approverattr: 1 或签, 2 会签; 依次 (one after another) needs everyone too, so it is 会签.
_ATTR = {ApprovalMode.ANY: 1, ApprovalMode.ALL: 2, ApprovalMode.SEQUENTIAL: 2}


# -- oa/getapprovaldetail ----------------------------------------------------------------------------------


def approval_detail_info(
    snap: Snapshot, apply_contents: Sequence[Mapping[str, Any]], template_name: str
) -> dict[str, Any]:
    """The ``info`` object for `snap`: `apply_contents` is ``apply_data.contents`` as filed, `template_name`
    the ``sp_name`` shown."""
    return {
        "sp_no": snap.number,
        "sp_name": template_name,
        "sp_status": int(snap.status),
        "template_id": snap.template_id,
        "apply_time": snap.apply_time,
        "applyer": {"userid": snap.applicant, "partyid": snap.applicant_party},
        "sp_record": [_record(node) for node in _approver_nodes(snap)],
        "notifyer": [{"userid": user} for user in snap.cc],
        "apply_data": {"contents": [dict(content) for content in apply_contents]},
        "comments": [_comment(comment) for comment in snap.comments],
        "process_list": {"node_list": [_process_node(node) for node in snap.nodes]},
        "summary_list": [{"summary_info": [{"text": line, "lang": _LANG}]} for line in snap.summary],
    }


def _record(node: Node) -> dict[str, Any]:
    return {
        "sp_status": int(node.status),
        "approverattr": _ATTR[node.mode],
        "details": [
            {
                "approver": {"userid": m.user_id},
                "speech": m.speech,
                "sp_status": int(m.status),
                "sptime": m.time,
                "media_id": list(m.media_ids),
            }
            for m in node.members
        ],
    }


def _process_node(node: Node) -> dict[str, Any]:
    """A CC node carries neither status nor apv_rel, and its members only who they are."""
    if node.type is NodeType.CC:
        return {"node_type": int(node.type), "sub_node_list": [{"userid": m.user_id} for m in node.members]}
    return {
        "node_type": int(node.type),
        "sp_status": int(node.status),
        "apv_rel": int(node.mode),
        "sub_node_list": [
            {
                "userid": m.user_id,
                "speech": m.speech,
                "sp_yj": int(m.status),
                "sptime": m.time,
                "media_ids": list(m.media_ids),
            }
            for m in node.members
        ],
    }


def _comment(comment: Comment) -> dict[str, Any]:
    return {
        "commentUserInfo": {"userid": comment.user_id},
        "commenttime": comment.time,
        "commentcontent": comment.content,
        "commentid": comment.id,
        "media_id": list(comment.attachments),
    }


# -- sys_approval_change -----------------------------------------------------------------------------------


def callback_xml(snap: Snapshot, corp_id: str, agent_id: str, create_time: int) -> bytes:
    """The decrypted callback announcing `snap` (its `action` is the StatuChangeEvent), sent at
    `create_time`; texts sit in CDATA where the spec's sample has them."""
    change = () if snap.action is None else (_plain("StatuChangeEvent", int(snap.action)),)
    info = (
        _cdata("SpNoStr", snap.number),
        _plain("SpNo", snap.number),
        _cdata("SpName", snap.template_name),
        _plain("SpStatus", int(snap.status)),
        _cdata("TemplateId", snap.template_id),
        _plain("ApplyTime", snap.apply_time),
        _tree("Applyer", (_cdata("UserId", snap.applicant), _cdata("Party", snap.applicant_party))),
        *(_sp_record(node) for node in _approver_nodes(snap)),
        *(_tree("Notifyer", (_cdata("UserId", user),)) for user in snap.cc),
        _tree("ProcessList", (_node_list(node) for node in snap.nodes)),
        *(_comments(comment) for comment in snap.comments),
        *change,
    )
    root = _tree(
        "xml",
        (
            _cdata("ToUserName", corp_id),
            _cdata("FromUserName", "sys"),
            _plain("CreateTime", create_time),
            _cdata("MsgType", "event"),
            _cdata("Event", "sys_approval_change"),
            _plain("AgentID", agent_id),
            _tree("ApprovalInfo", info),
        ),
    )
    return root.encode("utf-8")


def _sp_record(node: Node) -> str:
    details = (
        _tree(
            "Details",
            (
                _tree("Approver", (_cdata("UserId", m.user_id),)),
                _cdata("Speech", m.speech),
                _plain("SpStatus", int(m.status)),
                _plain("SpTime", m.time),
                *(_cdata("MediaId", media) for media in m.media_ids),
            ),
        )
        for m in node.members
    )
    return _tree(
        "SpRecord", (_plain("SpStatus", int(node.status)), _plain("ApproverAttr", _ATTR[node.mode]), *details)
    )


def _node_list(node: Node) -> str:
    """The XML twin of `_process_node`."""
    if node.type is NodeType.CC:
        members = (_tree("SubNodeList", (_user_info(m),)) for m in node.members)
        return _tree("NodeList", (_plain("NodeType", int(node.type)), *members))
    head = (
        _plain("NodeType", int(node.type)),
        _plain("SpStatus", int(node.status)),
        _plain("ApvRel", int(node.mode)),
    )
    return _tree("NodeList", (*head, *map(_sub_node, node.members)))


def _sub_node(m: Member) -> str:
    return _tree(
        "SubNodeList",
        (
            _user_info(m),
            _cdata("Speech", m.speech),
            _plain("SpYj", int(m.status)),
            _plain("Sptime", m.time),
            *(_cdata("MediaIds", media) for media in m.media_ids),
        ),
    )


def _user_info(m: Member) -> str:
    return _tree("UserInfo", (_cdata("UserId", m.user_id),))


def _comments(comment: Comment) -> str:
    return _tree(
        "Comments",
        (
            _tree("CommentUserInfo", (_cdata("UserId", comment.user_id),)),
            _plain("CommentTime", comment.time),
            _cdata("CommentContent", comment.content),
            _cdata("CommentId", comment.id),
            *(_cdata("Attach", media) for media in comment.attachments),
        ),
    )


def _approver_nodes(snap: Snapshot) -> Iterable[Node]:
    return (node for node in snap.nodes if node.type is NodeType.APPROVER)


def _tree(tag: str, children: Iterable[str]) -> str:
    return f"<{tag}>\n" + "".join(f"{child}\n" for child in children) + f"</{tag}>"


def _plain(tag: str, value: int | str) -> str:
    return f"<{tag}>{escape(str(value))}</{tag}>"


def _cdata(tag: str, text: str) -> str:
    """A CDATA section cannot hold "]]>": it is closed before the ">" and a new one opened."""
    return f"<{tag}><![CDATA[{text.replace(']]>', ']]]]><![CDATA[>')}]]></{tag}>"


def template_detail(template: Template) -> dict[str, Any]:
    """A gettemplatedetail reply for `template`: the reverse of templates.parse_template_detail,
    so the sandbox can serve templates written as [[local.templates]]."""
    return {
        "template_names": zh(template.name),
        "template_content": {"controls": [template_control(c) for c in template.controls]},
    }


def template_control(control: Control) -> dict[str, Any]:
    """One control of a gettemplatedetail reply, its config as its kind writes it."""
    prop = {
        "control": control.kind,
        "id": control.id,
        "title": zh(control.title),
        "placeholder": zh(control.placeholder),
        "require": int(control.required),
        "un_print": 0,
    }
    return {"property": prop, "config": wecom_kind(control.kind).template_config(control, template_control)}

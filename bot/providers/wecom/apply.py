"""A validated `FilledForm` -> the ``oa/applyevent`` request body (企业微信 提交审批申请).

Pure functions: the caller passes the lookups (Slack user -> WeCom user, attachment -> media_id,
department names), so the body is checked against fixtures without a network. Field names, nesting and
types follow the spec (``wecom-applyevent.md``, 附1–附12): a string stays a string (``s_timestamp``,
``new_number``), an integer an integer (``new_begin``). The three controls that spec leaves out
(DateRange, RelatedApproval, PhoneNumber) follow public SDKs, cited where they are built.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.forms import Control, FilledForm, UploadedFile
from bot.providers.wecom.kinds import wecom_kind
from bot.providers.wecom.kinds.base import Lookups, Piece, SummaryLookups, Token, text

MAX_FILES = 6  # 附9: 一个审批申请单，全局仅支持上传6个附件
LANGS = ("zh_CN", "en")  # the only spellings WeCom takes ("zh-CN" is refused)


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
    files = count_files(form.template.controls, form.answers)
    if files > MAX_FILES:
        raise ValueError(f"WeCom takes at most {MAX_FILES} attachments in one approval; this one has {files}")
    users = functools.cache(wecom_user)  # the summary names the members the form has already looked up
    lookups = Lookups(users, media_id, department_name, lang)
    body: dict[str, Any] = {
        "creator_userid": creator,
        "template_id": form.template.id,
        "use_template_approver": 0 if process else 1,
    }
    if process:
        body["process"] = {"node_list": [node.as_json() for node in process]}
    if choose_department is not None:
        body["choose_department"] = choose_department
    body["apply_data"] = {"contents": contents(form.template.controls, form.answers, lookups)}
    lines = summary_lines(form, wecom_user=users, department_name=department_name)
    body["summary_list"] = [{"summary_info": [text(line, lang)]} for line in lines]
    return body


# -- apply_data.contents ---------------------------------------------------------------------------------


def count_files(controls: Sequence[Control], answers: Mapping[str, Any]) -> int:
    """Attachments anywhere in the form, table rows included: WeCom counts them over the whole request."""
    return sum(
        wecom_kind(control.kind).files(control, answers[control.id], count_files)
        for control in controls
        if answers.get(control.id) is not None
    )


def contents(
    controls: Sequence[Control], answers: Mapping[str, Any], lookups: Lookups
) -> list[dict[str, Any]]:
    """One entry per answered control, in template order (a table row is a form of its own); each kind's
    module in `bot.providers.wecom.kinds` builds its value."""
    return [
        _content(control, answers[control.id], lookups)
        for control in controls
        if control.id in answers and wecom_kind(control.kind).sent
    ]


def _content(control: Control, answer: Any, lookups: Lookups) -> dict[str, Any]:
    value = wecom_kind(control.kind).value(control, answer, lookups, contents)
    return {
        "control": control.kind,
        "id": control.id,
        "title": [text(control.title, lookups.lang)],
        "value": value,
    }


# -- summary_list ------------------------------------------------------------------------------------------


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
    lookups = SummaryLookups(wecom_user, department_name)
    lines: list[str] = []
    for control in form.template.controls:
        if len(lines) == limit:
            break
        if control.id not in form.answers:
            continue
        pieces = wecom_kind(control.kind).summary(control, form.answers[control.id], lookups)
        value = [piece if isinstance(piece, Token) else _one_line(piece) for piece in pieces]
        if sum(_shown(piece) for piece in value):
            title = _one_line(control.title)
            lines.append(_clip([f"{title}: " if title else "", *value], width))
    return lines or [_clip([_one_line(form.template.name).strip() or form.template.id], width)]


def _one_line(text: str) -> str:
    """A summary line is one line: each line break (a Textarea's, an option's) becomes a space."""
    return " ".join(text.splitlines())


def _clip(pieces: Sequence[Piece], width: int) -> str:
    """Join the pieces; past `width` shown characters, cut and end in "…" (which counts too)."""
    if sum(_shown(piece) for piece in pieces) <= width:
        return "".join(_sent(piece) for piece in pieces)
    room = width - 1
    kept = []
    for piece in pieces:
        if isinstance(piece, Token) and piece.shown > room:
            break
        part = piece if isinstance(piece, Token) else piece[:room]
        kept.append(_sent(part))
        room -= _shown(part)
        if room == 0:
            break
    return "".join(kept).rstrip() + "…"


def _shown(piece: Piece) -> int:
    return piece.shown if isinstance(piece, Token) else len(piece)


def _sent(piece: Piece) -> str:
    return piece.text if isinstance(piece, Token) else piece

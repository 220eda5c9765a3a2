"""Requests for the WeCom self-built-app approval engine (wecom-open-approval-engine.md).

The engine is launched from a page inside the WeCom client, not by an API call:
the bot collects the fields in Slack, gives the request a unique thirdNo, and
the applicant opens the bot's launch page, which calls `thirdPartyOpenPage`
with the fields as `extData.fieldList`. From then on callbacks
(open_approval_change) and `corp/getopenapprovaldata` report on it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from bot.forms import Control, FilledForm, Template, UploadedFile
from bot.provider_ports import FilingRefused
from bot.providers.wecom.launch_page import LaunchDraft

# The engine's templates have no fields of their own: these are what extData shows.
_FIELDS = {
    "zh_CN": {"subject": "事由", "details": "详细说明", "amount": "金额", "link": "链接"},
    "en": {"subject": "Subject", "details": "Details", "amount": "Amount", "link": "Link"},
}
_KINDS = {"subject": "Text", "details": "Textarea", "amount": "Money", "link": "Text"}


class OpenEngineFiler:
    name = "wecom_open"
    identity = "wecom"

    def __init__(self, lang: str, *, clock: Callable[[], float] = time.time) -> None:
        self.titles = _FIELDS.get(lang, _FIELDS["en"])
        self.clock = clock

    def template(self, template_id: str, alias: str) -> Template:
        controls = tuple(
            Control(kind, field, self.titles[field], required=field == "subject")
            for field, kind in _KINDS.items()
        )
        return Template(provider=self.name, id=template_id, alias=alias, name=alias, controls=controls)

    def file(
        self,
        form: FilledForm,
        creator: str,
        people: Callable[[str], tuple[str, str]],
        fetch: Callable[[UploadedFile], bytes],
    ) -> str:
        """A new thirdNo: the request is filed when the applicant launches it in WeCom."""
        link = str(form.answers.get("link", ""))
        if link and not link.startswith(("https://", "http://")):
            raise FilingRefused(f"{self.titles['link']}: https://…")
        return time.strftime("%Y%m%d", time.localtime(self.clock())) + uuid.uuid4().hex[:12]

    def find_filed(
        self, form: FilledForm, creator: str, since: int, taken: Callable[[str], bool]
    ) -> str | None:
        return None  # nothing is sent to WeCom when filing, so nothing can be there twice


def launch_draft(
    third_no: str, template_id: str, title: str, answers: Mapping[str, Any], titles: Mapping[str, str]
) -> LaunchDraft:
    """What the launch page passes to thirdPartyOpenPage: the answers as extData.fieldList."""
    fields = tuple(
        (titles[field], "link" if field == "link" else "text", str(answers[field]))
        for field in _KINDS
        if answers.get(field)
    )
    return LaunchDraft(third_no=third_no, template_id=template_id, fields=fields, title=title)

"""Filing WeCom approvals from Slack: oa/gettemplatedetail, media/upload, oa/applyevent,
and oa/getapprovalinfo to find a request an unanswered attempt may have filed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.forms import FilledForm, Template, UploadedFile
from bot.providers.base import ProviderError
from bot.providers.wecom.apply import build_apply_request
from bot.providers.wecom.client import WeComClient, WeComError, WeComRefused, WeComUnavailable
from bot.providers.wecom.templates import parse_template_detail
from bot.submit import FilingRefused, FilingUncertain

log = logging.getLogger(__name__)

FIND_SLACK = 5  # seconds of clock difference tolerated when looking for an earlier filing


class WeComFiler:
    name = "wecom"
    identity = "wecom"

    def __init__(self, client: WeComClient, *, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.clock = clock

    def template(self, template_id: str, alias: str) -> Template:
        try:
            reply = self.client.oa.get_template_detail(template_id)
        except WeComError as exc:
            raise ProviderError(exc.message) from exc
        return parse_template_detail(reply, alias=alias, template_id=template_id)

    def file(
        self,
        form: FilledForm,
        creator: str,
        people: Callable[[str], tuple[str, str]],
        fetch: Callable[[UploadedFile], bytes],
    ) -> str:
        try:
            body = build_apply_request(
                form, creator=creator, wecom_user=people, media_id=self._uploader(fetch)
            )
        except (LookupError, ValueError) as exc:  # an unmapped person, too many files...
            raise FilingRefused(str(exc)) from exc
        except WeComError as exc:  # an attachment upload failed: nothing was filed
            raise FilingRefused(exc.message) from exc
        try:
            return self.client.oa.apply_event(body)
        except WeComUnavailable as exc:  # no answer: it may have been filed
            raise FilingUncertain(exc.message) from exc
        except WeComError as exc:  # refused, rate-limited after retries, credentials: not filed
            raise FilingRefused(exc.message) from exc

    def _uploader(self, fetch: Callable[[UploadedFile], bytes]) -> Callable[[UploadedFile], str]:
        def upload(file: UploadedFile) -> str:
            return self.client.media.upload(file.name, fetch(file))

        return upload

    def find_filed(self, form: FilledForm, creator: str, since: int) -> str | None:
        """A request of this template by this creator, filed since the unanswered attempt began."""
        filters = [{"key": "creator", "value": creator}, {"key": "template_id", "value": form.template.id}]
        start, end = since - FIND_SLACK, int(self.clock()) + FIND_SLACK
        try:
            found = self.client.oa.get_approval_info(start, end, filters=filters).get("sp_no_list") or []
            for sp_no in found:
                if int(self.client.oa.get_approval_detail(sp_no).get("apply_time", 0)) >= start:
                    return str(sp_no)
        except WeComRefused:
            return None
        except WeComError as exc:  # cannot tell: do not file again blindly
            raise FilingUncertain(exc.message) from exc
        return None

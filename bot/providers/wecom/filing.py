"""Filing WeCom approvals from Slack: oa/gettemplatedetail, media/upload, oa/applyevent,
and oa/getapprovalinfo to find a request an unanswered attempt may have filed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.forms import Control, FilledForm, Option, Template, UploadedFile
from bot.provider_ports import FilingRefused, FilingUncertain, ProviderError
from bot.providers.wecom.apply import ApproverNode, build_apply_request
from bot.providers.wecom.client import WeComClient, WeComError, WeComRefused, WeComUnavailable
from bot.providers.wecom.templates import parse_template_detail

log = logging.getLogger(__name__)

FIND_SLACK = 5  # seconds of clock difference tolerated when looking for an earlier filing


# Controls the bot adds to a template whose flow is chosen in Slack ([wecom.flows.<alias>]);
# their answers become process.node_list and choose_department, not apply_data.
FLOW_PREFIX = "_flow-"
DEPARTMENT = "_department"
_NODE_TITLES = {
    "zh_CN": {
        1: "审批人",
        2: "抄送人",
        3: "办理人",
        "modes": {1: "会签", 2: "或签", 3: "依次审批"},
        "department": "提交部门",
    },
    "en": {
        1: "Approvers",
        2: "CC",
        3: "Handlers",
        "modes": {1: "all must approve", 2: "any one", 3: "in turn"},
        "department": "File for department",
    },
}


class WeComFiler:
    name = "wecom"
    identity = "wecom"

    def __init__(
        self,
        client: WeComClient,
        *,
        flows: Mapping[str, Any] | None = None,
        lang: str = "zh_CN",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.flows = dict(flows or {})
        self.titles = _NODE_TITLES.get(lang, _NODE_TITLES["en"])
        self.clock = clock

    def template(self, template_id: str, alias: str) -> Template:
        try:
            reply = self.client.oa.get_template_detail(template_id)
        except WeComError as exc:
            raise ProviderError(exc.message) from exc
        template = parse_template_detail(reply, alias=alias, template_id=template_id)
        return replace(template, controls=(*template.controls, *self._flow_controls(alias)))

    def _flow_controls(self, alias: str) -> list[Control]:
        """Pickers for the nodes chosen in the form, and the department choice, when configured."""
        flow = self.flows.get(alias) or {}
        controls = []
        for index, node in enumerate(flow.get("nodes", [])):
            if node.get("pick"):
                title = self.titles[node["type"]]
                if node["type"] in (1, 3):
                    title = f"{title} ({self.titles['modes'][node['apv_rel']]})"
                controls.append(
                    Control(
                        "Contact",
                        f"{FLOW_PREFIX}{index}",
                        title,
                        required=node["type"] != 2,
                        multi=True,
                        contact_mode="user",
                    )
                )
        if flow.get("choose_department"):
            controls.append(
                Control("Contact", DEPARTMENT, self.titles["department"], contact_mode="department")
            )
        return controls

    def departments(self, creator: str) -> list[Option]:
        """The creator's own departments, for the "file for which department" choice."""
        try:
            ids = self.client.user.get(creator).get("department") or []
            return [Option(str(i), str(self.client.user.department(int(i)).get("name") or i)) for i in ids]
        except WeComError as exc:
            raise ProviderError(exc.message) from exc

    def _process(self, form: FilledForm, people: Callable[[str], tuple[str, str]]) -> list[ApproverNode]:
        """process.node_list: each configured node with its fixed and its picked people."""
        nodes = []
        for index, node in enumerate((self.flows.get(form.template.alias) or {}).get("nodes", [])):
            slack_ids = [*node.get("users", []), *form.answers.get(f"{FLOW_PREFIX}{index}", ())]
            userids = tuple(dict.fromkeys(people(slack_id)[0] for slack_id in slack_ids))
            if userids:
                nodes.append(ApproverNode(node["type"], userids, node.get("apv_rel")))
        return nodes

    def file(
        self,
        form: FilledForm,
        creator: str,
        people: Callable[[str], tuple[str, str]],
        fetch: Callable[[UploadedFile], bytes],
    ) -> str:
        department = form.answers.get(DEPARTMENT)
        try:
            body = build_apply_request(
                _without_flow(form),
                creator=creator,
                wecom_user=people,
                media_id=self._uploader(fetch),
                process=self._process(form, people),
                choose_department=int(department[0]) if department else None,
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

    def find_filed(
        self, form: FilledForm, creator: str, since: int, taken: Callable[[str], bool]
    ) -> str | None:
        """A request of this template by this creator, filed since the unanswered attempt began and
        not already another filing's."""
        filters = [{"key": "creator", "value": creator}, {"key": "template_id", "value": form.template.id}]
        start, end = since - FIND_SLACK, int(self.clock()) + FIND_SLACK
        try:
            found = self.client.oa.get_approval_info(start, end, filters=filters).get("sp_no_list") or []
            for sp_no in (str(number) for number in found if not taken(str(number))):
                if int(self.client.oa.get_approval_detail(sp_no).get("apply_time", 0)) >= start:
                    return str(sp_no)
        except WeComRefused:
            return None
        except WeComError as exc:  # cannot tell: do not file again blindly
            raise FilingUncertain(exc.message) from exc
        return None


def _without_flow(form: FilledForm) -> FilledForm:
    """The form as WeCom's template has it: the bot's own flow controls taken out."""
    ours = [c.id for c in form.template.controls if c.id == DEPARTMENT or c.id.startswith(FLOW_PREFIX)]
    template = replace(form.template, controls=tuple(c for c in form.template.controls if c.id not in ours))
    return FilledForm(template, {k: v for k, v in form.answers.items() if k not in ours})

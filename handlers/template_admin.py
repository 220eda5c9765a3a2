"""Creating and updating a provider's approval templates from Slack (`/approval-admin template ...`).

A body comes inline (the rest of the command), from an uploaded .json file, or from the builder modal,
which adds controls one by one. Whatever its source, the provider's `TemplateManager.problems` checks it
first, and a body with problems never reaches the provider: they are listed, each beside its control.
A valid new template is created after a modal asks for an optional alias to track it under; an update is
sent only after a modal showing the diff of its controls is confirmed.

Modals carry their draft in `private_metadata` while it fits, else in the store (`put_draft`) by id. The
metadata comes back from Slack, so it is read defensively, every listener checks that the person is an
admin, and a body is checked again right before it is sent.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.admin import ALIAS, AdminRefused
from bot.forms import UploadedFile
from bot.i18n import t
from bot.provider_ports import FilingRefused, ProviderError, TemplateManager, TemplateProblem
from handlers import field as payload_field
from handlers import safely, tell, text_field
from handlers.cards import clip, escape, one_line, user_text
from handlers.template_drafts import (
    ACTION_ADD_CONTROL,
    ACTION_KIND,
    ACTION_REMOVE_CONTROL,
    ALIAS_INPUT,
    CALLBACK_BUILDER,
    CALLBACK_CONTROL,
    CALLBACK_CREATE,
    CALLBACK_UPDATE,
    FILE,
    JSON_BODY,
    MAX_FILE_BYTES,
    NAME,
    BodyUnreadable,
    TemplateDraft,
    command_text,
    field_for,
    input_value,
    pack_draft,
    parse_body,
    read_control,
    typed_text,
    unpack_draft,
)
from handlers.template_views import (
    alias_view,
    builder_view,
    control_view,
    diff_view,
    notice_view,
    problem_lines,
    problems_message,
    template_name,
    working_view,
)

if TYPE_CHECKING:
    from handlers.context import BotContext

log = logging.getLogger(__name__)


def register(app: App, runtime: BotContext) -> None:
    flow = TemplateAdmin(runtime)
    app.view(CALLBACK_BUILDER)(
        lambda ack, body, view, client: flow.builder_submitted(ack, body, view, client)
    )
    app.view(CALLBACK_CONTROL)(lambda ack, body, view: flow.control_submitted(ack, body, view))
    app.view(CALLBACK_CREATE)(lambda ack, body, view, client: flow.create_confirmed(ack, body, view, client))
    app.view(CALLBACK_UPDATE)(lambda ack, body, view, client: flow.update_confirmed(ack, body, view, client))
    app.action(ACTION_ADD_CONTROL)(lambda ack, body, client: flow.add_clicked(ack, body, client))
    app.action(ACTION_REMOVE_CONTROL)(lambda ack, body, client: flow.remove_clicked(ack, body, client))
    app.action(ACTION_KIND)(lambda ack, body, client: flow.kind_chosen(ack, body, client))


def start(
    runtime: BotContext,
    client: WebClient,
    *,
    user: str,
    trigger_id: str,
    mode: str,
    template_id: str | None,
    inline_json: str | None,
    respond: Respond,
) -> None:
    """`template create [json]` / `template update <id> [json]`, after the admin command's ack."""
    TemplateAdmin(runtime).start(
        client, user, trigger_id, mode, template_id or "", inline_json or "", respond
    )


class TemplateAdmin:
    def __init__(self, runtime: BotContext) -> None:
        self.runtime = runtime
        self.lang = runtime.config.slack.language

    @property
    def manager(self) -> TemplateManager | None:
        """The first provider (in the registry's order) that manages templates; None when none does
        (WeCom is the one today, and only with its credentials)."""
        return next(iter(self.runtime.parts.template_managers.values()), None)

    # the command -----------------------------------------------------------------------

    def start(
        self,
        client: WebClient,
        user: str,
        trigger_id: str,
        mode: str,
        template_id: str,
        inline: str,
        respond: Respond,
    ) -> None:
        manager = self.manager
        if manager is None:
            _say(respond, t("template.builder.no_manager", self.lang))
            return
        if mode == "update" and not template_id:
            _say(respond, t("template.builder.update_usage", self.lang))
            return
        body: dict[str, Any] = {}
        if inline.strip():
            try:
                body = parse_body(command_text(inline), self.lang)
            except BodyUnreadable as exc:
                _say(respond, str(exc))
                return
        if mode == "update":
            body["template_id"] = template_id
            self._open_update(
                client, trigger_id, user, manager, TemplateDraft(mode, template_id, body, not inline)
            )
        elif not inline.strip():
            draft = TemplateDraft("create", "", body, builder=True)
            safely(
                "views.open",
                client.views_open,
                trigger_id=trigger_id,
                view=self._builder(draft, user, manager),
            )
        elif problems := manager.problems(body, self._known_names(), updating=False):
            _say(respond, problems_message(problems, self._provider_name(manager), self.lang))
        else:
            draft = TemplateDraft("create", "", body)
            safely(
                "views.open",
                client.views_open,
                trigger_id=trigger_id,
                view=alias_view(
                    manager.outline(draft.body),
                    self._pack(draft, user),
                    self._provider_name(manager),
                    self.lang,
                ),
            )

    def _open_update(
        self, client: WebClient, trigger_id: str, user: str, manager: TemplateManager, draft: TemplateDraft
    ) -> None:
        """Reading the live template may outlast the trigger_id: a "working" modal opens first."""
        opened = safely("views.open", client.views_open, trigger_id=trigger_id, view=working_view(self.lang))
        if opened is None:
            return
        view_id = opened["view"]["id"]
        if not draft.builder:
            self._show(client, view_id, self._update_step(user, manager, draft))
            return
        try:
            current = manager.current_body(draft.template_id)
        except ProviderError as exc:
            self._show(client, view_id, notice_view(escape(str(exc)), self.lang))
            return
        draft = replace(draft, body={**current, "template_id": draft.template_id})
        self._show(client, view_id, self._builder(draft, user, manager))

    # the builder --------------------------------------------------------------------------

    def builder_submitted(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user, draft, manager = self._checked(body, view)
        if draft is None or manager is None:
            ack(response_action="update", view=notice_view(t("template.builder.stale", self.lang), self.lang))
            return
        values = payload_field(view, "state", "values", kind=dict) or {}
        name, pasted = one_line(typed_text(values, NAME)), typed_text(values, JSON_BODY)
        files = payload_field(input_value(values, FILE), "files", kind=list) or []
        if pasted and files:
            ack(response_action="errors", errors={FILE: t("template.builder.both_sources", self.lang)})
            return
        if pasted:
            try:
                draft = replace(draft, body=self._for_mode(draft, parse_body(pasted, self.lang)))
            except BodyUnreadable as exc:
                ack(response_action="errors", errors={JSON_BODY: str(exc)})
                return
        draft = replace(draft, body=manager.with_name(draft.body, name) if name else draft.body)
        if draft.mode == "create" and not files:
            problems = manager.problems(draft.body, self._known_names(), updating=False)
            if problems and all(p.where == "template_name" for p in problems):
                ack(response_action="errors", errors={NAME: " ".join(problem_lines(problems, self.lang))})
            else:
                ack(response_action="update", view=self._create_step(user, manager, draft, problems))
            return
        ack(response_action="update", view=working_view(self.lang))
        view_id = text_field(view, "id") or ""
        if files:
            try:
                uploaded = parse_body(self._download(files[0]), self.lang)
            except BodyUnreadable as exc:
                self._show(client, view_id, self._builder(draft, user, manager, notice=str(exc)))
                return
            uploaded = self._for_mode(draft, uploaded)
            draft = replace(draft, body=manager.with_name(uploaded, name) if name else uploaded)
        if draft.mode == "create":
            problems = manager.problems(draft.body, self._known_names(), updating=False)
            self._show(client, view_id, self._create_step(user, manager, draft, problems))
        else:
            self._show(client, view_id, self._update_step(user, manager, draft))

    def control_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """A control added: checked on its own (errors beside its inputs), then back to the builder."""
        user, draft, manager = self._checked(body, view)
        if draft is None or manager is None or draft.kind not in manager.control_kinds():
            ack(response_action="update", view=notice_view(t("template.builder.stale", self.lang), self.lang))
            return
        values = payload_field(view, "state", "values", kind=dict) or {}
        fields = manager.kind_fields(draft.kind)
        spec = read_control(draft.kind, fields, values, manager.control_kinds(), self.lang)
        if isinstance(spec, dict):
            ack(response_action="errors", errors=spec)
            return
        candidate, control_id = manager.add_control(draft.body, spec)
        new_ids = manager.control_ids(candidate) - manager.control_ids(draft.body)
        errors: dict[str, str] = {}
        for problem in manager.problems(candidate, (), updating=draft.mode == "update"):
            if problem.where in new_ids:
                block = field_for(problem, fields)
                text = t(f"template.problem.{problem.key}", self.lang, **problem.params)
                errors[block] = f"{errors[block]} {text}" if block in errors else text
        if errors:
            ack(response_action="errors", errors=errors)
            return
        log.info("template control added", extra={"user": user, "control": control_id})
        draft = replace(draft, body=candidate, kind="")
        ack(response_action="update", view=self._builder(draft, user, manager))

    def add_clicked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user, draft, manager = self._checked(body, payload_field(body, "view", kind=dict))
        if draft is None or manager is None:
            self._refuse_click(client, body)
            return
        kinds = manager.control_kinds()
        draft = replace(draft, body=self._typed_name(manager, body, draft), kind=kinds[0] if kinds else "")
        fields = manager.kind_fields(draft.kind)
        self._show(
            client,
            text_field(body, "view", "id") or "",
            control_view(draft, self._pack(draft, user), kinds, fields, self.lang),
        )

    def remove_clicked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user, draft, manager = self._checked(body, payload_field(body, "view", kind=dict))
        control_id = text_field(body, "actions", 0, "value") or ""
        if draft is None or manager is None or control_id not in manager.control_ids(draft.body):
            self._refuse_click(client, body)
            return
        named = self._typed_name(manager, body, draft)
        draft = replace(draft, body=manager.remove_control(named, control_id))
        self._show(
            client,
            text_field(body, "view", "id") or "",
            self._builder(draft, user, manager),
        )

    def kind_chosen(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user, draft, manager = self._checked(body, payload_field(body, "view", kind=dict))
        kind = text_field(body, "actions", 0, "selected_option", "value") or ""
        if draft is None or manager is None or kind not in manager.control_kinds():
            self._refuse_click(client, body)
            return
        draft = replace(draft, kind=kind)
        self._show(
            client,
            text_field(body, "view", "id") or "",
            control_view(
                draft, self._pack(draft, user), manager.control_kinds(), manager.kind_fields(kind), self.lang
            ),
        )

    # confirming ---------------------------------------------------------------------------

    def create_confirmed(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user, draft, manager = self._checked(body, view)
        if draft is None or manager is None or draft.mode != "create":
            ack(response_action="update", view=notice_view(t("template.builder.stale", self.lang), self.lang))
            return
        alias = typed_text(payload_field(view, "state", "values", kind=dict), ALIAS_INPUT)
        if alias and not ALIAS.fullmatch(alias):
            ack(response_action="errors", errors={ALIAS_INPUT: t("template.builder.bad_alias", self.lang)})
            return
        ack(response_action="update", view=working_view(self.lang))
        view_id = text_field(view, "id") or ""
        if not self._claim(draft, user):
            return  # a repeat of a confirmation already being sent
        problems = manager.problems(draft.body, self._known_names(), updating=False)
        if problems:
            self._show(client, view_id, self._problems_view(problems, manager))
            return
        try:
            template_id = manager.create(draft.body)
        except ProviderError as exc:
            self._refused(client, view_id, user, manager, str(exc))
            return
        name = template_name(manager.outline(draft.body))
        self.runtime.admin.audit(user, "template create", f"{template_id} {name}")
        answer = t(
            "template.builder.created", self.lang, name=user_text(name, 80), id=user_text(template_id, 80)
        )
        if alias:
            try:
                self.runtime.admin.track(user, template_id, alias, manager.provider)
            except AdminRefused as exc:
                reason = escape(t(f"admin.{exc.key}", self.lang, **exc.params))
                answer += "\n" + t("template.builder.track_failed", self.lang, reason=reason)
            else:
                answer += "\n" + t("template.builder.tracked", self.lang, alias=alias)
        log.info("template created", extra={"user": user, "template_id": template_id, "alias": alias})
        self._done(client, view_id, user, answer)

    def update_confirmed(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user, draft, manager = self._checked(body, view)
        if draft is None or manager is None or draft.mode != "update":
            ack(response_action="update", view=notice_view(t("template.builder.stale", self.lang), self.lang))
            return
        ack(response_action="update", view=working_view(self.lang))
        view_id = text_field(view, "id") or ""
        if not self._claim(draft, user):
            return
        body_sent = {**draft.body, "template_id": draft.template_id}
        name = template_name(manager.outline(body_sent))
        try:
            current = manager.current_body(draft.template_id)
            problems = manager.problems(body_sent, self._other_names(manager, current), updating=True)
            if problems:
                self._show(client, view_id, self._problems_view(problems, manager))
                return
            manager.update(body_sent)
        except ProviderError as exc:
            self._refused(client, view_id, user, manager, str(exc))
            return
        self.runtime.admin.audit(user, "template update", f"{draft.template_id} {name}")
        log.info("template updated", extra={"user": user, "template_id": draft.template_id})
        self._done(
            client,
            view_id,
            user,
            t(
                "template.builder.updated",
                self.lang,
                id=user_text(draft.template_id, 80),
                name=user_text(name, 80),
            ),
        )

    # steps ------------------------------------------------------------------------------------

    def _create_step(
        self, user: str, manager: TemplateManager, draft: TemplateDraft, problems: Sequence[TemplateProblem]
    ) -> dict[str, Any]:
        """The builder again with the problems listed, or the alias-and-create modal."""
        if problems:
            return self._builder(draft, user, manager, problems)
        ready = replace(draft, builder=False)
        return alias_view(
            manager.outline(ready.body), self._pack(ready, user), self._provider_name(manager), self.lang
        )

    def _update_step(self, user: str, manager: TemplateManager, draft: TemplateDraft) -> dict[str, Any]:
        """Problems (checked against the live template's name), or the diff to confirm."""
        body = {**draft.body, "template_id": draft.template_id}
        draft = replace(draft, body=body)
        try:
            current = manager.current_body(draft.template_id)
        except ProviderError as exc:
            return notice_view(escape(str(exc)), self.lang)
        problems = manager.problems(body, self._other_names(manager, current), updating=True)
        if problems:
            if draft.builder:
                return self._builder(draft, user, manager, problems)
            return self._problems_view(problems, manager)
        ready = replace(draft, builder=False)
        return diff_view(
            ready,
            self._pack(ready, user),
            manager.outline(current),
            manager.outline(body),
            manager.diff(current, body),
            self.lang,
        )

    def _problems_view(self, problems: Sequence[TemplateProblem], manager: TemplateManager) -> dict[str, Any]:
        message = problems_message(problems, self._provider_name(manager), self.lang)
        view = notice_view("", self.lang)
        view["blocks"] = message["blocks"]
        return view

    def _refused(
        self, client: WebClient, view_id: str, user: str, manager: TemplateManager, reason: str
    ) -> None:
        log.warning(
            "template refused by the provider",
            extra={"user": user, "provider": manager.provider, "reason": reason},
        )
        text = t(
            "template.builder.refused",
            self.lang,
            provider=self._provider_name(manager),
            reason=escape(reason),
        )
        self._show(client, view_id, notice_view(text, self.lang))

    def _done(self, client: WebClient, view_id: str, user: str, answer: str) -> None:
        """The outcome in the modal, and ephemerally in the admin's DM with the bot (outliving the modal)."""
        self._show(client, view_id, notice_view(answer, self.lang))
        tell(self.runtime, client, user, answer)

    # helpers ------------------------------------------------------------------------------------

    def _builder(
        self,
        draft: TemplateDraft,
        user: str,
        manager: TemplateManager,
        problems: Sequence[TemplateProblem] = (),
        notice: str = "",
    ) -> dict[str, Any]:
        """The builder modal over `draft`, its body listed as the provider outlines it."""
        outline = manager.outline(draft.body)
        return builder_view(draft, self._pack(draft, user), outline, self.lang, problems, notice)

    def _other_names(self, manager: TemplateManager, current: dict[str, Any]) -> set[str]:
        """The names an updated template must not take: the others', not its own live one."""
        return self._known_names() - {template_name(manager.outline(current))}

    def _provider_name(self, manager: TemplateManager) -> str:
        """What people call the system the templates live in, as its provider says."""
        return self.runtime.provider_name(manager.provider, self.lang)

    def _checked(self, body: Any, view: Any) -> tuple[str, TemplateDraft | None, TemplateManager | None]:
        """Who acts, their draft and the manager; the draft is None for anyone but an admin, and for
        metadata that is not ours."""
        user = text_field(body, "user", "id") or ""
        if not self.runtime.admin.is_admin(user):
            log.warning("template admin action refused: not an admin", extra={"user": user})
            return user, None, self.manager
        raw = payload_field(view, "private_metadata", kind=str)
        return user, unpack_draft(raw, lambda draft_id: self._stored_body(draft_id, user)), self.manager

    def _pack(self, draft: TemplateDraft, user: str) -> str:
        return pack_draft(draft, lambda body: self._store_body(body, user))

    def _store_body(self, body: dict[str, Any], user: str) -> str:
        draft_id = "template-" + uuid.uuid4().hex[:16]
        store = self.runtime.store
        with store.transaction():
            store.drafts.put(
                {"id": draft_id, "user": user, "status": "template", "created": time.time(), "body": body}
            )
        return draft_id

    def _stored_body(self, draft_id: str, user: str) -> dict[str, Any] | None:
        stored = self.runtime.store.drafts.get(draft_id)
        if stored is None or stored.get("user") != user or stored.get("status") != "template":
            return None
        return payload_field(stored, "body", kind=dict)

    def _claim(self, draft: TemplateDraft, user: str) -> bool:
        """True once per confirmation: a repeat (double click, Slack retrying) sends nothing again."""
        claim_id = "template-sent-" + draft.nonce[:64]
        store = self.runtime.store
        with store.transaction():
            if store.drafts.get(claim_id) is not None:
                return False
            store.drafts.put(
                {"id": claim_id, "user": user, "status": "template-sent", "created": time.time()}
            )
        return True

    def _known_names(self) -> set[str]:
        return set(self.runtime.admin.known_template_names())

    @staticmethod
    def _for_mode(draft: TemplateDraft, body: dict[str, Any]) -> dict[str, Any]:
        """A pasted or uploaded body; an update's template id is the one given, whatever the body says."""
        return {**body, "template_id": draft.template_id} if draft.mode == "update" else body

    @staticmethod
    def _typed_name(manager: TemplateManager, payload: Any, draft: TemplateDraft) -> dict[str, Any]:
        """The draft body with the name typed so far (a click re-renders the modal)."""
        name = one_line(typed_text(payload_field(payload, "view", "state", "values", kind=dict), NAME))
        return manager.with_name(draft.body, name) if name else draft.body

    def _download(self, file: Any) -> str:
        """An uploaded .json file's text; fetched from Slack's file host only (`Submissions.fetch_file`,
        the edge's `SlackFiles`), refused unread when it says it is larger than a body can be."""
        name = clip(text_field(file, "name") or "file.json", 80)
        size, url = payload_field(file, "size", kind=int), text_field(file, "url_private")
        if url is None or size is None or size > MAX_FILE_BYTES:
            raise BodyUnreadable(
                t("template.builder.file_unreadable", self.lang, name=name, limit=MAX_FILE_BYTES // 1024)
            )
        try:
            upload = UploadedFile(text_field(file, "id") or "", name, url)
            content = self.runtime.submissions.fetch_file(upload)
            if len(content) > MAX_FILE_BYTES:
                raise ValueError("larger than it said")
            return content.decode("utf-8-sig")
        except (FilingRefused, httpx.HTTPError, ValueError) as exc:
            log.warning("template file unreadable", extra={"error": type(exc).__name__})
            raise BodyUnreadable(
                t("template.builder.file_unreadable", self.lang, name=name, limit=MAX_FILE_BYTES // 1024)
            ) from exc

    def _show(self, client: WebClient, view_id: str, view: dict[str, Any]) -> None:
        safely("views.update", client.views_update, view_id=view_id, view=view)

    def _refuse_click(self, client: WebClient, body: Any) -> None:
        user = text_field(body, "user", "id")
        if user:
            tell(self.runtime, client, user, t("template.builder.stale", self.lang))


def _say(respond: Respond, answer: str | dict[str, Any]) -> None:
    """An ephemeral answer through the command's response_url; a failure is logged (nothing was done)."""
    try:
        if isinstance(answer, str):
            respond(text=answer, response_type="ephemeral")
        else:
            respond(**answer)
    except (OSError, ValueError) as exc:
        log.warning("template admin reply failed", extra={"error": type(exc).__name__})

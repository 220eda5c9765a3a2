"""Filing approval requests from Slack.

Every modal is a draft in the store. A submission moves its draft to
"filing" once, atomically, so a double click or a Slack retry cannot file
twice; the provider call is marked as attempted *before* it is made, so
after a timeout or a crash the next attempt first asks the provider whether
the request already exists (applyevent has no idempotency key). Outcomes
reach the applicant through the outbox: the status card on success, or
what was wrong, in plain words, with a button to fix and resubmit.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.directory import Directory, LookupUnavailable
from bot.forms import (
    FilledForm,
    Option,
    Template,
    UploadedFile,
    decode_answers,
    display_fields,
    encode_answers,
)
from bot.i18n import t
from bot.model import ApprovalStatus, Snapshot
from bot.providers.base import (
    CatalogEntry,
    Filer,
    FilingRefused,
    FilingUncertain,
    ProviderError,
    merge_catalog,
)
from bot.service import ApprovalService
from bot.store import Store
from handlers.cards import SECTION_LIMIT, clip_mrkdwn, escape, section

log = logging.getLogger(__name__)

TEMPLATE_TTL = 600.0  # template details are cached this long (seconds)
SLACK_FILE_ORIGIN = "https://files.slack.com"
SLACK_DOMAIN = "slack.com"


class Submissions:
    def __init__(
        self,
        store: Store,
        service: ApprovalService,
        directory: Directory,
        slack: WebClient,
        filers: Mapping[str, Filer],
        catalog: Mapping[str, CatalogEntry],
        lang: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.service = service
        self.directory = directory
        self.slack = slack
        self.filers = dict(filers)
        self.defaults = dict(catalog)
        self.lang = lang
        self.clock = clock
        self._templates: dict[CatalogEntry, tuple[float, Template]] = {}
        self._templates_lock = threading.Lock()

    # templates -----------------------------------------------------------------

    @property
    def catalog(self) -> dict[str, CatalogEntry]:
        """What `/approval new` offers: the config's entries as defaults, then what admins tracked or
        untracked from Slack (stored, so a change holds at once and across restarts)."""
        return merge_catalog(self.defaults, self.store.tracked_templates(), self.filers)

    def aliases(self) -> list[str]:
        return sorted(self.catalog)

    def template(self, alias: str, *, stale_ok: bool = False) -> Template:
        """The template behind an alias, read from its provider and cached for TEMPLATE_TTL.

        `stale_ok` serves the cached one however old: reading a submission must answer within
        Slack's 3 s, with the template the form was built from.
        """
        return self.read_template(self.catalog[alias], stale_ok=stale_ok)

    def read_template(self, entry: CatalogEntry, *, stale_ok: bool = False, fresh: bool = False) -> Template:
        """The template of a catalog entry (cached per entry: an alias tracked anew reads its new id);
        `fresh` reads it again whatever the cache holds (an admin syncing)."""
        with self._templates_lock:
            cached = self._templates.get(entry)
            if cached and not fresh and (stale_ok or self.clock() - cached[0] < TEMPLATE_TTL):
                return cached[1]
        template = self.filers[entry.provider].template(entry.template_id, entry.alias)
        with self._templates_lock:
            self._templates[entry] = (self.clock(), template)
        return template

    def departments(self, user: str, template: Template) -> list[Option]:
        """The departments `user` may file for, when the form asks (empty if it cannot be known)."""
        wants = any(c.kind == "Contact" and c.contact_mode == "department" for c in template.controls)
        filer = self.filers[self.catalog[template.alias].provider]
        if not wants or not hasattr(filer, "departments"):
            return []
        try:
            creator = self.directory.provider_id(filer.identity, user)
            return filer.departments(creator) if creator else []
        except (LookupUnavailable, ProviderError) as exc:
            log.warning("departments unavailable", extra={"user": user, "error": str(exc)})
            return []

    # drafts --------------------------------------------------------------------

    def start(self, user: str, alias: str) -> dict[str, Any]:
        """A new draft for `user` filling in `alias`."""
        draft = {
            "id": uuid.uuid4().hex[:16],
            "user": user,
            "alias": alias,
            "status": "open",
            "created": self.clock(),
            "answers": {},
        }
        with self.store.transaction():
            self.store.put_draft(draft)
        return draft

    def draft(self, draft_id: str, user: str) -> dict[str, Any] | None:
        """The draft, only for the person it belongs to."""
        draft = self.store.get_draft(draft_id)
        return draft if draft is not None and draft["user"] == user else None

    def begin_filing(self, draft_id: str, user: str, form: FilledForm) -> bool:
        """Claims the draft for filing; False when it is already being filed or was filed (a repeat)."""
        with self.store.transaction():
            draft = self.draft(draft_id, user)
            if draft is None or draft["status"] not in ("open", "refused"):
                return False
            draft.update(status="filing", answers=encode_answers(form.answers), error="")
            self.store.put_draft(draft)
        return True

    # filing ----------------------------------------------------------------------

    def file(self, draft_id: str) -> None:
        """Runs after the modal was acknowledged: file, then tell the applicant either way."""
        draft = self.store.get_draft(draft_id)
        if draft is None or draft["status"] not in ("filing", "uncertain"):
            return
        entry = self.catalog.get(draft["alias"])
        if entry is None:  # an admin untracked the template while this request was open
            self._refused(draft, t("admin.untracked_while_filing", self.lang, alias=draft["alias"]))
            return
        filer = self.filers[entry.provider]
        try:
            form = FilledForm(self.template(draft["alias"]), decode_answers(draft["answers"]))
            creator = self.directory.provider_id(filer.identity, draft["user"])
            if creator is None:
                raise FilingRefused(t("submit.unmapped", self.lang, user=draft["user"]))
            filed = self._file_once(draft, form, creator, filer)
        except FilingRefused as exc:
            self._refused(draft, str(exc))
        except (LookupUnavailable, ProviderError) as exc:
            self._refused(draft, t("submit.unavailable", self.lang, error=str(exc)))
        except FilingUncertain:
            self._uncertain(draft)
        else:
            self._filed(draft, entry, form, filed)

    def _file_once(
        self, draft: dict[str, Any], form: FilledForm, creator: str, filer: Filer
    ) -> str | Snapshot:
        """File unless an earlier, unanswered attempt already did."""
        if draft.get("attempted_at"):
            found = filer.find_filed(form, creator, int(draft["attempted_at"]), self._taken)
            if found:
                log.info(
                    "earlier filing found; not filing again", extra={"draft": draft["id"], "found": found}
                )
                return found
        with self.store.transaction():
            draft["attempted_at"] = draft.get("attempted_at") or self.clock()
            self.store.put_draft(draft)
        try:
            return filer.file(form, creator, self._people(filer.identity), self.fetch_file)
        except FilingUncertain:
            found = filer.find_filed(form, creator, int(draft["attempted_at"]), self._taken)
            if found:
                return found
            raise

    def _taken(self, number: str) -> bool:
        return self.store.draft_filed_as(number) is not None

    def _people(self, identity: str) -> Callable[[str], tuple[str, str]]:
        def person(slack_id: str) -> tuple[str, str]:
            provider_id = self.directory.provider_id(identity, slack_id)
            if provider_id is None:
                raise LookupError(t("submit.person_unmapped", self.lang, user=slack_id))
            return provider_id, self._display_name(slack_id)

        return person

    def _display_name(self, slack_id: str) -> str:
        try:
            user = self.slack.users_info(user=slack_id)["user"]
        except SlackApiError:
            return slack_id
        profile = user.get("profile") or {}
        return profile.get("real_name") or user.get("real_name") or user.get("name") or slack_id

    def fetch_file(self, file: UploadedFile) -> bytes:
        """A file attached in Slack: url_private needs the bot token, so it goes to Slack's file host
        only; a payload naming any other host gets the file refused, and never sees the token."""
        if _origin(file.url) not in self._file_origins():
            log.warning("file outside Slack's file host refused", extra={"host": _origin(file.url)[1]})
            raise FilingRefused(t("submit.file_unreadable", self.lang, name=file.name))
        headers = {"Authorization": f"Bearer {self.slack.token}"}
        response = httpx.get(file.url, headers=headers, timeout=30, follow_redirects=False)
        if response.status_code != 200:
            raise FilingRefused(t("submit.file_unreadable", self.lang, name=file.name))
        return response.content

    def _file_origins(self) -> set[tuple[str, str, int | None]]:
        """Slack's file host, and the Web API's own origin when that is not Slack (the stand-in of the
        tests and the demo serve files beside their API)."""
        origins = {_origin(SLACK_FILE_ORIGIN)}
        api = _origin(self.slack.base_url)
        if api[1] and api[1] != SLACK_DOMAIN and not api[1].endswith("." + SLACK_DOMAIN):
            origins.add(api)
        return origins

    # outcomes ----------------------------------------------------------------------

    def _filed(
        self, draft: dict[str, Any], entry: CatalogEntry, form: FilledForm, filed: str | Snapshot
    ) -> None:
        number = filed.number if isinstance(filed, Snapshot) else filed
        with self.store.transaction():
            draft.update(status="filed", number=number, provider=entry.provider)
            self.store.put_draft(draft)
        if isinstance(filed, Snapshot):
            self.service.apply_snapshot(filed, announce=True)
            log.info("request filed", extra={"draft": draft["id"], "approval": filed.key})
            return
        stub = Snapshot(
            provider=entry.provider,
            number=number,
            template_id=entry.template_id,
            template_name=self.template(draft["alias"]).name,
            status=ApprovalStatus.PENDING,
            applicant=self.directory.provider_id(self.filers[entry.provider].identity, draft["user"]) or "",
            apply_time=int(self.clock()),
        )
        snap = self.service.complete(stub)
        if not snap.has_details:  # the provider cannot say (yet): show what was filled in
            snap = snap.with_details((), display_fields(form))
        self.service.apply_snapshot(snap, announce=True)
        log.info("request filed", extra={"draft": draft["id"], "approval": stub.key})

    def _refused(self, draft: dict[str, Any], reason: str) -> None:
        with self.store.transaction():
            draft.update(status="refused", error=reason)
            self.store.put_draft(draft)
            self._tell(draft, t("submit.refused", self.lang, reason=escape(reason)), button="submit.edit")
        log.info("request refused", extra={"draft": draft["id"], "reason": reason})

    def _uncertain(self, draft: dict[str, Any]) -> None:
        with self.store.transaction():
            draft["status"] = "uncertain"
            self.store.put_draft(draft)
            self._tell(draft, t("submit.uncertain", self.lang), button="submit.check")

    def _tell(self, draft: dict[str, Any], text: str, *, button: str) -> None:
        """`text` (mrkdwn) to the applicant with a button to act on the draft; clamped to what a section
        holds, since a provider's refusal can be any length."""
        action = {"submit.edit": "draft_edit", "submit.check": "draft_check"}[button]
        text = clip_mrkdwn(text, SECTION_LIMIT)
        blocks = [
            section(text),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action,
                        "value": draft["id"],
                        "text": {"type": "plain_text", "text": t(button, self.lang)},
                    }
                ],
            },
        ]
        self.store.enqueue(
            {
                "approval_key": f"draft:{draft['id']}",
                "user": draft["user"],
                "kind": "draft",
                "text": text,
                "blocks": blocks,
            }
        )

    def claim_retry(self, draft_id: str, user: str) -> bool:
        """The applicant asks to check an unanswered filing again; True when there is one to check."""
        draft = self.draft(draft_id, user)
        return draft is not None and draft["status"] == "uncertain"


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) as a browser compares origins; nothing for a URL that does not parse."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return ("", "", None)
    return (parsed.scheme, parsed.host, parsed.port)

"""Filing approval requests from Slack.

Every modal is a draft in the store. A submission moves its draft to
"filing" once, atomically, so a double click or a Slack retry cannot file
twice; the provider call is marked as attempted *before* it is made, so
after a timeout or a crash the next attempt first asks the provider whether
the request already exists (applyevent has no idempotency key). Outcomes
reach the applicant through the outbox: the status card on success, or
what was wrong, in plain words, with a button to fix and resubmit (queued as
notices; the Slack edge renders them when it delivers). What Slack itself is
asked (a person's display name, an attached file) the edge passes in.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.directory import Directory, LookupUnavailable
from bot.forms import (
    FilledForm,
    Option,
    Template,
    UploadedFile,
    decode_answers,
    encode_answers,
)
from bot.i18n import t
from bot.kinds import display_fields
from bot.model import Action, ApprovalStatus, Snapshot
from bot.provider_ports import (
    CatalogEntry,
    Filer,
    FilingRefused,
    FilingUncertain,
    ProviderError,
    merge_catalog,
)
from bot.service import ApprovalService
from bot.store import Store

log = logging.getLogger(__name__)

TEMPLATE_TTL = 600.0  # template details are cached this long (seconds)


class Submissions:
    def __init__(
        self,
        store: Store,
        service: ApprovalService,
        directory: Directory,
        display_name: Callable[[str], str],
        filers: Mapping[str, Filer],
        catalog: Mapping[str, CatalogEntry],
        lang: str,
        *,
        fetch_file: Callable[[UploadedFile], bytes],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`display_name` is a Slack user's name as Slack shows it; `fetch_file` reads a file attached
        in Slack (the edge's `handlers.slack_files.SlackFiles`), raising FilingRefused when it cannot."""
        self.store = store
        self.service = service
        self.directory = directory
        self._display_name = display_name
        self.fetch_file = fetch_file
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
        return merge_catalog(self.defaults, self.store.templates.tracked(), self.filers)

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
            self.store.drafts.put(draft)
        return draft

    def draft(self, draft_id: str, user: str) -> dict[str, Any] | None:
        """The draft, only for the person it belongs to."""
        draft = self.store.drafts.get(draft_id)
        return draft if draft is not None and draft["user"] == user else None

    def begin_filing(self, draft_id: str, user: str, form: FilledForm) -> bool:
        """Claims the draft for filing; False when it is already being filed or was filed (a repeat)."""
        with self.store.transaction():
            draft = self.draft(draft_id, user)
            if draft is None or draft["status"] not in ("open", "refused"):
                return False
            draft.update(status="filing", answers=encode_answers(form.answers), error="")
            self.store.drafts.put(draft)
        return True

    # filing ----------------------------------------------------------------------

    def file(self, draft_id: str) -> None:
        """Runs after the modal was acknowledged: file, then tell the applicant either way."""
        draft = self.store.drafts.get(draft_id)
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
            self.store.drafts.put(draft)
        try:
            return filer.file(form, creator, self._people(filer.identity), self.fetch_file)
        except FilingUncertain:
            found = filer.find_filed(form, creator, int(draft["attempted_at"]), self._taken)
            if found:
                return found
            raise

    def _taken(self, number: str) -> bool:
        return self.store.drafts.filed_as(number) is not None

    def _people(self, identity: str) -> Callable[[str], tuple[str, str]]:
        def person(slack_id: str) -> tuple[str, str]:
            provider_id = self.directory.provider_id(identity, slack_id)
            if provider_id is None:
                raise LookupError(t("submit.person_unmapped", self.lang, user=slack_id))
            return provider_id, self._display_name(slack_id)

        return person

    # outcomes ----------------------------------------------------------------------

    def _filed(
        self, draft: dict[str, Any], entry: CatalogEntry, form: FilledForm, filed: str | Snapshot
    ) -> None:
        number = filed.number if isinstance(filed, Snapshot) else filed
        with self.store.transaction():
            draft.update(status="filed", number=number, provider=entry.provider)
            self.store.drafts.put(draft)
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
        try:  # the provider's own account of it: the flow, and its times (not this clock's)
            snap = self.service.provider(entry.provider).fetch_details(stub)
        except ProviderError as exc:  # it cannot say (yet): show what was filled in
            log.warning("detail read failed after filing", extra={"approval": stub.key, "error": str(exc)})
            snap = stub.with_details((), display_fields(form))
        snap = replace(snap, action=Action.SUBMIT)  # what the read cannot say: this was its filing
        people = self.service.resolve_people(snap)
        with self.store.transaction():
            known = self.store.approvals.get(snap.key)
            if known is not None and not known.get("quiet", False):
                # Its callback came before the provider's answer: the whole state is recorded and told.
                # The stub knows no flow, and being as new as that state it would wipe the approvers.
                log.info("request filed; its callback came first", extra={"draft": draft["id"]})
                return
            self.service.apply_snapshot(snap, people, announce=True)
        log.info("request filed", extra={"draft": draft["id"], "approval": stub.key})

    def _refused(self, draft: dict[str, Any], reason: str) -> None:
        with self.store.transaction():
            draft.update(status="refused", error=reason)
            self.store.drafts.put(draft)
            self._tell(draft, reason)
        log.info("request refused", extra={"draft": draft["id"], "reason": reason})

    def _uncertain(self, draft: dict[str, Any]) -> None:
        with self.store.transaction():
            draft["status"] = "uncertain"
            self.store.drafts.put(draft)
            self._tell(draft, None)

    def _tell(self, draft: dict[str, Any], reason: str | None) -> None:
        """Tell the applicant, with a button to act on the draft: why it was refused (`reason`, plain
        text), or that the filing's outcome is unknown (None)."""
        self.store.outbox.enqueue(
            {
                "approval_key": f"draft:{draft['id']}",
                "user": draft["user"],
                "kind": "draft",
                "notice": {"draft": draft["id"], "reason": reason},
            }
        )

    def claim_retry(self, draft_id: str, user: str) -> bool:
        """The applicant asks to check an unanswered filing again; True when there is one to check."""
        draft = self.draft(draft_id, user)
        return draft is not None and draft["status"] == "uncertain"

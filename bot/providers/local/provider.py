"""The embedded engine behind the Provider and Filer seams: approvals that live in the bot.

Its user ids are Slack ids, its approvers decide with buttons in Slack (or an
approve link), and its state is the stored snapshot itself, moved on by
`engine` functions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from bot.auto_approve import GroupMembers
from bot.forms import FilledForm, Template, UploadedFile
from bot.i18n import t
from bot.kinds import display_fields
from bot.model import Snapshot
from bot.provider_ports import Capabilities
from bot.providers.local import engine
from bot.providers.local.decide import away_lookup
from bot.store import Store

log = logging.getLogger(__name__)


class LocalProvider:
    name = "local"
    identity = "slack"
    # filed and decided in Slack (buttons; applicants urge and revoke there), its state the stored snapshot
    capabilities = Capabilities(files=True, decides_in_slack=True)

    def display_name(self, lang: str) -> str:
        return t("provider.local", lang)

    def __init__(self, approve_link: Callable[[Snapshot, str], str] | None = None) -> None:
        self.approve_link = approve_link

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        return snap  # the engine's snapshots carry their form from the start

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        """Decided with buttons in Slack; an approver's card also gets an approve link of their own,
        for deciding from outside Slack: a placeholder here, made a signed link when the card is sent."""
        if approver is None or self.approve_link is None or approver not in snap.waiting_on():
            return None
        return self.approve_link(snap, approver)

    def email_of(self, user_id: str) -> str | None:
        return None  # ids are Slack ids already


class LocalFiler:
    name = "local"
    identity = "slack"

    def __init__(
        self,
        templates: Mapping[str, engine.LocalTemplate],
        store: Store,
        *,
        allow_self_approval: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.templates = dict(templates)
        self.store = store
        self.allow_self_approval = allow_self_approval
        self.clock = clock
        self.groups: GroupMembers | None = None  # the edge's user groups, given once the bot is built

    def use_groups(self, groups: GroupMembers) -> None:
        self.groups = groups

    def template(self, template_id: str, alias: str) -> Template:
        return self.templates[alias].template

    def file(
        self,
        form: FilledForm,
        creator: str,
        people: Callable[[str], tuple[str, str]],
        fetch: Callable[[UploadedFile], bytes],
    ) -> Snapshot:
        fields = display_fields(form)
        summary = tuple(f"{f.title}: {f.value}" for f in fields[:3])
        now = int(self.clock())
        template = self.templates[form.template.alias]
        filed = engine.submit(
            template,
            creator,
            form,
            self._next_number(now),
            now,
            fields=fields,
            summary=summary,
            applicant_groups=self._groups_of(template, creator),
        )
        return engine.delegate_current(
            filed, away_lookup(self.store, now), now, allow_self=self.allow_self_approval
        )

    def _groups_of(self, template: engine.LocalTemplate, applicant: str) -> frozenset[str]:
        """The user groups the template's rules name that the applicant is in. A group that cannot be
        listed now counts as not theirs: the request then waits for a person, never approved on a guess."""
        inside = set()
        for group in sorted({g for rule in template.rules for g in rule.groups}):
            if self.groups is None:
                log.warning(
                    "no user groups to ask; the rule naming it does not apply", extra={"group": group}
                )
                continue
            try:
                if applicant in self.groups.members(group):
                    inside.add(group)
            except LookupError as exc:
                log.warning(
                    "user group unreadable; the rule naming it does not apply",
                    extra={"group": group, "error": str(exc)},
                )
        return frozenset(inside)

    def find_filed(
        self, form: FilledForm, creator: str, since: int, taken: Callable[[str], bool]
    ) -> str | None:
        return None  # filing is local and atomic: nothing can be half-filed

    def _next_number(self, now: int) -> str:
        """YYYYMMDD + a daily sequence, like WeCom's approval numbers."""
        day = time.strftime("%Y%m%d", time.gmtime(now + 8 * 3600))
        with self.store.transaction():
            sequence = self.store.meta.get(f"local_seq:{day}", 0) + 1
            self.store.meta.set(f"local_seq:{day}", sequence)
        return f"{day}{sequence:04d}"

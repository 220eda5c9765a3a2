"""What admins do from Slack (`/approval-admin`), as use cases: plain data in, plain data out.

Only `slack.admins` may call these (the Slack edge checks `is_admin` first). Every change an admin
makes is stored at once (tracked templates, the identity table) and audited: one line queued to
`slack.audit_channel` through the outbox, so it is delivered like any notice, and a log line.
A request that cannot be done as asked raises `AdminRefused`, which names the i18n text saying why.
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

from bot.auto_approve import Rule, parse_rules
from bot.codec import snapshot_from_dict
from bot.config import SlackConfig
from bot.directory import Directory, LookupUnavailable
from bot.escalation import TemplatePolicies
from bot.export import EXPORT_FORMATS, export_rows, render_export
from bot.i18n import t
from bot.model import ApprovalStatus, MemberStatus, Snapshot
from bot.provider_ports import CatalogEntry, ProviderError
from bot.reminders import Reminders
from bot.service import ApprovalService
from bot.store import ApprovalsReader, Store
from bot.submit import Submissions
from bot.sweep import Sweeper, SweepReport
from bot.template_policy import ADMIN_KEYS, NO_POLICY, PolicyConfigError, TemplatePolicy

log = logging.getLogger(__name__)

PACKAGE = "approvals-bot"
ALIAS = re.compile(r"[\w.-]{1,40}")  # what people type after `/approval new`: one word, letters of any script
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")
PROVIDER_USER = re.compile(r"\S{1,64}")
AUDIT_KEY = "admin"  # the outbox's approval_key of audit lines about admin actions
DETAIL_LIMIT = 300
TOP = 5  # rows in each "slowest"/"longest pending" list
FAILED_SHOWN = 10


class AdminRefused(Exception):
    """The request cannot be done as asked; the text is `t(f"admin.{key}", lang, **params)`."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Deliveries(Protocol):
    """What admins see of delivery (the Deliverer)."""

    def backlog(self) -> int: ...
    def retry_held(self) -> int: ...
    def failed_deliveries(self, limit: int | None = None) -> list[dict[str, Any]]: ...
    def health(self) -> dict[str, Any]: ...
    def wake(self) -> None: ...
    def what_to_fix(self) -> str: ...


@dataclass(frozen=True)
class TemplateRow:
    alias: str
    template_id: str
    provider: str
    name: str = ""
    controls: int | None = None  # None: never read yet
    synced: int | None = None  # when its details were last read (unix seconds)
    source: str = "config"  # "config", "slack" (tracked by an admin), "sweep" (FXiaoKe forms, sweep only)
    policy: TemplatePolicy = NO_POLICY  # as it holds now: the config's, with admins' overrides on top
    rules: tuple[Rule, ...] = ()  # its auto_approve rules (embedded-engine templates)


@dataclass(frozen=True)
class PolicyReport:
    """A template's escalation and expiry: what holds, and which keys an admin set over the config."""

    alias: str
    provider: str
    template_id: str
    policy: TemplatePolicy
    overridden: frozenset[str]


@dataclass(frozen=True)
class SyncResult:
    rows: list[TemplateRow]
    failed: dict[str, str]  # alias -> why its details could not be read


@dataclass(frozen=True)
class Identity:
    slack_id: str
    provider: str
    provider_id: str | None
    source: str  # "admin" (the stored table), "directory" (config or email lookup), "unavailable"


@dataclass(frozen=True)
class StatusReport:
    snapshot: Snapshot
    names: dict[str, str | None]  # provider user id -> Slack id
    link: str | None


@dataclass(frozen=True)
class Reminded:
    number: str
    nudged: int
    waiting: tuple[str, ...]  # provider user ids whose turn it is


@dataclass(frozen=True)
class OutboxItem:
    recipient: str
    kind: str
    created: float
    attempts: int
    held: str = ""  # why it is held back (Slack's error), "" when it just waits


@dataclass(frozen=True)
class OutboxReport:
    waiting: int
    held: list[OutboxItem]
    failed: list[dict[str, Any]]  # newest first: recipient, kind, reason, at
    fix: str = ""  # what to fix so the held ones can go, in plain words


@dataclass(frozen=True)
class Waiting:
    number: str
    provider: str
    template: str
    waiting_on: tuple[str, ...]  # Slack ids where known, else provider ids
    since: int


@dataclass(frozen=True)
class Stats:
    days: int
    total: int
    by_template: dict[str, dict[str, int]]  # template name -> status -> count
    median_decision_seconds: float | None  # apply time -> the final action, of those decided
    slowest: list[tuple[str, float, int]]  # (approver, median wait in seconds, decisions)
    pending: list[Waiting]  # the longest waiting first
    now: int = 0  # when it was counted (pending durations run to it)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    rows: int
    fmt: str


@dataclass(frozen=True)
class Health:
    version: str
    providers: list[str]
    tokens: dict[str, Any]
    sweeps: dict[str, dict[str, Any] | None]
    outbox_backlog: int
    outbox_held: int
    failed_deliveries: int
    store_bytes: int
    details_wanted: int  # approvals whose form data is still to be read
    problems: list[str] = field(default_factory=list)


class Admin:
    def __init__(
        self,
        settings: SlackConfig,
        store: Store,
        directory: Directory,
        service: ApprovalService,
        submissions: Submissions,
        sweeper: Sweeper,
        reminders: Reminders,
        deliveries: Deliveries,
        approvals: ApprovalsReader,
        *,
        provider_health: Callable[[], dict[str, Any]] = dict,
        sweep_only_forms: Mapping[str, tuple[str, ...]] | None = None,
        policies: TemplatePolicies | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`approvals` reads every approval, archived ones too, for reports and exports; `sweep_only_forms`
        are templates a provider sweeps but nobody files from Slack (a provider's
        `ProviderSetup.sweep_only_forms`, e.g. FXiaoKe's): listed with the others."""
        self.settings = settings
        self.store = store
        self.directory = directory
        self.service = service
        self.submissions = submissions
        self.sweeper = sweeper
        self.reminders = reminders
        self.deliveries = deliveries
        self.approvals = approvals
        self.provider_health = provider_health
        self.sweep_only_forms = dict(sweep_only_forms or {})
        self.policies = policies
        self.clock = clock

    @property
    def lang(self) -> str:
        return self.settings.language

    # who may, and what they did ------------------------------------------------------------

    def is_admin(self, user: str) -> bool:
        return bool(user) and user in self.settings.admins

    def audit(self, actor: str, action: str, detail: str = "") -> None:
        """One line about an admin action to the audit channel (through the outbox), and the log."""
        log.info("admin action", extra={"actor": actor, "action": action, "detail": detail[:DETAIL_LIMIT]})
        if not self.settings.audit_channel:
            return
        line = t(
            "admin.audit_line",
            self.lang,
            actor=actor,
            action=_plain(action, 40),
            detail=_plain(detail, DETAIL_LIMIT),
        )
        with self.store.transaction():
            self.store.outbox.enqueue(
                {
                    "approval_key": AUDIT_KEY,
                    "channel": self.settings.audit_channel,
                    "kind": "audit",
                    "text": line,
                }
            )
        self.deliveries.wake()

    def refused(self, actor: str, attempt: str) -> None:
        """Someone who is no admin tried: a warning in the log, and the audit channel hears of it."""
        log.warning("admin command refused", extra={"actor": actor, "attempt": attempt[:40]})
        self.audit(actor, "refused", attempt[:40])

    # templates ------------------------------------------------------------------------------

    def templates(self) -> list[TemplateRow]:
        """Every template the bot offers or sweeps, with what the last read found (no reading now)."""
        stored = {doc["alias"] for doc in self.store.templates.tracked() if not doc.get("untracked")}
        rows = [
            self._row(entry, "slack" if alias in stored else "config")
            for alias, entry in sorted(self.submissions.catalog.items())
        ]
        for provider, forms in sorted(self.sweep_only_forms.items()):
            rows += [self._row(CatalogEntry(form, provider, form), "sweep") for form in forms]
        return rows

    def sync_templates(self, actor: str) -> SyncResult:
        """Read every offered template again from its provider, and record what and when."""
        failed: dict[str, str] = {}
        for entry in self.submissions.catalog.values():
            try:
                self._read(entry, fresh=True)
            except (ProviderError, LookupError) as exc:
                failed[entry.alias] = str(exc)
        self.audit(actor, "templates sync", f"{len(failed)} failed" if failed else "")
        return SyncResult(self.templates(), failed)

    def track(self, actor: str, template_id: str, alias: str, provider: str = "") -> TemplateRow:
        """Offer `template_id` as `/approval new <alias>` from now on (stored; replaces a config entry
        of the same alias). The template is read first: a wrong id is refused, not stored."""
        provider = provider or self._default_filer()
        if not ALIAS.fullmatch(alias):
            raise AdminRefused("bad_alias", alias=alias[:60])
        if provider not in self.submissions.filers:
            raise AdminRefused(
                "unknown_provider", provider=provider[:40], known=", ".join(self.submissions.filers)
            )
        if not PROVIDER_USER.fullmatch(template_id):
            raise AdminRefused("bad_template_id", template_id=template_id[:80])
        entry = CatalogEntry(alias, provider, template_id)
        try:
            self._read(entry, fresh=True)
        except (ProviderError, LookupError) as exc:
            raise AdminRefused("template_unreadable", template_id=template_id, error=str(exc)) from exc
        with self.store.transaction():
            self.store.templates.put(
                {
                    "alias": alias,
                    "provider": provider,
                    "template_id": template_id,
                    "untracked": False,
                    "by": actor,
                    "at": int(self.clock()),
                }
            )
        self.audit(actor, "track", f"{alias} = {template_id} ({provider})")
        return self._row(entry, "slack")

    def untrack(self, actor: str, alias: str) -> CatalogEntry:
        """Stop offering `alias` (stored: a config entry stays untracked until tracked again)."""
        entry = self.submissions.catalog.get(alias)
        if entry is None:
            raise AdminRefused("unknown_alias", alias=alias[:60])
        with self.store.transaction():
            self.store.templates.put(
                {"alias": alias, "untracked": True, "by": actor, "at": int(self.clock())}
            )
        self.audit(actor, "untrack", f"{alias} ({entry.template_id}, {entry.provider})")
        return entry

    def known_template_names(self) -> set[str]:
        """Names of the templates the bot offers: a new template must not take one of them."""
        names = set()
        for entry in self.submissions.catalog.values():
            recorded = self.store.meta.get(_sync_key(entry))
            if recorded:
                names.add(recorded["name"])
                continue
            try:
                names.add(self._read(entry).name)
            except (ProviderError, LookupError) as exc:
                log.warning("template unreadable", extra={"alias": entry.alias, "error": str(exc)})
        return names

    def _read(self, entry: CatalogEntry, *, fresh: bool = False) -> Any:
        template = self.submissions.read_template(entry, fresh=fresh)
        record = {"name": template.name, "controls": len(template.controls), "at": int(self.clock())}
        with self.store.transaction():
            self.store.meta.set(_sync_key(entry), record)
        return template

    def _row(self, entry: CatalogEntry, source: str) -> TemplateRow:
        recorded = self.store.meta.get(_sync_key(entry)) or {}
        policy = self.policies.of(entry.provider, entry.template_id) if self.policies else NO_POLICY
        return TemplateRow(
            entry.alias,
            entry.template_id,
            entry.provider,
            recorded.get("name", ""),
            recorded.get("controls"),
            recorded.get("at"),
            source,
            policy,
            parse_rules(policy.auto_approve, entry.alias),
        )

    # escalation and expiry -------------------------------------------------------------------

    def policy(self, alias: str) -> PolicyReport:
        """A template's escalation and expiry as they hold now, and which keys admins set."""
        entry = self._template_entry(alias)
        return self._policy_report(entry)

    def set_policy(self, actor: str, alias: str, values: Mapping[str, Any]) -> PolicyReport:
        """Store `values` (None: back to the config's) over the config's policy of `alias`; they hold from
        the next scheduled run on. A value or a combination that cannot work is refused, nothing stored."""
        entry = self._template_entry(alias)
        if self.policies is None or not values:
            raise AdminRefused("bad_policy", error=", ".join(f"{key}=…" for key in ADMIN_KEYS))
        try:
            self.policies.override(actor, entry.provider, entry.template_id, values)
        except PolicyConfigError as exc:
            raise AdminRefused("bad_policy", error=str(exc)) from exc
        said = " ".join(f"{key}={'off' if value is None else value}" for key, value in values.items())
        self.audit(actor, "policy", f"{alias} ({entry.provider}:{entry.template_id}) {said}")
        return self._policy_report(entry)

    def _template_entry(self, alias: str) -> CatalogEntry:
        """The template an admin names: an alias people file with, or a form a provider only sweeps."""
        entry = self.submissions.catalog.get(alias)
        if entry is not None:
            return entry
        for provider, forms in self.sweep_only_forms.items():
            if alias in forms:
                return CatalogEntry(alias, provider, alias)
        raise AdminRefused("unknown_alias", alias=alias[:60])

    def _policy_report(self, entry: CatalogEntry) -> PolicyReport:
        policy = self.policies.of(entry.provider, entry.template_id) if self.policies else NO_POLICY
        template = f"{entry.provider}:{entry.template_id}"
        stored = next((d for d in self.store.policy_overrides.all() if d["template"] == template), None)
        overridden = frozenset(stored["values"]) if stored else frozenset()
        return PolicyReport(entry.alias, entry.provider, entry.template_id, policy, overridden)

    def _default_filer(self) -> str:
        """What `track` means without a provider: the first that files, in the order the wiring lists
        the providers (the registry's)."""
        return next(iter(self.submissions.filers), "")

    # identities ------------------------------------------------------------------------------

    def map(self, actor: str, slack_user: str, provider_user_id: str, provider: str = "") -> Identity:
        """`slack_user` is `provider_user_id` in `provider` from the next filing and notification on."""
        identity = self._identity(provider)
        _check_slack_user(slack_user)
        if not PROVIDER_USER.fullmatch(provider_user_id):
            raise AdminRefused("bad_provider_user", user=provider_user_id[:80])
        with self.store.transaction():
            before = self.store.people.mapped_provider_id(identity, slack_user)
            dropped = self.store.people.put_identity(
                identity, slack_user, provider_user_id, by=actor, at=int(self.clock())
            )
            self.directory.forget(identity, slack_user, provider_user_id)
            if before:
                self.directory.forget(identity, slack_user, before)
            for other in dropped:
                self.directory.forget(identity, other, provider_user_id)
        self.audit(actor, "map", f"{slack_user} = {provider_user_id} ({identity})")
        return Identity(slack_user, identity, provider_user_id, "admin")

    def unmap(self, actor: str, slack_user: str, provider: str = "") -> Identity:
        """Forget the admins' mapping of `slack_user` (config and email lookup apply again)."""
        identity = self._identity(provider)
        _check_slack_user(slack_user)
        with self.store.transaction():
            removed = self.store.people.remove_identity(identity, slack_user)
            if removed is None:
                raise AdminRefused("not_mapped", user=slack_user, provider=identity)
            self.directory.forget(identity, slack_user, removed["provider_id"])
        self.audit(actor, "unmap", f"{slack_user} ({identity}, was {removed['provider_id']})")
        return Identity(slack_user, identity, removed["provider_id"], "admin")

    def whois(self, slack_user: str) -> list[Identity]:
        """Who `slack_user` is in each provider that has its own user ids, and where that comes from."""
        _check_slack_user(slack_user)
        found = []
        for identity in self._identities():
            stored = self.store.people.mapped_provider_id(identity, slack_user)
            if stored:
                found.append(Identity(slack_user, identity, stored, "admin"))
                continue
            try:
                found.append(
                    Identity(
                        slack_user, identity, self.directory.provider_id(identity, slack_user), "directory"
                    )
                )
            except LookupUnavailable:
                found.append(Identity(slack_user, identity, None, "unavailable"))
        return found

    def _identities(self) -> list[str]:
        """The identities (user id spaces) the providers in use declare, other than Slack's own, in the
        order the wiring lists the providers (the registry's): the first is what `map` means alone."""
        declared = (provider.identity for provider in self.service.providers.values())
        return [identity for identity in dict.fromkeys(declared) if identity != "slack"]

    def _identity(self, provider: str) -> str:
        identities = self._identities()
        if not identities:
            raise AdminRefused("no_identities")
        if not provider:
            return identities[0]
        known = self.service.providers.get(provider)
        identity = known.identity if known is not None else provider
        if identity not in identities:
            raise AdminRefused("unknown_provider", provider=provider[:40], known=", ".join(identities))
        return identity

    # approvals ---------------------------------------------------------------------------------

    def status(self, number: str, provider: str = "") -> StatusReport:
        """Any approval's whole state, whoever is on it."""
        snap = self._find(number, provider)
        people = self.service.resolve_people(snap, tolerate_outage=True)
        return StatusReport(snap, dict(people.known), self.service.link(snap))

    def remind(self, actor: str, number: str, provider: str = "") -> Reminded:
        """Nudge the approval's current approvers now."""
        snap = self._find(number, provider)
        if snap.status is not ApprovalStatus.PENDING or not snap.waiting_on():
            raise AdminRefused("not_pending", number=snap.number)
        nudged = self.reminders.remind_now(snap)
        self.deliveries.wake()
        self.audit(actor, "remind", f"{snap.key}: {nudged} nudged")
        return Reminded(snap.number, nudged, snap.waiting_on())

    def _find(self, number: str, provider: str) -> Snapshot:
        if provider and provider not in self.service.providers:
            raise AdminRefused(
                "unknown_provider", provider=provider[:40], known=", ".join(self.service.providers)
            )
        if provider:
            doc = self.store.approvals.get(f"{provider}:{number}")
            snap = snapshot_from_dict(doc["snapshot"]) if doc else None
        else:
            snap = self.service.find(number, "", admin=True)
        if snap is None:
            raise AdminRefused("not_found", number=number[:60])
        return snap

    def sweep(self, actor: str, provider: str = "") -> list[SweepReport]:
        """Sweep one provider (or every one) now; what each sweep found."""
        sweepers = self.sweeper.sweepers
        if provider and provider not in sweepers:
            raise AdminRefused("no_sweeper", provider=provider[:40], known=", ".join(sweepers) or "—")
        if not sweepers:
            raise AdminRefused("nothing_to_sweep")
        reports = self.sweeper.run_once(only=provider)
        self.deliveries.wake()
        self.audit(actor, "sweep", ", ".join(f"{r.provider}: {r.changed} changed" for r in reports))
        return reports

    # delivery ----------------------------------------------------------------------------------

    def outbox(self) -> OutboxReport:
        """What waits to reach Slack, what is held back and why, and what Slack refused for good."""
        items = self.store.outbox.all()  # listed, not claimed: another replica may be delivering them
        held = [
            OutboxItem(
                item.get("channel") or item.get("user", ""),
                item.get("kind", ""),
                item["created"],
                item.get("attempts", 0),
                item["held"].get("reason", ""),
            )
            for item in items
            if item.get("held")
        ]
        fix = self.deliveries.what_to_fix() if held else ""
        failed = self.deliveries.failed_deliveries(FAILED_SHOWN)
        return OutboxReport(len(items) - len(held), held, failed, fix)

    def retry_outbox(self, actor: str) -> int:
        """Send the held notifications again now; how many were released."""
        released = self.deliveries.retry_held()
        self.audit(actor, "outbox retry", f"{released} released")
        return released

    # reports -------------------------------------------------------------------------------------

    def stats(self, days: int) -> Stats:
        """The last `days` days of approvals (by apply time): counts, decision times, who is slow."""
        now = int(self.clock())
        since = now - days * 86400
        docs = [doc for doc in self.approvals.all_approvals() if doc["snapshot"]["apply_time"] >= since]
        by_template: dict[str, Counter[str]] = defaultdict(Counter)
        decisions: list[int] = []
        waits: dict[str, list[int]] = defaultdict(list)
        pending: list[Waiting] = []
        for doc in docs:
            snap = snapshot_from_dict(doc["snapshot"])
            ids = doc.get("slack", {}).get("ids", {})
            by_template[snap.template_name][snap.status.name.lower()] += 1
            decided_at = _decided_at(snap)
            if decided_at is not None:
                decisions.append(decided_at - snap.apply_time)
            for approver, waited in _waits(snap):
                waits[ids.get(approver) or approver].append(waited)
            if snap.status is ApprovalStatus.PENDING and snap.waiting_on():
                who = tuple(ids.get(u) or u for u in snap.waiting_on())
                pending.append(
                    Waiting(snap.number, snap.provider, snap.template_name, who, snap.last_activity())
                )
        slowest = sorted(
            ((who, float(statistics.median(w)), len(w)) for who, w in waits.items()),
            key=lambda row: row[1],
            reverse=True,
        )
        return Stats(
            days,
            len(docs),
            {name: dict(counts) for name, counts in sorted(by_template.items())},
            float(statistics.median(decisions)) if decisions else None,
            slowest[:TOP],
            sorted(pending, key=lambda w: w.since)[: TOP * 2],
            now,
        )

    def export(self, actor: str, days: int, fmt: str) -> ExportFile:
        """The approvals applied in the last `days` days, as a file (json or csv)."""
        if fmt not in EXPORT_FORMATS:
            raise AdminRefused("bad_format", fmt=fmt[:20], known=", ".join(EXPORT_FORMATS))
        now = int(self.clock())
        rows = [row for row in export_rows(self.approvals) if row["applied"] >= now - days * 86400]
        stamp = time.strftime("%Y%m%d", time.gmtime(now))
        self.audit(actor, "export", f"{len(rows)} approvals, {days} days, {fmt}")
        return ExportFile(
            f"approvals-{stamp}-{days}d.{fmt}", render_export(rows, fmt).encode("utf-8"), len(rows), fmt
        )

    def health(self) -> Health:
        """Providers, their tokens, the last sweep of each, the outbox, the store's size, the version."""
        try:
            running = version(PACKAGE)
        except PackageNotFoundError:
            running = "unknown"
        return Health(
            running,
            sorted(self.service.providers),
            self.provider_health(),
            {name: self.store.meta.get(f"sweep_report:{name}") for name in self.sweeper.sweepers},
            self.deliveries.backlog(),
            len(self.store.outbox.held()),
            self.store.failures.count(),
            self.store.size_bytes(),
            self.store.details_wanted.size(),
            list(self.deliveries.health()["problems"]),
        )


def _sync_key(entry: CatalogEntry) -> str:
    return f"template_sync:{entry.provider}:{entry.template_id}"


def _check_slack_user(user: str) -> None:
    if not SLACK_USER.fullmatch(user):
        raise AdminRefused("bad_slack_user", user=user[:40])


def _plain(text: str, limit: int) -> str:
    """Text from a command, safe inside an audit line's mrkdwn: no mentions or links it did not have."""
    clipped = text if len(text) <= limit else text[: limit - 1] + "…"
    return clipped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _decided_at(snap: Snapshot) -> int | None:
    """When a decided approval got its final action (the last decision on it), else None."""
    if snap.status is ApprovalStatus.PENDING:
        return None
    times = [m.time for n in snap.flow_nodes() for m in n.members if m.status.is_decided and m.time]
    return max(times, default=snap.event_time or None)


def _waits(snap: Snapshot) -> list[tuple[str, int]]:
    """(approver, seconds from their step starting to their decision), step by step."""
    started = snap.apply_time
    found = []
    for node in snap.flow_nodes():
        acted = [m for m in node.members if m.status is not MemberStatus.PENDING and m.time]
        found += [(m.user_id, max(0, m.time - started)) for m in acted]
        if acted:
            started = max(m.time for m in acted)
    return found

"""Builds the one object graph the commands run: store, clients, providers,
service, workers and the bolt app. `serve`, `sweep` and the tests all use it."""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.admin import Admin
from bot.away import Away, AwaySettings
from bot.config import Config, parse_quiet_hours
from bot.directory import Directory
from bot.escalation import Escalations, TemplatePolicies
from bot.processor import DetailReader, InboxProcessor
from bot.providers.local.decide import Decisions
from bot.providers.registry import provider_parts
from bot.providers.setup import ProviderSetup
from bot.reminders import Reminders, ReminderSettings
from bot.service import ApprovalService, ServiceSettings
from bot.store import Decoder, Leadership, Store
from bot.store.tinydb import SoleLeader, StoreReader, TinyDBStore
from bot.submit import Submissions
from bot.sweep import Sweeper
from bot.template_policy import Policies
from bot.threads import ThreadReplies
from handlers.channel_names import ChannelNames
from handlers.delivery import CREDENTIAL_ERRORS, Deliverer, SlackFault
from handlers.home import render_home
from handlers.listeners import register_all
from handlers.render import Renderer
from handlers.slack_accounts import SlackAccounts
from handlers.slack_files import SlackFiles
from handlers.slack_groups import SlackUserGroups

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    store: Store
    slack: WebClient
    directory: Directory
    service: ApprovalService
    processor: InboxProcessor
    details: DetailReader
    deliverer: Deliverer
    submissions: Submissions
    parts: ProviderSetup
    decisions: Decisions
    sweeper: Sweeper
    reminders: Reminders
    admin: Admin
    away: Away
    accounts: SlackAccounts
    leadership: Leadership
    escalations: Escalations
    template_policies: TemplatePolicies
    render: Renderer
    threads: ThreadReplies
    bolt: App | None = None

    def start(self) -> None:
        """Replay what was acknowledged but not applied, then run the workers."""
        self.processor.start()
        self.details.start()
        self.deliverer.start()

    def stop(self) -> None:
        """Let the workers finish what they hold, then close the store cleanly."""
        self.processor.stop()
        self.details.stop()
        self.deliverer.stop()
        self.parts.close()
        self.leadership.close()
        self.store.close()

    def live(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message or view sent at once, never stored: its link placeholders made live links."""
        return json.loads(self.parts.mint_links(json.dumps(message)))

    @property
    def policies(self) -> Policies:
        """Every template's escalation, expiry, channel and rules, as its provider declared them, with
        what admins changed from Slack (`/approval-admin policy`) on top."""
        return self.template_policies.current()

    def set_clock(self, clock: Callable[[], float]) -> None:
        """What the scheduled jobs and the cards take as now: the demo's `clock` and the tests move it."""
        self.reminders.clock = clock
        self.away.clock = self.service.clock = clock
        self.escalations.clock = clock
        self.template_policies.clock = clock
        self.render.clock = clock
        self.decisions.clock = clock

    def provider_name(self, provider: str, lang: str) -> str:
        """What people call the system `provider` runs, in `lang`, as the provider declares it."""
        return self.service.provider(provider).display_name(lang)

    def display_name(self, slack_id: str) -> str:
        """The name Slack shows for a user: the providers' pages show people by name."""
        return self.accounts.display_name(slack_id)

    def routes(self) -> dict[str, Any]:
        """The HTTP routes the providers serve (paths, or prefixes ending in '/')."""
        return self.parts.routes(self)

    def health(self) -> dict[str, Any]:
        """`status` is "ok" only when nothing stops the bot's work; else "degraded", with `problems`
        saying in plain words what is wrong and what to fix."""
        delivery = self.deliverer.health()
        return {
            "status": "degraded" if delivery["problems"] else "ok",
            "problems": delivery["problems"],
            "outbox_backlog": self.deliverer.backlog(),
            "outbox_held": delivery["outbox_held"],
            "failed_deliveries": delivery["failed_deliveries"],
            "recent_failures": delivery["recent_failures"],
            "inbox_applied_seq": self._applied_seq(),
            "details_wanted": self.details.backlog(),
            "delivery": vars(self.deliverer.stats),
            "providers": self.parts.health(),
            "sweeps": {name: self.store.meta.get(f"sweep_report:{name}") for name in self.parts.sweepers},
            "database": self._database(),
            "leader": {"replica": self.leadership.replica, "leader": self.leadership.leader()},
        }

    def _applied_seq(self) -> int:
        """Every callback up to this one is applied. On a shared database, by whichever replica: this
        process's worker knows only what it applied itself, and replicas behind one address must agree."""
        return self.store.inbox.checkpoint() if self.config.database_url else self.processor.applied_seq

    def _database(self) -> dict[str, Any]:
        """Which store this replica uses, and whether it answers."""
        backend = "postgresql" if self.config.database_url else "tinydb"
        try:
            self.store.meta.get("store_format")
        except Exception as exc:  # the health page says what is wrong rather than failing itself
            return {"backend": backend, "ok": False, "error": type(exc).__name__}
        return {"backend": backend, "ok": True}


class SlackRefusedError(Exception):
    """Slack rejected the bot's credentials at start: `serve` must not run until the setting is fixed."""


def check_slack_at_start(runtime: Runtime) -> None:
    """Ask Slack whether it accepts the bot token (auth.test) before the bot listens.

    Raises SlackRefusedError, saying which setting to fix, when Slack rejects the credentials. When
    Slack cannot be reached the bot starts anyway (WeCom callbacks must still be taken), with its
    deliveries held and probing until Slack answers. (An app token that is not an xapp- token is a
    config error: `serve` refuses it before this check.)
    """
    try:
        runtime.slack.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "")
        if error in CREDENTIAL_ERRORS:
            raise SlackRefusedError(f"{SlackFault.of(exc).what_to_fix()}; not starting") from exc
        log.warning("Slack's token check failed; starting with deliveries held", extra={"error": error})
        runtime.deliverer.assume_unreachable()
    except Exception as exc:  # the network: Slack may be back in a minute, WeCom is not waiting
        log.warning("Slack cannot be reached; starting with deliveries held", extra={"error": str(exc)})
        runtime.deliverer.assume_unreachable()


def journal_decoders(config: Config) -> dict[str, Decoder]:
    """The providers' decoders of journaled callbacks, for tools beside a running `serve`: built over
    a read-only view of the store (no lock, nothing written); nothing else of the parts is kept."""
    reader = open_reader(config)
    parts = provider_parts(config, reader)
    parts.close()
    reader.close()
    return parts.decoders


def replica_id() -> str:
    """This process among the replicas: host, pid and a random part (a restarted pid is a new replica)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def open_store(config: Config, replica: str, *, journaled_elsewhere: bool = False) -> Store:
    """The store `store.url` (or `store.path`) names: TinyDB files, or the database replicas share.
    psycopg is imported only for a database: the default install has no PostgreSQL driver."""
    if config.database_url:
        from bot.store.postgres import PostgresStore

        return PostgresStore(config.database_url, replica=replica)
    return TinyDBStore(config.store_path, journaled_elsewhere=journaled_elsewhere)


def open_reader(
    config: Config, decoders: dict[str, Decoder] | None = None, *, store: Store | None = None
) -> Any:
    """A view of the store for tools beside a running `serve` (`ApprovalsReader` and `StoreView`);
    on a database, over `store` when one is open already."""
    if config.database_url:
        from bot.store.postgres import PostgresReader, PostgresStore

        if isinstance(store, PostgresStore):
            return PostgresReader(store, decoders)
        return PostgresReader(PostgresStore(config.database_url, read_only=True), decoders, owned=True)
    return StoreReader(config.store_path, decoders)


def open_leadership(config: Config, replica: str) -> Leadership:
    """Who runs the schedule: the advisory lock's holder on a shared database, else this process."""
    if config.database_url:
        from bot.store.postgres import AdvisoryLeadership

        return AdvisoryLeadership(config.database_url, replica)
    return SoleLeader(replica)


def build_runtime(config: Config, *, with_bolt: bool = True, journaled_elsewhere: bool = False) -> Runtime:
    """`journaled_elsewhere`: another process (the acknowledging front) journals the callbacks."""
    replica = replica_id()
    store = open_store(config, replica, journaled_elsewhere=journaled_elsewhere)
    slack = WebClient(token=config.slack.bot_token or None, base_url=config.slack.api_url, retry_handlers=[])
    parts = provider_parts(config, store)
    parts.use_groups(SlackUserGroups(slack))
    accounts = SlackAccounts(slack)
    directory = Directory(store, accounts, parts.static_users, parts.emails, parts.by_email)
    settings = ServiceSettings(language=config.slack.language, audit_channel=config.slack.audit_channel)
    service = ApprovalService(store, directory, parts.providers, settings, Policies(parts.policies))
    catalog = {alias: entry for alias, entry in parts.catalog.items() if entry.provider in parts.filers}
    lang = config.slack.language
    submissions = Submissions(
        store,
        service,
        directory,
        accounts.display_name,
        parts.filers,
        catalog,
        lang,
        fetch_file=SlackFiles(slack, lang).fetch,
    )
    render = Renderer(service, lang, accounts.display_name)
    deliverer = Deliverer(
        store,
        slack,
        directory,
        mint_links=parts.mint_links,
        render=render,
        channel_ids=ChannelNames(slack).id_of,
    )
    details = DetailReader(service, on_queued=deliverer.wake)

    def applied() -> None:
        """The inbox committed: cards to send, perhaps forms to read."""
        deliverer.wake()
        details.wake()

    processor = InboxProcessor(service, parts.decoders, on_queued=applied)
    decisions = Decisions(store, service, allow_self_approval=config.allow_self_approval)
    away = Away(
        store,
        AwaySettings(config.slack.language, config.slack.audit_channel),
        account_kind=accounts.kind,
        time_zone=accounts.time_zone,
        handovers=[decisions.hand_over],
        on_queued=deliverer.wake,
    )
    sweeper = Sweeper(store, service, parts.sweepers)
    schedule = config.schedule
    reminders = Reminders(
        store,
        service,
        accounts.time_zone,
        ReminderSettings(
            int(schedule.remind_after_hours),
            int(schedule.remind_every_hours),
            parse_quiet_hours(schedule.quiet_hours),
            config.slack.language,
            int(schedule.digest_hour) if schedule.daily_digest else None,
        ),
    )
    template_policies = TemplatePolicies(store, Policies(parts.policies))
    # a provider whose approvals the bot decides ends one as expired; the others' are marked overdue
    expirers = {
        name: decisions.expire
        for name, provider in parts.providers.items()
        if provider.capabilities.decides_in_slack
    }
    escalations = Escalations(store, service, template_policies, expirers, reminders.is_quiet)
    admin = Admin(
        config.slack,
        store,
        directory,
        service,
        submissions,
        sweeper,
        reminders,
        deliverer,
        open_reader(config, store=store),
        provider_health=parts.health,
        sweep_only_forms=parts.sweep_only_forms,
        policies=template_policies,
    )
    runtime = Runtime(
        config,
        store,
        slack,
        directory,
        service,
        processor,
        details,
        deliverer,
        submissions,
        parts,
        decisions,
        sweeper,
        reminders,
        admin,
        away,
        accounts,
        open_leadership(config, replica),
        escalations,
        template_policies,
        render,
        ThreadReplies(store, service, decisions),
    )
    deliverer.render_home = lambda user: render_home(runtime, user)
    if with_bolt:
        runtime.bolt = build_bolt_app(config, slack, runtime)
    return runtime


def build_bolt_app(config: Config, slack: WebClient, runtime: Runtime) -> App:
    app = App(
        client=slack,
        signing_secret=config.slack.signing_secret or "socket-mode-does-not-sign",
        token_verification_enabled=False,
        request_verification_enabled=not config.slack.app_token,
    )
    register_all(app, runtime)
    return app

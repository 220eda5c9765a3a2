"""Builds the one object graph the commands run: store, clients, providers,
service, workers and the bolt app. `serve`, `sweep` and the tests all use it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Config
from bot.delivery import Deliverer
from bot.directory import Directory
from bot.processor import InboxProcessor
from bot.providers.base import Provider
from bot.providers.wecom.client import WeComClient
from bot.providers.wecom.provider import WeComOpenProvider, WeComProvider, decode_callback
from bot.service import ApprovalService, ServiceSettings
from bot.store import Store
from handlers import register_all

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    store: Store
    slack: WebClient
    directory: Directory
    service: ApprovalService
    processor: InboxProcessor
    deliverer: Deliverer
    wecom: WeComClient | None = None
    bolt: App | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        """Replay what was acknowledged but not applied, then run the workers."""
        self.processor.start()
        self.deliverer.start()

    def stop(self) -> None:
        """Let the workers finish what they hold, then close the store cleanly."""
        self.processor.stop()
        self.deliverer.stop()
        if self.wecom is not None:
            self.wecom.close()
        self.store.close()

    def health(self) -> dict[str, Any]:
        providers: dict[str, Any] = {}
        if self.wecom is not None:
            providers["wecom"] = {"token": self.wecom.token_state()}
        return {
            "status": "ok",
            "outbox_backlog": self.deliverer.backlog(),
            "inbox_applied_seq": self.processor.applied_seq,
            "delivery": vars(self.deliverer.stats),
            "providers": providers,
        }


def build_runtime(config: Config, *, with_bolt: bool = True) -> Runtime:
    store = Store(config.store_path)
    slack = WebClient(token=config.slack.bot_token or None, base_url=config.slack.api_url, retry_handlers=[])
    wecom = (
        WeComClient(config.wecom.corp_id, config.wecom.secret, api_base=config.wecom.api_base)
        if config.wecom.api_enabled
        else None
    )
    wecom_provider = WeComProvider(wecom, config.wecom.approval_url_template)
    providers: dict[str, Provider] = {
        "wecom": wecom_provider,
        "wecom_open": WeComOpenProvider(wecom, config.wecom.approval_url_template),
    }
    email_lookups = {"wecom": wecom_provider.email_of} if wecom is not None else {}
    by_email = {"wecom": wecom_provider.userid_by_email} if wecom is not None else {}
    directory = Directory(store, slack, {"wecom": config.users}, email_lookups, by_email)
    service = ApprovalService(
        store,
        directory,
        providers,
        ServiceSettings(language=config.slack.language, audit_channel=config.slack.audit_channel),
    )
    deliverer = Deliverer(store, slack, directory)
    processor = InboxProcessor(service, {"wecom": decode_callback}, on_queued=deliverer.wake)
    runtime = Runtime(config, store, slack, directory, service, processor, deliverer, wecom)
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

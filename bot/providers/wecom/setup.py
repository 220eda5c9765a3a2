"""WeCom's part of the bot: the approval app, the self-built-app engine, callbacks, launch pages."""

from __future__ import annotations

from bot.config import Config
from bot.forms import decode_answers
from bot.links import LinkPlaceholders
from bot.provider_ports import CatalogEntry, Filer, merge_catalog
from bot.providers.setup import (
    ProviderPackage,
    ProviderSetup,
    Record,
    RouteContext,
    WSGIApp,
    link_secret,
    public_url,
)
from bot.providers.wecom import config_check
from bot.providers.wecom.callback import WeComCallback
from bot.providers.wecom.client import WeComClient
from bot.providers.wecom.crypto import WeComCrypto
from bot.providers.wecom.filing import WeComFiler
from bot.providers.wecom.jssdk import JsSdkSigner
from bot.providers.wecom.launch_page import PREFIX as LAUNCH_PREFIX
from bot.providers.wecom.launch_page import LaunchDraft, LaunchPage, launch_link
from bot.providers.wecom.open_engine import OpenEngineFiler, launch_draft
from bot.providers.wecom.provider import WeComOpenProvider, WeComProvider, decode_callback
from bot.providers.wecom.sweep import WeComOpenSweeper, WeComSweeper
from bot.providers.wecom.template_admin import WeComTemplates
from bot.store import Store


def setup(config: Config, store: Store) -> ProviderSetup:
    wecom = config.wecom
    timeout = float(wecom.timeout_seconds)
    client = (
        WeComClient(wecom.corp_id, wecom.secret, api_base=wecom.api_base, timeout=timeout)
        if wecom.api_enabled
        else None
    )
    url, secret = public_url(config), link_secret(config, store)

    # launch links are signed: stored cards carry a placeholder, made live when the card is sent
    launch_links = LinkPlaceholders(
        url.rstrip("/") + LAUNCH_PREFIX,
        secret,
        "launch-link-placeholder",
        2,
        lambda fields: launch_link(url, fields[0], secret, view=fields[1] == "view"),
    )

    def launch(third_no: str, view: bool) -> str:
        return launch_links.make(third_no, "view" if view else "launch")

    app_provider = WeComProvider(client, wecom.approval_url_template)
    parts = ProviderSetup(
        providers={
            "wecom": app_provider,
            "wecom_open": WeComOpenProvider(client, wecom.approval_url_template, launch),
        },
        static_users={"wecom": config.users},
        decoders={"wecom": decode_callback},
        mint_links=launch_links.mint,
        policies=config_check.template_policies(config),
    )
    if client is None:
        parts.routes = lambda running: _callback_route(config, running.processor.record)
        return parts

    engine = OpenEngineFiler(config.slack.language)
    filing = WeComFiler(client, flows=wecom.flows, lang=config.slack.language)
    filers: dict[str, Filer] = {"wecom": filing, "wecom_open": engine}
    catalog = {alias: CatalogEntry(alias, "wecom", tid) for alias, tid in wecom.templates.items()}
    catalog |= {alias: CatalogEntry(alias, "wecom_open", tid) for alias, tid in wecom.open_templates.items()}

    def live_catalog() -> dict[str, CatalogEntry]:
        """The config's templates and what admins tracked or untracked since (read when needed)."""
        return merge_catalog(catalog, store.templates.tracked(), filers)

    def find_launch(third_no: str) -> LaunchDraft | None:
        draft = store.drafts.filed_as(third_no)
        entry = live_catalog().get(draft["alias"]) if draft is not None else None
        if draft is None or draft.get("provider") != "wecom_open" or entry is None:
            return None
        return launch_draft(
            third_no, entry.template_id, draft["alias"], decode_answers(draft["answers"]), engine.titles
        )

    def routes(running: RouteContext) -> dict[str, WSGIApp]:
        signer = JsSdkSigner(client, wecom.corp_id, wecom.agent_id)
        return {
            **_callback_route(config, running.processor.record),
            LAUNCH_PREFIX: LaunchPage(find_launch, signer, secret, url),
        }

    parts.filers, parts.catalog, parts.routes = filers, catalog, routes
    parts.sweepers = {
        "wecom": WeComSweeper(
            client, lambda: [e.template_id for e in live_catalog().values() if e.provider == "wecom"]
        ),
        "wecom_open": WeComOpenSweeper(client),
    }
    parts.template_managers = {"wecom": WeComTemplates(client, config.slack.language)}
    parts.emails = {"wecom": app_provider.email_of}
    parts.by_email = {"wecom": app_provider.userid_by_email}
    parts.health = lambda: {"wecom": {"token": client.token_state()}}
    parts.close = client.close
    return parts


def _callback_route(config: Config, record: Record) -> dict[str, WSGIApp]:
    wecom = config.wecom
    if not wecom.callbacks_enabled:
        return {}
    crypto = WeComCrypto(wecom.token, wecom.encoding_aes_key, wecom.corp_id)
    callback = WeComCallback(
        crypto,
        record,
        max_skew=config.server.callback_max_skew_seconds,
        max_body=config.server.max_body_bytes,
    )
    return {"/wecom/callback": callback}


# what the registry lists: this setup, and this provider's part of check-config
PACKAGE = ProviderPackage(setup, config_check.config_problems, config_check.reach, acks=_callback_route)

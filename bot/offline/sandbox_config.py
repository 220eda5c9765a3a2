"""`approvals-bot sandbox` from the bot's own configuration: the [[local.templates]] that
[wecom.templates] also names are served as those WeCom templates, their people mapped
to WeCom userids through [users], and callbacks go to the bot."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.offline.sandbox import Sandbox, SandboxTemplate
from bot.providers.local.engine import TemplateConfigError, template_from_config
from bot.providers.setup import public_url
from bot.providers.wecom.render import template_detail


class SandboxConfigError(Exception):
    """The configuration cannot describe a sandbox; the message says what to add."""


def callback_url_for(config: Config) -> str:
    return f"{public_url(config).rstrip('/')}/wecom/callback"


def build_sandbox(config: Config, *, callback_url: str | None = None) -> Sandbox:
    wecom = config.wecom
    missing = [key for key in ("corp_id", "secret", "token", "encoding_aes_key") if not getattr(wecom, key)]
    if missing:
        raise SandboxConfigError(f"[wecom] needs {', '.join(missing)}: the sandbox plays that corp")
    userid = dict(config.users)  # Slack id -> WeCom userid
    templates = {}
    for entry in config.local_templates:
        alias = entry.get("alias", "")
        if alias not in wecom.templates:
            continue
        try:
            local = template_from_config(entry)
        except TemplateConfigError as exc:
            raise SandboxConfigError(f"[[local.templates]] {alias}: {exc}") from exc
        unmapped = sorted({u for step in local.process for u in step.users} - set(userid))
        if unmapped:
            raise SandboxConfigError(f"{alias}: add {', '.join(unmapped)} to [users] (their WeCom userids)")
        process = tuple(replace(step, users=tuple(userid[u] for u in step.users)) for step in local.process)
        templates[wecom.templates[alias]] = SandboxTemplate(template_detail(local.template), process)
    if not templates:
        raise SandboxConfigError(
            "no template to serve: give a [[local.templates]] alias that [wecom.templates] names"
        )
    users = {
        wecom_id: {"name": wecom_id, "email": f"{wecom_id}@sandbox.invalid"} for wecom_id in userid.values()
    }
    return Sandbox(
        wecom.corp_id,
        wecom.secret,
        token=wecom.token,
        encoding_aes_key=wecom.encoding_aes_key,
        agent_id=wecom.agent_id or "1000002",
        callback_url=callback_url or callback_url_for(config),
        templates=templates,
        users=users,
    )

"""WeCom's part of check-config: corp id, secret, callback token and key, AgentId, templates and flows.

Said through the `error` and `warning` that `bot/config_check.py` hands every provider, by the shared
rules of `bot/config_rules.py`; `reach` tells the generic check what WeCom's configuration lets it do.
"""

from __future__ import annotations

import re
from typing import Any

from bot.config import Config, WeComConfig
from bot.config_rules import SLACK_USER_ID, Reach, Say, check_addresses, check_format, check_numbers, real
from bot.providers.wecom.crypto import aes_key_problems
from bot.template_policy import PolicyConfigError, TemplatePolicy, policies_by_template

WECOM_CORP_ID = re.compile(r"^w[wx][0-9a-f]{16}$", re.IGNORECASE)

# Where each secret or id comes from, said when it is missing or still a placeholder.
WHERE_FROM = {
    "wecom.corp_id": "the Corp ID (WeCom admin console -> My Company -> Company Info), or $WECOM_CORP_ID",
    "wecom.secret": (
        "the Secret of the self-built app allowed to call the approval API (WeCom admin console -> Apps), "
        "or $WECOM_SECRET; without it the bot cannot file, read details or sweep"
    ),
    "wecom.token": "the Token of the app's Receive messages settings, or $WECOM_TOKEN",
    "wecom.encoding_aes_key": (
        "the EncodingAESKey of the app's Receive messages settings, or $WECOM_ENCODING_AES_KEY"
    ),
    "wecom.agent_id": "the app's AgentId (WeCom admin console -> Apps -> your app), a number like 1000002",
}


def config_problems(config: Config, error: Say, warning: Say) -> None:
    try:
        template_policies(config)
    except PolicyConfigError as exc:
        error("wecom.policies", str(exc))
    """Everything wrong with [wecom] and its tables."""
    wecom = config.wecom
    check_numbers({"wecom.timeout_seconds": (wecom.timeout_seconds, None)}, error)
    addresses = {
        "wecom.api_base": (wecom.api_base, False),
        "wecom.approval_url_template": (wecom.approval_url_template, False),
    }
    check_addresses(addresses, error)
    _check_wecom(wecom, error, warning)


def reach(config: Config) -> Reach:
    """WeCom files what [wecom.templates] and [wecom.open_templates] list; it is swept once configured."""
    wecom = config.wecom
    return Reach(
        name="WeCom",
        key="wecom.templates",
        files=bool(wecom.templates or wecom.open_templates),
        sweeps=wecom.configured,
        templates=("[wecom.templates]", "[wecom.open_templates]"),
        start="WeCom credentials",
        more_templates="admins can add WeCom ones with /approval-admin track",
    )


def _check_wecom(wecom: WeComConfig, error: Say, warning: Say) -> None:
    for alias, flow in wecom.flows.items():
        for message in flow_problems(alias, flow, wecom.templates):
            error(f"wecom.flows.{alias}", message)
    if not wecom.configured:
        return
    for key in ("corp_id", "secret"):
        if not getattr(wecom, key):
            error(f"wecom.{key}", f"missing: WeCom is configured, so it needs {WHERE_FROM[f'wecom.{key}']}")
    check_format(
        "wecom.corp_id",
        wecom.corp_id,
        WECOM_CORP_ID,
        "a WeCom corp id is 'ww' (or 'wx') and 16 hexadecimal characters",
        error,
        WHERE_FROM,
    )
    real("wecom.secret", wecom.secret, error, WHERE_FROM)
    if wecom.token or wecom.encoding_aes_key:
        for key in ("token", "encoding_aes_key"):
            if not getattr(wecom, key):
                error(f"wecom.{key}", "missing: WeCom callbacks need token and encoding_aes_key together")
    real("wecom.token", wecom.token, error, WHERE_FROM)
    if real("wecom.encoding_aes_key", wecom.encoding_aes_key, error, WHERE_FROM):
        said = aes_key_problems(wecom.encoding_aes_key)
        if said:  # one problem however many ways the key is wrong
            error("wecom.encoding_aes_key", "; ".join(said))
    check_format(
        "wecom.agent_id",
        wecom.agent_id,
        re.compile(r"^\d+$"),
        "the AgentId is a number like 1000002",
        error,
        WHERE_FROM,
    )
    if wecom.open_templates and not wecom.agent_id:
        error(
            "wecom.agent_id",
            f"missing: [wecom.open_templates] launch pages need {WHERE_FROM['wecom.agent_id']}",
        )
    template = wecom.approval_url_template
    if template and "{sp_no}" not in template and "{third_no}" not in template:
        error(
            "wecom.approval_url_template",
            "must contain {sp_no} (or {third_no}) where the approval number goes",
        )
    if wecom.corp_id and not template:
        warning(
            "wecom.approval_url_template",
            "not set: approvers' cards will say to open WeCom instead of a link",
        )


def flow_problems(alias: str, flow: Any, templates: dict[str, str]) -> list[str]:
    """What is wrong with one [wecom.flows.<alias>] table, in plain words."""
    if alias not in templates:
        return [f"there is no template {alias!r} in [wecom.templates]"]
    if not isinstance(flow, dict):
        return ["must be a table with nodes = [...] and/or choose_department = true"]
    problems: list[str] = []
    nodes = flow.get("nodes", [])
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        return ["nodes must be a list of tables like { type = 1, apv_rel = 1, pick = true }"]
    for i, node in enumerate(nodes, 1):
        if node.get("type") not in (1, 2, 3):
            problems.append(f"node {i}: type must be 1 (approvers), 2 (CC) or 3 (handlers)")
        if node.get("type") in (1, 3) and node.get("apv_rel") not in (1, 2, 3):
            problems.append(f"node {i}: apv_rel must be 1 (会签 all), 2 (或签 any) or 3 (依次 in turn)")
        users = node.get("users", [])
        if not node.get("pick") and not users:
            problems.append(f'node {i}: give users = ["U..."] or pick = true (chosen in the form)')
        if not isinstance(users, list) or not all(
            isinstance(u, str) and SLACK_USER_ID.match(u) for u in users
        ):
            problems.append(f"node {i}: users must be Slack user ids like U012ABCDEF")
    if not isinstance(flow.get("choose_department", False), bool):
        problems.append("choose_department must be true or false")
    return problems


def template_policies(config: Config) -> dict[tuple[str, str], TemplatePolicy]:
    """[wecom.policies.<alias>], for an alias of [wecom.templates] or [wecom.open_templates]."""
    wecom = config.wecom
    templates = {alias: ("wecom", tid) for alias, tid in wecom.templates.items()}
    templates |= {alias: ("wecom_open", tid) for alias, tid in wecom.open_templates.items()}
    return policies_by_template("wecom.policies", wecom.policies, templates)

"""FXiaoKe's part of check-config: its three credentials together, [fxiaoke.users], its addresses."""

from __future__ import annotations

from bot.config import Config
from bot.config_rules import SLACK_USER_ID, Reach, Say, check_addresses, real
from bot.template_policy import PolicyConfigError, TemplatePolicy, policies_by_template

# Its credentials have no page of their own to point at: a placeholder asks for "your own value".
WHERE_FROM: dict[str, str] = {}


def config_problems(config: Config, error: Say, warning: Say) -> None:
    try:
        template_policies(config)
    except PolicyConfigError as exc:
        error("fxiaoke.policies", str(exc))
    """Everything wrong with [fxiaoke] and [fxiaoke.users]."""
    fx = config.fxiaoke
    addresses = {
        "fxiaoke.api_base": (fx.api_base, False),
        "fxiaoke.approval_url_template": (fx.approval_url_template, False),
    }
    check_addresses(addresses, error)
    credentials = {"app_id": fx.app_id, "app_secret": fx.app_secret, "permanent_code": fx.permanent_code}
    for key, value in credentials.items():
        if fx.configured and not value:
            error(f"fxiaoke.{key}", "missing: FXiaoKe needs app_id, app_secret and permanent_code together")
        real(f"fxiaoke.{key}", value, error, WHERE_FROM)
    for slack_id, open_id in fx.users.items():
        if not SLACK_USER_ID.match(slack_id):
            error(
                "fxiaoke.users",
                f"{slack_id!r} is not a Slack user id (like U012ABCDEF); the key is the Slack id",
            )
        if not open_id.startswith("FSUID_"):
            error("fxiaoke.users", f"{slack_id}: {open_id!r} is not an FXiaoKe open user id (FSUID_...)")
    if fx.approval_url_template and "{id}" not in fx.approval_url_template:
        error("fxiaoke.approval_url_template", "must contain {id} where the approval id goes")


def reach(config: Config) -> Reach:
    """FXiaoKe is swept once configured and files nothing from Slack (no callbacks, no filing API used)."""
    return Reach(
        name="FXiaoKe",
        key="fxiaoke.forms",
        files=False,
        sweeps=config.fxiaoke.configured,
        templates=(),
        start="FXiaoKe credentials",
    )


def template_policies(config: Config) -> dict[tuple[str, str], TemplatePolicy]:
    """[fxiaoke.policies."<approvalFormId>"]: any form id, since FXiaoKe's forms are not listed here."""
    tables = config.fxiaoke.policies
    return policies_by_template("fxiaoke.policies", tables, {form: ("fxiaoke", form) for form in tables})

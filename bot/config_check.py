"""`check-config`'s judgement: every problem with a configuration, in plain words, each once.

The generic checks live here (server, addresses, Slack, [users], schedule, and whether the bot could do
anything at all); each provider judges its own part (`bot/providers/<name>/config_check.py`), asked
through the registry, so this module names no provider. `check-config`, `serve` and `init` call
`problems()`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.config import POSTGRES_SCHEMES, Config, SlackConfig, parse_quiet_hours
from bot.config_rules import (
    SLACK_CHANNEL_ID,
    SLACK_USER_ID,
    Problem,
    Reach,
    Say,
    check_addresses,
    check_format,
    check_numbers,
    real,
)
from bot.i18n import LANGUAGES
from bot.providers.registry import PACKAGES

SLACK_SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")
PORTS = (1, 65535)

# Where each secret or id comes from, said when it is missing or still a placeholder.
WHERE_FROM = {
    "slack.bot_token": (
        "the bot token (xoxb-...) from the Slack app's OAuth & Permissions page, or $SLACK_BOT_TOKEN"
    ),
    "slack.signing_secret": (
        "the Signing Secret on the Slack app's Basic Information page (it verifies requests to "
        "/slack/events), or $SLACK_SIGNING_SECRET"
    ),
    "slack.app_token": "an app-level token (xapp-...) with connections:write, or $SLACK_APP_TOKEN",
    "slack.admins": "your admins' Slack member ids (their profile -> ... -> Copy member ID)",
}


def problems(config: Config) -> list[Problem]:
    """Every problem with the configuration, in plain words, each once, naming where its value came from."""
    found: list[Problem] = []
    # a value of the wrong type was ignored: that is its one problem, not also "missing" or a bad format
    mistyped = {entry.partition(": ")[0] for entry in config.wrong_types}

    def error(key: str, message: str) -> None:
        if key not in mistyped:
            found.append(Problem("error", key, message, config.origin(key)))

    def warning(key: str, message: str) -> None:
        found.append(Problem("warning", key, message, config.origin(key)))

    for key in config.unknown_keys:
        warning(key, "unknown key (typo?); it is ignored")
    for entry in config.wrong_types:
        key, _, message = entry.partition(": ")
        found.append(Problem("error", key, message, config.origin(key)))
    _check_numbers(config, error)
    _check_urls(config, error, warning)
    _check_slack(config.slack, error)
    _check_users(config, error)
    for package in PACKAGES:
        package.check(config, error, warning)
    _check_reach([package.reach(config) for package in PACKAGES], warning)
    real("server.link_secret", config.server.link_secret, error, WHERE_FROM)
    try:
        parse_quiet_hours(config.schedule.quiet_hours)
    except ValueError as exc:
        error("schedule.quiet_hours", str(exc))
    if "://" in config.store.url and not config.store.url.startswith(POSTGRES_SCHEMES):
        error("store.url", "must be a path, tinydb:PATH or postgresql://user@host/database")
    return list(dict.fromkeys(found))


def sources(config: Config) -> list[str]:
    """The providers approvals come from with this configuration (they file or are swept), in order."""
    return [
        reach.name for reach in (package.reach(config) for package in PACKAGES) if reach.files or reach.sweeps
    ]


def _check_numbers(config: Config, error: Say) -> None:
    check_numbers(
        {
            "server.port": (config.server.port, PORTS),
            "server.callback_max_skew_seconds": (config.server.callback_max_skew_seconds, None),
            "server.max_body_bytes": (config.server.max_body_bytes, None),
            "server.threads": (config.server.threads, None),
            "server.link_ttl_hours": (config.server.link_ttl_hours, None),
            "schedule.sweep_minutes": (config.schedule.sweep_minutes, None),
            "schedule.remind_after_hours": (config.schedule.remind_after_hours, None),
            "schedule.remind_every_hours": (config.schedule.remind_every_hours, None),
        },
        error,
    )
    digest_hour = config.schedule.digest_hour
    if isinstance(digest_hour, bool) or not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        error("schedule.digest_hour", f"must be an hour from 0 to 23, got {digest_hour!r}")


def _check_urls(config: Config, error: Say, warning: Say) -> None:
    if not config.server.public_url:
        warning("server.public_url", "not set: approve links and launch pages will use http://HOST:PORT")
    addresses = {
        "server.public_url": (config.server.public_url, True),
        "slack.api_url": (config.slack.api_url, False),
    }
    check_addresses(addresses, error)


def _check_slack(slack: SlackConfig, error: Say) -> None:
    if not slack.bot_token:
        error("slack.bot_token", f"missing: {WHERE_FROM['slack.bot_token']}")
    check_format(
        "slack.bot_token",
        slack.bot_token,
        re.compile(r"^xoxb-\S+$"),
        "a bot token starts with 'xoxb-'",
        error,
        WHERE_FROM,
    )
    check_format(
        "slack.app_token",
        slack.app_token,
        re.compile(r"^xapp-\S+$"),
        "an app-level token (Socket Mode) starts with 'xapp-'",
        error,
        WHERE_FROM,
    )
    if not slack.signing_secret and not slack.app_token:
        error("slack.signing_secret", f"missing: {WHERE_FROM['slack.signing_secret']}")
    check_format(
        "slack.signing_secret",
        slack.signing_secret,
        SLACK_SIGNING_SECRET,
        "a Slack signing secret is 32 hexadecimal characters (Basic Information -> App Credentials)",
        error,
        WHERE_FROM,
    )
    for admin in slack.admins:
        if real("slack.admins", admin, error, WHERE_FROM) and not SLACK_USER_ID.match(admin):
            error("slack.admins", f"{admin!r} is not a Slack user id (like U012ABCDEF)")
    if slack.audit_channel and not SLACK_CHANNEL_ID.match(slack.audit_channel):
        error("slack.audit_channel", f"{slack.audit_channel!r} is not a channel id (like C012ABCDEF)")
    if slack.language not in LANGUAGES:
        error("slack.language", f"must be one of {', '.join(LANGUAGES)}, got {slack.language!r}")


def _check_users(config: Config, error: Say) -> None:
    for slack_id, wecom_id in config.users.items():
        if not SLACK_USER_ID.match(slack_id):
            error("users", f"{slack_id!r} is not a Slack user id (like U012ABCDEF); the key is the Slack id")
        if not wecom_id.strip():
            error("users", f"{slack_id}: the WeCom userid is empty")
    seen: dict[str, str] = {}
    for slack_id, wecom_id in config.users.items():
        if wecom_id in seen:
            error("users", f"WeCom user {wecom_id!r} is mapped twice ({seen[wecom_id]} and {slack_id})")
        seen[wecom_id] = slack_id


def _check_reach(reaches: Sequence[Reach], warning: Say) -> None:
    """Warn when the bot would run but do nothing: no template to file, no provider to sweep.

    The warning points at the templates of a provider that needs nothing outside the bot, if one
    exists: adding them is the shortest way to a working bot."""
    if not reaches or any(reach.files for reach in reaches):
        return
    key = next((reach.key for reach in reaches if reach.standalone), reaches[0].key)
    if not any(reach.sweeps for reach in reaches):
        starts = [reach.start for reach in sorted(reaches, key=lambda reach: not reach.standalone)]
        warning(key, "nothing can be filed or swept: add " + ", or ".join(starts))
        return
    tables = [table for reach in reaches for table in reach.templates]
    later = [f"; {reach.more_templates}" for reach in reaches if reach.sweeps and reach.more_templates]
    warning(key, f"nothing can be filed from Slack: no templates ({_either(tables)})" + "".join(later))


def _either(choices: Sequence[str]) -> str:
    """ "a, b or c": one of several things, in words."""
    return " or ".join([", ".join(choices[:-1]), choices[-1]]) if len(choices) > 1 else "".join(choices)

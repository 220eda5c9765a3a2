"""The rules configured values are judged by: what a problem is, placeholders, id and address shapes.

`check-config` gathers problems in two places, the generic checks (`bot/config_check.py`) and each
provider's own (`bot/providers/<name>/config_check.py`); both judge values by these same rules, so a
placeholder or a bad address is said the same way whoever finds it. Nothing here names a provider.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")

# Says one problem: (section.key, message). The checks are handed an `error` and a `warning`, which
# know where each key's value came from and which keys already have their one problem (a wrong type).
Say = Callable[[str, str], None]


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" or "warning"
    key: str  # section.key, for programs
    message: str
    source: str = ""  # for people: the file key ("[wecom] secret in /x/config.toml") or the variable

    def __str__(self) -> str:
        return f"{self.severity}: {self.source or self.key}: {self.message}"


@dataclass(frozen=True)
class Reach:
    """What one provider's configuration lets the bot do. check-config warns when no provider files and
    none is swept; the words of that warning are the providers' own, so the generic check names none."""

    name: str  # the provider as people know it: "WeCom", "the embedded engine"
    key: str  # where its templates are configured ("local.templates"): a warning points there
    files: bool  # it has templates people can file from Slack
    sweeps: bool  # it is configured to be swept
    templates: tuple[str, ...]  # its template tables as people write them: ("[[local.templates]]",)
    start: str  # what to add so that it works at all: "WeCom credentials"
    standalone: bool = False  # it needs nothing outside the bot: the warning points at its templates
    more_templates: str = ""  # how admins add templates later, when it is configured but offers none


# Values from config.example.toml (and Tencent's published sample key) that look real but are not:
# left in place they would reach Slack and WeCom, so check-config refuses them by name.
EXAMPLE_VALUES = frozenset(
    {
        "xoxb-your-bot-token",
        "your-signing-secret",
        "U0123ADMIN",
        "U0123HRDESK",
        "ww0123456789abcdef",
        "your-app-secret",
        "your-callback-token",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    }
)
# The shape of other placeholders people write or copy: "your-...", "changeme", "<token>", "xoxb-...".
_PLACEHOLDER_SHAPE = re.compile(r"\byour[-_ ]|change[-_ ]?me|placeholder|<[^<>]*>|\.\.\.|xxxx", re.IGNORECASE)
# Hosts reserved for documentation (RFC 2606): nothing real answers there.
_EXAMPLE_HOST = re.compile(r"(^|\.)example(\.com|\.org|\.net)?\.?$|\.invalid\.?$", re.IGNORECASE)


def is_placeholder(value: str) -> bool:
    """A value copied from the example or written as a placeholder, not a real one."""
    return value in EXAMPLE_VALUES or bool(_PLACEHOLDER_SHAPE.search(value))


def real(key: str, value: str, error: Say, where_from: Mapping[str, str]) -> bool:
    """Is `value` set and no placeholder? A placeholder is reported (once) with where the real one is.

    `where_from` says, per key, where the real value is found (the checker's own table)."""
    if value and is_placeholder(value):
        where = where_from.get(key, "your own value")
        error(key, f"still a placeholder from the example: put in {where}")
        return False
    return bool(value)


def check_format(
    key: str, value: str, pattern: re.Pattern[str], says: str, error: Say, where_from: Mapping[str, str]
) -> None:
    """A set, non-placeholder value must match its format; `says` never echoes the value (secrets)."""
    if real(key, value, error, where_from) and not pattern.match(value):
        error(key, says)


def check_numbers(integers: Mapping[str, tuple[object, tuple[int, int] | None]], error: Say) -> None:
    """Each key's value is a whole number greater than 0, or within its bounds when it has some."""
    for key, (value, bounds) in integers.items():
        if isinstance(value, bool) or (not isinstance(value, int) and not str(value).isdecimal()):
            error(key, f"must be a whole number, got {value!r}")
        elif bounds and not bounds[0] <= int(value) <= bounds[1]:
            error(key, f"must be a port from {bounds[0]} to {bounds[1]}, got {value}")
        elif int(value) <= 0:
            error(key, f"must be greater than 0, got {value}")


def url_problem(url: str, *, https_unless_loopback: bool = False) -> str | None:
    """What is wrong with an address the bot calls or hands out, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        host, parts = "", None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return "must be an address that starts with http:// or https:// and names a host"
    if _EXAMPLE_HOST.search(host):
        return f"{host} is a placeholder from the example (nothing answers there): put in the real address"
    if https_unless_loopback and parts.scheme != "https" and not _loopback(host):
        return (
            "must start with https:// (Slack and phones reach it over the internet); "
            "http:// only for 127.0.0.1 or localhost"
        )
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_addresses(addresses: Mapping[str, tuple[str, bool]], error: Say) -> None:
    """Each key's address (and whether it must be https unless on loopback): a base an API is called
    under (`...api_url`, `...api_base`) must also end with '/', or the paths joined to it lose a part."""
    for key, (url, https) in addresses.items():
        problem = url_problem(url, https_unless_loopback=https) if url else None
        if problem:
            error(key, problem)
        elif key.endswith(("api_url", "api_base")) and not url.endswith("/"):
            error(key, "must end with '/'")

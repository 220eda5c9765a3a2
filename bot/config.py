"""Configuration: one TOML file, secrets overridable from the environment.

Loading never fails on a wrong value; `problems()` names every issue in plain
words so `check-config` can list them all at once instead of one per run.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from bot.i18n import LANGUAGES
from bot.providers.local.engine import TemplateConfigError, template_from_config
from bot.providers.wecom.crypto import aes_key_problems


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """ "21-8" -> (21, 8): from and to, local hours; raises ValueError in plain words."""
    start, _, end = text.partition("-")
    hours = (start.strip(), end.strip())
    if not all(h.isdigit() and 0 <= int(h) <= 23 for h in hours):
        raise ValueError(f'looks like "21-8" (from-to, hours 0-23), got {text!r}')
    return int(hours[0]), int(hours[1])


SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
DEFAULT_CONFIG_FILE = "config.toml"
CONFIG_ENV = "APPROVALS_BOT_CONFIG"

# Secrets that environment variables override: (section, key) -> variable.
SECRET_ENV = {
    ("slack", "bot_token"): "SLACK_BOT_TOKEN",
    ("slack", "signing_secret"): "SLACK_SIGNING_SECRET",
    ("slack", "app_token"): "SLACK_APP_TOKEN",
    ("wecom", "corp_id"): "WECOM_CORP_ID",
    ("wecom", "secret"): "WECOM_SECRET",
    ("wecom", "token"): "WECOM_TOKEN",
    ("wecom", "encoding_aes_key"): "WECOM_ENCODING_AES_KEY",
    ("fxiaoke", "app_secret"): "FXIAOKE_APP_SECRET",
    ("fxiaoke", "permanent_code"): "FXIAOKE_PERMANENT_CODE",
    ("server", "link_secret"): "APPROVALS_BOT_LINK_SECRET",
}


class ConfigError(Exception):
    """The file cannot be read or is not TOML at all."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "0.0.0.0"
    port: int = 3000
    public_url: str = ""
    link_secret: str = ""
    callback_max_skew_seconds: int = 300
    max_body_bytes: int = 1_048_576
    threads: int = 32
    link_ttl_hours: int = 168


@dataclass(frozen=True)
class StoreConfig:
    path: str = "data/approvals.json"
    url: str = ""  # a path, tinydb:PATH, or postgresql://... (instead of path; the password from PGPASSWORD)


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    admins: tuple[str, ...] = ()
    audit_channel: str = ""
    api_url: str = "https://slack.com/api/"
    language: str = "zh_CN"


@dataclass(frozen=True)
class WeComConfig:
    corp_id: str = ""
    secret: str = ""
    agent_id: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    approval_url_template: str = ""
    # seconds before a WeCom API call counts as unanswered (then retried, or checked before refiling)
    timeout_seconds: int = 10
    templates: dict[str, str] = field(default_factory=dict)
    open_templates: dict[str, str] = field(default_factory=dict)
    # alias -> {"nodes": [{type, apv_rel, pick | users}], "choose_department": bool}: who decides,
    # instead of the template's own flow
    flows: dict[str, Any] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        """Anything of WeCom's set: then it must work (credentials complete and real)."""
        keys = (self.corp_id, self.secret, self.token, self.encoding_aes_key, self.agent_id)
        return any(keys) or bool(self.templates or self.open_templates)

    @property
    def callbacks_enabled(self) -> bool:
        return bool(self.token and self.encoding_aes_key and self.corp_id)

    @property
    def api_enabled(self) -> bool:
        return bool(self.corp_id and self.secret)


@dataclass(frozen=True)
class FXiaoKeConfig:
    app_id: str = ""
    app_secret: str = ""
    permanent_code: str = ""
    api_base: str = "https://open.71360.com/cgi/"
    approval_url_template: str = ""  # where approvers act; {id} is the approval id
    forms: tuple[str, ...] = ()  # approvalFormIds to sweep; empty: every type
    users: dict[str, str] = field(default_factory=dict)  # Slack user id -> FSUID_...

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.app_secret and self.permanent_code)

    @property
    def configured(self) -> bool:
        """Any credential set: then all three must be."""
        return bool(self.app_id or self.app_secret or self.permanent_code)


@dataclass(frozen=True)
class ScheduleConfig:
    sweep_minutes: int = 10
    remind_after_hours: int = 24
    remind_every_hours: int = 24
    quiet_hours: str = "21-8"  # approvers' local night, when nobody is reminded
    daily_digest: bool = False  # a morning list for each approver with things waiting
    digest_hour: int = 9  # local hour of the digest


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    wecom: WeComConfig = field(default_factory=WeComConfig)
    fxiaoke: FXiaoKeConfig = field(default_factory=FXiaoKeConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    users: dict[str, str] = field(default_factory=dict)  # Slack user id -> WeCom userid
    local_templates: tuple[dict[str, Any], ...] = ()
    allow_self_approval: bool = False  # [local] allow_self_approval: may applicants approve their own?
    source: str = ""  # where it was loaded from, for messages
    unknown_keys: tuple[str, ...] = ()
    wrong_types: tuple[str, ...] = ()  # "key: explanation" for values ignored because of their type
    from_env: dict[str, str] = field(default_factory=dict)  # "section.key" -> the variable that set it

    @property
    def store_path(self) -> Path:
        """The TinyDB store's file: store.url when it names one (a path or tinydb:PATH), else store.path."""
        url = self.store.url
        if url and not url.startswith(POSTGRES_SCHEMES):
            return Path(url.removeprefix("tinydb:"))
        return Path(self.store.path)

    def origin(self, key: str) -> str:
        """Where a key's value comes from, as people find it: the variable, else the file and its key."""
        if key in self.from_env:
            return f"environment variable {self.from_env[key]}"
        section, _, name = key.rpartition(".")
        if key == "local.templates":
            where = "[[local.templates]]"
        else:
            where = f"[{section}] {name}" if section else f"[{key}]"
        return f"{where} in {self.source}" if self.source and not self.source.startswith("(") else where

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL database the replicas share, when store.url names one."""
        return self.store.url if self.store.url.startswith(POSTGRES_SCHEMES) else None


def config_path(explicit: str | None) -> Path:
    """--config, else $APPROVALS_BOT_CONFIG, else ./config.toml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE)


def load_config(path: Path | None, env: dict[str, str] | None = None, *, required: bool = True) -> Config:
    """Read the TOML file (a missing file is an error only when `required`) and apply env overrides."""
    env = dict(os.environ) if env is None else env
    raw: dict[str, Any] = {}
    source = "(defaults)"
    if path is not None and path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        source = str(path)
    elif path is not None and required:
        raise ConfigError(
            f"config file {path} not found (pass --config, set ${CONFIG_ENV}, "
            "or copy config.example.toml to config.toml)"
        )
    return from_dict(raw, env, source)


_KNOWN = {
    "server": set(ServerConfig.__dataclass_fields__),
    "store": set(StoreConfig.__dataclass_fields__),
    "slack": set(SlackConfig.__dataclass_fields__),
    "wecom": set(WeComConfig.__dataclass_fields__),
    "fxiaoke": set(FXiaoKeConfig.__dataclass_fields__),
    "schedule": set(ScheduleConfig.__dataclass_fields__),
    "users": None,
    "local": {"templates", "allow_self_approval"},
}


def from_dict(raw: dict[str, Any], env: dict[str, str], source: str = "") -> Config:
    unknown = _unknown_keys(raw)
    wrong: list[str] = []
    sections = {name: _table(raw, name, wrong) for name in _KNOWN if name not in ("users", "local")}
    from_env: dict[str, str] = {}
    for (section, key), variable in SECRET_ENV.items():
        if env.get(variable):
            sections[section][key] = env[variable]
            from_env[f"{section}.{key}"] = variable
    if env.get("PORT") and "port" not in sections["server"]:
        port = env["PORT"].strip()
        # an int like the file's; a non-number stays a string so problems() names it
        sections["server"]["port"] = int(port) if port.isdecimal() else port
        from_env["server.port"] = "PORT"

    def build(cls: type, name: str) -> Any:
        values = {}
        for key, value in sections[name].items():
            if key in cls.__dataclass_fields__:
                values[key] = _typed(cls, key, value, f"{name}.{key}", wrong)
        return cls(**{k: v for k, v in values.items() if v is not _WRONG})

    local = _table(raw, "local", wrong)
    templates = local.get("templates") or ()
    if not isinstance(templates, list | tuple):
        wrong.append(
            f"local.templates: expected a list of [[local.templates]] tables, got {_kind(templates)}"
        )
        templates = ()
    return Config(
        server=build(ServerConfig, "server"),
        store=build(StoreConfig, "store"),
        slack=build(SlackConfig, "slack"),
        wecom=build(WeComConfig, "wecom"),
        fxiaoke=build(FXiaoKeConfig, "fxiaoke"),
        schedule=build(ScheduleConfig, "schedule"),
        users={str(k): str(v) for k, v in _table(raw, "users", wrong).items()},
        local_templates=tuple(templates),
        allow_self_approval=local.get("allow_self_approval") is True,
        source=source,
        unknown_keys=tuple(unknown),
        wrong_types=tuple(wrong),
        from_env=from_env,
    )


_WRONG = object()
# Ids that people copy as numbers from a console: a TOML integer is taken as its text.
NUMERIC_IDS = frozenset({"wecom.agent_id"})


def _table(raw: dict[str, Any], name: str, wrong: list[str]) -> dict[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        wrong.append(f"{name}: must be a [{name}] table, got {_kind(value)}")
        return {}
    return dict(value)


def _typed(cls: type, key: str, value: Any, where: str, wrong: list[str]) -> Any:
    """The value if it has the field's type, else _WRONG (and a problem is recorded).

    Whole numbers may arrive as strings (from the environment); problems() explains bad ones.
    """
    spec = cls.__dataclass_fields__[key]
    default = spec.default if spec.default is not MISSING else spec.default_factory()  # type: ignore[misc]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = not isinstance(value, list | dict)  # problems() explains a bad number in its own words
    elif isinstance(default, str) and where in NUMERIC_IDS and type(value) is int:
        ok, value = True, str(value)  # WeCom's console shows the AgentId as a number (bools are no ids)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, dict)
        value = {str(k): v if isinstance(v, dict) else str(v) for k, v in value.items()} if ok else value
    return value if ok else _fail(where, value, default, wrong)


# What a value must be, for the keys a bare type says too little about.
EXPECTED = {
    "slack.admins": 'a list of Slack user ids, like ["U012ABCDEF"]',
    "fxiaoke.forms": "a list of FXiaoKe approval form ids (approvalFormId)",
    "wecom.templates": 'a table of alias = "template id"',
    "wecom.open_templates": 'a table of alias = "OpenTemplateId"',
    "wecom.flows": "[wecom.flows.<alias>] tables",
    "fxiaoke.users": 'a table of "<Slack user id>" = "FSUID_..."',
    "wecom.agent_id": "the app's AgentId, a number like 1000002",
}
_EXPECTED_BY_DEFAULT = {bool: "true or false", str: "a string", tuple: "a list of strings", dict: "a table"}
_KINDS = {bool: "true/false", str: "a string", int: "a number", float: "a decimal number", list: "a list"}
_SECRET_KEYS = frozenset(f"{section}.{key}" for section, key in SECRET_ENV)


def _kind(value: Any) -> str:
    """A TOML value's kind in plain words."""
    if isinstance(value, list) and (odd := [v for v in value if not isinstance(v, str)]):
        return f"a list holding {_kind(odd[0])}"
    return "a table" if isinstance(value, dict) else _KINDS.get(type(value), type(value).__name__)


def _fail(where: str, value: Any, default: Any, wrong: list[str]) -> Any:
    expected = EXPECTED.get(where) or _EXPECTED_BY_DEFAULT.get(type(default), type(default).__name__)
    shown = "" if where in _SECRET_KEYS or isinstance(value, dict | list) else f" ({value!r})"
    wrong.append(f"{where}: expected {expected}, got {_kind(value)}{shown}")
    return _WRONG


def _unknown_keys(raw: dict[str, Any]) -> list[str]:
    unknown = []
    for section, value in raw.items():
        if section not in _KNOWN:
            unknown.append(section)
            continue
        known = _KNOWN[section]
        if known is None or not isinstance(value, dict):
            continue
        unknown += [f"{section}.{key}" for key in value if key not in known]
    return unknown


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" or "warning"
    key: str  # section.key, for programs
    message: str
    source: str = ""  # for people: the file key ("[wecom] secret in /x/config.toml") or the variable

    def __str__(self) -> str:
        return f"{self.severity}: {self.source or self.key}: {self.message}"


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

WECOM_CORP_ID = re.compile(r"^w[wx][0-9a-f]{16}$", re.IGNORECASE)
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
    "server.public_url": "the https:// address Slack and WeCom reach this bot at",
    "wecom.approval_url_template": "where approvers open a WeCom approval, with {sp_no}",
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
    _check_wecom(config.wecom, error, warning)
    _check_users(config, error)
    _check_fxiaoke(config.fxiaoke, error)
    _check_local(config, error)
    _check_reach(config, warning)
    _real("server.link_secret", config.server.link_secret, error)
    try:
        parse_quiet_hours(config.schedule.quiet_hours)
    except ValueError as exc:
        error("schedule.quiet_hours", str(exc))
    if "://" in config.store.url and not config.store.url.startswith(POSTGRES_SCHEMES):
        error("store.url", "must be a path, tinydb:PATH or postgresql://user@host/database")
    return list(dict.fromkeys(found))


def is_placeholder(value: str) -> bool:
    """A value copied from the example or written as a placeholder, not a real one."""
    return value in EXAMPLE_VALUES or bool(_PLACEHOLDER_SHAPE.search(value))


def _real(key: str, value: str, error: Any) -> bool:
    """Is `value` set and no placeholder? A placeholder is reported (once) with where the real one is."""
    if value and is_placeholder(value):
        where = WHERE_FROM.get(key, "your own value")
        error(key, f"still a placeholder from the example: put in {where}")
        return False
    return bool(value)


def _check_format(key: str, value: str, pattern: re.Pattern[str], says: str, error: Any) -> None:
    """A set, non-placeholder value must match its format; `says` never echoes the value (secrets)."""
    if _real(key, value, error) and not pattern.match(value):
        error(key, says)


def _check_numbers(config: Config, error: Any) -> None:
    integers = {
        "server.port": (config.server.port, PORTS),
        "server.callback_max_skew_seconds": (config.server.callback_max_skew_seconds, None),
        "server.max_body_bytes": (config.server.max_body_bytes, None),
        "server.threads": (config.server.threads, None),
        "server.link_ttl_hours": (config.server.link_ttl_hours, None),
        "wecom.timeout_seconds": (config.wecom.timeout_seconds, None),
        "schedule.sweep_minutes": (config.schedule.sweep_minutes, None),
        "schedule.remind_after_hours": (config.schedule.remind_after_hours, None),
        "schedule.remind_every_hours": (config.schedule.remind_every_hours, None),
    }
    for key, (value, bounds) in integers.items():
        if isinstance(value, bool) or (not isinstance(value, int) and not str(value).isdecimal()):
            error(key, f"must be a whole number, got {value!r}")
        elif bounds and not bounds[0] <= int(value) <= bounds[1]:
            error(key, f"must be a port from {bounds[0]} to {bounds[1]}, got {value}")
        elif int(value) <= 0:
            error(key, f"must be greater than 0, got {value}")
    digest_hour = config.schedule.digest_hour
    if isinstance(digest_hour, bool) or not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        error("schedule.digest_hour", f"must be an hour from 0 to 23, got {digest_hour!r}")


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


def _check_urls(config: Config, error: Any, warning: Any) -> None:
    if not config.server.public_url:
        warning("server.public_url", "not set: approve links and launch pages will use http://HOST:PORT")
    addresses = {
        "server.public_url": (config.server.public_url, True),
        "slack.api_url": (config.slack.api_url, False),
        "wecom.api_base": (config.wecom.api_base, False),
        "fxiaoke.api_base": (config.fxiaoke.api_base, False),
        "wecom.approval_url_template": (config.wecom.approval_url_template, False),
        "fxiaoke.approval_url_template": (config.fxiaoke.approval_url_template, False),
    }
    for key, (url, https) in addresses.items():
        problem = url_problem(url, https_unless_loopback=https) if url else None
        if problem:
            error(key, problem)
        elif key.endswith(("api_url", "api_base")) and not url.endswith("/"):
            error(key, "must end with '/'")


def _check_slack(slack: SlackConfig, error: Any) -> None:
    if not slack.bot_token:
        error("slack.bot_token", f"missing: {WHERE_FROM['slack.bot_token']}")
    _check_format(
        "slack.bot_token",
        slack.bot_token,
        re.compile(r"^xoxb-\S+$"),
        "a bot token starts with 'xoxb-'",
        error,
    )
    _check_format(
        "slack.app_token",
        slack.app_token,
        re.compile(r"^xapp-\S+$"),
        "an app-level token (Socket Mode) starts with 'xapp-'",
        error,
    )
    if not slack.signing_secret and not slack.app_token:
        error("slack.signing_secret", f"missing: {WHERE_FROM['slack.signing_secret']}")
    _check_format(
        "slack.signing_secret",
        slack.signing_secret,
        SLACK_SIGNING_SECRET,
        "a Slack signing secret is 32 hexadecimal characters (Basic Information -> App Credentials)",
        error,
    )
    for admin in slack.admins:
        if _real("slack.admins", admin, error) and not SLACK_USER_ID.match(admin):
            error("slack.admins", f"{admin!r} is not a Slack user id (like U012ABCDEF)")
    if slack.audit_channel and not SLACK_CHANNEL_ID.match(slack.audit_channel):
        error("slack.audit_channel", f"{slack.audit_channel!r} is not a channel id (like C012ABCDEF)")
    if slack.language not in LANGUAGES:
        error("slack.language", f"must be one of {', '.join(LANGUAGES)}, got {slack.language!r}")


def _check_wecom(wecom: WeComConfig, error: Any, warning: Any) -> None:
    for alias, flow in wecom.flows.items():
        for message in flow_problems(alias, flow, wecom.templates):
            error(f"wecom.flows.{alias}", message)
    if not wecom.configured:
        return
    for key in ("corp_id", "secret"):
        if not getattr(wecom, key):
            error(f"wecom.{key}", f"missing: WeCom is configured, so it needs {WHERE_FROM[f'wecom.{key}']}")
    _check_format(
        "wecom.corp_id",
        wecom.corp_id,
        WECOM_CORP_ID,
        "a WeCom corp id is 'ww' (or 'wx') and 16 hexadecimal characters",
        error,
    )
    _real("wecom.secret", wecom.secret, error)
    if wecom.token or wecom.encoding_aes_key:
        for key in ("token", "encoding_aes_key"):
            if not getattr(wecom, key):
                error(f"wecom.{key}", "missing: WeCom callbacks need token and encoding_aes_key together")
    _real("wecom.token", wecom.token, error)
    if _real("wecom.encoding_aes_key", wecom.encoding_aes_key, error):
        said = aes_key_problems(wecom.encoding_aes_key)
        if said:  # one problem however many ways the key is wrong
            error("wecom.encoding_aes_key", "; ".join(said))
    _check_format(
        "wecom.agent_id", wecom.agent_id, re.compile(r"^\d+$"), "the AgentId is a number like 1000002", error
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


def _check_local(config: Config, error: Any) -> None:
    for entry in config.local_templates:
        try:
            template_from_config(entry)
        except TemplateConfigError as exc:
            error("local.templates", str(exc))


def _check_reach(config: Config, warning: Any) -> None:
    """Warn when the bot would run but do nothing: no template to file, no provider to sweep."""
    files = bool(config.local_templates or config.wecom.templates or config.wecom.open_templates)
    sweeps = config.wecom.configured or config.fxiaoke.configured
    if not files and not sweeps:
        warning(
            "local.templates",
            "nothing can be filed or swept: add [[local.templates]] (the embedded engine), "
            "or WeCom or FXiaoKe credentials",
        )
    elif not files:
        warning(
            "local.templates",
            "nothing can be filed from Slack: no templates ([wecom.templates], [wecom.open_templates] or "
            "[[local.templates]]); admins can add WeCom ones with /approval-admin track",
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


def _check_fxiaoke(fx: FXiaoKeConfig, error: Any) -> None:
    credentials = {"app_id": fx.app_id, "app_secret": fx.app_secret, "permanent_code": fx.permanent_code}
    for key, value in credentials.items():
        if fx.configured and not value:
            error(f"fxiaoke.{key}", "missing: FXiaoKe needs app_id, app_secret and permanent_code together")
        _real(f"fxiaoke.{key}", value, error)
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


def _check_users(config: Config, error: Any) -> None:
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

"""Configuration: one TOML file, secrets overridable from the environment.

Loading never fails on a wrong value; `problems()` (`bot/config_check.py`) names every issue in plain
words so `check-config` can list them all at once instead of one per run.
"""

from __future__ import annotations

import os
import sys
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """ "21-8" -> (21, 8): from and to, local hours; raises ValueError in plain words."""
    start, _, end = text.partition("-")
    hours = (start.strip(), end.strip())
    if not all(h.isdigit() and 0 <= int(h) <= 23 for h in hours):
        raise ValueError(f'looks like "21-8" (from-to, hours 0-23), got {text!r}')
    return int(hours[0]), int(hours[1])


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
    # callbacks acknowledged by a process of their own (bot/front.py), on a TinyDB store
    front_process: bool = True


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
    # alias -> [wecom.policies.<alias>]: escalation, expiry, channel (bot.template_policy)
    policies: dict[str, Any] = field(default_factory=dict)

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
    # approvalFormId -> [fxiaoke.policies."<approvalFormId>"]: escalation, expiry, channel
    policies: dict[str, Any] = field(default_factory=dict)

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
    "wecom.policies": "[wecom.policies.<alias>] tables",
    "fxiaoke.policies": '[fxiaoke.policies."<approvalFormId>"] tables',
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

"""Configuration: the example file, env overrides, where the file comes from, and `problems()`."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from bot.config import (
    CONFIG_ENV,
    SECRET_ENV,
    Config,
    ConfigError,
    FXiaoKeConfig,
    ScheduleConfig,
    ServerConfig,
    SlackConfig,
    StoreConfig,
    WeComConfig,
    config_path,
    from_dict,
    load_config,
)
from bot.config_check import problems
from bot.config_rules import Problem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"
AES_KEY = "eblKDLTOLgSven1z+ZcPEjDNflUoaw3ATvXsgeR3Gxs"  # 43 chars, decodes to 32 bytes
SIGNING_SECRET = "ccf9b3dcbb6e86223886892b9ad410b5"  # Slack's shape: 32 hex characters
CORP_ID = "ww5a1b9c3d7e2f4680"

# The keys DESIGN.md's "External contract" promises (section -> keys).
CONTRACT: dict[str, set[str]] = {
    "server": {"host", "port", "public_url"},
    "store": {"path"},
    "slack": {"bot_token", "signing_secret", "app_token", "admins", "audit_channel", "api_url"},
    "wecom": {
        "corp_id",
        "secret",
        "agent_id",
        "token",
        "encoding_aes_key",
        "api_base",
        "approval_url_template",
        "templates",
        "open_templates",
    },
    "fxiaoke": {"app_id", "app_secret", "permanent_code", "api_base", "users"},
    "schedule": {"sweep_minutes", "remind_after_hours"},
}
DATACLASSES: dict[str, type] = {
    "server": ServerConfig,
    "store": StoreConfig,
    "slack": SlackConfig,
    "wecom": WeComConfig,
    "fxiaoke": FXiaoKeConfig,
    "schedule": ScheduleConfig,
}
# Keys the example documents only as comments (credentials not everyone has, and a sample template).
COMMENTED_OUT = {"fxiaoke.app_id", "fxiaoke.app_secret", "fxiaoke.permanent_code", "local.templates"}

# A configuration with no problems at all, to which each test adds exactly one mistake.
PURCHASE = {
    "alias": "purchase",
    "name": "Purchase",
    "controls": [{"control": "Text", "id": "Text-1", "title": "What", "require": True}],
    "process": [{"type": 1, "apv_rel": 1, "users": ["U0APPROVER"]}],
}
VALID: dict[str, Any] = {
    "server": {"public_url": "https://approvals.acme.test"},
    "slack": {"bot_token": "xoxb-1-2-abc", "signing_secret": SIGNING_SECRET},
    "local": {"templates": [PURCHASE]},
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's shell must not leak into these tests."""
    for variable in [*SECRET_ENV.values(), "PORT", CONFIG_ENV]:
        monkeypatch.delenv(variable, raising=False)


def configured(**sections: dict[str, Any]) -> Config:
    raw: dict[str, Any] = {name: dict(values) for name, values in VALID.items()}
    for name, values in sections.items():
        if name == "users":
            raw["users"] = values
        else:
            raw.setdefault(name, {}).update(values)
    return from_dict(raw, {})


def errors_of(config: Config) -> list[Problem]:
    return [p for p in problems(config) if p.severity == "error"]


def only_error(config: Config, key: str) -> Problem:
    """The configuration has exactly one error, about `key`."""
    found = errors_of(config)
    assert [p.key for p in found] == [key], found
    return found[0]


def test_the_valid_baseline_has_no_problems() -> None:
    assert problems(configured()) == []


# --- config.example.toml --------------------------------------------------------------------------


def documented_keys(text: str) -> set[str]:
    """Every `section.key` the example shows, whether set or commented out (`# key = ...`)."""
    keys: set[str] = set()
    section = ""
    for line in text.splitlines():
        header = re.match(r"^#?\s*\[\[?([\w.]+)\]\]?\s*(#.*)?$", line)
        if header:
            section = header.group(1)
            keys.add(section)
            continue
        assignment = re.match(r"^#?\s*(\w+)\s*=", line)
        if assignment and section:
            keys.add(f"{section}.{assignment.group(1)}")
    return keys


# Every placeholder the untouched example holds, by key: check-config must name each one.
EXAMPLE_PLACEHOLDERS = {
    "server.public_url",
    "slack.bot_token",
    "slack.signing_secret",
    "slack.admins",
    "wecom.corp_id",
    "wecom.secret",
    "wecom.token",
    "wecom.encoding_aes_key",
    "wecom.approval_url_template",
}


def test_the_untouched_example_is_refused_naming_each_placeholder() -> None:
    config = load_config(EXAMPLE, env={})
    assert config.source == str(EXAMPLE)
    assert config.unknown_keys == ()
    errors = errors_of(config)
    assert {p.key for p in errors} == EXAMPLE_PLACEHOLDERS, errors
    assert len(errors) == len(EXAMPLE_PLACEHOLDERS)  # each once
    assert all("placeholder" in p.message for p in errors)
    assert all(p.source.endswith(f" in {EXAMPLE}") for p in errors)
    assert "[slack] bot_token in" in str(next(p for p in errors if p.key == "slack.bot_token"))
    assert config.wecom.callbacks_enabled and config.wecom.api_enabled
    assert not config.fxiaoke.enabled
    assert config.store.path == "data/approvals.json"


@pytest.mark.parametrize(
    "value",
    ["xoxb-your-bot-token", "xoxb-...", "xoxb-<token>", "xoxb-changeme", "xoxb-XXXXXXXX", "xoxb-placeholder"],
)
def test_placeholders_are_recognized_by_shape_too(value: str) -> None:
    message = only_error(configured(slack={"bot_token": value}), "slack.bot_token").message
    assert message.startswith("still a placeholder") and "OAuth & Permissions" in message


def test_example_documents_every_contract_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    documented = documented_keys(text)
    live = {f"{section}.{key}" for section, values in raw.items() for key in values}
    contract = {f"{section}.{key}" for section, keys in CONTRACT.items() for key in keys}
    contract |= {"local.templates"}
    assert contract <= documented, contract - documented
    assert contract - live == COMMENTED_OUT
    assert "users" in raw and isinstance(raw["users"], dict)  # [users] exists, empty in the example
    assert {"local.templates.alias", "local.templates.controls", "local.templates.process"} <= documented


def test_dataclasses_hold_every_contract_key() -> None:
    for section, keys in CONTRACT.items():
        fields = set(DATACLASSES[section].__dataclass_fields__)
        assert keys <= fields, (section, keys - fields)
    assert {"users", "local_templates", "server", "store", "slack", "wecom", "fxiaoke", "schedule"} <= set(
        Config.__dataclass_fields__
    )
    config = from_dict(
        {"users": {"U012ABCDEF": "WangXiaoMing"}, "local": {"templates": [{"alias": "purchase"}]}}, {}
    )
    assert config.users == {"U012ABCDEF": "WangXiaoMing"}
    assert config.local_templates == ({"alias": "purchase"},)
    assert config.unknown_keys == ()


def test_store_path_is_a_path() -> None:
    assert configured(store={"path": "state/db.json"}).store_path == Path("state/db.json")


# --- environment overrides ------------------------------------------------------------------------

ENV_OVERRIDES = [
    ("SLACK_BOT_TOKEN", "slack", "bot_token"),
    ("SLACK_SIGNING_SECRET", "slack", "signing_secret"),
    ("SLACK_APP_TOKEN", "slack", "app_token"),
    ("WECOM_CORP_ID", "wecom", "corp_id"),
    ("WECOM_SECRET", "wecom", "secret"),
    ("WECOM_TOKEN", "wecom", "token"),
    ("WECOM_ENCODING_AES_KEY", "wecom", "encoding_aes_key"),
]


@pytest.mark.parametrize(("variable", "section", "key"), ENV_OVERRIDES)
def test_env_overrides_the_file(tmp_path: Path, variable: str, section: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[{section}]\n{key} = "from-file"\n', encoding="utf-8")
    assert getattr(getattr(load_config(path, env={}), section), key) == "from-file"
    config = load_config(path, env={variable: "from-env"})
    assert getattr(getattr(config, section), key) == "from-env"


@pytest.mark.parametrize(("variable", "section", "key"), ENV_OVERRIDES)
def test_env_fills_a_key_the_file_leaves_out(tmp_path: Path, variable: str, section: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    assert getattr(getattr(load_config(path, env={variable: "v"}), section), key) == "v"


def test_every_listed_secret_variable_overrides() -> None:
    env = {variable: f"env-{key}" for (_, key), variable in SECRET_ENV.items()}
    config = from_dict({}, env)
    for (section, key), variable in SECRET_ENV.items():
        assert getattr(getattr(config, section), key) == env[variable], variable


def test_empty_env_variable_does_not_erase_the_file() -> None:
    config = from_dict({"slack": {"bot_token": "xoxb-file"}}, {"SLACK_BOT_TOKEN": ""})
    assert config.slack.bot_token == "xoxb-file"


def test_os_environ_is_the_default_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[slack]\nbot_token = "xoxb-file"\n', encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    assert load_config(path).slack.bot_token == "xoxb-env"


def test_port_env_sets_port_only_when_the_file_does_not() -> None:
    assert from_dict({}, {}).server.port == 3000
    assert from_dict({}, {"PORT": "8080"}).server.port == 8080
    assert from_dict({"server": {"host": "127.0.0.1"}}, {"PORT": "8080"}).server.port == 8080
    assert from_dict({"server": {"port": 4000}}, {"PORT": "8080"}).server.port == 4000


def test_a_bad_port_env_is_reported_not_raised() -> None:
    config = from_dict(VALID, {"PORT": "http"})
    assert "'http'" in only_error(config, "server.port").message


# --- which file -----------------------------------------------------------------------------------


def test_explicit_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CONFIG_ENV, "from-env.toml")
    assert config_path("explicit.toml") == Path("explicit.toml")


def test_env_variable_is_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "from-env.toml"))
    assert config_path(None) == tmp_path / "from-env.toml"


def test_config_toml_in_the_working_directory_is_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_path(None) == Path("config.toml")
    monkeypatch.setenv(CONFIG_ENV, "")  # set but empty counts as unset
    assert config_path(None) == Path("config.toml")


def test_resolution_order_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("explicit", "env", "cwd"):
        (tmp_path / f"{name}.toml").write_text(f'[server]\nhost = "{name}"\n', encoding="utf-8")
    (tmp_path / "config.toml").write_text('[server]\nhost = "cwd"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def host(explicit: str | None) -> str:
        return load_config(config_path(explicit), env={}).server.host

    assert host(None) == "cwd"
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "env.toml"))
    assert host(None) == "env"
    assert host(str(tmp_path / "explicit.toml")) == "explicit"


# --- unreadable files -----------------------------------------------------------------------------


def test_invalid_toml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[slack]\nbot_token = "xoxb-unterminated\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    assert "not valid TOML" in message
    assert "line 2" in message  # tomllib's position helps find the mistake


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[server]\nhost = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="cannot read") as info:
        load_config(path, env={})
    assert str(path) in str(info.value)


def test_missing_file_is_a_config_error_that_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "config.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    assert "not found" in message
    assert "config.example.toml" in message
    assert "--config" in message and CONFIG_ENV in message


def test_missing_file_allowed_when_not_required(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml", env={"SLACK_BOT_TOKEN": "xoxb-env"}, required=False)
    assert config.source == "(defaults)"
    assert config.slack.bot_token == "xoxb-env"
    assert config.server == ServerConfig()


# --- problems(), one mistake at a time ------------------------------------------------------------


def test_missing_bot_token() -> None:
    config = configured(slack={"bot_token": ""})
    message = only_error(config, "slack.bot_token").message
    assert message.startswith("missing")
    assert "xoxb-" in message and "SLACK_BOT_TOKEN" in message


def test_bot_token_must_be_a_bot_token() -> None:
    for wrong in ("xoxp-user-token", "xapp-1-app-token", "just-a-string"):
        message = only_error(configured(slack={"bot_token": wrong}), "slack.bot_token").message
        assert "starts with 'xoxb-'" in message
        assert wrong not in message  # never echo a secret


def test_app_token_must_be_an_app_token() -> None:
    message = only_error(configured(slack={"app_token": "xoxb-wrong"}), "slack.app_token").message
    assert "starts with 'xapp-'" in message
    assert "Socket Mode" in message


def test_missing_signing_secret() -> None:
    message = only_error(configured(slack={"signing_secret": ""}), "slack.signing_secret").message
    assert message.startswith("missing")
    assert "/slack/events" in message and "SLACK_SIGNING_SECRET" in message


def test_signing_secret_not_needed_with_socket_mode() -> None:
    assert problems(configured(slack={"signing_secret": "", "app_token": "xapp-1-A1-abc"})) == []


def test_a_short_aes_key_is_reported_once() -> None:
    config = configured(wecom=_wecom(encoding_aes_key=AES_KEY[:40]))
    problem = only_error(config, "wecom.encoding_aes_key")
    assert problem.message == "must be 43 characters, got 40"
    assert AES_KEY[:40] not in str(problem)  # never echo key material


def test_aes_key_of_43_characters_with_foreign_characters() -> None:
    key = "-" + AES_KEY[1:-1] + "_"  # URL-safe base64 is not what WeCom uses
    assert len(key) == 43
    message = only_error(configured(wecom=_wecom(encoding_aes_key=key)), "wecom.encoding_aes_key").message
    assert "contains 2 character(s) that are not base64" in message


def test_aes_key_of_43_characters_that_does_not_decode_to_32_bytes() -> None:
    key = " " + AES_KEY[:42]  # pasted with a leading space: still 43 characters
    assert len(key) == 43
    message = only_error(configured(wecom=_wecom(encoding_aes_key=key)), "wecom.encoding_aes_key").message
    assert message == "has leading or trailing whitespace; does not decode to 32 bytes"  # one line, once


def test_a_good_aes_key_has_no_problem() -> None:
    assert errors_of(configured(wecom=_wecom())) == []


def test_incomplete_callback_trio() -> None:
    config = configured(wecom=_wecom(encoding_aes_key=""))
    message = only_error(config, "wecom.encoding_aes_key").message
    assert message.startswith("missing")
    assert "token and encoding_aes_key together" in message
    assert not config.wecom.callbacks_enabled


def test_token_alone_names_every_missing_part_once() -> None:
    found = errors_of(configured(wecom={"token": "callback-token"}))
    assert sorted(p.key for p in found) == ["wecom.corp_id", "wecom.encoding_aes_key", "wecom.secret"]
    assert all(p.message.startswith("missing") for p in found)


def test_a_missing_wecom_secret_is_an_error_when_wecom_is_configured() -> None:
    message = only_error(configured(wecom=_wecom(secret="")), "wecom.secret").message
    assert message.startswith("missing: WeCom is configured") and "WECOM_SECRET" in message
    templates_only = errors_of(configured(wecom={"templates": {"leave": "3TkaH5KFbrG9heEQ"}}))
    assert sorted(p.key for p in templates_only) == ["wecom.corp_id", "wecom.secret"]


def test_users_key_must_be_a_slack_user_id() -> None:
    message = only_error(configured(users={"wang.xiaoming": "WangXiaoMing"}), "users").message
    assert "'wang.xiaoming' is not a Slack user id" in message
    assert "the key is the Slack id" in message


def test_users_reversed_mapping_is_explained() -> None:
    # A common mistake: WeCom userid on the left, Slack id on the right.
    message = only_error(configured(users={"WangXiaoMing": "U012ABCDEF"}), "users").message
    assert "'WangXiaoMing' is not a Slack user id" in message


def test_users_empty_wecom_id() -> None:
    message = only_error(configured(users={"U012ABCDEF": " "}), "users").message
    assert "U012ABCDEF" in message and "WeCom userid is empty" in message


def test_wecom_user_mapped_twice() -> None:
    config = configured(users={"U012ABCDEF": "WangXiaoMing", "U034GHIJKL": "WangXiaoMing"})
    message = only_error(config, "users").message
    assert "'WangXiaoMing' is mapped twice" in message
    assert "U012ABCDEF" in message and "U034GHIJKL" in message


def test_bad_admin_id() -> None:
    message = only_error(configured(slack={"admins": ["alice"]}), "slack.admins").message
    assert "'alice' is not a Slack user id" in message


def test_bad_audit_channel() -> None:
    message = only_error(configured(slack={"audit_channel": "#approvals"}), "slack.audit_channel").message
    assert "'#approvals' is not a channel id" in message
    assert problems(configured(slack={"audit_channel": "C012ABCDEF"})) == []


def test_unknown_language() -> None:
    message = only_error(configured(slack={"language": "fr"}), "slack.language").message
    assert "must be one of zh_CN, en" in message and "'fr'" in message
    assert problems(configured(slack={"language": "en"})) == []


def test_approval_url_template_without_sp_no() -> None:
    config = configured(wecom=_wecom(approval_url_template="https://wecom.acme.test/approval"))
    message = only_error(config, "wecom.approval_url_template").message
    assert "must contain {sp_no}" in message


def test_approval_url_template_with_third_no_is_fine() -> None:
    assert (
        errors_of(configured(wecom=_wecom(approval_url_template="https://wecom.acme.test/?n={third_no}")))
        == []
    )


@pytest.mark.parametrize(
    ("section", "key", "value", "fragment"),
    [
        ("server", "port", "http", "must be a whole number, got 'http'"),
        ("server", "port", 80.5, "must be a whole number, got 80.5"),
        ("server", "port", True, "must be a whole number, got True"),
        ("server", "port", "²", "must be a whole number"),
        ("server", "port", 0, "must be a port from 1 to 65535, got 0"),
        ("server", "port", -1, "must be a port from 1 to 65535, got -1"),
        ("server", "port", 99999, "must be a port from 1 to 65535, got 99999"),
        ("server", "link_ttl_hours", 0, "must be greater than 0, got 0"),
        ("schedule", "sweep_minutes", "ten", "must be a whole number, got 'ten'"),
        ("schedule", "sweep_minutes", 0, "must be greater than 0, got 0"),
        ("schedule", "remind_after_hours", 1.5, "must be a whole number"),
        ("server", "threads", 0, "must be greater than 0"),
    ],
)
def test_numbers_must_be_positive_whole_numbers(section: str, key: str, value: Any, fragment: str) -> None:
    message = only_error(configured(**{section: {key: value}}), f"{section}.{key}").message
    assert fragment in message


def test_numbers_written_as_strings_are_accepted() -> None:
    assert problems(configured(server={"port": "8080"}, schedule={"sweep_minutes": "5"})) == []


def test_public_url_needs_a_scheme_and_is_warned_about_when_missing() -> None:
    message = only_error(configured(server={"public_url": "bot.example.com"}), "server.public_url").message
    assert "http://" in message
    found = problems(configured(server={"public_url": ""}))
    assert [(p.severity, p.key) for p in found] == [("warning", "server.public_url")]
    assert "not set" in found[0].message


def test_unknown_keys_are_warnings() -> None:
    raw = {**VALID, "slack": {**VALID["slack"], "bot_tokn": "xoxb-typo"}, "sever": {"port": 1}}
    raw["local"] = {**VALID["local"], "templtes": []}
    found = problems(from_dict(raw, {}))
    assert all(p.severity == "warning" for p in found), found
    assert sorted(p.key for p in found) == ["local.templtes", "sever", "slack.bot_tokn"]
    assert all("unknown key (typo?)" in p.message and "ignored" in p.message for p in found)


def test_unknown_nested_table_is_a_warning_but_aliases_are_free() -> None:
    raw = {**VALID, "wecom": {"templtes": {"leave": "x"}, "templates": {"anything": "id"}}}
    found = problems(from_dict(raw, {}))
    assert [(p.severity, p.key) for p in found if "unknown" in p.message] == [("warning", "wecom.templtes")]


def test_every_problem_is_listed_at_once() -> None:
    config = configured(
        slack={"bot_token": "", "signing_secret": "", "language": "fr", "audit_channel": "general"},
        server={"port": 0},
        users={"alice": "Alice"},
    )
    keys = {p.key for p in errors_of(config)}
    assert keys == {
        "slack.bot_token",
        "slack.signing_secret",
        "slack.language",
        "slack.audit_channel",
        "server.port",
        "users",
    }


def test_problem_prints_as_one_line() -> None:
    assert str(Problem("error", "slack.bot_token", "missing")) == "error: slack.bot_token: missing"


def _wecom(**overrides: str) -> dict[str, str]:
    values = {
        "corp_id": CORP_ID,
        "secret": "app-secret",
        "token": "callback-token",
        "encoding_aes_key": AES_KEY,
        "approval_url_template": "https://wecom.acme.test/approval?sp_no={sp_no}",
    }
    return {**values, **overrides}


@pytest.mark.parametrize(
    ("raw", "key", "fragment"),
    [
        ({"server": 5}, "server", "must be a [server] table"),
        ({"users": ["a"]}, "users", "must be a [users] table"),
        ({"slack": {"admins": "U0123ADMIN"}}, "slack.admins", "expected a list of Slack user ids"),
        ({"slack": {"bot_token": 7}}, "slack.bot_token", "expected a string, got a number"),
        ({"wecom": {"templates": "leave"}}, "wecom.templates", 'expected a table of alias = "template id"'),
        ({"local": {"templates": 3}}, "local.templates", "expected a list of [[local.templates]] tables"),
    ],
)
def test_values_of_the_wrong_shape_are_reported_not_raised(raw: dict, key: str, fragment: str) -> None:
    found = [p for p in problems(from_dict(raw, {})) if p.key == key and p.severity == "error"]
    assert any(fragment in p.message for p in found), found


@pytest.mark.parametrize(
    ("flow", "fragment"),
    [
        ({"nodes": [{"type": 4, "pick": True}]}, "type must be 1"),
        ({"nodes": [{"type": 1, "pick": True}]}, "apv_rel must be 1"),
        ({"nodes": [{"type": 2}]}, "give users"),
        ({"nodes": [{"type": 2, "users": ["alice"]}]}, "Slack user ids"),
        ({"nodes": "approvers"}, "nodes must be a list"),
        ({"choose_department": "yes"}, "true or false"),
    ],
)
def test_wecom_flows_are_checked_in_plain_words(flow: dict, fragment: str) -> None:
    raw = {"wecom": {"templates": {"seal": "tmpl"}, "flows": {"seal": flow}}}
    found = [p for p in problems(from_dict(raw, {})) if p.key == "wecom.flows.seal"]
    assert any(fragment in p.message for p in found), found


def test_a_flow_for_a_template_that_does_not_exist_is_named() -> None:
    raw = {"wecom": {"templates": {}, "flows": {"seal": {"choose_department": True}}}}
    [problem] = [p for p in problems(from_dict(raw, {})) if p.key == "wecom.flows.seal"]
    assert "no template 'seal'" in problem.message


@pytest.mark.parametrize("hour", [24, -1, "9"])
def test_digest_hour_must_be_an_hour(hour: object) -> None:
    found = [
        p
        for p in problems(from_dict({"schedule": {"digest_hour": hour}}, {}))
        if p.key == "schedule.digest_hour"
    ]
    assert found and "0 to 23" in found[0].message


def test_the_agent_id_may_be_written_as_the_number_the_console_shows() -> None:
    as_number = from_dict({"wecom": {"agent_id": 1000002}}, {})
    assert as_number.wecom.agent_id == "1000002" and not as_number.wrong_types
    assert from_dict({"wecom": {"agent_id": "1000002"}}, {}).wecom.agent_id == "1000002"
    assert from_dict({"wecom": {"agent_id": True}}, {}).wrong_types  # a bool is no id
    assert from_dict({"wecom": {"corp_id": 12345}}, {}).wrong_types  # only ids shown as numbers


# --- where a value came from ----------------------------------------------------------------------


def test_a_wrong_value_from_the_environment_is_named_by_its_variable(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[slack]\nbot_token = "xoxb-from-file"\n', encoding="utf-8")
    config = load_config(path, env={"SLACK_BOT_TOKEN": "xoxp-user-token", "PORT": "99999"})
    token = next(p for p in problems(config) if p.key == "slack.bot_token")
    assert token.source == "environment variable SLACK_BOT_TOKEN"
    assert str(token) == "error: environment variable SLACK_BOT_TOKEN: a bot token starts with 'xoxb-'"
    port = next(p for p in problems(config) if p.key == "server.port")
    assert port.source == "environment variable PORT" and "1 to 65535" in port.message


def test_a_wrong_value_from_the_file_is_named_by_its_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[wecom]\ncorp_id = "corp"\n', encoding="utf-8")
    corp = next(p for p in problems(load_config(path, env={})) if p.key == "wecom.corp_id")
    assert corp.source == f"[wecom] corp_id in {path}"
    assert str(corp).startswith(f"error: [wecom] corp_id in {path}: a WeCom corp id is 'ww'")


def test_a_value_of_the_wrong_type_is_one_problem_saying_what_is_expected() -> None:
    found = [p for p in problems(configured(slack={"admins": "U012ABCDEF"})) if p.key == "slack.admins"]
    assert [p.message for p in found] == [
        "expected a list of Slack user ids, like [\"U012ABCDEF\"], got a string ('U012ABCDEF')"
    ]
    [token] = [p for p in problems(configured(slack={"bot_token": 7})) if p.key == "slack.bot_token"]
    assert token.message == "expected a string, got a number"  # not also "missing"; secrets not echoed
    [forms] = [p for p in problems(configured(fxiaoke={"forms": [1]})) if p.key == "fxiaoke.forms"]
    assert "got a list holding a number" in forms.message


# --- formats of ids, secrets and addresses --------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"signing_secret": "s3cret"}, "slack.signing_secret", "32 hexadecimal characters"),
        ({"signing_secret": SIGNING_SECRET.upper()}, "slack.signing_secret", "32 hexadecimal characters"),
        ({"admins": ["C012ABCDEF"]}, "slack.admins", "'C012ABCDEF' is not a Slack user id"),
        ({"app_token": "xapp-..."}, "slack.app_token", "placeholder"),
    ],
)
def test_slack_secrets_and_ids_have_their_shape(values: dict, key: str, fragment: str) -> None:
    message = only_error(configured(slack=values), key).message
    assert fragment in message
    if key == "slack.signing_secret":
        assert values["signing_secret"] not in message  # never echo a secret


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"corp_id": "ww0123"}, "wecom.corp_id", "'ww' (or 'wx') and 16 hexadecimal"),
        ({"corp_id": "wecom-corp"}, "wecom.corp_id", "'ww' (or 'wx') and 16 hexadecimal"),
        ({"agent_id": "app-one"}, "wecom.agent_id", "a number like 1000002"),
        ({"secret": "your-app-secret"}, "wecom.secret", "placeholder"),
        ({"token": "your-callback-token"}, "wecom.token", "placeholder"),
        (
            {"encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"},
            "wecom.encoding_aes_key",
            "sample",
        ),
    ],
)
def test_wecom_ids_and_secrets_have_their_shape(values: dict, key: str, fragment: str) -> None:
    message = only_error(configured(wecom=_wecom(**values)), key).message
    assert fragment in message or (fragment == "sample" and "placeholder" in message)


def test_wx_corp_ids_and_numeric_agent_ids_are_fine() -> None:
    assert errors_of(configured(wecom=_wecom(corp_id="wx5823bf96d3bd56c7", agent_id="1000002"))) == []


def test_open_templates_need_the_agent_id() -> None:
    config = configured(wecom={**_wecom(), "open_templates": {"payment": "1234567111"}})
    assert "launch pages" in only_error(config, "wecom.agent_id").message


@pytest.mark.parametrize(
    ("section", "key", "url", "fragment"),
    [
        ("server", "public_url", "ftp://bot.acme.test", "http:// or https://"),
        ("server", "public_url", "http://bot.acme.test", "must start with https://"),
        ("server", "public_url", "https://approvals.example.com", "placeholder"),
        ("slack", "api_url", "slack.com/api/", "http:// or https://"),
        ("slack", "api_url", "https://slack.com/api", "must end with '/'"),
        ("wecom", "api_base", "file:///etc/", "http:// or https://"),
        ("fxiaoke", "api_base", "https:///cgi/", "names a host"),
    ],
)
def test_addresses_have_a_scheme_and_a_host(section: str, key: str, url: str, fragment: str) -> None:
    assert fragment in only_error(configured(**{section: {key: url}}), f"{section}.{key}").message


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000", "http://localhost:3000/", "http://[::1]:8080"])
def test_plain_http_public_url_is_fine_on_loopback(url: str) -> None:
    assert problems(configured(server={"public_url": url})) == []


# --- warnings when the bot would do nothing -------------------------------------------------------


def test_nothing_to_file_or_sweep_is_a_warning() -> None:
    found = problems(configured(local={"templates": []}))
    assert [(p.severity, p.key) for p in found] == [("warning", "local.templates")]
    assert "nothing can be filed or swept" in found[0].message


def test_wecom_without_templates_warns_that_nothing_can_be_filed() -> None:
    found = problems(configured(local={"templates": []}, wecom=_wecom()))
    assert [(p.severity, p.key) for p in found] == [("warning", "local.templates")]
    assert (
        "nothing can be filed from Slack" in found[0].message and "/approval-admin track" in found[0].message
    )


def test_a_broken_local_template_is_an_error() -> None:
    broken = {**PURCHASE, "process": [{"type": 1, "apv_rel": 1, "users": ["U_APPROVER_A"]}]}
    message = only_error(configured(local={"templates": [broken]}), "local.templates").message
    assert "'U_APPROVER_A' is not a Slack user id" in message

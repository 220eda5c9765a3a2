"""`approvals-bot init`: answers from the environment or the terminal, a file check-config accepts,
written for its owner only and never over an existing one without --force."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.config import CONFIG_ENV, SECRET_ENV, load_config
from bot.config_check import problems
from bot.init_config import ADMINS_ENV, QUESTIONS, InitError, run_init
from bot.providers.local.engine import template_from_config

ANSWERS = {
    "SLACK_BOT_TOKEN": "xoxb-111-222-abcdef",
    "SLACK_APP_TOKEN": "xapp-1-A111-222-abcdef",
    "SLACK_SIGNING_SECRET": "ccf9b3dcbb6e86223886892b9ad410b5",
    ADMINS_ENV: "U0ADMIN1, U0ADMIN2",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in [*SECRET_ENV.values(), ADMINS_ENV, "PORT", CONFIG_ENV]:
        monkeypatch.delenv(variable, raising=False)
    yield


def no_terminal(prompt: str) -> str:
    raise AssertionError(f"asked {prompt!r} although everything was given")


def quiet(line: str) -> None:
    """init's progress lines, not under test here."""


def test_the_variables_init_reads_are_the_ones_the_config_reads() -> None:
    variables = {q.key: q.variable for q in QUESTIONS}
    for key in ("bot_token", "app_token", "signing_secret"):
        assert variables[key] == SECRET_ENV[("slack", key)]


def test_non_interactive_from_the_environment_writes_a_file_check_config_accepts(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    code = run_init(path, interactive=False, env=ANSWERS, ask=no_terminal, ask_secret=no_terminal, say=quiet)
    assert code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds tokens
    config = load_config(path, env={})
    assert problems(config) == []  # not even a warning
    assert config.slack.app_token == ANSWERS["SLACK_APP_TOKEN"]  # Socket Mode: no public host needed
    assert config.slack.admins == ("U0ADMIN1", "U0ADMIN2")
    assert len(config.server.link_secret) == 64
    assert [t["alias"] for t in config.local_templates] == ["purchase", "leave"]
    for entry in config.local_templates:
        template = template_from_config(entry)
        assert template.process[0].users == ("U0ADMIN1", "U0ADMIN2")
    assert not config.wecom.configured and not config.fxiaoke.configured
    assert config.store_path.is_absolute() and config.store_path.parent == tmp_path / "data"


def test_every_run_makes_fresh_secrets(tmp_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        run_init(tmp_path / name, interactive=False, env=ANSWERS, say=quiet)
    first, second = (load_config(tmp_path / n, env={}).server.link_secret for n in ("a.toml", "b.toml"))
    assert first != second


def test_interactive_asks_what_the_environment_lacks_and_secrets_without_echo(tmp_path: Path) -> None:
    asked: list[str] = []
    hidden: list[str] = []
    env = {k: v for k, v in ANSWERS.items() if k != "SLACK_SIGNING_SECRET" and k != ADMINS_ENV}

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "U0BOSS"

    def ask_secret(prompt: str) -> str:
        hidden.append(prompt)
        return ANSWERS["SLACK_SIGNING_SECRET"]

    path = tmp_path / "config.toml"
    assert run_init(path, env=env, ask=ask, ask_secret=ask_secret, say=quiet) == 0
    assert len(asked) == 1 and "admins" in asked[0]
    assert len(hidden) == 1 and "signing secret" in hidden[0]
    config = load_config(path, env={})
    assert config.slack.admins == ("U0BOSS",)
    assert config.slack.signing_secret == ANSWERS["SLACK_SIGNING_SECRET"]


def test_non_interactive_names_everything_missing_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(InitError) as info:
        run_init(path, interactive=False, env={"SLACK_BOT_TOKEN": ANSWERS["SLACK_BOT_TOKEN"]}, say=quiet)
    message = str(info.value)
    for variable in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", ADMINS_ENV):
        assert variable in message
    assert "SLACK_BOT_TOKEN" not in message
    assert not path.exists()


def test_answers_check_config_refuses_are_explained_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    said: list[str] = []
    env = {**ANSWERS, "SLACK_BOT_TOKEN": "xoxp-a-user-token", ADMINS_ENV: "alice"}
    assert run_init(path, interactive=False, env=env, say=said.append) == 1
    text = "\n".join(said)
    assert "a bot token starts with 'xoxb-'" in text and "'alice' is not a Slack user id" in text
    assert "xoxp-a-user-token" not in text  # never echo a secret
    assert not path.exists()


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\n", encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(InitError, match="--force"):
        run_init(path, interactive=False, env=ANSWERS, say=quiet)
    assert path.read_text(encoding="utf-8") == "# mine\n"
    assert run_init(path, force=True, interactive=False, env=ANSWERS, say=quiet) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert problems(load_config(path, env={})) == []


def test_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable, value in ANSWERS.items():
        monkeypatch.setenv(variable, value)
    path = tmp_path / "sub" / "config.toml"
    assert cli.main(["init", "--non-interactive", "--path", str(path), "--language", "en"]) == 0
    assert f"Wrote {path}" in capsys.readouterr().out
    assert cli.main(["check-config", "--config", str(path)]) == 0
    assert "OK (0 warning(s))" in capsys.readouterr().out
    assert cli.main(["init", "--non-interactive", "--path", str(path)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    monkeypatch.delenv("SLACK_APP_TOKEN")
    assert cli.main(["init", "--non-interactive", "--path", str(tmp_path / "other.toml"), "--force"]) == 2
    assert "missing: app_token ($SLACK_APP_TOKEN)" in capsys.readouterr().err

"""`approvals-bot init`: a working config.toml for the embedded engine, so `serve` runs on a laptop.

Socket Mode (an app-level token) means no public host is needed; fresh secrets are made here; the
Slack tokens and the admins are asked for (secrets without echo) or read from the environment. The
file is checked with the same `problems()` as `check-config` before it is written, and only then.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from bot.config import SECRET_ENV, from_dict
from bot.config_check import problems

ADMINS_ENV = "APPROVALS_BOT_ADMINS"  # init only: comma-separated Slack member ids
DEFAULT_PORT = 3000


class InitError(Exception):
    """Nothing was written: the file exists, or an answer is missing."""


@dataclass(frozen=True)
class Question:
    """One value init cannot make up: asked for, or read from `variable`."""

    key: str  # the [slack] key it fills
    variable: str
    prompt: str
    secret: bool  # asked without echo


QUESTIONS = (
    Question(
        "bot_token",
        SECRET_ENV[("slack", "bot_token")],
        "Slack bot token (xoxb-..., the app's OAuth & Permissions page)",
        secret=True,
    ),
    Question(
        "app_token",
        SECRET_ENV[("slack", "app_token")],
        "Slack app-level token for Socket Mode (xapp-..., Basic Information -> App-Level Tokens, "
        "scope connections:write)",
        secret=True,
    ),
    Question(
        "signing_secret",
        SECRET_ENV[("slack", "signing_secret")],
        "Slack signing secret (Basic Information -> App Credentials)",
        secret=True,
    ),
    Question(
        "admins",
        ADMINS_ENV,
        "Slack member ids of the admins, comma-separated (they approve the example templates)",
        secret=False,
    ),
)


def gather(
    env: Mapping[str, str],
    *,
    interactive: bool,
    ask: Callable[[str], str],
    ask_secret: Callable[[str], str],
    say: Callable[[str], None],
) -> dict[str, str]:
    """Every answer, from the environment first; without a terminal to ask, every missing one is named."""
    answers: dict[str, str] = {}
    missing: list[Question] = []
    for question in QUESTIONS:
        value = env.get(question.variable, "").strip()
        if value:
            say(f"{question.key}: from ${question.variable}")
        elif interactive:
            try:
                value = (ask_secret if question.secret else ask)(f"{question.prompt}: ").strip()
            except EOFError:
                value = ""
        if value:
            answers[question.key] = value
        else:
            missing.append(question)
    if missing:
        names = ", ".join(f"{q.key} (${q.variable})" for q in missing)
        how = "set them in the environment" if not interactive else "answer every question"
        raise InitError(f"missing: {names}; {how}. Nothing was written.")
    return answers


def render(answers: Mapping[str, str], store_path: Path, language: str, link_secret: str) -> str:
    """The config file's text: the answers, fresh secrets and two example templates."""
    admins = [a for a in re.split(r"[\s,]+", answers["admins"]) if a]
    approvers = _toml(admins)
    return f"""# Written by `approvals-bot init`: the embedded engine, Slack over Socket Mode, no public host.
# `approvals-bot check-config` explains every key; config.example.toml documents them all.

[server]
host = "127.0.0.1"
port = {DEFAULT_PORT}
# Approve links start with this; put your https:// address here if you serve it publicly.
public_url = "http://127.0.0.1:{DEFAULT_PORT}"
# Signs approve links. Made fresh by init; keep it secret.
link_secret = {_toml(link_secret)}

[store]
path = {_toml(str(store_path))}

[slack]
bot_token = {_toml(answers["bot_token"])}
# Socket Mode: Slack traffic comes over a connection the bot opens, so no public URL is needed.
app_token = {_toml(answers["app_token"])}
signing_secret = {_toml(answers["signing_secret"])}
admins = {approvers}
language = {_toml(language)}
api_url = "https://slack.com/api/"

# Two example templates of the embedded engine: `/approval new purchase` and `/approval new leave`.
# Change the controls and the approvers (Slack member ids) to fit; see config.example.toml.
[[local.templates]]
alias = "purchase"
name = "采购申请 Purchase"
controls = [
  {{ control = "Text", id = "Text-1", title = "采购事由 What for", require = true }},
  {{ control = "Money", id = "Money-1", title = "金额 Amount", require = true }},
]
process = [
  {{ type = 1, apv_rel = 2, users = {approvers} }},  # any one of the admins approves (或签)
]

[[local.templates]]
alias = "leave"
name = "请假 Leave"
controls = [
  {{ control = "Selector", id = "Selector-1", title = "类型 Type", require = true, options = [
    {{ key = "annual", text = "年假 Annual" }},
    {{ key = "sick", text = "病假 Sick" }},
  ] }},
  {{ control = "DateRange", id = "DateRange-1", title = "时间 When", require = true, date_type = "halfday" }},
  {{ control = "Textarea", id = "Textarea-1", title = "事由 Reason" }},
]
process = [
  {{ type = 1, apv_rel = 2, users = {approvers} }},
]
"""


def _toml(value: str | list[str]) -> str:
    """A TOML basic string (or array of them): JSON's escapes are TOML's."""
    return json.dumps(value, ensure_ascii=False)


def write_private(path: Path, text: str, *, force: bool) -> None:
    """Write `text` readable by its owner only (it holds tokens); an existing file only with `force`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise InitError(f"{path} exists; pass --force to overwrite it") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(fd, 0o600)  # an overwritten file keeps its old mode otherwise
        file.write(text)


def run_init(
    path: Path,
    *,
    force: bool = False,
    interactive: bool = True,
    language: str = "zh_CN",
    env: Mapping[str, str] | None = None,
    ask: Callable[[str], str] = input,
    ask_secret: Callable[[str], str] = getpass.getpass,
    say: Callable[[str], None] = print,
) -> int:
    """Ask, check, write; 0 when the file is written, 1 when the answers do not pass check-config."""
    if path.exists() and not force:
        raise InitError(f"{path} exists; pass --force to overwrite it")
    answers = gather(
        os.environ if env is None else env, interactive=interactive, ask=ask, ask_secret=ask_secret, say=say
    )
    store = (path.parent / "data" / "approvals.json").resolve()
    text = render(answers, store, language, secrets.token_hex(32))
    errors = [p for p in problems(from_dict(tomllib.loads(text), {}, str(path))) if p.severity == "error"]
    if errors:
        for problem in errors:
            say(f"  {problem}")
        say(f"{len(errors)} error(s) in the answers: nothing was written.")
        return 1
    write_private(path, text, force=force)
    say(f"Wrote {path} (readable by you only).")
    say(f"Next: approvals-bot serve --config {path}")
    return 0

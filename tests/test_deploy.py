"""deploy/: the Dockerfile and the systemd unit hold together with the bot they run.

No Docker engine runs where the tests run, so the image is checked statically (non-root user, the store on
the volume, the default port exposed, the package and its readme copied into the build) and its
HEALTHCHECK command is run as written against a real `serve`. The unit is checked by
`systemd-analyze verify`, which needs no running systemd."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from bot.config import ServerConfig, load_config
from bot.offline.slack_standin import SlackStandIn
from tests.harness import BotProcess
from tests.test_e2e_local import APPLICANT, CC, A, B, C, write_local_config

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
UNIT = ROOT / "deploy" / "approvals-bot.service"
SYSTEM_UNITS = Path("/lib/systemd/system")  # the targets a service's default dependencies name


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def final_stage(dockerfile: Path) -> dict[str, list[str]]:
    """The image's own instructions (after the last FROM), by instruction."""
    steps = instructions(dockerfile)
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    stage: dict[str, list[str]] = {}
    for name, args in steps[last_from:]:
        stage.setdefault(name, []).append(args)
    return stage


def store_dir_of_example(working_directory: str) -> PurePosixPath:
    """Where config.example.toml's store lands when the bot runs in `working_directory`."""
    store = load_config(ROOT / "config.example.toml", env={}).store_path
    return (PurePosixPath(working_directory) / store.as_posix()).parent


def created_users(runs: list[str]) -> list[str]:
    """The users `useradd` makes in these RUN lines (its last argument)."""
    commands = [shlex.split(command) for run in runs for command in run.split("&&")]
    return [words[-1] for words in commands if words and words[0] == "useradd"]


def test_the_image_runs_as_a_user_it_creates_not_root() -> None:
    stage = final_stage(DOCKERFILE)
    [user] = stage["USER"]
    name = user.split(":")[0]
    assert name not in ("root", "0")
    assert any(
        ("useradd" in run and run.rstrip().endswith(name)) or f" {name} " in run for run in stage["RUN"]
    )


def test_the_store_is_on_the_volume_and_the_config_where_the_command_reads_it() -> None:
    stage = final_stage(DOCKERFILE)
    [volume] = [path for args in stage["VOLUME"] for path in json.loads(args)]
    [workdir] = stage["WORKDIR"]
    [command] = [json.loads(args) for args in stage["CMD"]]
    assert command[:2] == ["approvals-bot", "serve"]
    config = PurePosixPath(command[command.index("--config") + 1])
    assert any(str(config.parent) in run for run in stage["RUN"])  # the mount point exists in the image
    # the config mounted there is config.example.toml filled in: its relative store path lands in the volume
    assert store_dir_of_example(workdir).is_relative_to(volume)
    assert PurePosixPath(workdir) == PurePosixPath(volume)


def test_the_image_exposes_the_default_port_and_stops_with_sigterm() -> None:
    stage = final_stage(DOCKERFILE)
    assert stage["EXPOSE"] == [str(ServerConfig().port)]
    assert stage["STOPSIGNAL"] == ["SIGTERM"]  # serve drains on it


def test_the_build_copies_every_package_and_the_readme_pyproject_names() -> None:
    """`pip wheel .` in the build stage needs what pyproject.toml packages and its readme."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {
        src.rstrip("/")
        for name, args in instructions(DOCKERFILE)
        if name == "COPY" and not args.startswith("--from")
        for src in shlex.split(args)[:-1]
    }
    assert packages | {"pyproject.toml", project["project"]["readme"]} <= copied
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert not copied & ignored  # nothing the build copies is left out of its context
    assert {".git", ".venv", "venv", "data", "config.toml"} <= ignored  # nor history, venvs, stores, secrets


def healthcheck_command() -> list[str]:
    [check] = final_stage(DOCKERFILE)["HEALTHCHECK"]
    command = json.loads(check[check.index("CMD") + len("CMD") :].strip())
    assert command[0] == "python" and "/healthz" in command[-1]
    return [sys.executable, *command[1:]]


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[BotProcess]:
    with SlackStandIn(users={u: {} for u in (APPLICANT, A, B, C, CC)}) as slack:
        process = BotProcess(write_local_config(tmp_path, slack.api_url)).start()
        yield process
        process.stop()


def test_the_healthcheck_as_written_passes_on_a_serving_bot_and_fails_without_one(
    serving: BotProcess,
) -> None:
    port = serving.url.rsplit(":", 1)[1]
    healthy = subprocess.run(healthcheck_command(), env={**os.environ, "PORT": port}, capture_output=True)
    assert healthy.returncode == 0, healthy.stderr
    serving.stop()
    gone = subprocess.run(healthcheck_command(), env={**os.environ, "PORT": port}, capture_output=True)
    assert gone.returncode != 0


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_unit_runs_serve_as_its_own_user_on_its_state_directory() -> None:
    unit = unit_settings()
    assert unit["User"] == ["approvals-bot"]
    assert unit["StateDirectory"] == ["approvals-bot"] and unit["ConfigurationDirectory"] == ["approvals-bot"]
    [workdir] = unit["WorkingDirectory"]
    assert workdir == "/var/lib/approvals-bot" and workdir in unit["ReadWritePaths"]
    assert store_dir_of_example(workdir).is_relative_to(workdir)  # the only place it may write
    command = shlex.split(unit["ExecStart"][0])
    assert command[1:3] == ["serve", "--config"] and command[3].startswith("/etc/approvals-bot/")
    assert unit["KillSignal"] == ["SIGTERM"] and unit["Restart"] == ["on-failure"]
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert unit[hardening] == ["yes"], hardening
    assert unit["ProtectSystem"] == ["strict"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_verifies_the_unit_without_a_word(tmp_path: Path) -> None:
    """Verified in a root of its own: the system's targets, the unit, and an executable where the unit
    says the bot is installed (verify checks that the command exists). Unknown keys and bad values are
    only warned about, so the output must be empty as well."""
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system" / UNIT.name)
    program = root / shlex.split(unit_settings()["ExecStart"][0])[0].lstrip("/")
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    verify = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", UNIT.name], capture_output=True, text=True
    )
    assert (verify.returncode, verify.stdout + verify.stderr) == (0, "")

"""The import contracts (`[tool.importlinter]` in pyproject.toml, run by `.ci/run`) hold, and they bite: a
copy of the packages with one wrong-way import added fails `lint-imports`."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USE_CASES = ("service", "submit", "processor", "sweep", "reminders", "admin", "directory", "export")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [shutil.which("lint-imports") or "lint-imports"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [*command, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_packages(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("bot", "handlers"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")


def test_the_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("bot/service.py", "from handlers import cards", "import neither Slack's SDKs nor the Slack edge"),
        ("bot/model.py", "import slack_sdk", "import neither Slack's SDKs nor the Slack edge"),
        ("bot/reminders.py", "import bot.runtime", "import neither Slack's SDKs nor the Slack edge"),
        ("bot/server.py", "import bot.offline.world", "Only the offline world itself and the CLI"),
        ("handlers/decisions.py", "import bot.providers.local.decide", "The Slack edge asks providers"),
        ("handlers/context.py", "import bot.providers.wecom.provider", "The Slack edge asks providers"),
        ("bot/export.py", "import bot.store.tinydb", "Use cases reach the store through its ports"),
        ("bot/config.py", "import bot.providers.wecom.crypto", "the config loader import no provider"),
        ("bot/submit.py", "from bot.providers import registry", "the config loader import no provider"),
        ("handlers/home.py", "import bot.config_check", "The Slack edge asks providers"),
        ("bot/runtime.py", "import bot.scheduling", "The wiring stacks one way"),
        (
            "bot/admin.py",
            "from bot.store.tinydb import StoreReader",
            "Use cases reach the store through its ports",
        ),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    root = copy_of_the_packages(tmp_path)
    assert lint_imports(root).returncode == 0  # the copy as it is: kept
    add_import(root / module, line)
    result = lint_imports(root)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout, result.stdout


def test_use_cases_name_no_provider() -> None:
    """A use case asks what providers declare (their identity, their order in the registry); a provider's
    name as a string in one ("wecom", "wecom_open", ...) is a decision made for the providers."""
    packages = [p.name for p in (ROOT / "bot" / "providers").iterdir() if (p / "__init__.py").exists()]
    assert "wecom" in packages  # the scan looks for something that exists

    def names_a_provider(value: str) -> bool:
        return any(value == package or value.startswith(f"{package}_") for package in packages)

    found = [
        f"bot/{module}.py:{node.lineno}: {node.value!r}"
        for module in USE_CASES
        for node in ast.walk(ast.parse((ROOT / "bot" / f"{module}.py").read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and names_a_provider(node.value)
    ]
    assert found == []


def test_the_generic_config_check_names_no_provider() -> None:
    """`bot/config_check.py` asks the registry for each provider's checks; a provider's section or key
    ("wecom", "[[local.templates]]", "fxiaoke.users") in it would be a check made for that provider."""
    packages = [p.name for p in (ROOT / "bot" / "providers").iterdir() if (p / "__init__.py").exists()]
    assert "local" in packages  # the scan looks for something that exists
    shapes = re.compile(rf"\b({'|'.join(packages)})(\b|_)")

    source = (ROOT / "bot" / "config_check.py").read_text(encoding="utf-8")
    found = [
        f"bot/config_check.py:{node.lineno}: {node.value!r}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and shapes.search(node.value)
    ]
    assert found == []

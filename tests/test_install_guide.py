"""docs/install-slack-app.md against what it describes: the manifest's scopes and the README's first steps.

The manifest is read as lines, not YAML: PyYAML is not among the project's dependencies.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "install-slack-app.md"


def manifest_bot_scopes() -> list[str]:
    """The items under oauth_config.scopes.bot, in order."""
    scopes: list[str] = []
    inside = False
    for line in (ROOT / "slack-manifest.yml").read_text(encoding="utf-8").splitlines():
        content = line.split(" #")[0].rstrip()
        if content.strip() == "bot:":
            inside = True
        elif inside and (item := re.fullmatch(r"\s+- ([\w:.]+)", content)):
            scopes.append(item.group(1))
        elif inside and content.strip():
            break
    return scopes


def guide_section(title: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_scope_table_lists_exactly_the_manifests_scopes() -> None:
    rows = re.findall(r"^\| `([\w:.]+)` \|", guide_section("Scopes"), flags=re.MULTILINE)
    scopes = manifest_bot_scopes()
    assert len(scopes) >= 8  # the parser found the list
    assert rows == scopes  # same scopes, same order, none twice


def test_the_guide_leads_with_init_and_socket_mode() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    parts = [m.group(0) for m in re.finditer(r"^## .+$", text, flags=re.MULTILINE)]
    assert parts[0].startswith("## Part A") and "init" in parts[0] and "Socket Mode" in parts[0]
    assert parts[1].startswith("## Part B")
    assert "approvals-bot init" in guide_section(parts[0][3:])
    templates = guide_section("Adding templates")
    for what in (
        "[[local.templates]]",
        "[wecom.templates]",
        "/approval-admin track",
        "template create",
        "FXiaoKe",
    ):
        assert what in templates, what
    assert "about ten minutes" not in text  # that needed a public HTTPS host


def test_the_readme_keeps_its_two_opening_commands_and_mentions_init() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert ".venv/bin/approvals-bot demo" in first_block and ".venv/bin/python -m pytest" in first_block
    running = readme[readme.index("## Running it") :]
    assert "approvals-bot init" in running.split("\n## ", 1)[0]

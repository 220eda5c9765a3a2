"""`approvals-bot demo` plays the whole story offline, hop by hop, and plays it again in the same folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.offline.story import Story
from bot.offline.world import WECOM_FIRST_SERIAL, Demo

ROOT = Path(__file__).resolve().parent.parent


def demo(folder: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def numbers(out: str) -> tuple[str, str, str]:
    """The embedded engine's request and the two WeCom requests, as the summary names them."""
    (local,) = re.findall(r"embedded engine, (\d{12}):", out)
    rejected, recovered = re.findall(r"WeCom, (\d{12}):", out)
    return local, rejected, recovered


def test_the_demo_plays_the_story_and_plays_it_again_in_the_same_folder(tmp_path: Path) -> None:
    first = demo(tmp_path)

    assert "POST again → 409" in first  # the approve link worked once
    assert "✅ Approved" in first and "❌ Rejected" in first and "Over budget this quarter" in first
    wecom_half = first.split("━━ 4.")[1]
    assert "POST oa/applyevent (template tmpl-equipment, by wangxiao" in wecom_half
    assert "POST /wecom/callback" in wecom_half and "← 200 success" in wecom_half
    # approvers told (their card may already show the form filled in: "sees (updated 1×)")
    assert "[李经理 Manager Li (approver) sees" in wecom_half.split("━━ 5.")[0]
    recovered = first.split("A callback is lost")[1]
    assert "is lost on the way: it never arrives" in recovered
    assert "1 change(s) found and told once" in recovered and "1 of 2 approved" in recovered
    audit = first.split("The audit channel")[1].split("━━")[0]
    assert len(re.findall(r"│ \d{12} .* · submitted · ", audit)) == 3
    assert "What each person saw" in first and "财务 Finance (copied):" in first
    for markup in ("<@U", "*Number*", "→ approval_", "<http", "`"):  # as Slack shows it, no markup
        assert markup not in first, markup
    assert f"the store is in {tmp_path}" in first
    local, rejected, recovered_no = numbers(first)
    assert int(local[-4:]) < WECOM_FIRST_SERIAL <= int(rejected[-4:]) < int(recovered_no[-4:])

    second = demo(tmp_path)

    assert "1 change(s) found and told once" in second.split("A callback is lost")[1]
    assert set(numbers(second)).isdisjoint(numbers(first))  # new requests, none numbered twice
    assert (tmp_path / "data" / "approvals.json").exists() and (tmp_path / "wecom-sandbox.json").exists()


def test_a_demo_in_a_temporary_folder_does_not_name_it(tmp_path: Path) -> None:
    said: list[str] = []
    story = Story(Demo(tmp_path, said.append, temporary=True))

    story.summary("202612020001", "202612025001", "202612025002")

    assert str(tmp_path) not in "\n".join(said)
    assert "the store was temporary (keep it with --dir DIR)" in said[-2]

"""`approvals-bot demo` plays the whole story offline and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_plays_the_story_offline(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "POST again → 409" in out  # the approve link worked once
    assert "✅ Approved" in out and "❌ Rejected" in out and "Over budget this quarter" in out
    recovered = out.split("A callback is lost")[1]
    assert "1 change(s) found and told once" in recovered and "1 of 2 approved" in recovered
    assert (tmp_path / "data" / "approvals.json").exists()

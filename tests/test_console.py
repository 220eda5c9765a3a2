"""`approvals-bot demo --interactive`: a person types, presses and fills forms as anyone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """people
/approval new purchase
form
New chairs
1200
as li
show
press 1
as zhang
show
press 7
y
as wang
show
/approval list
quit
"""


def test_a_person_files_and_two_approve_one_by_button_one_by_link(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--interactive", "--dir", str(tmp_path)],
        input=SCRIPT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "you are now 李经理 Manager Li" in out and "[7] Approve with a link" in out
    assert "GET → 200 (opening a link changes nothing)" in out and "POST → 200" in out
    assert "✅ Approved" in out.split("you are now 小王 Wang (applicant)")[-1]
    assert "unknown command" not in out

"""`approvals-bot demo --interactive`: a person types, presses and fills forms as anyone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.offline.console import SHANGHAI, Console
from bot.offline.sandbox import Sandbox
from bot.offline.slack_standin import Posted
from bot.offline.world import ADMIN, TEAM_CHANNEL, WECOM_FIRST_SERIAL, Demo
from bot.runtime import Runtime

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
    for markup in ("<@U", "→ approval_", "*Number*", "<http"):  # cards read as in Slack
        assert markup not in out, markup


# -- in process: the console over the demo's world, its answers scripted ---------------------------------


@dataclass
class Session:
    demo: Demo
    runtime: Runtime
    sandbox: Sandbox
    console: Console
    answers: list[str]
    out: list[str]

    def file(self, command: str, *answers: str) -> Posted:
        """小王 files with `command` (a slash command, then `form`; or `form` in an open picker), answering
        the questions with `answers`; their new card."""
        before = len(self.cards("U0WANG"))
        self.answers.extend(answers)
        self.console.do(command)
        if command.startswith("/"):
            self.demo.until(lambda: (view := self.demo.slack.open_view("U0WANG")) and has_inputs(view))
            self.console.do("form")
        return self.demo.until(lambda: self.cards("U0WANG")[before:] and self.cards("U0WANG")[-1])

    def cards(self, user: str) -> list[Posted]:
        return [m for m in self.demo.slack.conversation(user) if m.blocks]

    def said(self) -> str:
        return "\n".join(self.out)


def play(folder: Path, scene: Callable[[Session], None]) -> None:
    demo = Demo(folder, out=lambda _line: None)

    def run(runtime: Runtime, sandbox: Sandbox, _url: str) -> None:
        answers: list[str] = []
        out: list[str] = []
        console = Console(demo, runtime, sandbox, read=lambda _prompt: answers.pop(0), out=out.append)
        scene(Session(demo, runtime, sandbox, console, answers, out))

    assert demo.play(run) == 0


def test_the_template_picker_opens_the_chosen_form_and_files_it(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        s.console.do("/approval new")
        picker = s.demo.until(lambda: s.demo.slack.open_view("U0WANG"))
        options = [o["value"] for o in picker["blocks"][0]["accessory"]["options"]]
        card = s.file("form", str(options.index("purchase") + 1), "New chairs", "1200")

        assert "New chairs" in s.demo.render(card) and "采购申请 Purchase" in s.demo.render(card)
        assert s.demo.slack.open_view("U0WANG") is None
        filed = [doc for doc in s.runtime.store.approvals.open() if doc["key"].startswith("local:")]
        assert len(filed) == 1
        assert "submitted" in s.said() and "did not take" not in s.said()

    play(tmp_path, scene)


def test_form_errors_are_named_by_the_fields_title(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        s.console.do("/approval new purchase")
        s.demo.until(lambda: (view := s.demo.slack.open_view("U0WANG")) and has_inputs(view))
        s.answers.extend(["New chairs", "a lot"])
        s.console.do("form")

        assert "  ✗ 金额: " in s.out[-2] and "form/" not in s.said()
        assert s.demo.slack.open_view("U0WANG") is not None  # still open, to fix

    play(tmp_path, scene)


def test_a_lost_callback_is_recovered_by_a_sweep(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        card = s.file("/approval new equipment", "Monitors", "800")
        number = re.search(r"\b(\d{12})\b", card.text).group(1)
        assert int(number[-4:]) >= WECOM_FIRST_SERIAL  # WeCom's, not the embedded engine's
        s.console.do("lose")
        s.console.do("as li")
        s.console.do(f"wecom approve {number} fine")

        assert "is lost on the way" in s.said()
        assert "0 of 2 approved" in s.demo.render(card), s.said()
        s.console.do("sweep")
        s.demo.until(lambda: "1 of 2 approved" in s.demo.render(card))
        assert f"POST oa/getapprovaldetail ({number}" in s.said()
        assert "sweep wecom: " in s.said()

    play(tmp_path, scene)


def test_moving_the_clock_past_a_day_reminds_the_approvers(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        s.file("/approval new purchase", "New chairs", "1200")
        assert not [m for m in s.demo.slack.conversation("U0LI") if "Reminder" in m.text]
        hours = daytime_hours_ahead(25)
        s.console.do(f"clock +{hours}h")

        reminded = s.demo.until(
            lambda: [m for m in s.demo.slack.conversation("U0LI") if "Reminder" in m.text]
        )
        assert f"has waited {hours} h" in reminded[0].text
        assert "the reminders ran: 2 nudge(s)" in s.said()  # both approvers of the 会签 step

    play(tmp_path, scene)


def daytime_hours_ahead(at_least: int) -> int:
    """Hours from now, at least `at_least`, landing in Shanghai's day (the reminders keep quiet at night)."""
    now = datetime.now(SHANGHAI)
    return next(h for h in range(at_least, at_least + 24) if 9 <= (now + timedelta(hours=h)).hour <= 19)


def has_inputs(view: dict[str, Any]) -> bool:
    """A form to fill in (not the "loading" modal it opens as)."""
    return any(block.get("type") == "input" for block in view["blocks"])


def test_expense_requests_are_shown_and_decided_in_the_team_channel(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        s.console.do("/approval new expense")
        s.demo.until(lambda: (view := s.demo.slack.open_view("U0WANG")) and has_inputs(view))
        s.answers.extend(["Taxi to the airport", "180"])
        s.console.do("form")
        s.demo.until(lambda: s.demo.slack.conversation(TEAM_CHANNEL))
        assert s.cards("U0WANG") == []  # no DM cards for this template: the approvers are pointed there
        [pointer] = s.demo.slack.conversation("U0LI")
        assert "#finance-approvals" in s.demo.render(pointer)
        assert not [b for b in pointer.blocks if b["type"] == "actions"]

        s.console.do("channel")
        approve = next(n for n, a in enumerate(s.console.actions, 1) if a.label.startswith("Approve"))
        s.console.do(f"press {approve}")  # 小王 is no approver: told so, there, and nothing changes
        assert "(only you see) It is not your turn" in s.said()
        s.console.do("as li")
        s.console.do("channel")
        s.console.do(f"press {approve}")
        [card] = s.demo.slack.conversation(TEAM_CHANNEL)
        assert "✅ Approved" in s.demo.render(card) and card.updates >= 1
        assert "✎ updated for #finance-approvals" in s.said()


def test_a_reply_in_a_cards_thread_reaches_the_other_threads_and_a_wecom_comment_too(tmp_path: Path) -> None:
    def scene(s: Session) -> None:
        card = s.file("/approval new purchase", "New chairs", "1200")
        number = re.search(r"\b(\d{12})\b", card.text).group(1)
        s.console.do("as li")
        s.console.do(f"reply {number} Which shop?")

        assert f"replied in the thread of your card of {number}" in s.said()
        mirrored = s.demo.until(lambda: s.demo.slack.replies("U0WANG", card.ts))
        assert "Which shop?" in s.demo.render(mirrored[0]) and "Li" in s.demo.render(mirrored[0])
        s.demo.until(lambda: "Which shop?" in s.demo.render(s.cards("U0WANG")[0]))  # on the timeline

        s.console.do("as wang")
        wecom_card = s.file("/approval new equipment", "Monitors", "800")
        wecom_number = re.search(r"\b(\d{12})\b", wecom_card.text).group(1)
        s.console.do("as li")
        s.console.do(f"wecom comment {wecom_number} Which size?")
        assert "commented in WeCom" in s.said()
        s.demo.until(lambda: s.demo.slack.replies("U0WANG", wecom_card.ts))
        s.console.do(f"reply {wecom_number} Thanks")
        assert "(only you see) Your reply stays here in Slack" in s.said()


def test_someone_set_away_has_their_share_decided_by_the_delegate_until_the_clock_passes_it(
    tmp_path: Path,
) -> None:
    def scene(s: Session) -> None:
        s.console.do("as admin")
        s.console.do("away li 2d admin")
        s.console.do("away li 2d li")
        assert (
            "Manager Li is away until" in s.said()
            and "refused: The delegate must be someone else" in s.said()
        )
        s.console.do("as wang")
        s.file("/approval new purchase", "New chairs", "1200")
        handed = s.demo.until(lambda: s.cards(ADMIN) and s.demo.render(s.cards(ADMIN)[-1]))
        assert "You decide this for @李经理 Manager Li, who is away until" in handed
        s.console.do("away")
        assert "李经理 Manager Li away until" in s.out[-1], s.out[-3:]
        s.console.do("clock +3d")
        s.console.do("away")
        assert s.out[-1] == "nobody is away"  # it ended by itself
        s.console.do("back li")
        assert s.out[-1] == "李经理 Manager Li was not away"
        s.console.do("audit")
        assert "away until" in s.said() and "their share went to" in s.said()

    play(tmp_path, scene)

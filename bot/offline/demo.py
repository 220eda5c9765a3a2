"""`approvals-bot demo`: the whole loop, offline, in under a minute — the story, or (interactive) a
console where you can be anyone. Run again with the same --dir, it carries on where it stopped."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.offline.console import Console
from bot.offline.story import Story
from bot.offline.world import Demo


def run_demo(folder: Path | None = None, *, interactive: bool = False) -> int:
    with tempfile.TemporaryDirectory(prefix="approvals-demo-") as scratch:
        demo = Demo(folder or Path(scratch), temporary=folder is None)
        if not interactive:
            return demo.play(Story(demo).tell)
        return demo.play(lambda runtime, sandbox, url: Console(demo, runtime, sandbox).loop())

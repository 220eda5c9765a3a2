"""The demo's world: the people, the template, the stand-ins and the bot, and the story played in it.

The very bot that `serve` runs (bolt app, service, store, outbox, WSGI routes)
talks to a loopback Slack stand-in and to the WeCom sandbox; the story is
played through them as people would: slash commands, modal submissions,
button clicks, an approve link opened in a browser, decisions in WeCom. After
each step it prints what each person sees in Slack, as text.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from waitress.server import create_server

from bot.config import from_dict
from bot.offline.sandbox import Sandbox, SandboxTemplate
from bot.offline.slack_standin import Posted, SlackStandIn, render_blocks
from bot.providers.local.engine import template_from_config
from bot.providers.wecom.render import template_detail
from bot.runtime import Runtime, build_runtime
from bot.server import build_wsgi_app

ADMIN = "U0ADMIN"
PEOPLE = {  # Slack id -> (name, WeCom userid)
    "U0WANG": ("小王 Wang (applicant)", "wangxiao"),
    "U0LI": ("李经理 Manager Li", "lijingli"),
    "U0ZHANG": ("张总监 Director Zhang", "zhangzong"),
    "U0FIN": ("财务 Finance (CC)", "caiwu"),
    ADMIN: ("管理员 Admin", "guanliyuan"),  # in slack.admins: /approval-admin works for them
}
PURCHASE = {
    "alias": "purchase",
    "name": "采购申请",
    "controls": [
        {"control": "Text", "id": "Text-1", "title": "采购事由", "require": True},
        {"control": "Money", "id": "Money-1", "title": "金额", "require": True},
    ],
    "process": [
        {"type": 1, "apv_rel": 1, "users": ["U0LI", "U0ZHANG"]},  # 会签: both approve
        {"type": 2, "users": ["U0FIN"]},
    ],
}
SECRET, TOKEN, AES_KEY = "demo-secret", "DemoToken", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SIGNING_SECRET = "demo-signing-secret"


class Demo:
    """The demo's world (stand-ins, sandbox, the bot) and its story; `play` runs a scene in it."""

    def __init__(self, folder: Path, out: Callable[[str], None] = print) -> None:
        self.folder = folder
        self.out = out
        self.slack = SlackStandIn(
            users={slack_id: {"email": f"{wecom}@demo.invalid"} for slack_id, (_, wecom) in PEOPLE.items()}
        )
        self.started = time.monotonic()

    # set-up ------------------------------------------------------------------------

    def run(self) -> int:
        return self.play(self.story)

    def play(self, scene: Callable[[Runtime, Sandbox, str], None]) -> int:
        logging.getLogger().setLevel(logging.WARNING)
        with self.slack:
            app_ref: dict[str, Any] = {}
            server = create_server(
                lambda env, start: app_ref["app"](env, start), host="127.0.0.1", port=0, threads=8
            )
            url = f"http://127.0.0.1:{server.effective_port}"
            local = template_from_config(PURCHASE)
            process = tuple(
                s.__class__(s.type, s.mode, tuple(PEOPLE[u][1] for u in s.users)) for s in local.process
            )
            sandbox = Sandbox(
                "ww-demo-corp",
                SECRET,
                token=TOKEN,
                encoding_aes_key=AES_KEY,
                callback_url=f"{url}/wecom/callback",
                retry_delay=0.2,
                templates={"tmpl-purchase": SandboxTemplate(template_detail(local.template), process)},
                users={
                    wecom: {"name": name, "email": f"{wecom}@demo.invalid"} for name, wecom in PEOPLE.values()
                },
            ).start()
            runtime = build_runtime(self._config(url, sandbox.base_url))
            app_ref["app"] = build_wsgi_app(runtime)
            threading.Thread(target=server.run, daemon=True).start()
            runtime.start()
            self.slack.attach(f"{url}/slack/events", SIGNING_SECRET)
            runtime.sweeper.run_once()  # the first sweep learns what WeCom has, telling nobody
            try:
                scene(runtime, sandbox, url)
            finally:
                server.close()
                runtime.stop()
                sandbox.stop()
        return 0

    def _config(self, url: str, wecom_api: str) -> Any:
        return from_dict(
            {
                "server": {"public_url": url},
                "store": {"path": str(self.folder / "data" / "approvals.json")},
                "slack": {
                    "bot_token": "xoxb-demo",
                    "signing_secret": SIGNING_SECRET,
                    "api_url": self.slack.api_url,
                    "language": "en",
                    "audit_channel": "C0AUDIT",
                    "admins": [ADMIN],
                },
                "wecom": {
                    "corp_id": "ww-demo-corp",
                    "secret": SECRET,
                    "token": TOKEN,
                    "encoding_aes_key": AES_KEY,
                    "api_base": wecom_api,
                    "templates": {"purchase-wecom": "tmpl-purchase"},
                    "approval_url_template": "https://work.weixin.qq.com/approval/{sp_no}",
                },
                "users": {slack_id: wecom for slack_id, (_, wecom) in PEOPLE.items()},
                "local": {"templates": [PURCHASE]},
            },
            env={},
            source="(demo)",
        )

    # the story -----------------------------------------------------------------------

    def story(self, runtime: Runtime, sandbox: Sandbox, url: str) -> None:
        self.title("1. 小王 files a purchase request with /approval new purchase (the embedded engine)")
        number = self.file_request("purchase", "New laptops for the design team", "9600")
        self.wait(runtime)
        self.show("U0WANG", "U0LI", "U0ZHANG", "U0FIN")

        self.title("2. 李经理 approves with the button on their card (会签: both must approve)")
        self.click("U0LI", "approval_approve", "approve")
        self.wait(runtime)
        self.show("U0WANG", "U0LI")

        self.title("3. 张总监 is away from Slack: approves through the approve link on their phone")
        link = re.search(r"<(http[^|>]+/approve/[^|>]+)\|", self.text_of("U0ZHANG")).group(1)
        page = httpx.get(link, timeout=10)
        self.out(f"   GET {link[:60]}… → {page.status_code}: shows the request, changes nothing")
        done = httpx.post(link, data={"speech": "OK, go ahead"}, timeout=10)
        self.out(f"   POST (the page's Approve button) → {done.status_code}")
        again = httpx.post(link, data={}, timeout=10)
        self.out(f"   POST again → {again.status_code}: a link works once")
        self.wait(runtime)
        self.show("U0WANG", "U0FIN")

        self.title("4. A second request, on WeCom (served offline by the sandbox), is rejected with a reason")
        sp_no = self.file_request("purchase-wecom", "A second 4K monitor", "3200")
        self.wait(runtime, sandbox)
        sandbox.decide(sp_no, "lijingli", "reject", speech="Over budget this quarter")
        self.wait(runtime, sandbox)
        self.show("U0WANG", "U0LI")

        self.title("5. A callback is lost on its way; the next sweep recovers it")
        lost_no = self.file_request("purchase-wecom", "Standing desks", "5400")
        self.wait(runtime, sandbox)
        sandbox.lose_callbacks(1)
        sandbox.decide(lost_no, "lijingli", "approve", speech="Fine")
        sandbox.drain_callbacks()
        self.out("   李经理 approved in WeCom, but the callback never arrived: 小王's card still says 0 of 2")
        report = next(r for r in runtime.sweeper.run_once() if r.provider == "wecom")
        self.out(f"   sweep: {report.reads} detail reads, {report.changed} change(s) found and told once")
        self.wait(runtime)
        self.show("U0WANG")

        self.title("Summary")
        posts = sum(len(m) for m in self.slack.messages.values())
        edits = sum(p.updates for m in self.slack.messages.values() for p in m)
        self.out(f"   embedded-engine request {number}: approved in Slack and by link")
        self.out(
            f"   WeCom request {sp_no} (numbered by WeCom's sandbox): rejected in WeCom, with the reason"
        )
        self.out(f"   WeCom request {lost_no}: its lost callback recovered by the sweep, told once")
        self.out(
            f"   {posts} Slack messages posted, {edits} updated in place, none twice; "
            f"{len(self.slack.messages.get('C0AUDIT', []))} audit lines"
        )
        self.out(f"   offline, in {time.monotonic() - self.started:.1f} s; store in {self.folder}")

    # acting as people ------------------------------------------------------------------

    def file_request(self, alias: str, reason: str, amount: str) -> str:
        before = {id(m) for m in self.slack.conversation("U0WANG")}
        self.slack.command("U0WANG", f"new {alias}")
        view = self.until(
            lambda: (v := self.slack.open_view("U0WANG")) and v.get("callback_id") == "approval_form" and v
        )
        values = {
            "form/Text-1": {"value": {"type": "plain_text_input", "value": reason}},
            "form/Money-1": {"value": {"type": "number_input", "value": amount}},
        }
        self.slack.submit("U0WANG", view, values)
        card = self.until(
            lambda: next(
                (m for m in self.slack.conversation("U0WANG") if id(m) not in before and m.blocks), None
            )
        )
        return re.search(r"\b(\d{12})\b", card.text).group(1)

    def click(self, user: str, action_id: str, value: str) -> None:
        card = self.card(user)
        block = next(b for b in card.blocks if b.get("block_id", "").startswith("decide|"))
        self.slack.click(user, action_id, value, block_id=block["block_id"], message=card)

    def wait(self, runtime: Runtime, sandbox: Sandbox | None = None) -> None:
        """Until every callback is in and every message delivered."""
        if sandbox is not None:
            sandbox.drain_callbacks()
        self.until(lambda: next(runtime.store.inbox.read_after(runtime.processor.applied_seq), None) is None)
        self.until(lambda: runtime.deliverer.backlog() == 0, timeout=30)

    def until(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := check()):
            if time.monotonic() > deadline:
                raise RuntimeError("the demo got stuck: a step did not finish in time")
            time.sleep(0.05)
        return value

    # showing -------------------------------------------------------------------------

    def card(self, user: str) -> Posted:
        return [m for m in self.slack.conversation(user) if m.blocks][-1]

    def text_of(self, user: str) -> str:
        return "\n".join(str(b) for b in self.card(user).blocks)

    def title(self, text: str) -> None:
        self.out(f"\n━━ {text}")

    def show(self, *users: str) -> None:
        for user in users:
            messages = self.slack.conversation(user)
            if not messages:
                continue
            latest = max(messages, key=lambda m: (m.updates > 0, m.ts))
            edited = f" (updated {latest.updates}×)" if latest.updates else ""
            self.out(f"\n   [{PEOPLE[user][0]} sees{edited}]")
            body = render_blocks(latest.blocks) if latest.blocks else latest.text
            for line in body.splitlines()[:24]:
                self.out(f"   │ {line}")

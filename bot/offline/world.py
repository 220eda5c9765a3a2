"""The demo's world: the people, the templates, the stand-ins and the bot, and how to act and look in it.

The very bot that `serve` runs (bolt app, service, store, outbox, WSGI routes)
talks to a loopback Slack stand-in and to the WeCom sandbox; the story
(`bot/offline/story.py`) and the console (`bot/offline/console.py`) act through
them as people would: slash commands, modal submissions, button clicks, an
approve link opened in a browser, decisions in WeCom. What people see is
printed as they would read it in Slack (`bot/offline/readable.py`), and what
crosses the wire to and from WeCom hop by hop.

The store and the sandbox's WeCom both live in the demo's folder, so a demo
run again in the same folder carries on where the last one stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from waitress.server import create_server

from bot.config import from_dict
from bot.offline import readable
from bot.offline.sandbox import ApiCall, CallbackAttempt, Sandbox, SandboxTemplate, Traffic
from bot.offline.slack_standin import Posted, SlackStandIn
from bot.providers.local.engine import template_from_config
from bot.providers.wecom.render import template_detail
from bot.runtime import Runtime, build_runtime
from bot.scheduling import Schedule
from bot.server import build_wsgi_app


@dataclass(frozen=True)
class Person:
    name: str  # as Slack shows them
    role: str  # what they do in the story
    wecom: str  # their WeCom userid

    @property
    def title(self) -> str:
        return f"{self.name} ({self.role})"


ADMIN = "U0ADMIN"
PEOPLE = {
    "U0WANG": Person("小王 Wang", "applicant", "wangxiao"),
    "U0LI": Person("李经理 Manager Li", "approver", "lijingli"),
    "U0ZHANG": Person("张总监 Director Zhang", "approver", "zhangzong"),
    "U0FIN": Person("财务 Finance", "copied", "caiwu"),
    ADMIN: Person("管理员 Admin", "admin", "guanliyuan"),  # in slack.admins: /approval-admin works for them
}
NAMES = {slack_id: person.name for slack_id, person in PEOPLE.items()}
_CONTROLS = [
    {"control": "Text", "id": "Text-1", "title": "采购事由", "require": True},
    {"control": "Money", "id": "Money-1", "title": "金额", "require": True},
]
_FLOW = [
    {"type": 1, "apv_rel": 1, "users": ["U0LI", "U0ZHANG"]},  # 会签: both approve
    {"type": 2, "users": ["U0FIN"]},
]
# Filed with the embedded engine: the bot runs the flow, approvers decide in Slack; a purchase of 200
# or less is approved by rule the moment it is filed, and nobody is asked.
# A step left waiting two days climbs to the admin; a week unanswered ends the request (`clock +49h`,
# `clock +8d` in the console show both).
_POLICY = {"escalate_after_hours": 48, "escalate_to": ADMIN, "expire_after_hours": 168}
PURCHASE = {
    "alias": "purchase",
    "name": "采购申请 Purchase",
    "controls": _CONTROLS,
    "process": _FLOW,
    **_POLICY,
    "auto_approve": [
        {"name": "small purchases", "when": [{"control": "Money-1", "op": "<=", "value": 200}]},
    ],
}
# Filed on WeCom (the sandbox plays it): approvers decide in WeCom, the bot hears by callback.
EQUIPMENT = {
    "alias": "equipment",
    "name": "设备申领 Equipment (WeCom)",
    "controls": _CONTROLS,
    "process": _FLOW,
}
EQUIPMENT_ID = "tmpl-equipment"
# A team's channel: the embedded engine's expense requests are shown and decided there, not in DMs.
TEAM_CHANNEL, TEAM_CHANNEL_NAME = "C0FINANCE", "finance-approvals"
EXPENSE = {
    "alias": "expense",
    "name": "报销 Expense",
    "controls": _CONTROLS,
    "process": [{"type": 1, "apv_rel": 2, "users": ["U0LI", "U0ZHANG"]}],  # 或签: either approves
    "channel": f"#{TEAM_CHANNEL_NAME}",
    "direct_messages": False,
}
NAMES[TEAM_CHANNEL] = TEAM_CHANNEL_NAME  # a channel link reads by its name, as in Slack
# The embedded engine numbers a day's requests from 0001; the sandbox's WeCom from 5001, so a number
# says at a glance which system it belongs to.
WECOM_FIRST_SERIAL = 5001
CORP_ID, SECRET, TOKEN = "ww-demo-corp", "demo-secret", "DemoToken"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SIGNING_SECRET = "demo-signing-secret"
AUDIT_CHANNEL = "C0AUDIT"
_PLUMBING = ("gettoken", "gettemplatedetail", "user/", "department/")  # lookups, summed up in one line


class Demo:
    """The demo's world (stand-ins, sandbox, the bot); `play` runs a scene in it. `temporary`: the folder
    is deleted afterwards, so nothing may point people to it."""

    schedule: Schedule  # serve's sweep and reminder jobs, over the bot `play` runs

    def __init__(self, folder: Path, out: Callable[[str], None] = print, *, temporary: bool = False) -> None:
        self.folder = folder
        self.out = out
        self.temporary = temporary
        self.slack = SlackStandIn(
            users={
                slack_id: {"email": f"{person.wecom}@demo.invalid", "name": person.name}
                for slack_id, person in PEOPLE.items()
            },
            channels={TEAM_CHANNEL: TEAM_CHANNEL_NAME},
        )
        self.started = time.monotonic()
        self.clock_offset = 0.0  # seconds the world's clock is ahead of the computer's

    # set-up ------------------------------------------------------------------------

    def play(self, scene: Callable[[Runtime, Sandbox, str], None]) -> int:
        logging.getLogger().setLevel(logging.WARNING)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.slack:
            app_ref: dict[str, Any] = {}
            server = create_server(
                lambda env, start: app_ref["app"](env, start), host="127.0.0.1", port=0, threads=8
            )
            url = f"http://127.0.0.1:{server.effective_port}"
            sandbox = self._sandbox(f"{url}/wecom/callback").start()
            runtime = build_runtime(self._config(url, sandbox.base_url))
            # what `clock +H` moves: reminders, escalations, expiry and absences fall due on it
            runtime.set_clock(self.now)
            # serve's own sweep and reminder jobs (waking the deliverer after them), run when the story
            # or the console says, not on a timer
            self.schedule = Schedule(runtime)
            app_ref["app"] = build_wsgi_app(runtime)
            threading.Thread(target=server.run, daemon=True).start()
            runtime.start()
            self.slack.attach(f"{url}/slack/events", SIGNING_SECRET)
            self.schedule.sweep_now()  # the first sweep learns what WeCom has, telling nobody
            try:
                scene(runtime, sandbox, url)
            finally:
                server.close()
                runtime.stop()
                sandbox.stop()
        return 0

    def now(self) -> float:
        """The world's clock: the computer's, moved ahead by the console's `clock` command."""
        return time.time() + self.clock_offset

    def _sandbox(self, callback_url: str) -> Sandbox:
        local = template_from_config(EQUIPMENT)
        process = tuple(
            replace(step, users=tuple(PEOPLE[u].wecom for u in step.users)) for step in local.process
        )
        return Sandbox(
            CORP_ID,
            SECRET,
            token=TOKEN,
            encoding_aes_key=AES_KEY,
            callback_url=callback_url,
            retry_delay=0.2,
            templates={EQUIPMENT_ID: SandboxTemplate(template_detail(local.template), process)},
            users={p.wecom: {"name": p.name, "email": f"{p.wecom}@demo.invalid"} for p in PEOPLE.values()},
            state_file=self.folder / "wecom-sandbox.json",
            first_serial=WECOM_FIRST_SERIAL,
        )

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
                    "audit_channel": AUDIT_CHANNEL,
                    "admins": [ADMIN],
                },
                "wecom": {
                    "corp_id": CORP_ID,
                    "secret": SECRET,
                    "token": TOKEN,
                    "encoding_aes_key": AES_KEY,
                    "api_base": wecom_api,
                    "templates": {EQUIPMENT["alias"]: EQUIPMENT_ID},
                    "approval_url_template": "https://work.weixin.qq.com/approval/{sp_no}",
                    # WeCom's approvals cannot be ended from here: past a week they are marked overdue
                    "policies": {EQUIPMENT["alias"]: _POLICY},
                },
                "users": {slack_id: person.wecom for slack_id, person in PEOPLE.items()},
                "local": {"templates": [PURCHASE, EXPENSE]},
            },
            env={},
            source="(demo)",
        )

    # waiting -------------------------------------------------------------------------

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

    def render(self, message: Posted | dict[str, Any]) -> str:
        """A message (or a reply, a view) as its reader sees it in Slack."""
        blocks = message.blocks if isinstance(message, Posted) else message.get("blocks")
        text = message.text if isinstance(message, Posted) else str(message.get("text", ""))
        return readable.render(blocks, NAMES) if blocks else readable.mrkdwn(text, NAMES)

    def headline(self, message: Posted) -> str:
        """A message in one line: its notification text, as the reader's phone would show it."""
        return readable.mrkdwn(message.text, NAMES).splitlines()[0] if message.text else "(no text)"

    def hops(self, traffic: list[Traffic]) -> list[str]:
        """The WeCom hops, one line each; lookups (tokens, templates, people) summed up in a last line."""
        lines, lookups = [], []
        for hop in traffic:
            if isinstance(hop, ApiCall) and hop.path.startswith(_PLUMBING):
                lookups.append(hop.path)
            else:
                lines.append(describe_hop(hop))
        if lookups:
            lines.append(f"(and {len(lookups)} lookup(s): {', '.join(dict.fromkeys(lookups))})")
        return lines


def describe_hop(hop: Traffic) -> str:
    """One hop between the bot and WeCom, in words: who called whom with what, and the answer."""
    if isinstance(hop, CallbackAttempt):
        action = hop.action.name.lower() if hop.action else "changed"
        change = f"sys_approval_change: {hop.sp_no} {action}, now {hop.status.name.lower()}"
        if not hop.answer:
            return f"WeCom ✗ bot   the callback ({change}) is lost on the way: it never arrives"
        return f"WeCom → bot   POST /wecom/callback, {hop.posted} bytes encrypted ({change}) ← {hop.answer}"
    return f"bot → WeCom   {hop.method} {hop.path}{_asked(hop)} ← {_answered(hop)}"


def _asked(call: ApiCall) -> str:
    body = call.body
    if call.path == "oa/applyevent":
        contents = (body.get("apply_data") or {}).get("contents") or []
        return (
            f" (template {body.get('template_id')}, by {body.get('creator_userid')}, {len(contents)} fields)"
        )
    if call.path == "oa/getapprovaldetail":
        return f" ({body.get('sp_no')}: its form and flow)"
    if call.path == "oa/getapprovalinfo":
        return " (which approvals changed lately?)"
    return ""


def _answered(call: ApiCall) -> str:
    reply = call.reply
    if reply.get("errcode"):
        return f"errcode {reply['errcode']}: {reply.get('errmsg', '')}"
    if "sp_no" in reply:
        return f"sp_no {reply['sp_no']}"
    if "sp_no_list" in reply:
        return f"{len(reply['sp_no_list'])} number(s)"
    if "info" in reply:
        return f"the request, {reply['info'].get('sp_name', '')}, status {reply['info'].get('sp_status')}"
    return "ok"

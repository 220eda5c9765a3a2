"""`approvals-bot demo --interactive`: be anyone in the demo's Slack.

Type slash commands, fill in the modal that opens, press the buttons on the
cards, open approve links, decide in the WeCom sandbox, and see what each
person sees. Everything goes through the same stand-in the tests use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from bot.offline.sandbox import Sandbox
from bot.offline.slack_standin import Posted, render_blocks
from bot.offline.world import ADMIN, PEOPLE, Demo
from bot.runtime import Runtime

# what to type after `as`
SHORT = {"wang": "U0WANG", "li": "U0LI", "zhang": "U0ZHANG", "fin": "U0FIN", "admin": ADMIN}
SHANGHAI = timezone(timedelta(hours=8))
HELP = """commands:
  people                     who is who            as <name>          act as that person
  /approval <text>           a slash command       form               fill in the open form
  /approval-admin <text>     as admin (`as admin`) help, templates, sweep, outbox, stats, health...
  show [name]                their latest messages, with numbered actions
  press <n>                  press action n (buttons, menu items, approve links)
  home                       their App Home        wecom approve|reject <number> [reason]
  help                       this                  quit               leave"""


@dataclass
class _Action:
    label: str
    message: Posted
    block_id: str = ""
    action_id: str = ""
    value: str = ""
    url: str = ""


class Console:
    def __init__(
        self,
        demo: Demo,
        runtime: Runtime,
        sandbox: Sandbox,
        *,
        read: Callable[[str], str] = input,
        out: Callable[[str], None] = print,
    ) -> None:
        self.demo, self.runtime, self.sandbox = demo, runtime, sandbox
        self.slack = demo.slack
        self.read, self.out = read, out
        self.user = "U0WANG"
        self.actions: list[_Action] = []

    def loop(self) -> None:
        self.out(HELP)
        while True:
            try:
                line = self.read(f"{self._name(self.user)}> ").strip()
            except EOFError:
                return
            if line in ("quit", "exit"):
                return
            if line:
                self.do(line)

    def do(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        handlers: dict[str, Callable[[str], None]] = {
            "help": lambda _: self.out(HELP),
            "people": self._people,
            "as": self._as,
            "show": self._show,
            "press": self._press,
            "form": self._form,
            "home": self._home,
            "wecom": self._wecom,
        }
        if word.startswith("/"):
            self._command(word, rest)
        elif word in handlers:
            handlers[word](rest.strip())
        else:
            self.out(f"unknown command {word!r}; type help")

    # commands ----------------------------------------------------------------------

    def _people(self, _: str) -> None:
        for short, slack_id in SHORT.items():
            self.out(f"  {short:<8} {self._name(slack_id)} ({slack_id})")

    def _as(self, who: str) -> None:
        slack_id = SHORT.get(who.lower())
        if slack_id is None:
            self.out(f"no one called {who!r}; try: {', '.join(SHORT)}")
            return
        self.user = slack_id
        self.out(f"you are now {self._name(slack_id)}")

    def _command(self, command: str, text: str) -> None:
        before = len(self.slack.responses)
        self.slack.command(self.user, text, command=command)
        self._settle()
        for response in self.slack.responses[before:]:
            self.out(
                render_blocks(response["blocks"]) if response.get("blocks") else response.get("text", "")
            )
        if self.slack.open_view(self.user):
            self.out("a form is open: type `form` to fill it in")

    def _show(self, who: str) -> None:
        user = SHORT.get(who.lower(), self.user) if who else self.user
        self.actions = []
        for message in self.slack.conversation(user)[-3:]:
            edited = f" (updated {message.updates}×)" if message.updates else ""
            self.out(f"── {message.ts}{edited}")
            self.out(render_blocks(message.blocks) if message.blocks else message.text)
            for action in self._actions_of(message):
                self.actions.append(action)
                self.out(f"   [{len(self.actions)}] {action.label}")
        for text in self.slack.ephemeral.get(user, [])[-2:]:
            self.out(f"(only you see) {text['text']}")

    def _press(self, number: str) -> None:
        if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= len(self.actions):
            self.out("press which? `show` lists the actions")
            return
        action = self.actions[int(number) - 1]
        if "/approve/" in action.url:
            self._approve_link(action.url)
        elif action.url:
            self.out(f"(opens {action.url} in a browser)")
        else:
            self.slack.click(
                self.user, action.action_id, action.value, block_id=action.block_id, message=action.message
            )
            self._settle()
            if self.slack.open_view(self.user):
                self.out("a form is open: type `form` to fill it in")
            self._show("")

    def _approve_link(self, url: str) -> None:
        page = httpx.get(url, timeout=10)
        self.out(f"GET → {page.status_code} (opening a link changes nothing)")
        if page.status_code == 200 and self.read("approve? [y/N] ").strip().lower() == "y":
            done = httpx.post(url, data={"speech": ""}, timeout=10)
            self.out(f"POST → {done.status_code}")
            self._settle()

    def _form(self, _: str) -> None:
        view = self.slack.open_view(self.user)
        if view is None:
            self.out("no form is open")
            return
        values: dict[str, Any] = {}
        for block in view["blocks"]:
            if block.get("type") == "input":
                value = self._ask(block)
                if value is not None:
                    values[block["block_id"]] = {block["element"]["action_id"]: value}
        reply = self.slack.submit(self.user, view, values)
        if reply.content and reply.json().get("response_action") == "errors":
            for block_id, error in reply.json()["errors"].items():
                self.out(f"  ✗ {block_id}: {error}")
            self.out("fix it with `form` again")
            return
        self._settle()
        self.out("submitted")

    def _home(self, _: str) -> None:
        self.slack.open_home(self.user)
        self._settle()
        self.out(render_blocks(self.slack.home.get(self.user, {}).get("blocks", [])))

    def _wecom(self, rest: str) -> None:
        parts = rest.split(maxsplit=2)
        if len(parts) < 2 or parts[0] not in ("approve", "reject"):
            self.out("wecom approve|reject <number> [reason]")
            return
        try:
            self.sandbox.decide(
                parts[1], PEOPLE[self.user][1], parts[0], speech=parts[2] if len(parts) > 2 else ""
            )
        except Exception as exc:  # the sandbox says why, as WeCom would
            self.out(f"WeCom refused: {exc}")
            return
        self.sandbox.drain_callbacks()
        self._settle()
        self.out(f"decided in WeCom as {self._name(self.user)}")

    # helpers -----------------------------------------------------------------------

    def _ask(self, block: dict[str, Any]) -> dict[str, Any] | None:
        """One input, asked in words; what Slack would send for it."""
        element, label = block["element"], block["label"]["text"]
        kind = element["type"]
        optional = " (optional)" if block.get("optional") else ""
        if kind in ("static_select", "multi_static_select"):
            options = element.get("options", [])
            for i, option in enumerate(options, 1):
                self.out(f"    {i}. {option['text']['text']}")
            answer = self.read(f"  {label}{optional} [number]: ").strip()
            if not (answer.isascii() and answer.isdigit()) or not 1 <= int(answer) <= len(options):
                return None
            chosen = options[int(answer) - 1]
            key = "selected_options" if kind.startswith("multi") else "selected_option"
            return {"type": kind, key: [chosen] if kind.startswith("multi") else chosen}
        hint = {
            "datepicker": "YYYY-MM-DD",
            "datetimepicker": "YYYY-MM-DD HH:MM",
            "users_select": "a name",
            "multi_users_select": "names",
        }.get(kind, "")
        answer = self.read(f"  {label}{optional}{f' [{hint}]' if hint else ''}: ").strip()
        if not answer:
            return None
        if kind == "datepicker":
            return {"type": kind, "selected_date": answer}
        if kind == "datetimepicker":
            moment = datetime.strptime(answer, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
            return {"type": kind, "selected_date_time": int(moment.timestamp())}
        if kind == "users_select":
            return {"type": kind, "selected_user": SHORT.get(answer.lower(), answer)}
        if kind == "multi_users_select":
            return {"type": kind, "selected_users": [SHORT.get(a.lower(), a) for a in answer.split()]}
        if kind == "file_input":
            return None
        return {"type": kind, "value": answer}

    def _actions_of(self, message: Posted) -> list[_Action]:
        found = []
        for block in message.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                label = (element.get("text") or {}).get("text", "")
                base = _Action(
                    label,
                    message,
                    block.get("block_id", ""),
                    element.get("action_id", ""),
                    element.get("value", ""),
                    element.get("url", ""),
                )
                if element.get("type") == "overflow":
                    found += [
                        _Action(f"… {o['text']['text']}", message, base.block_id, base.action_id, o["value"])
                        for o in element["options"]
                    ]
                else:
                    found.append(base)
            for url, text in re.findall(r"<(https?://[^|>]+)\|([^>]+)>", str(block)):
                found.append(_Action(text, message, url=url))
        return found

    def _settle(self) -> None:
        """Let the bot finish what the last action set off (callbacks in, messages out)."""
        deadline = time.monotonic() + 10
        time.sleep(0.2)
        while self.runtime.deliverer.backlog() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _name(self, slack_id: str) -> str:
        return PEOPLE.get(slack_id, (slack_id, ""))[0]

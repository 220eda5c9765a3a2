"""`approvals-bot demo`: the story, played in the demo's world as people would play it.

Two requests on the embedded engine's half (approved by a button and by an approve link), two on
WeCom's (rejected in WeCom; approved in WeCom with one callback lost and found again by a sweep). After
each step it prints what each person sees in Slack and every hop to and from WeCom; it ends with the
audit channel and what each person saw.
"""

from __future__ import annotations

import re
import time

import httpx

from bot.offline.sandbox import Sandbox
from bot.offline.slack_standin import Posted
from bot.offline.world import AUDIT_CHANNEL, EQUIPMENT, PEOPLE, PURCHASE, Demo
from bot.runtime import Runtime

SHOWN_LINES = 24  # of a card, in the story; the console shows them whole
# everyone the demo's flow tells when a request is filed: its approvers and its CC (EQUIPMENT's alike)
TOLD_AT_FILING = tuple(u for step in PURCHASE["process"] for u in step["users"])


class Story:
    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.slack = demo.slack
        self.out = demo.out
        self.seen = 0  # of the sandbox's traffic, shown so far

    def tell(self, runtime: Runtime, sandbox: Sandbox, url: str) -> None:
        self.runtime, self.sandbox = runtime, sandbox
        self.seen = len(sandbox.traffic())  # what the first sweep asked is not the story's

        purchase = PURCHASE["name"]
        self.title(f"1. 小王 files a {purchase} with /approval new purchase (the embedded engine)")
        number = self.file_request(PURCHASE["alias"], "New laptops for the design team", "9600")
        self.show(number, "U0WANG", "U0LI", "U0ZHANG", "U0FIN")

        self.title("2. 李经理 approves with the button on their card (会签: both must approve)")
        self.click("U0LI", "approval_approve", "approve")
        self.show(number, "U0WANG", "U0LI")

        self.title("3. 张总监 is away from Slack: approves through the approve link on their phone")
        link = re.search(r"<(http[^|>]+/approve/[^|>]+)\|", self.blocks_of("U0ZHANG")).group(1)
        page = httpx.get(link, timeout=10)
        self.out(f"   GET the link → {page.status_code}: shows the request, changes nothing")
        done = httpx.post(link, data={"speech": "OK, go ahead"}, timeout=10)
        self.out(f"   POST (the page's Approve button) → {done.status_code}")
        again = httpx.post(link, data={}, timeout=10)
        self.out(f"   POST again → {again.status_code}: a link works once")
        self.demo.wait(runtime)
        self.show(number, "U0WANG", "U0FIN")

        equipment = EQUIPMENT["name"]
        self.title(f"4. 小王 files a {equipment} with /approval new equipment: WeCom runs this one")
        self.out("   (the WeCom sandbox plays WeCom, offline: the bot talks to it as to qyapi.weixin.qq.com)")
        sp_no = self.file_request(EQUIPMENT["alias"], "A second 4K monitor", "3200")
        self.hops()
        self.out("   The approvers are told in Slack; they decide in WeCom (their card links there):")
        self.show(sp_no, "U0LI", "U0ZHANG")

        self.title("5. 李经理 rejects it in WeCom, with a reason: WeCom calls the bot back")
        sandbox.decide(sp_no, PEOPLE["U0LI"].wecom, "reject", speech="Over budget this quarter")
        self.demo.wait(runtime, sandbox)
        self.hops()
        self.show(sp_no, "U0WANG", "U0LI")

        self.title("6. A callback is lost on its way; the next sweep recovers it")
        lost_no = self.file_request(EQUIPMENT["alias"], "Standing desks", "5400")
        self.hops(quiet=True)
        sandbox.lose_callbacks(1)
        sandbox.decide(lost_no, PEOPLE["U0LI"].wecom, "approve", speech="Fine")
        self.demo.wait(runtime, sandbox)
        self.hops()
        self.out("   李经理 approved in WeCom, but the bot never heard: 小王's card still says 0 of 2")
        report = next(r for r in self.demo.schedule.sweep_now() if r.provider == "wecom")
        self.demo.wait(runtime)
        self.hops()
        self.out(f"   sweep: {report.reads} detail read(s), {report.changed} change(s) found and told once")
        self.show(lost_no, "U0WANG")

        self.title("7. 张总监 approves it in WeCom too: the callback arrives, the request is approved")
        sandbox.decide(lost_no, PEOPLE["U0ZHANG"].wecom, "approve")
        self.demo.wait(runtime, sandbox)
        self.hops()
        self.show(lost_no, "U0WANG")

        self.title(f"8. The audit channel #{AUDIT_CHANNEL} (every change, one line each)")
        for message in self.slack.conversation(AUDIT_CHANNEL):
            self.out(f"   │ {self.demo.render(message)}")

        self.summary(number, sp_no, lost_no)

    def summary(self, number: str, sp_no: str, lost_no: str) -> None:
        self.title("What each person saw")
        for slack_id, person in PEOPLE.items():
            messages = self.slack.conversation(slack_id)
            if not messages:
                continue
            self.out(f"   {person.title}: {len(messages)} message(s)")
            for message in messages:
                edited = f" (updated {message.updates}×)" if message.updates else ""
                self.out(f"     · {self.demo.headline(message)}{edited}")
        posts = sum(len(m) for m in self.slack.messages.values())
        edits = sum(p.updates for m in self.slack.messages.values() for p in m)
        self.title("Summary")
        self.out(f"   embedded engine, {number}: approved in Slack, by a button and by a link")
        self.out(f"   WeCom, {sp_no}: rejected in WeCom, the reason on 小王's card")
        self.out(f"   WeCom, {lost_no}: a lost callback recovered by the sweep, told once; then approved")
        self.out(
            f"   {posts} Slack messages posted, {edits} updates made in place; "
            f"{len(self.slack.conversation(AUDIT_CHANNEL))} audit lines"
        )
        where = (
            "the store was temporary (keep it with --dir DIR)"
            if self.demo.temporary
            else f"the store is in {self.demo.folder}: run again to carry on"
        )
        self.out(f"   offline, in {time.monotonic() - self.demo.started:.1f} s; {where}")
        self.out("   be anyone yourself: approvals-bot demo --interactive")

    # acting as people ------------------------------------------------------------------

    def file_request(self, alias: str, reason: str, amount: str) -> str:
        """小王 fills in and submits the form of `alias`; the number of the request filed."""
        before = {id(m) for m in self.slack.conversation("U0WANG")}
        self.slack.command("U0WANG", f"new {alias}")
        view = self.demo.until(
            lambda: (v := self.slack.open_view("U0WANG")) and v.get("callback_id") == "approval_form" and v
        )
        values = {
            "form/Text-1": {"value": {"type": "plain_text_input", "value": reason}},
            "form/Money-1": {"value": {"type": "number_input", "value": amount}},
        }
        self.slack.submit("U0WANG", view, values)
        card = self.demo.until(
            lambda: next(
                (m for m in self.slack.conversation("U0WANG") if id(m) not in before and m.blocks), None
            )
        )
        number = re.search(r"\b(\d{12})\b", card.text).group(1)
        # the filing's notices may still be on their way (WeCom's callback, the submission's own thread):
        # wait until everyone the flow tells at filing holds their card, then for the rest
        self.demo.until(
            lambda: all(any(number in m.text for m in self.slack.conversation(u)) for u in TOLD_AT_FILING),
            timeout=30,
        )
        self.demo.wait(self.runtime, self.sandbox)
        return number

    def click(self, user: str, action_id: str, value: str) -> None:
        card = self.card(user)
        block = next(b for b in card.blocks if b.get("block_id", "").startswith("decide|"))
        self.slack.click(user, action_id, value, block_id=block["block_id"], message=card)
        self.demo.wait(self.runtime)

    # showing -------------------------------------------------------------------------

    def card(self, user: str) -> Posted:
        return [m for m in self.slack.conversation(user) if m.blocks][-1]

    def blocks_of(self, user: str) -> str:
        return "\n".join(str(b) for b in self.card(user).blocks)

    def title(self, text: str) -> None:
        self.out(f"\n━━ {text}")

    def hops(self, *, quiet: bool = False) -> None:
        """The WeCom hops since the last call (`quiet`: only passed over)."""
        traffic = self.sandbox.traffic(self.seen)
        self.seen += len(traffic)
        for line in [] if quiet else self.demo.hops(traffic):
            self.out(f"   ⇄ {line}")

    def show(self, number: str, *users: str) -> None:
        """The newest message about request `number` in each user's DM."""
        for user in users:
            messages = [m for m in self.slack.conversation(user) if number in m.text]
            if not messages:
                continue
            latest = messages[-1]
            edited = f" (updated {latest.updates}×)" if latest.updates else ""
            self.out(f"\n   [{PEOPLE[user].title} sees{edited}]")
            for line in self.demo.render(latest).splitlines()[:SHOWN_LINES]:
                self.out(f"   │ {line}")

"""Faults from outside, end to end: the real `serve` process while the fake WeCom times out, answers
busy (-1), rate-limited (45009), HTTP 5xx or "invalid access_token" (40014), and while Slack answers
429 with Retry-After, 5xx, invalid_auth or drops the connection after doing the call.

What must hold whatever they do ("acknowledged means kept"): every acknowledged callback is applied
and told exactly once, a submission is filed at most once and its applicant told in plain words,
every notification arrives exactly once, and retries stay bounded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.offline.slack_standin import Arrival, Posted, SlackStandIn
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    SECRET,
    Approver,
    BotProcess,
    WeComSender,
    approval_detail,
    approval_xml,
    started,
    tinydb_only,
    wait_for,
    write_config,
)
from tests.test_e2e_filing import COLLEAGUE, FIXTURE, answers, buttons, dm, open_form

APPLICANT, APPROVER = "U0APPLICANT", "U0APPROVERA"
CLIENT_TIMEOUT = 2.0  # wecom.timeout_seconds in this suite's config: a timeout costs seconds, not ten
ATTEMPTS = 4  # WeComClient's max_retries=3: four attempts of one call at most
RETRY_AFTER = 2  # seconds Slack asks the bot to wait after a 429
INVALID_AUTH_METHODS = ("chat.postMessage", "chat.update", "conversations.open", "auth.test")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {
        APPLICANT: {"email": "wujunjie@example.com"},
        APPROVER: {"email": "alice@example.com"},
        COLLEAGUE: {"email": "lisi@example.com"},  # chosen in the filing form
    }
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    # a held request outlives the client's timeout, so it is a timeout; stop() lets it go at once
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET, hang_limit=CLIENT_TIMEOUT + 5) as fake:
        fake.templates["tmpl-seal"] = json.loads(FIXTURE.read_text(encoding="utf-8"))
        fake.users["WuJunJie"] = {"userid": "WuJunJie", "name": "吴俊杰", "email": "wujunjie@example.com"}
        fake.users["lisi"] = {"userid": "lisi", "name": "李四", "email": "lisi@example.com"}
        yield fake


@pytest.fixture
def bot(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Iterator[BotProcess]:
    config = write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "approvals.json",
        users={APPLICANT: "WuJunJie", APPROVER: "alice"},
        extra='[wecom.templates]\nseal = "tmpl-seal"\n',
        wecom_settings=f"timeout_seconds = {int(CLIENT_TIMEOUT)}",
    )
    process = started(config, slack)
    yield process
    if process.proc and process.proc.poll() is None:
        process.stop()
    print("".join(process.log))  # shown by pytest only when the test failed


def pending(sp_no: str) -> str:
    return approval_xml(sp_no, nodes=[(1, [Approver("alice")])], create_time=int(time.time()))


def approved(sp_no: str) -> str:
    nodes = [(1, [Approver("alice", 2, "ok", 1_700_000_100)])]
    return approval_xml(sp_no, status=2, action=2, nodes=nodes, create_time=int(time.time()) + 1)


def deliver(sender: WeComSender, callbacks: list[str]) -> list[str]:
    """Post every callback at once, each from its own thread, as WeCom's servers do; every one must be
    acknowledged. Returns them in the order given."""
    replies: dict[int, httpx.Response] = {}

    def post(index: int, xml: str) -> None:
        replies[index] = sender.post(xml)

    threads = [threading.Thread(target=post, args=item) for item in enumerate(callbacks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [(replies[i].status_code, replies[i].text) for i in range(len(callbacks))] == [
        (200, "success")
    ] * len(callbacks)
    return callbacks


def cards_about(slack: SlackStandIn, user: str, sp_no: str) -> list[Posted]:
    return [m for m in slack.conversation(user) if sp_no in m.text]


def landed_outbox_ids(slack: SlackStandIn) -> Counter[str]:
    """How many messages that Slack shows carry each outbox id (a posted notification)."""
    with slack._lock:
        messages = [m for conversation in slack.messages.values() for m in conversation]
    return Counter(str((m.metadata or {}).get("event_payload", {}).get("outbox_id")) for m in messages)


def attempted_outbox_ids(slack: SlackStandIn) -> set[str]:
    """Every outbox id the bot tried to post, whatever Slack answered."""
    ids = set()
    for args in slack.calls_to("chat.postMessage"):
        metadata = args.get("metadata")
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata or {}
        ids.add(str(metadata.get("event_payload", {}).get("outbox_id")))
    return ids


@tinydb_only("counts one process's WeCom token fetches; each replica keeps a token of its own")
def test_wecom_faults_while_callbacks_arrive_lose_nothing_and_retry_within_bounds(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    first = [f"2026010{n}0001" for n in range(1, 5)]
    second = [f"2026020{n}0001" for n in range(1, 4)]
    for sp_no in first + second:
        wecom.approvals[sp_no] = approval_detail(sp_no)
    # the token fetch is busy then fails; each read of the form data meets one kind of fault
    wecom.fail("gettoken", errcode=-1)
    wecom.fail("gettoken", http_status=503)
    wecom.fail("oa/getapprovaldetail", hang=True)  # a timeout
    wecom.fail("oa/getapprovaldetail", errcode=-1)
    wecom.fail("oa/getapprovaldetail", errcode=45009)
    wecom.fail("oa/getapprovaldetail", http_status=502)
    sender = WeComSender(bot.url)
    # the first sweep (quiet, at start) has looked before the callbacks: its reads are not counted below
    wait_for(lambda: first_sweep_done(bot), timeout=30, what="the first sweep")

    # each new approval twice (WeCom retries what it thinks was lost), all at once
    deliver(sender, [pending(sp_no) for sp_no in first for _ in range(2)])
    for sp_no in first:
        wait_for(lambda s=sp_no: cards_about(slack, APPROVER, s), timeout=60, what=f"the card of {sp_no}")
    # the cards go out from the callbacks; the form reads meet the faults apart, then fill the cards in
    wait_for(lambda: bot.health()["details_wanted"] == 0, timeout=60, what="every form read")
    assert wecom.served("oa/getapprovaldetail") == 4 and wecom.served("gettoken") == 2

    # the token goes bad while more callbacks arrive: renewed once, not in a loop
    tokens_before = wecom.gettoken_count
    wecom.expire_tokens(40014)
    deliver(sender, [pending(sp_no) for sp_no in second] + [approved(sp_no) for sp_no in first])
    for sp_no in second:
        wait_for(lambda s=sp_no: cards_about(slack, APPROVER, s), timeout=30, what=f"the card of {sp_no}")
    for sp_no in first:
        wait_for(
            lambda s=sp_no: "Approved" in cards_about(slack, APPLICANT, s)[0].text,
            timeout=30,
            what=f"{sp_no} approved on the applicant's card",
        )
    wait_for(
        lambda: bot.health()["details_wanted"] == 0 and bot.health()["outbox_backlog"] == 0,
        timeout=60,
        what="every form read and the outbox drained",
    )

    assert wecom.gettoken_count == tokens_before + 1  # one renewal for 40014
    issued = wecom.gettoken_count - wecom.served("gettoken")
    assert issued == 2, f"{issued} tokens issued: the first and one renewal"
    detail_calls = len(wecom.calls_to("oa/getapprovaldetail"))
    print("DEBUG", wecom.calls_to("oa/getapprovaldetail"))
    reads_needed = len(first) + len(second)  # the form data, once per approval
    print(f"\ngetapprovaldetail calls: {detail_calls} for {reads_needed} approvals, 4 faults, one 40014")
    assert detail_calls <= reads_needed + wecom.served("oa/getapprovaldetail") + 1
    for sp_no in first + second:
        for user in (APPLICANT, APPROVER):
            assert len(cards_about(slack, user, sp_no)) == 1, f"{user} told about {sp_no} more than once"
    events = len(first) * 2 + len(second)
    assert len(slack.conversation("CAUDIT01")) == events  # one audit line per distinct change
    assert Counter(landed_outbox_ids(slack).values()) == {1: len(landed_outbox_ids(slack))}
    texts = [m.text for m in slack.conversation(APPLICANT)]
    assert all("New laptops" in json.dumps(m.blocks) for m in slack.conversation(APPLICANT)), texts


def told_plainly(message: Posted) -> None:
    """What a person reads: no traceback or exception names, and what happens next."""
    text = message.text + json.dumps(message.blocks, ensure_ascii=False)
    for leak in ("Traceback", "Exception", "WeComUnavailable", "FilingUncertain", "httpx", "errcode"):
        assert leak not in text, f"{leak!r} shown to the applicant: {message.text}"
    assert "draft_check" in buttons(message), "no way to check again offered"
    assert "Nothing will be filed twice" in message.text


def filed_count(wecom: FakeWeComApi) -> int:
    """Approvals WeCom accepted through applyevent (each one is in `approvals`)."""
    return len(wecom.approvals)


def lookups_before_refiling(wecom: FakeWeComApi) -> list[int]:
    """Indexes of applyevent calls that filed again for a creator whose previous attempt had no
    answer (a timeout or an HTTP error) without a getapprovalinfo for that creator in between."""
    unanswered = {index for index, path, kind in wecom.faults_served if kind in ("hang", "http")}
    in_doubt: set[str] = set()
    blind = []
    for index, call in enumerate(wecom.calls):
        body = call.body or {}
        if call.path == "oa/applyevent":
            creator = body.get("creator_userid", "")
            if creator in in_doubt:
                blind.append(index)
            if index in unanswered:
                in_doubt.add(creator)
        elif call.path == "oa/getapprovalinfo":
            in_doubt -= {f["value"] for f in body.get("filters", []) if f.get("key") == "creator"}
    return blind


def submit_and_settle(slack: SlackStandIn, user: str) -> Posted:
    """`user` files once from Slack; returns the first DM that answers it (a card or an explanation)."""
    seen = len(slack.conversation(user))
    view = open_form(slack, user)
    assert slack.submit(user, view, answers(slack)).status_code == 200
    return wait_for(
        lambda: slack.conversation(user)[seen:] and slack.conversation(user)[seen],
        timeout=CLIENT_TIMEOUT + 20,
        what=f"{user} told",
    )


def check_again(slack: SlackStandIn, user: str, told: Posted) -> None:
    draft = buttons(told)["draft_check"]["value"]
    assert slack.click(user, "draft_check", draft, message=told).status_code == 200


def first_sweep_done(bot: BotProcess) -> bool:
    return bool((bot.health()["sweeps"] or {}).get("wecom"))


def test_a_request_filed_while_the_first_sweep_runs_is_still_confirmed_to_the_applicant(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    """The first sweep after a start records what exists without telling anyone. A request whose
    applyevent answer is late is in WeCom when that sweep looks: the applicant must still get the
    card that says it was filed, or they saw "submitted" and then nothing."""
    wecom.fail("oa/applyevent", hang=True, processed=True)
    view = open_form(slack)
    assert slack.submit(APPLICANT, view, answers(slack)).status_code == 200
    wait_for(lambda: wecom.approvals, what="filed in WeCom")
    wait_for(lambda: first_sweep_done(bot), timeout=30, what="the first sweep, while the answer is late")
    [sp_no] = wecom.approvals
    wait_for(lambda: dm(slack, APPLICANT, sp_no), timeout=CLIENT_TIMEOUT + 20, what="the applicant's card")
    assert filed_count(wecom) == 1 and len(wecom.calls_to("oa/applyevent")) == 1


def test_an_unanswered_filing_never_adopts_another_request_of_the_same_person(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    """Two requests of one template by one person, seconds apart, are two requests: looking for
    what an unanswered attempt filed must not take the other one for it."""
    first = submit_and_settle(slack, APPLICANT)
    [earlier] = wecom.approvals
    assert earlier in first.text
    wecom.fail("oa/applyevent", None, errcode=-1)  # busy on every attempt: nothing filed
    told = submit_and_settle(slack, APPLICANT)
    told_plainly(told)  # not "filed as <the earlier request>"
    wecom.clear_faults()
    check_again(slack, APPLICANT, told)
    wait_for(lambda: filed_count(wecom) == 2, timeout=20, what="the second request filed")
    later = list(wecom.approvals)[1]
    wait_for(lambda: dm(slack, APPLICANT, later), timeout=20, what="the second request's card")


def test_filing_while_applyevent_times_out_or_fails_files_at_most_once_and_says_what_next(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    wait_for(lambda: first_sweep_done(bot), timeout=30, what="the first sweep (quiet)")
    # 1. WeCom files it but its answer comes after the client gave up: found, not filed again
    wecom.fail("oa/applyevent", hang=True, processed=True)
    told = submit_and_settle(slack, APPLICANT)
    [sp_no] = wecom.approvals
    assert sp_no in told.text, f"the applicant should see the approval filed: {told.text}"
    assert filed_count(wecom) == 1 and len(wecom.calls_to("oa/applyevent")) == 1
    wecom.release()

    # 2. HTTP 503 (nothing filed), and busy (-1) on every attempt: "can't tell yet", then checked.
    # Other people file these, so no request is the same person's of seconds before (see the test above).
    for user, kind in ((COLLEAGUE, {"http_status": 503}), (APPROVER, {"errcode": -1})):
        before = filed_count(wecom)
        wecom.fail("oa/applyevent", None, **kind)
        told = submit_and_settle(slack, user)
        told_plainly(told)
        assert filed_count(wecom) == before
        wecom.clear_faults("oa/applyevent")
        check_again(slack, user, told)
        wait_for(lambda b=before: filed_count(wecom) == b + 1, timeout=20, what=f"filed after {kind}")
        number = list(wecom.approvals)[before]
        wait_for(lambda n=number, u=user: dm(slack, u, n), timeout=20, what="the status card")
        check_again(slack, user, told)  # a second press files nothing more
    busy_attempts = wecom.served("oa/applyevent", "errcode -1")
    assert busy_attempts <= ATTEMPTS, f"{busy_attempts} applyevent attempts while busy"

    # 3. busy once: retried inside the client (WeCom did not file it), filed once
    before = filed_count(wecom)
    wecom.fail("oa/applyevent", errcode=-1)
    told = submit_and_settle(slack, APPLICANT)
    assert filed_count(wecom) == before + 1
    assert list(wecom.approvals)[-1] in told.text

    wait_for(lambda: bot.health()["outbox_backlog"] == 0, timeout=30, what="outbox drained")
    assert filed_count(wecom) == 4  # four submissions, four approvals: none lost, none doubled
    assert lookups_before_refiling(wecom) == [], [c.path for c in wecom.calls]
    for user in (APPLICANT, COLLEAGUE, APPROVER):
        cards = Counter(n for n in wecom.approvals for m in slack.conversation(user) if n in m.text)
        assert set(cards.values()) <= {1}, f"{user}: {cards}"
    filers = (APPLICANT, COLLEAGUE, APPROVER)
    confirmed = {n for n in wecom.approvals for user in filers if dm(slack, user, n)}
    assert confirmed == set(wecom.approvals)  # every filer saw their request's card


def posts_between(slack: SlackStandIn, channel: str, start: float, end: float) -> list[Arrival]:
    """Posts and updates to `channel` that reached Slack after `start` and before `end`."""
    return [
        a
        for a in slack.arrivals
        if a.method in ("chat.postMessage", "chat.update")
        and a.args.get("channel") == channel
        and start < a.at < end
    ]


def test_slack_faults_deliver_every_notification_exactly_once_and_honour_retry_after(
    bot: BotProcess, slack: SlackStandIn, wecom: FakeWeComApi
) -> None:
    numbers = [f"2026030{n}0001" for n in range(1, 7)]
    for sp_no in numbers:
        wecom.approvals[sp_no] = approval_detail(sp_no)
    sender = WeComSender(bot.url)
    slack.fail("chat.postMessage", "ratelimit", retry_after=RETRY_AFTER)
    slack.fail("chat.postMessage", "http_503")
    slack.fail("chat.postMessage", "lose_response")
    slack.fail("conversations.open", "lose_response")
    slack.fail("conversations.open", "http_500")
    for sp_no in numbers[:3]:
        assert sender.post(pending(sp_no)).text == "success"
    wait_for(
        lambda: all(cards_about(slack, u, s) for s in numbers[:3] for u in (APPLICANT, APPROVER)),
        timeout=60,
        what="the first cards",
    )

    slack.fail("chat.update", "lose_response")
    slack.fail("chat.update", "http_502")
    for sp_no in numbers[:3]:
        assert sender.post(approved(sp_no)).text == "success"
    wait_for(
        lambda: all("Approved" in cards_about(slack, APPLICANT, s)[0].text for s in numbers[:3]),
        timeout=60,
        what="the cards updated",
    )

    # the token is refused for a while: what is queued meanwhile must wait, not vanish
    for method in INVALID_AUTH_METHODS:
        slack.fail(method, "invalid_auth", times=None)
    for sp_no in numbers[3:]:
        assert sender.post(pending(sp_no)).text == "success"
    wait_for(
        lambda: any(a.answer == "invalid_auth" for a in slack.arrivals), timeout=30, what="invalid_auth met"
    )
    refused_at = time.time()
    wait_for(lambda: time.time() > refused_at + 1, what="the outage lasting a while")  # no sleep: a poll
    slack.clear_faults()
    wait_for(
        lambda: all(cards_about(slack, u, s) for s in numbers[3:] for u in (APPLICANT, APPROVER)),
        timeout=90,
        what="the cards held during the outage",
    )
    wait_for(lambda: bot.health()["outbox_backlog"] == 0, timeout=60, what="outbox drained")

    landed = landed_outbox_ids(slack)
    assert max(landed.values()) == 1, [k for k, v in landed.items() if v > 1]
    assert set(landed) == attempted_outbox_ids(slack), "notifications tried but never delivered"
    for sp_no in numbers:
        for user in (APPLICANT, APPROVER):
            assert len(cards_about(slack, user, sp_no)) == 1, f"{user} has several cards for {sp_no}"
    assert len(slack.conversation("CAUDIT01")) == len(numbers) + 3  # one line per change

    [limited] = [a for a in slack.arrivals if a.answer == "ratelimit"]
    early = posts_between(slack, limited.args["channel"], limited.at, limited.at + RETRY_AFTER)
    assert early == [], f"posted to {limited.args['channel']} before Retry-After elapsed"

    failed = [a for a in slack.arrivals if a.answer != "ok"]
    posts = len(slack.calls_to("chat.postMessage")) + len(slack.calls_to("chat.update"))
    print(f"\nSlack calls: {len(slack.arrivals)}, posts and updates: {posts}, faulted: {len(failed)}")
    assert len(failed) <= 3 * (len(landed) + len(numbers)), "a retry storm"

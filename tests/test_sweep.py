"""Sweeps recover what callbacks missed, once, at a cost that grows with change, not size."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.directory import Directory
from bot.providers.wecom.client import WeComClient
from bot.providers.wecom.detail import parse_approval_detail
from bot.providers.wecom.provider import WeComProvider
from bot.providers.wecom.sweep import ROTATION, WeComSweeper
from bot.service import ApprovalService, ServiceSettings
from bot.store import Store
from bot.store.tinydb import TinyDBStore
from bot.sweep import Sweeper
from handlers.slack_accounts import SlackAccounts
from tests.fakes.wecom_api import FakeWeComApi

NOW = int(time.time())
USERS = {"UAPPLICANT": "applicant", "UA": "alice"}


def info(sp_no: str, status: int = 1, approved: bool = False, applied: int = NOW - 3600) -> dict:
    member = {
        "userid": "alice",
        "sp_yj": 2 if approved else 1,
        "speech": "",
        "sptime": NOW - 10 if approved else 0,
    }
    return {
        "sp_no": sp_no,
        "sp_name": "采购",
        "sp_status": status,
        "template_id": "tmpl",
        "apply_time": applied,
        "applyer": {"userid": "applicant", "partyid": "1"},
        "process_list": {
            "node_list": [{"node_type": 1, "sp_status": status, "apv_rel": 1, "sub_node_list": [member]}]
        },
        "notifyer": [],
        "comments": [],
        "apply_data": {"contents": []},
    }


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi() as fake:
        yield fake


@pytest.fixture
def world(tmp_path: Path, wecom: FakeWeComApi) -> Iterator[tuple[Store, Sweeper, WeComClient]]:
    store = TinyDBStore(tmp_path / "a.json")
    client = WeComClient(wecom.corp_id, wecom.secret, api_base=wecom.base_url)
    directory = Directory(store, SlackAccounts(WebClient(base_url="http://127.0.0.1:9/")), {"wecom": USERS})
    service = ApprovalService(store, directory, {"wecom": WeComProvider(client)}, ServiceSettings("en"))
    yield store, Sweeper(store, service, {"wecom": WeComSweeper(client, lambda: ["tmpl"])}), client
    client.close()
    store.close()


def detail_reads(wecom: FakeWeComApi) -> int:
    return len(wecom.calls_to("oa/getapprovaldetail"))


def test_first_sweep_records_without_telling_anyone_then_changes_are_told_once(
    world: tuple[Store, Sweeper, WeComClient], wecom: FakeWeComApi
) -> None:
    store, sweeper, _ = world
    wecom.approvals["0001"] = info("0001")
    [first] = sweeper.run_once()
    assert first.first and store.approvals.get("wecom:0001") is not None
    assert store.outbox.items() == [] or all(i["kind"] == "home" for i in store.outbox.items())

    wecom.approvals["0001"] = info("0001", status=2, approved=True)  # decided; the callback was lost
    wecom.approvals["0002"] = info("0002", applied=int(time.time()))  # filed outside the bot, since
    [second] = sweeper.run_once()
    told = [i for i in store.outbox.items() if i["kind"] == "applicant_card"]
    assert second.changed == 2 and len(told) == 2

    before = len(store.outbox.items())
    [third] = sweeper.run_once()  # nothing changed: nothing told
    assert third.changed == 0 and len(store.outbox.items()) == before


def test_300_tracked_pending_3_changed_costs_at_most_3_plus_10_percent_detail_reads(
    world: tuple[Store, Sweeper, WeComClient], wecom: FakeWeComApi
) -> None:
    store, sweeper, _ = world
    for n in range(300):
        wecom.approvals[f"{n:04d}"] = info(f"{n:04d}")
    sweeper.run_once()  # learns them all (the first sweep reads each once)
    assert len(store.approvals.open()) == 300
    for n in (7, 150, 299):
        wecom.approvals[f"{n:04d}"] = info(f"{n:04d}", status=2, approved=True)
    reads_before = detail_reads(wecom)

    [report] = sweeper.run_once()

    reads = detail_reads(wecom) - reads_before
    assert reads <= 3 + 30 and reads == 3 + ROTATION
    assert report.changed == 3
    assert {d["key"] for d in store.approvals.open() if d["final"]} <= {
        "wecom:0007",
        "wecom:0150",
        "wecom:0299",
    }
    assert parse_approval_detail(wecom.approvals["0150"]).status.name == "APPROVED"


def test_a_sweep_with_nothing_changed_reads_almost_nothing(
    world: tuple[Store, Sweeper, WeComClient], wecom: FakeWeComApi
) -> None:
    _, sweeper, _ = world
    for n in range(50):
        wecom.approvals[f"{n:04d}"] = info(f"{n:04d}")
    sweeper.run_once()
    reads_before, lists_before = detail_reads(wecom), len(wecom.calls_to("oa/getapprovalinfo"))
    [report] = sweeper.run_once()
    assert report.changed == 0
    assert detail_reads(wecom) - reads_before == ROTATION  # only the rotating progress check
    assert len(wecom.calls_to("oa/getapprovalinfo")) - lists_before == 2  # filed-since and still-pending


def test_self_built_app_approvals_are_read_one_by_one_and_unlaunched_ones_skipped(
    tmp_path: Path, wecom: FakeWeComApi
) -> None:
    import json

    from bot.model import ApprovalStatus, Snapshot
    from bot.providers.wecom.provider import WeComOpenProvider
    from bot.providers.wecom.sweep import WeComOpenSweeper

    store = TinyDBStore(tmp_path / "b.json")
    client = WeComClient(wecom.corp_id, wecom.secret, api_base=wecom.base_url)
    directory = Directory(
        store, SlackAccounts(WebClient(base_url="http://127.0.0.1:9/")), {"wecom": {"UAPPLICANT": "WuJunJie"}}
    )
    providers = {"wecom_open": WeComOpenProvider(client)}
    service = ApprovalService(store, directory, providers, ServiceSettings("en"))
    sweeper = Sweeper(store, service, {"wecom_open": WeComOpenSweeper(client)})
    for third_no in ("launched", "not-yet"):
        stub = Snapshot("wecom_open", third_no, "1234567111", "付款", ApprovalStatus.PENDING, "WuJunJie", NOW)
        service.apply_snapshot(stub, quiet=True)
    data = json.loads((Path(__file__).parent / "fixtures/wecom/open_approval_data.json").read_text())["data"]
    wecom.open_approvals["launched"] = {**data, "ThirdNo": "launched", "OpenSpstatus": 2}
    try:
        [report] = sweeper.run_once()
        assert (report.looked_at, report.changed, report.error) == (1, 1, "")
        assert store.approvals.get("wecom_open:launched")["snapshot"]["status"] == 2
        assert len(wecom.calls_to("corp/getopenapprovaldata")) == 2  # each tracked, unfinished one
    finally:
        client.close()
        store.close()

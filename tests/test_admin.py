"""The admin use cases (bot.admin) over a real runtime: the store, the directory, the catalog, the
outbox, against the fake WeCom and the Slack stand-in; and their Block Kit, validated by slack_sdk."""

from __future__ import annotations

import copy
import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.admin import AdminRefused
from bot.config import load_config
from bot.model import ApprovalStatus
from bot.offline.slack_standin import SlackStandIn
from bot.runtime import Runtime, build_runtime
from handlers import admin_blocks
from handlers.cards import Venue
from tests.factories import member, node, snapshot
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import CORP_ID, SECRET, write_config

FIXTURE = Path(__file__).parent / "fixtures" / "wecom" / "templates" / "every_control.json"
ADMIN, APPLICANT, APPROVER, NEWCOMER = "U0ADMIN", "U0APPLICANT", "U0APPROVER", "U0NEWCOMER"
NOW = int(time.time())


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    users = {ADMIN: {}, APPLICANT: {}, APPROVER: {}, NEWCOMER: {}}
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.templates["tmpl-seal"] = json.loads(FIXTURE.read_text(encoding="utf-8"))
        fake.templates["tmpl-other"] = json.loads(FIXTURE.read_text(encoding="utf-8"))
        yield fake


@pytest.fixture
def config_path(tmp_path: Path, slack: SlackStandIn, wecom: FakeWeComApi) -> Path:
    return write_config(
        tmp_path / "config.toml",
        slack.api_url,
        wecom.base_url,
        tmp_path / "data" / "a.json",
        users={APPLICANT: "applicant", APPROVER: "alice"},
        extra='[wecom.templates]\nseal = "tmpl-seal"\n',
        admins=[ADMIN],
    )


def open_runtime(config_path: Path) -> Runtime:
    return build_runtime(load_config(config_path), with_bolt=False)


@pytest.fixture
def runtime(config_path: Path) -> Iterator[Runtime]:
    built = open_runtime(config_path)
    yield built
    built.stop()


def rendered_text(runtime: Runtime, item: dict[str, Any]) -> str:
    """An outbox item's text as the Slack edge renders it when it delivers."""
    message = runtime.deliverer.render(item)
    assert message is not None
    return message[0]


def audit_lines(runtime: Runtime) -> list[str]:
    return [
        rendered_text(runtime, i)
        for i in runtime.store.outbox.items()
        if i.get("kind") == "audit" and i["channel"] == "CAUDIT01"
    ]


def valid_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every block parses and validates as slack_sdk's models do before Slack sees them."""
    assert message["text"]
    assert 0 < len(message["blocks"]) <= 50
    for raw in message["blocks"]:
        Block.parse(raw).validate_json()
    return message["blocks"]


def pending(number: str = "0001", approver: str = "alice", applied: int = NOW - 7200):
    return replace(snapshot(node(member(approver)), number=number, applicant="applicant"), apply_time=applied)


# who may --------------------------------------------------------------------------------------------


def test_only_configured_admins_are_admins(runtime: Runtime) -> None:
    assert runtime.admin.is_admin(ADMIN)
    assert not runtime.admin.is_admin(APPLICANT)
    assert not runtime.admin.is_admin("")


def test_an_action_is_audited_in_the_audit_channel_through_the_outbox(runtime: Runtime) -> None:
    runtime.admin.audit(ADMIN, "track", "seal <!channel>")
    [line] = audit_lines(runtime)
    assert f"<@{ADMIN}>" in line and "track" in line
    assert "<!channel>" not in line and "&lt;!channel&gt;" in line  # a detail cannot broadcast


def test_a_refused_attempt_is_audited_too(runtime: Runtime) -> None:
    runtime.admin.refused(APPLICANT, "sweep")
    [line] = audit_lines(runtime)
    assert f"<@{APPLICANT}>" in line and "refused" in line


# templates ----------------------------------------------------------------------------------------------


def test_track_offers_the_template_at_once_and_after_a_restart(
    config_path: Path, wecom: FakeWeComApi
) -> None:
    runtime = open_runtime(config_path)
    row = runtime.admin.track(ADMIN, "tmpl-other", "other")
    assert (row.alias, row.template_id, row.provider, row.source) == ("other", "tmpl-other", "wecom", "slack")
    assert row.controls == len(wecom.templates["tmpl-other"]["template_content"]["controls"])
    assert runtime.submissions.aliases() == ["other", "seal"]
    assert runtime.submissions.template("other").id == "tmpl-other"
    assert any("track" in line and "tmpl-other" in line for line in audit_lines(runtime))
    runtime.stop()

    again = open_runtime(config_path)
    try:
        assert again.submissions.aliases() == ["other", "seal"]
        assert {r.alias: r.source for r in again.admin.templates()} == {"other": "slack", "seal": "config"}
    finally:
        again.stop()


def test_track_without_a_provider_takes_the_first_listed_that_files(runtime: Runtime) -> None:
    assert runtime.admin.track(ADMIN, "tmpl-other", "other").provider == "wecom"
    filers = runtime.submissions.filers
    runtime.submissions.filers = {"wecom_open": filers["wecom_open"], **filers}
    assert runtime.admin.track(ADMIN, "tmpl-launch", "launch").provider == "wecom_open"


def test_a_template_that_cannot_be_read_is_not_tracked(runtime: Runtime) -> None:
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.track(ADMIN, "no-such-template", "ghost")
    assert refused.value.key == "template_unreadable"
    assert "ghost" not in runtime.submissions.aliases()
    assert runtime.store.templates.tracked() == []


@pytest.mark.parametrize(
    ("template_id", "alias", "provider", "key"),
    [
        ("tmpl-other", "two words", "", "bad_alias"),
        ("tmpl-other", "x" * 41, "", "bad_alias"),
        ("tmpl-other", "other", "nowhere", "unknown_provider"),
    ],
)
def test_track_refuses_bad_arguments_before_reading_anything(
    runtime: Runtime, wecom: FakeWeComApi, template_id: str, alias: str, provider: str, key: str
) -> None:
    reads = len(wecom.calls_to("oa/gettemplatedetail"))
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.track(ADMIN, template_id, alias, provider)
    assert refused.value.key == key
    assert len(wecom.calls_to("oa/gettemplatedetail")) == reads


def test_an_untracked_config_alias_stays_untracked_after_a_restart(config_path: Path) -> None:
    runtime = open_runtime(config_path)
    runtime.admin.untrack(ADMIN, "seal")
    assert runtime.submissions.aliases() == []
    runtime.stop()
    again = open_runtime(config_path)
    try:
        assert again.submissions.aliases() == []
        again.admin.track(ADMIN, "tmpl-seal", "seal")  # tracking it again brings it back
        assert again.submissions.aliases() == ["seal"]
    finally:
        again.stop()


def test_untracking_an_unknown_alias_is_refused(runtime: Runtime) -> None:
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.untrack(ADMIN, "nothing")
    assert refused.value.key == "unknown_alias"


def test_a_draft_of_a_template_untracked_meanwhile_is_refused_not_lost(runtime: Runtime) -> None:
    """Regression: filing looked its alias up in the catalog and raised KeyError once it was untracked."""
    draft = runtime.submissions.start(APPLICANT, "seal")
    with runtime.store.transaction():
        runtime.store.drafts.put({**draft, "status": "filing"})
    runtime.admin.untrack(ADMIN, "seal")
    runtime.submissions.file(draft["id"])
    assert runtime.store.drafts.get(draft["id"])["status"] == "refused"
    told = [i for i in runtime.store.outbox.items() if i.get("user") == APPLICANT and i["kind"] == "draft"]
    assert told and "seal" in rendered_text(runtime, told[0])


def test_sync_reads_every_template_again_and_records_when(runtime: Runtime, wecom: FakeWeComApi) -> None:
    assert [r.synced for r in runtime.admin.templates()] == [None]
    before = len(wecom.calls_to("oa/gettemplatedetail"))
    result = runtime.admin.sync_templates(ADMIN)
    assert len(wecom.calls_to("oa/gettemplatedetail")) == before + 1
    [row] = result.rows
    assert row.synced is not None and row.name and row.controls
    assert result.failed == {}
    assert runtime.admin.known_template_names() == {row.name}


def test_sync_names_a_template_that_cannot_be_read(runtime: Runtime, wecom: FakeWeComApi) -> None:
    del wecom.templates["tmpl-seal"]
    result = runtime.admin.sync_templates(ADMIN)
    assert list(result.failed) == ["seal"]


# identities -------------------------------------------------------------------------------------------


def test_a_mapping_wins_over_a_cached_answer_at_once_and_unmapping_restores_the_config(
    runtime: Runtime,
) -> None:
    directory = runtime.directory
    assert directory.slack_id("wecom", "newbie") is None  # cached as "nobody" for a day
    runtime.admin.map(ADMIN, NEWCOMER, "newbie")
    assert directory.slack_id("wecom", "newbie") == NEWCOMER
    assert directory.provider_id("wecom", NEWCOMER) == "newbie"

    runtime.admin.map(ADMIN, APPROVER, "newbie")  # one WeCom user is one Slack user
    assert directory.slack_id("wecom", "newbie") == APPROVER
    assert directory.provider_id("wecom", APPROVER) == "newbie"

    runtime.admin.unmap(ADMIN, APPROVER)
    assert directory.provider_id("wecom", APPROVER) == "alice"  # the static [users] entry again
    assert [i.source for i in runtime.admin.whois(APPROVER)] == ["directory"]


def test_changing_a_mapping_forgets_the_day_old_cached_answers_about_both_sides(runtime: Runtime) -> None:
    """Without it, unmapping revived a stale cached lookup that predated the admin's fix."""
    runtime.store.people.cache_user("wecom:newbie", slack_id=APPLICANT)  # a wrong answer, cached for a day
    runtime.store.people.cache_user(f"to:wecom:{NEWCOMER}", provider_id="someone-else")
    runtime.admin.map(ADMIN, NEWCOMER, "newbie")
    runtime.admin.unmap(ADMIN, NEWCOMER)
    assert runtime.directory.slack_id("wecom", "newbie") is None  # asked again: nobody has that email
    assert runtime.directory.provider_id("wecom", NEWCOMER) is None


def test_whois_says_where_each_identity_comes_from(runtime: Runtime) -> None:
    runtime.admin.map(ADMIN, NEWCOMER, "newbie")
    [found] = runtime.admin.whois(NEWCOMER)
    assert (found.provider, found.provider_id, found.source) == ("wecom", "newbie", "admin")
    [static] = runtime.admin.whois(APPLICANT)
    assert (static.provider_id, static.source) == ("applicant", "directory")


def test_map_and_whois_take_identities_in_the_order_the_providers_are_listed(runtime: Runtime) -> None:
    """Nothing in the use case names a provider: a provider listed before WeCom that declares its own
    identity is what `map` means without a provider, and `whois` answers for it first."""
    acme = copy.copy(runtime.service.providers["wecom"])
    acme.identity = "acme"
    runtime.service.providers = {"acme": acme, **runtime.service.providers}
    assert runtime.admin.map(ADMIN, NEWCOMER, "newbie").provider == "acme"
    assert runtime.admin.map(ADMIN, NEWCOMER, "newbie-wecom", "wecom").provider == "wecom"
    assert [(i.provider, i.provider_id) for i in runtime.admin.whois(NEWCOMER)] == [
        ("acme", "newbie"),
        ("wecom", "newbie-wecom"),
    ]


@pytest.mark.parametrize(
    ("slack_user", "provider_id", "provider", "key"),
    [
        ("alice", "alice", "", "bad_slack_user"),
        (NEWCOMER, "two words", "", "bad_provider_user"),
        (NEWCOMER, "newbie", "local", "unknown_provider"),
    ],
)
def test_map_refuses_what_is_no_mapping(
    runtime: Runtime, slack_user: str, provider_id: str, provider: str, key: str
) -> None:
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.map(ADMIN, slack_user, provider_id, provider)
    assert refused.value.key == key
    assert runtime.store.people.identity_mappings() == []


def test_unmapping_someone_not_mapped_is_refused(runtime: Runtime) -> None:
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.unmap(ADMIN, NEWCOMER)
    assert refused.value.key == "not_mapped"


# approvals --------------------------------------------------------------------------------------------


def test_status_finds_any_approval_with_its_people(runtime: Runtime) -> None:
    runtime.service.apply_snapshot(pending())
    report = runtime.admin.status("0001")
    assert report.snapshot.number == "0001"
    assert report.names["alice"] == APPROVER
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.status("0001", "fxiaoke")
    assert refused.value.key == "unknown_provider"
    with pytest.raises(AdminRefused):
        runtime.admin.status("9999")


def test_remind_nudges_the_current_approvers_now_even_if_nudged_a_minute_ago(runtime: Runtime) -> None:
    runtime.service.apply_snapshot(pending())
    first = runtime.admin.remind(ADMIN, "0001")
    second = runtime.admin.remind(ADMIN, "0001")
    assert (first.nudged, second.nudged) == (1, 1)
    nudges = [i for i in runtime.store.outbox.items() if i["kind"] == "reminder"]
    assert [i["user"] for i in nudges] == [APPROVER, APPROVER]


def test_remind_refuses_an_approval_that_waits_for_nobody(runtime: Runtime) -> None:
    runtime.service.apply_snapshot(
        replace(
            snapshot(node(member("alice", status=2, time=NOW)), status=ApprovalStatus.APPROVED), number="0002"
        )
    )
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.remind(ADMIN, "0002")
    assert refused.value.key == "not_pending"


def test_sweep_one_provider_reports_what_it_found(runtime: Runtime) -> None:
    [report] = runtime.admin.sweep(ADMIN, "wecom")
    assert report.provider == "wecom" and report.first and not report.error
    assert runtime.store.meta.get("sweep_report:wecom")["at"] == report.at
    with pytest.raises(AdminRefused) as refused:
        runtime.admin.sweep(ADMIN, "nowhere")
    assert refused.value.key == "no_sweeper"


# delivery --------------------------------------------------------------------------------------------------


def test_outbox_shows_held_items_with_why_and_retry_releases_them(runtime: Runtime) -> None:
    runtime.service.apply_snapshot(pending())
    with runtime.store.transaction():
        runtime.store.outbox.hold({"reason": "invalid_auth", "needed": []})
    report = runtime.admin.outbox()
    assert report.held and {item.held for item in report.held} == {"invalid_auth"}
    assert "slack.bot_token" in report.fix
    assert runtime.admin.retry_outbox(ADMIN) == len(report.held)
    assert runtime.store.outbox.held() == []


# reports ----------------------------------------------------------------------------------------------------


def decided(number: str, applied: int, decisions: list[tuple[str, int]], final: bool = True):
    """An approval with one approver step per (approver, decided at)."""
    nodes = [node(member(who, status=2, time=at)) for who, at in decisions]
    status = ApprovalStatus.APPROVED if final else ApprovalStatus.PENDING
    return replace(snapshot(*nodes, number=number, status=status), apply_time=applied)


def test_stats_count_by_template_and_status_and_time_decisions_and_approvers(runtime: Runtime) -> None:
    day = 86400
    runtime.service.apply_snapshot(decided("A1", NOW - 3 * day, [("alice", NOW - 3 * day + 3600)]))
    runtime.service.apply_snapshot(
        decided("A2", NOW - 2 * day, [("alice", NOW - 2 * day + 7200), ("bob", NOW - 2 * day + 10800 + 7200)])
    )
    runtime.service.apply_snapshot(pending("P1", applied=NOW - 5 * 3600))
    runtime.service.apply_snapshot(decided("OLD", NOW - 40 * day, [("alice", NOW - 39 * day)]))
    stats = runtime.admin.stats(30)
    assert stats.total == 3
    assert stats.by_template == {"采购申请": {"approved": 2, "pending": 1}}
    assert stats.median_decision_seconds == (3600 + 18000) / 2  # apply -> final action
    assert stats.slowest[0] == ("bob", 10800.0, 1)  # waited from alice's decision, not from applying
    assert stats.slowest[1] == (APPROVER, (3600 + 7200) / 2, 2)  # alice is a Slack user
    [waiting] = stats.pending
    assert (waiting.number, waiting.waiting_on, waiting.since) == ("P1", (APPROVER,), NOW - 5 * 3600)


def test_export_is_a_file_of_the_last_days(runtime: Runtime) -> None:
    runtime.service.apply_snapshot(pending("NEW", applied=NOW - 3600))
    runtime.service.apply_snapshot(decided("OLD", NOW - 40 * 86400, [("alice", NOW - 39 * 86400)]))
    file = runtime.admin.export(ADMIN, 30, "csv")
    rows = list(csv.DictReader(io.StringIO(file.content.decode())))
    assert [r["number"] for r in rows] == ["NEW"] and file.rows == 1
    assert file.filename.endswith("-30d.csv")
    assert [r["number"] for r in json.loads(runtime.admin.export(ADMIN, 60, "json").content)] == [
        "OLD",
        "NEW",
    ]
    with pytest.raises(AdminRefused):
        runtime.admin.export(ADMIN, 30, "xlsx")


def test_health_says_version_providers_sweeps_outbox_and_store_size(runtime: Runtime) -> None:
    runtime.admin.sweep(ADMIN, "wecom")
    health = runtime.admin.health()
    assert health.version != "unknown"
    assert {"wecom", "wecom_open"} <= set(health.providers)
    assert health.sweeps["wecom"]["provider"] == "wecom"
    assert health.store_bytes > 0
    assert "wecom" in health.tokens


# Block Kit --------------------------------------------------------------------------------------------------


def test_every_answer_is_valid_block_kit(runtime: Runtime) -> None:
    lang = "en"
    runtime.service.apply_snapshot(pending())
    runtime.admin.map(ADMIN, NEWCOMER, "newbie")
    with runtime.store.transaction():
        runtime.store.outbox.hold({"reason": "invalid_auth", "needed": []})
    messages = [
        admin_blocks.help_message(lang),
        admin_blocks.usage("track", lang),
        admin_blocks.unknown("<!channel>", lang),
        admin_blocks.templates_message(runtime.admin.templates(), lang),
        admin_blocks.sync_message(runtime.admin.sync_templates(ADMIN), lang),
        admin_blocks.tracked_message(runtime.admin.track(ADMIN, "tmpl-other", "other"), lang),
        admin_blocks.mapped_message(runtime.admin.map(ADMIN, APPLICANT, "applicant"), lang),
        admin_blocks.whois_message(NEWCOMER, runtime.admin.whois(NEWCOMER), lang),
        admin_blocks.status_message(
            runtime.admin.status("0001"),
            Venue.of(runtime.service.provider("wecom"), lang),
            runtime.live,
            lang,
        ),
        admin_blocks.reminded_message(runtime.admin.remind(ADMIN, "0001"), lang),
        admin_blocks.sweep_message(runtime.admin.sweep(ADMIN), lang),
        admin_blocks.outbox_message(runtime.admin.outbox(), lang),
        admin_blocks.stats_message(runtime.admin.stats(30), lang),
        admin_blocks.health_message(runtime.admin.health(), lang),
        admin_blocks.refusal("not_found", {"number": "<@U1>"}, lang),
    ]
    for message in messages:
        valid_blocks(message)
    assert "&lt;!channel&gt;" in json.dumps(messages[2])  # what the admin typed is shown, not acted on
    assert "<@U1>" not in json.dumps(messages[-1])


@pytest.mark.parametrize(("seconds", "said"), [(40, "40s"), (720, "12m"), (7500, "2h 5m"), (273600, "3d 4h")])
def test_durations_read_as_people_say_them(seconds: int, said: str) -> None:
    assert admin_blocks.duration(seconds) == said

"""WeComClient against the loopback fake WeCom, through the real httpx client.

Time is injected: backoff and pacing sleeps are recorded and advance a fake clock, never waited.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.providers.wecom.client import (
    RateLimiter,
    WeComAuthError,
    WeComClient,
    WeComError,
    WeComRateLimited,
    WeComRefused,
    WeComUnavailable,
    redact,
)
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import wait_for

DETAIL = "oa/getapprovaldetail"
APPLY = "oa/applyevent"
INFO = {"sp_no": "202401010001", "sp_status": 1, "template_id": "tpl", "apply_time": 1_700_000_000}
APPLICATION = {
    "creator_userid": "WangXiaoMing",
    "template_id": "tpl",
    "use_template_approver": 1,
    "apply_data": {"contents": []},
    "summary_list": [],
}


class FakeTime:
    """An injectable clock and sleep: sleeping is recorded and moves the clock, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi() as fake:
        fake.approvals[INFO["sp_no"]] = INFO
        yield fake


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def connect(wecom: FakeWeComApi, fake_time: FakeTime) -> Iterator[Callable[..., WeComClient]]:
    """Builds clients on the fake (closed after the test); keywords override the defaults."""
    clients: list[WeComClient] = []

    def build(**overrides: Any) -> WeComClient:
        options: dict[str, Any] = {
            "api_base": wecom.base_url,
            "timeout": 5.0,
            "clock": fake_time.clock,
            "sleep": fake_time.sleep,
            **overrides,
        }
        clients.append(
            WeComClient(options.pop("corp_id", wecom.corp_id), options.pop("secret", wecom.secret), **options)
        )
        return clients[-1]

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(connect: Callable[..., WeComClient]) -> WeComClient:
    return connect()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until `condition` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# -- the access token ------------------------------------------------------------------------------------


def test_one_token_is_fetched_and_shared_by_every_thread(wecom: FakeWeComApi, client: WeComClient) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        details = list(pool.map(lambda _: client.oa.get_approval_detail(INFO["sp_no"]), range(40)))
    assert details == [INFO] * 40
    assert wecom.gettoken_count == 1
    assert len(wecom.calls_to(DETAIL)) == 40


def test_token_state_tells_validity_but_not_the_token(
    wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime
) -> None:
    assert client.token_state() == {"valid": False, "expires_in": None}
    client.oa.get_approval_detail(INFO["sp_no"])
    assert client.token_state() == {"valid": True, "expires_in": 7200}
    assert wecom.issued_tokens[0] not in repr(client.token_state())
    fake_time.now += 7201
    assert client.token_state() == {"valid": False, "expires_in": 0}


def test_token_is_renewed_five_minutes_before_it_expires(
    wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime
) -> None:
    client.oa.get_approval_detail(INFO["sp_no"])
    fake_time.now += 7200 - 301
    client.oa.get_approval_detail(INFO["sp_no"])
    assert wecom.gettoken_count == 1
    fake_time.now += 2
    client.oa.get_approval_detail(INFO["sp_no"])
    assert wecom.gettoken_count == 2
    assert len(wecom.calls_to(DETAIL)) == 3  # renewed ahead of time: WeCom never saw a stale token


@pytest.mark.parametrize("errcode", [42001, 40014, 40001])
def test_a_rejected_token_is_renewed_once_and_the_call_succeeds(
    wecom: FakeWeComApi, client: WeComClient, errcode: int
) -> None:
    client.oa.get_approval_detail(INFO["sp_no"])
    wecom.expire_tokens(errcode)
    assert client.oa.get_approval_detail(INFO["sp_no"]) == INFO
    assert wecom.gettoken_count == 2
    assert len(wecom.calls_to(DETAIL)) == 3


def test_a_second_rejection_raises_instead_of_looping(wecom: FakeWeComApi, client: WeComClient) -> None:
    wecom.fail(DETAIL, times=5, errcode=42001)
    with pytest.raises(WeComAuthError) as caught:
        client.oa.get_approval_detail(INFO["sp_no"])
    assert caught.value.code == 42001
    assert wecom.gettoken_count == 2
    assert len(wecom.calls_to(DETAIL)) == 2


@pytest.mark.parametrize(
    ("credentials", "errcode"),
    [
        ({"secret": "wrong-secret-5f2b"}, 40001),
        ({"corp_id": "ww-wrong-corp"}, 40013),
    ],
)
def test_wrong_credentials_are_an_auth_error_at_once(
    wecom: FakeWeComApi, connect: Callable[..., WeComClient], credentials: dict[str, str], errcode: int
) -> None:
    with pytest.raises(WeComAuthError) as caught:
        connect(**credentials).oa.get_approval_detail(INFO["sp_no"])
    assert caught.value.code == errcode
    assert caught.value.endpoint == "gettoken"
    assert wecom.gettoken_count == 1
    assert not wecom.calls_to(DETAIL)
    assert "wrong-secret-5f2b" not in repr(caught.value)


def test_concurrent_callers_with_an_expired_token_wait_for_one_renewal(
    wecom: FakeWeComApi, client: WeComClient
) -> None:
    client.oa.get_approval_detail(INFO["sp_no"])
    wecom.fail(DETAIL, times=20, hang=True)
    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(client.oa.get_approval_detail, INFO["sp_no"]) for _ in range(20)]
        wait_until(lambda: len(wecom.calls_to(DETAIL)) == 21)  # all 20 sent with the first token
        wecom.expire_tokens()
        wecom.fail("gettoken", hang=True)  # keep the renewal in flight while the 20 meet their 42001
        wecom.release()
        wait_until(lambda: wecom.gettoken_count == 2)
        wecom.release()
        assert [future.result() for future in futures] == [INFO] * 20
    assert wecom.gettoken_count == 2
    assert len(wecom.calls_to(DETAIL)) == 41


# -- retries, backoff and refusals ----------------------------------------------------------------------


def test_busy_is_retried_with_backoff(wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime) -> None:
    wecom.fail(DETAIL, times=2, errcode=-1)
    assert client.oa.get_approval_detail(INFO["sp_no"]) == INFO
    assert fake_time.sleeps == [0.5, 1.0]
    assert len(wecom.calls_to(DETAIL)) == 3


def test_busy_beyond_the_retries_is_unavailable(
    wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime
) -> None:
    wecom.fail(APPLY, times=4, errcode=-1)
    with pytest.raises(WeComUnavailable) as caught:
        client.oa.apply_event(APPLICATION)
    assert caught.value.code == -1
    assert fake_time.sleeps == [0.5, 1.0, 2.0]
    assert len(wecom.calls_to(APPLY)) == 4


@pytest.mark.parametrize("errcode", [45009, 45033])
def test_rate_limits_back_off_then_raise(
    wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime, errcode: int
) -> None:
    wecom.fail(DETAIL, times=4, errcode=errcode)
    with pytest.raises(WeComRateLimited) as caught:
        client.oa.get_approval_detail(INFO["sp_no"])
    assert caught.value.code == errcode
    assert str(errcode) in str(caught.value)
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("errcode", [301025, 301055, 301056, 301057, 301086, 301087, 301088, 620004, 60111])
def test_refusals_are_explained_in_plain_words_and_not_retried(
    wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime, errcode: int
) -> None:
    wecom.fail(APPLY, errcode=errcode)
    with pytest.raises(WeComRefused) as caught:
        client.oa.apply_event(APPLICATION)
    refusal = caught.value
    assert (refusal.code, refusal.endpoint) == (errcode, APPLY)
    assert str(errcode) in refusal.message and str(errcode) in refusal.message_zh
    assert "refused the request" not in refusal.message  # a text of its own, not the generic one
    assert str(refusal) == refusal.message
    assert len(wecom.calls_to(APPLY)) == 1
    assert fake_time.sleeps == []


def test_an_unknown_code_is_a_generic_refusal(wecom: FakeWeComApi, client: WeComClient) -> None:
    wecom.fail(DETAIL, errcode=654321)
    with pytest.raises(WeComRefused, match=r"WeCom refused the request .*654321"):
        client.oa.get_approval_detail(INFO["sp_no"])


def test_a_server_error_on_a_read_is_retried(
    wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime
) -> None:
    wecom.fail(DETAIL, http_status=500)
    assert client.oa.get_approval_detail(INFO["sp_no"]) == INFO
    assert fake_time.sleeps == [0.5]


def test_a_server_error_on_applyevent_is_not_resent(wecom: FakeWeComApi, client: WeComClient) -> None:
    wecom.fail(APPLY, http_status=500)
    with pytest.raises(WeComUnavailable, match="unexpected reply"):
        client.oa.apply_event(APPLICATION)
    assert len(wecom.calls_to(APPLY)) == 1  # it may have been filed: resending could file it twice


def test_a_timeout_on_applyevent_is_unavailable_and_not_resent(
    wecom: FakeWeComApi, connect: Callable[..., WeComClient]
) -> None:
    client = connect(timeout=0.3)
    wecom.fail(APPLY, hang=True)
    with pytest.raises(WeComUnavailable, match="did not answer in time") as caught:
        client.oa.apply_event(APPLICATION)
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    assert len(wecom.calls_to(APPLY)) == 1


def test_a_timeout_on_a_read_is_retried(
    wecom: FakeWeComApi, connect: Callable[..., WeComClient], fake_time: FakeTime
) -> None:
    client = connect(timeout=0.3)
    wecom.fail(DETAIL, hang=True)
    assert client.oa.get_approval_detail(INFO["sp_no"]) == INFO
    assert fake_time.sleeps == [0.5]


def test_an_unreachable_wecom_is_unavailable(
    connect: Callable[..., WeComClient], fake_time: FakeTime
) -> None:
    with FakeWeComApi() as gone:
        base_url = gone.base_url
    with pytest.raises(WeComUnavailable, match="cannot be reached"):
        connect(api_base=base_url).oa.apply_event(APPLICATION)
    assert fake_time.sleeps == [0.5, 1.0, 2.0]  # never sent, so safe to retry even applyevent


# -- pacing ---------------------------------------------------------------------------------------------


def test_applyevent_is_paced_to_60_a_minute(
    wecom: FakeWeComApi, client: WeComClient, fake_time: FakeTime
) -> None:
    numbers = {client.oa.apply_event(APPLICATION) for _ in range(60)}
    assert fake_time.sleeps == []
    numbers.add(client.oa.apply_event(APPLICATION))
    assert fake_time.sleeps == [60.0]
    assert len(numbers) == 61
    client.oa.get_approval_detail(INFO["sp_no"])  # reads have a budget of their own
    assert fake_time.sleeps == [60.0]


def test_closing_the_client_ends_a_paced_wait_and_refuses_the_call(
    wecom: FakeWeComApi, connect: Callable[..., WeComClient]
) -> None:
    """A sweep paced through hundreds of reads must not hold up a SIGTERM: close() cuts its wait short."""
    client = connect(sleep=None, clock=time.monotonic)  # real time, and the wait close() ends
    pacing = client._pacing[DETAIL]
    for _ in range(600):  # the minute's budget of detail reads, spent
        pacing.acquire()
    failures: list[Exception] = []

    def read() -> None:
        try:
            client.oa.get_approval_detail(INFO["sp_no"])
        except WeComUnavailable as exc:
            failures.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    # its slot is reserved about a minute ahead: it is waiting for it
    wait_for(lambda: pacing._starts[-1] > time.monotonic() + 30, what="the read waits for its turn")
    client.close()
    reader.join(timeout=30)
    assert not reader.is_alive() and "stopping" in str(failures[0])
    assert wecom.calls_to(DETAIL) == []  # the call was never made


@given(limit=st.integers(1, 5), gaps=st.lists(st.floats(0, 30), max_size=30))
def test_rate_limiter_never_lets_more_than_limit_start_within_a_period(limit: int, gaps: list[float]) -> None:
    fake_time = FakeTime()
    limiter = RateLimiter(limit, 60.0, clock=fake_time.clock, sleep=fake_time.sleep)
    starts = []
    for gap in gaps:
        fake_time.now += gap
        limiter.acquire()
        starts.append(fake_time.now)
    assert all(later - earlier >= 60.0 - 1e-9 for earlier, later in zip(starts, starts[limit:], strict=False))


# -- the endpoints --------------------------------------------------------------------------------------


def test_approval_info_pages_with_the_cursor(wecom: FakeWeComApi, client: WeComClient) -> None:
    numbers = [f"2024010200{n}" for n in range(5)]
    for n, sp_no in enumerate(numbers):
        wecom.approvals[sp_no] = {**INFO, "sp_no": sp_no, "apply_time": 1_700_000_100 + n}
    first = client.oa.get_approval_info(1_700_000_050, 1_700_000_200, size=3)
    second = client.oa.get_approval_info(
        1_700_000_050,
        1_700_000_200,
        size=3,
        cursor=first["new_next_cursor"],
        filters=[{"key": "template_id", "value": "tpl"}],
    )
    assert first["sp_no_list"] + second["sp_no_list"] == numbers
    assert second["new_next_cursor"] == ""
    assert wecom.calls_to("oa/getapprovalinfo")[0].body == {
        "starttime": "1700000050",
        "endtime": "1700000200",
        "new_cursor": "",
        "size": 3,
    }


@pytest.mark.parametrize(
    ("start", "end", "size"),
    [
        (1_700_000_000_000, 1_700_000_100_000, 100),  # milliseconds
        (1_700_000_000, 1_700_000_000 + 32 * 86400, 100),  # longer than 31 days
        (1_700_000_100, 1_700_000_000, 100),  # backwards
        (1_700_000_000, 1_700_000_100, 101),  # page too large
    ],
)
def test_approval_info_refuses_bad_windows_without_calling(
    wecom: FakeWeComApi, client: WeComClient, start: int, end: int, size: int
) -> None:
    with pytest.raises(ValueError):
        client.oa.get_approval_info(start, end, size=size)
    assert wecom.calls == []


def test_applyevent_files_an_approval_the_detail_then_shows(wecom: FakeWeComApi, client: WeComClient) -> None:
    process = {"node_list": [{"type": 1, "apv_rel": 2, "userid": ["LiSi"]}, {"type": 2, "userid": ["Boss"]}]}
    sp_no = client.oa.apply_event({**APPLICATION, "use_template_approver": 0, "process": process})
    info = client.oa.get_approval_detail(sp_no)
    assert (info["sp_no"], info["sp_status"], info["applyer"]["userid"]) == (sp_no, 1, "WangXiaoMing")
    assert info["notifyer"] == [{"userid": "Boss"}]
    assert wecom.calls_to(APPLY)[0].body["process"] == process


def test_templates_are_created_updated_and_read(wecom: FakeWeComApi, client: WeComClient) -> None:
    name = [{"text": "Purchase", "lang": "en"}]
    template_id = client.oa.create_template({"template_name": name})
    client.oa.update_template(
        {"template_id": template_id, "template_name": name, "template_content": {"controls": []}}
    )
    assert client.oa.get_template_detail(template_id) == {
        "template_names": name,
        "template_content": {"controls": []},
    }


def test_open_approval_data_users_and_media(wecom: FakeWeComApi, client: WeComClient) -> None:
    wecom.open_approvals["third-1"] = {"ThirdNo": "third-1", "OpenSpstatus": 2}
    wecom.users["LiSi"] = {"userid": "LiSi", "name": "Li Si", "email": "lisi@example.com"}
    content = bytes(range(256))
    assert client.corp.get_open_approval_data("third-1") == wecom.open_approvals["third-1"]
    assert client.user.get("LiSi") == wecom.users["LiSi"]
    assert client.user.get_userid_by_email("lisi@example.com") == "LiSi"
    media_id = client.media.upload("quote.pdf", content)
    assert wecom.media[media_id] == ("quote.pdf", content)
    assert wecom.calls_to("media/upload")[0].query == {"type": "file"}
    with pytest.raises(WeComRefused) as caught:
        client.user.get("Nobody")
    assert caught.value.code == 60111


def test_a_given_http_client_is_used_and_left_open(connect: Callable[..., WeComClient]) -> None:
    sent: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [sent.append]}) as http:
        client = connect(http=http)
        assert client.oa.get_approval_detail(INFO["sp_no"]) == INFO
        client.close()
        assert not http.is_closed
    assert len(sent) == 2  # gettoken, getapprovaldetail


# -- secrets --------------------------------------------------------------------------------------------


def test_secret_and_tokens_never_reach_logs_or_errors(
    wecom: FakeWeComApi,
    client: WeComClient,
    connect: Callable[..., WeComClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # the CLI quiets httpx; this test reads its lines
    errors: list[WeComError] = []
    client.oa.get_approval_detail(INFO["sp_no"])
    wecom.expire_tokens()
    wecom.fail(DETAIL, errcode=-1)
    client.oa.get_approval_detail(INFO["sp_no"])
    wecom.fail(DETAIL, times=2, errcode=40014)
    for failing_call in (
        lambda: client.oa.get_approval_detail(INFO["sp_no"]),
        lambda: connect(secret="another-secret-9d1e").oa.apply_event(APPLICATION),
    ):
        with pytest.raises(WeComError) as caught:
            failing_call()
        errors.append(caught.value)
    assert "access_token=***" in caplog.text and "corpsecret=***" in caplog.text  # httpx's lines, scrubbed
    texts = [caplog.text, *(repr(e) + str(e) + repr(e.__cause__) + repr(e.__context__) for e in errors)]
    for secret in [wecom.secret, "another-secret-9d1e", *wecom.issued_tokens]:
        assert not any(secret in text for text in texts)


def test_redact_hides_token_and_secret_in_urls() -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=s3cr3t&access_token=t0k3n"
    assert (
        redact(url)
        == "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=***&access_token=***"
    )

"""FXiaoKeClient against the loopback fake FXiaoKe, through the real httpx client."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.providers.fxiaoke.client import (
    FXiaoKeAuthError,
    FXiaoKeClient,
    FXiaoKeError,
    FXiaoKeUnavailable,
)
from tests.fakes.fxiaoke_api import FakeFXiaoKeApi

TOKEN = "corpAccessToken/get/V2"
QUERY = "approval/query"
GET = "approval/get"
START_MS = 1_700_000_000_000
DAY_MS = 86_400_000
APPROVAL = {
    "approvalId": 71676,
    "feed": {
        "feedContent": "加班",
        "createTime": "2017-01-05 22:22:46",
        "lastUpdateTime": "2017-01-05 22:22:46",
    },
    "approvalTasks": [{"taskId": "t1", "type": "single", "state": "in_progress", "sequenceNumber": "1"}],
    "formRecord": {"paymentAmount": 12, "paymentType": "支付宝"},
    "senderId": "FSUID_68D40E4FE7F461644E37E70B9BD64522",
    "status": 1,
    "approveType": 6,
    "approvalFormId": "9A8AF67A-4793-4D8C-AE3D-AA03FB9F80CF",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fx() -> Iterator[FakeFXiaoKeApi]:
    with FakeFXiaoKeApi() as fake:
        fake.approvals[71676] = APPROVAL
        fake.updated_ms[71676] = START_MS + DAY_MS
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(fx: FakeFXiaoKeApi, clock: FakeClock) -> Iterator[FXiaoKeClient]:
    with FXiaoKeClient(fx.app_id, fx.app_secret, fx.permanent_code, api_base=fx.base_url, clock=clock) as c:
        yield c


def test_token_is_fetched_once_reused_and_renewed_early(
    fx: FakeFXiaoKeApi, client: FXiaoKeClient, clock: FakeClock
) -> None:
    assert client.token_state() == {"valid": False, "expires_in": None}
    fx.types.append({"approveType": 2, "name": "请假", "id": "FORM-1"})
    assert client.approval_types() == fx.types
    assert client.get(71676) == APPROVAL
    assert len(fx.calls_to(TOKEN)) == 1
    assert fx.calls_to(TOKEN)[0].body == {"appId": fx.app_id}  # secrets are never recorded
    assert fx.calls_to(GET)[0].body == {"corpId": fx.corp_id, "approvalId": 71676}
    assert client.token_state() == {"valid": True, "expires_in": 7200}
    clock.now += 7200 - 300  # within five minutes of expiry: renewed before it is used
    client.get(71676)
    assert len(fx.calls_to(TOKEN)) == 2


def test_rejected_token_is_renewed_once_and_the_call_repeated(
    fx: FakeFXiaoKeApi, client: FXiaoKeClient
) -> None:
    client.get(71676)
    fx.expire_tokens()
    assert client.get(71676) == APPROVAL
    assert len(fx.calls_to(TOKEN)) == 2
    assert len(fx.calls_to(GET)) == 3


def test_a_second_token_error_is_an_auth_error(fx: FakeFXiaoKeApi, client: FXiaoKeClient) -> None:
    fx.fail(GET, 2, error_code=20016)
    with pytest.raises(FXiaoKeAuthError) as caught:
        client.get(71676)
    assert caught.value.code == 20016
    assert caught.value.endpoint == GET
    assert len(fx.calls_to(TOKEN)) == 2
    assert len(fx.calls_to(GET)) == 2


def test_wrong_credentials_are_an_auth_error(fx: FakeFXiaoKeApi) -> None:
    with (
        FXiaoKeClient(fx.app_id, "wrong-secret", fx.permanent_code, api_base=fx.base_url) as client,
        pytest.raises(FXiaoKeAuthError),
    ):
        client.approval_types()
    assert fx.calls_to("approvalTypeForms/get") == []


def test_query_reads_every_page(fx: FakeFXiaoKeApi, client: FXiaoKeClient) -> None:
    fx.approvals.clear()
    fx.updated_ms.clear()
    for i in range(1, 2501):
        fx.approvals[i] = {"approvalId": i, "status": 2, "approvalFormId": "FORM-1"}
        fx.updated_ms[i] = START_MS + i
    fx.approvals[2501] = {"approvalId": 2501, "status": 1, "approvalFormId": "FORM-2"}
    fx.updated_ms[2501] = START_MS + 5
    fx.updated_ms[2502] = START_MS + 180 * DAY_MS + 1  # outside the window

    found = client.query(START_MS, START_MS + 180 * DAY_MS, form_id="FORM-1", page_size=1000)

    assert sorted(item["id"] for item in found) == list(range(1, 2501))
    assert {item["status"] for item in found} == {2}
    calls = fx.calls_to(QUERY)
    assert [call.body["pageNumber"] for call in calls] == [1, 2, 3]
    assert calls[0].body == {
        "corpId": fx.corp_id,
        "startTime": START_MS,
        "endTime": START_MS + 180 * DAY_MS,
        "pageSize": 1000,
        "approvalFormId": "FORM-1",
        "pageNumber": 1,
    }


def test_query_stops_at_an_empty_page(fx: FakeFXiaoKeApi, client: FXiaoKeClient) -> None:
    fx.updated_ms.clear()
    assert client.query(START_MS, START_MS + DAY_MS) == []
    assert len(fx.calls_to(QUERY)) == 1


@pytest.mark.parametrize(
    ("start", "end", "size"),
    [
        (START_MS, START_MS + 180 * DAY_MS + 1, 1000),  # window over 180 days
        (START_MS + DAY_MS, START_MS, 1000),  # backwards
        (START_MS // 1000, START_MS // 1000 + 60, 1000),  # seconds, not milliseconds
        (START_MS, START_MS + DAY_MS, 1001),
        (START_MS, START_MS + DAY_MS, 0),
    ],
)
def test_bad_query_arguments_fail_before_any_call(
    fx: FakeFXiaoKeApi, client: FXiaoKeClient, start: int, end: int, size: int
) -> None:
    with pytest.raises(ValueError):
        client.query(start, end, page_size=size)
    assert fx.calls == []


def test_a_non_zero_error_code_is_an_error_with_that_code(fx: FakeFXiaoKeApi, client: FXiaoKeClient) -> None:
    with pytest.raises(FXiaoKeError) as caught:
        client.get(999)  # unknown: the fake answers 15002 "illegal parameter"
    assert type(caught.value) is FXiaoKeError
    assert caught.value.code == 15002
    assert "15002" in caught.value.message
    assert len(fx.calls_to(TOKEN)) == 1  # not a token error: no renewal


def test_unreachable_fxiaoke_is_unavailable(fx: FakeFXiaoKeApi) -> None:
    base = fx.base_url
    fx.stop()
    with (
        FXiaoKeClient("a", "b", "c", api_base=base, timeout=2.0) as client,
        pytest.raises(FXiaoKeUnavailable) as caught,
    ):
        client.approval_types()
    assert caught.value.code == -1


def test_a_reply_that_is_not_json_is_unavailable(fx: FakeFXiaoKeApi) -> None:
    with (
        FXiaoKeClient("a", "b", "c", api_base=fx.base_url + "nowhere/") as lost,
        pytest.raises(FXiaoKeUnavailable) as caught,
    ):
        lost.approval_types()
    assert caught.value.code == -1
    assert caught.value.endpoint == TOKEN


def test_secrets_stay_out_of_logs_and_errors(
    fx: FakeFXiaoKeApi, client: FXiaoKeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    client.get(71676)
    fx.expire_tokens()
    client.query(START_MS, START_MS + DAY_MS)
    fx.fail(GET, 2, error_code=20016)
    with pytest.raises(FXiaoKeAuthError) as auth:
        client.get(71676)
    errors.append(str(auth.value))
    with pytest.raises(FXiaoKeError) as refused:
        client.get(999)
    errors.append(str(refused.value))
    with (
        FXiaoKeClient(fx.app_id, "wrong-secret", "wrong-code", api_base=fx.base_url) as wrong,
        pytest.raises(FXiaoKeAuthError) as credentials,
    ):
        wrong.approval_types()
    errors.append(repr(credentials.value))

    secrets = [fx.app_secret, fx.permanent_code, "wrong-secret", "wrong-code", *fx.issued_tokens]
    assert len(fx.issued_tokens) >= 3
    assert "corpAccessToken renewed" in caplog.text
    for secret in secrets:
        assert secret not in caplog.text
        for text in errors:
            assert secret not in text

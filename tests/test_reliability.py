"""Retries, sessions, throttling and typed failures, with faults injected at the sandbox.

Each test runs for both platforms. No test really sleeps: the retry policy's sleep is a
recorder (``sleeps``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

import brokers
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD


@dataclass
class Platform:
    name: str
    make: object  # the dx / mt client factory fixture
    read: str  # glob of the balance read
    login: str  # glob of the login route
    renewals: tuple[str, ...]  # globs of requests that renew a session


@pytest.fixture(params=["dxtrade", "matchtrade"])
def platform(request, dx, mt) -> Platform:
    if request.param == "dxtrade":
        return Platform(
            "dxtrade",
            dx,
            "/dxsca-web/accounts/*/metrics",
            "/dxsca-web/login",
            ("/dxsca-web/login",),
        )
    return Platform(
        "matchtrade",
        mt,
        "/mtr-api/*/balance",
        "/manager/co-login",
        ("/manager/co-login", "/manager/mtr-login", "/manager/refresh-token"),
    )


def renewals(sandbox, platform: Platform) -> int:
    return sum(sandbox.count(p) for p in platform.renewals)


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------ retries


def test_503_then_success(sandbox, platform, sleeps):
    sandbox.fault(platform.read, status=503)
    assert platform.make().get_balance().balance > 0
    assert sandbox.count(platform.read) == 2
    assert len(sleeps) == 1


def test_503_every_time_gives_server_error_after_the_configured_attempts(sandbox, platform, sleeps):
    sandbox.fault(platform.read, status=503, times=None)
    client = platform.make(retry=brokers.RetryPolicy(attempts=4, sleep=sleeps))
    with pytest.raises(brokers.ServerError) as info:
        client.get_balance()
    assert info.value.status == 503
    assert sandbox.count(platform.read) == 4
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps)  # the backoff grows


def test_500_is_not_retried(sandbox, platform):
    sandbox.fault(platform.read, status=500)
    with pytest.raises(brokers.ServerError):
        platform.make().get_balance()
    assert sandbox.count(platform.read) == 1


def test_429_retry_after_seconds_is_honoured(sandbox, platform, sleeps):
    sandbox.fault(platform.read, status=429, headers={"Retry-After": "7"})
    assert platform.make().get_balance().balance > 0
    assert sleeps == [7.0]


def test_429_retry_after_http_date_is_honoured(sandbox, platform, sleeps):
    when = datetime.now(timezone.utc) + timedelta(seconds=20)
    sandbox.fault(
        platform.read, status=429, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )
    assert platform.make().get_balance().balance > 0
    assert len(sleeps) == 1 and 15 <= sleeps[0] <= 20


def test_429_every_time_gives_rate_limit_error_with_retry_after(sandbox, platform, sleeps):
    sandbox.fault(platform.read, status=429, headers={"Retry-After": "2"}, times=None)
    with pytest.raises(brokers.RateLimitError) as info:
        platform.make().get_balance()
    assert info.value.retry_after == 2.0
    assert sandbox.count(platform.read) == 3


def test_retry_after_beyond_the_cap_is_handed_to_the_caller_at_once(sandbox, platform, sleeps):
    sandbox.fault(platform.read, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(brokers.RateLimitError) as info:
        platform.make().get_balance()
    assert info.value.retry_after == 3600.0
    assert sleeps == [] and sandbox.count(platform.read) == 1


def test_dropped_connection_is_retried(sandbox, platform, sleeps):
    sandbox.fault(platform.read, drop=True)
    assert platform.make().get_balance().balance > 0
    assert sandbox.count(platform.read) == 2


def test_read_timeout_is_a_request_timeout_error_within_the_bound(sandbox, platform, sleeps):
    sandbox.fault(platform.read, delay=5, times=None)
    client = platform.make(timeout=(2, 0.2), retry=brokers.RetryPolicy(attempts=2, sleep=sleeps))
    client.login()
    started = time.monotonic()
    with pytest.raises(brokers.RequestTimeoutError):
        client.get_balance()
    assert time.monotonic() - started < 3  # two attempts of 0.2 s, not the 5 s stall
    assert isinstance(brokers.RequestTimeoutError("x"), brokers.NetworkError)


def test_unreachable_broker_is_a_network_error(retry, sleeps):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = brokers.DXTrade(f"http://127.0.0.1:{port}", "u", "p", retry=retry, throttle=False)
    with pytest.raises(brokers.NetworkError) as info:
        client.get_balance()
    assert "connection was refused" in str(info.value)
    assert len(sleeps) == 2  # retried, then typed


def test_bad_credentials_are_sent_once_even_with_retries(sandbox, platform, sleeps):
    client = platform.make(password="not-the-password")
    with pytest.raises(brokers.AuthenticationError):
        client.get_balance()
    assert sandbox.count(platform.login) == 1 and sleeps == []


# ---------------------------------------------------------- typed failures


def test_malformed_json_is_a_response_error(sandbox, platform):
    sandbox.fault(platform.read, status=200, body='{"balance": ', content_type="application/json")
    with pytest.raises(brokers.ResponseError) as info:
        platform.make().get_balance()
    assert "not JSON" in str(info.value) and info.value.excerpt


def test_html_404_is_a_response_error_with_an_excerpt(sandbox, platform):
    sandbox.fault(platform.read, status=404, body="<html><h1>Page not found</h1></html>")
    with pytest.raises(brokers.ResponseError) as info:
        platform.make().get_balance()
    assert info.value.status == 404 and "Page not found" in info.value.excerpt
    assert sandbox.count(platform.read) == 1


def test_html_200_is_a_response_error(sandbox, platform):
    sandbox.fault(platform.read, status=200, body="<!doctype html><title>Broker</title>")
    with pytest.raises(brokers.ResponseError):
        platform.make().get_balance()


def test_cloudflare_challenge_is_its_own_error_not_bad_credentials(sandbox, platform):
    sandbox.cloudflare(platform.login)
    with pytest.raises(brokers.BotProtectionError) as info:
        platform.make().login()
    assert not isinstance(info.value, brokers.AuthenticationError)
    assert "bot protection" in str(info.value) and "not a credentials problem" in str(info.value)
    assert sandbox.count(platform.login) == 1


def test_redirect_is_not_followed(sandbox, platform):
    sandbox.fault(platform.read, status=302, headers={"Location": "https://www.example.com/login"})
    with pytest.raises(brokers.ResponseError) as info:
        platform.make().get_balance()
    assert "https://www.example.com/login" in str(info.value)
    assert "base URL" in str(info.value)


def test_locked_account(sandbox, platform):
    if platform.name == "dxtrade":
        sandbox.dxtrade.locked.add("1210001")
    else:
        sandbox.matchtrade.locked.add("trader@example.com")
    with pytest.raises(brokers.AccountLockedError):
        platform.make().login()


def test_dxtrade_rest_disabled_at_login(sandbox, dx):
    sandbox.dxtrade.rest_disabled.add("1210001")
    with pytest.raises(brokers.AccessDeniedError) as info:
        dx().login()
    assert isinstance(info.value, brokers.AuthenticationError)
    assert "REST" in str(info.value)


def test_dxtrade_bad_credentials_message_says_it_may_be_a_lock(dx):
    with pytest.raises(brokers.AuthenticationError) as info:
        dx(password="nope-nope").login()
    assert "locked" in str(info.value)


# ---------------------------------------------------------------- sessions


def test_401_mid_session_renews_once_then_succeeds(sandbox, platform):
    client = platform.make()
    client.get_balance()
    sandbox.expire_sessions()
    sandbox.clear()
    assert client.get_balance().balance > 0
    assert renewals(sandbox, platform) == 1
    assert sandbox.count(platform.read) == 2  # the rejected read and its one replay


def test_401_twice_is_session_expired(sandbox, platform):
    client = platform.make()
    client.login()
    sandbox.fault(platform.read, status=401, times=2)
    sandbox.clear()
    with pytest.raises(brokers.SessionExpiredError):
        client.get_balance()
    assert renewals(sandbox, platform) == 1
    assert sandbox.count(platform.read) == 2


def test_eight_threads_after_expiry_cause_one_renewal(sandbox, platform):
    client = platform.make()
    client.get_balance()
    sandbox.expire_sessions()
    sandbox.clear()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def read():
        barrier.wait()
        try:
            results.append(client.get_balance())
        except brokers.BrokerError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and len(results) == 8
    assert renewals(sandbox, platform) == 1


def test_dxtrade_idle_session_is_renewed_before_the_call(sandbox, dx):
    clock = Clock()
    client = dx(clock=clock)
    client.get_balance()
    clock.now += 1800  # the login said "00:30:00"
    sandbox.clear()
    client.get_balance()
    assert [r.path.rsplit("/", 1)[-1] for r in sandbox.requests] == ["login", "metrics"]


@pytest.mark.parametrize(
    "fmt, lifetime", [("seconds", 120), ("ms", 120), ("iso", 120), ("absent", None)]
)
def test_dxtrade_session_timeout_forms_drive_renewal(sandbox, dx, fmt, lifetime):
    sandbox.dxtrade.timeout_format = fmt
    sandbox.dxtrade.session_timeout = 120
    clock = Clock()
    client = dx(clock=clock, idle_timeout=600)
    client.get_balance()
    clock.now += 60
    client.get_balance()
    assert sandbox.count("/dxsca-web/login") == 1
    clock.now += (lifetime or 600) + 1
    client.get_balance()
    assert sandbox.count("/dxsca-web/login") == 2


def test_dxtrade_ping_keeps_the_session(sandbox, dx):
    client = dx()
    assert client.ping() is True
    sandbox.dxtrade.ping_empty = True
    assert client.ping() is True
    assert sandbox.count("/dxsca-web/ping") == 2 and sandbox.count("/dxsca-web/login") == 1


@pytest.mark.parametrize("mode", ["cookie", "body"])
def test_matchtrade_renews_before_exp_and_keeps_the_account(sandbox, mt, mode):
    sandbox.matchtrade.refresh_mode = mode
    sandbox.matchtrade.token_lifetime = 600
    clock = Clock()
    client = mt(account="700002", clock=clock)
    first = client.get_balance()
    clock.now += 600 - 100  # inside the renewal margin, before exp
    sandbox.clear()
    second = client.get_balance()
    assert sandbox.requests[0].path == "/manager/refresh-token"
    assert sandbox.count("/manager/*-login") == 0
    assert second.account == first.account == "700002" and second.currency == "EUR"


def test_matchtrade_failed_refresh_falls_back_to_login(sandbox, mt):
    client = mt(account="700002")
    client.get_balance()
    sandbox.expire_sessions(refresh=True)
    sandbox.clear()
    assert client.get_balance().account == "700002"
    assert sandbox.count("/manager/refresh-token") == 1
    assert sandbox.count("/manager/co-login") == 1


def test_matchtrade_refreshes_at_most_four_times_an_hour(sandbox, mt):
    client = mt()
    client.get_balance()
    for _ in range(6):
        sandbox.expire_sessions()
        client.get_balance()
    assert sandbox.count("/manager/refresh-token") == 4
    assert sandbox.count("/manager/co-login") == 3  # the first login and two fallbacks


def test_matchtrade_account_gone_after_login_is_a_clear_error(sandbox, mt):
    client = mt(account="700002")
    client.get_balance()
    sandbox.expire_sessions(refresh=True)
    sandbox.fault(
        "/manager/co-login",
        json={"token": "a.b.c", "accounts": [{"tradingAccountId": "700001", "offer": {}}]},
    )
    with pytest.raises(brokers.ConfigurationError, match=r"700002.*no longer"):
        client.get_balance()


# ---------------------------------------------------------------- throttle


def test_dxtrade_login_throttle_defaults_to_one_a_second(sandbox, dx, sleeps):
    client = dx()
    client.login()
    client.login()
    assert len(sleeps) == 1 and 0.5 < sleeps[0] <= 1.0


def test_throttle_is_configurable_and_can_be_switched_off(sandbox, mt, sleeps):
    limited = brokers.Throttle({"request": brokers.Rate(2, 60.0)}, sleep=sleeps)
    client = mt(throttle=limited)
    client.get_balance()  # login + balance: the two allowed
    client.get_balance()
    assert len(sleeps) == 1 and 25 < sleeps[0] <= 30
    sleeps.clear()
    free = mt(throttle=False)
    for _ in range(5):
        free.get_balance()
    assert sleeps == []


def test_throttle_takes_rates_published_at_run_time(sleeps):
    clock = [0.0]
    throttle = brokers.Throttle({}, clock=lambda: clock[0], sleep=sleeps)
    throttle.acquire("GET_POSITIONS")
    throttle.acquire("GET_POSITIONS")  # no rate yet: free
    throttle.set_rates({"GET_POSITIONS": brokers.Rate(1, 1.0)})
    throttle.acquire("GET_POSITIONS")
    assert sleeps == []
    assert throttle.acquire("GET_POSITIONS") == 1.0 and sleeps == [1.0]
    throttle.set_rates({"GET_POSITIONS": brokers.Rate(1, 1.0)})  # unchanged: bucket kept
    assert throttle.acquire("GET_POSITIONS") == 2.0


# ------------------------------------------------------------------- logging


def test_info_logs_method_path_status_and_debug_bodies_are_redacted(sandbox, platform, caplog):
    platform.make().get_balance()
    info = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert any("POST" in m and "-> 200" in m and " ms" in m for m in info)
    debug = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "DEBUG")
    assert "'password': '***'" in debug
    assert DX_PASSWORD not in caplog.text and MT_PASSWORD not in caplog.text


def test_library_adds_only_a_null_handler():
    import logging

    handlers = logging.getLogger("brokers").handlers
    assert handlers and all(isinstance(h, logging.NullHandler) for h in handlers)


def test_errors_never_show_the_password(sandbox):
    for client in (
        brokers.DXTrade(sandbox.url, "1210001", "s3cret-value"),
        brokers.MatchTrade(sandbox.url, "trader@example.com", "s3cret-value", MT_BROKER_ID),
    ):
        with pytest.raises(brokers.AuthenticationError) as info:
            client.login()
        assert "s3cret-value" not in str(info.value) and "s3cret-value" not in repr(info.value)
        assert "s3cret-value" not in repr(client)


# ------------------------------------------------------ review regressions


def test_503_retry_after_is_honoured(sandbox, platform, sleeps):
    sandbox.fault(platform.read, status=503, headers={"Retry-After": "7"})
    assert platform.make().get_balance().balance > 0
    assert sleeps == [7.0]


def test_plain_text_403_is_bot_protection_and_not_a_remembered_login_failure(sandbox, platform):
    client = platform.make()
    sandbox.fault(platform.login, status=403, body="error code: 1020", content_type="text/plain")
    with pytest.raises(brokers.BotProtectionError):
        client.login()
    assert client.get_balance().balance > 0  # the block lifted: nothing was held against us


def test_json_403_at_dxtrade_login_is_access_denied(sandbox, dx):
    body = {"errorCode": "2", "description": "REST API access is disabled"}
    sandbox.fault("/dxsca-web/login", status=403, json=body)
    with pytest.raises(brokers.AccessDeniedError):
        dx().login()


def test_absurdly_nested_json_is_a_response_error(sandbox, platform):
    deep = "[" * 100_000 + "]" * 100_000
    sandbox.fault(platform.read, status=200, body=deep, content_type="application/json")
    with pytest.raises(brokers.ResponseError):
        platform.make().get_balance()


def test_a_secret_past_the_logged_length_is_still_masked(sandbox, mt, caplog):
    token = "leaky-trading-token-0123456789"
    body = {
        "email": "trader@example.com",
        "padding": "x" * 1985,
        "token": "a.b.c",
        "accounts": [{"tradingAccountId": "1", "tradingApiToken": token}],
    }
    sandbox.fault("/manager/co-login", json=body)
    mt().login()
    assert "leaky-trading" not in caplog.text


def test_error_excerpts_are_redacted_before_they_are_cut(sandbox, dx):
    echoed = "x" * 140 + '{"password":"Correct-Horse-Battery-Staple"}'
    sandbox.fault("/dxsca-web/login", status=400, body=echoed, content_type="text/plain")
    with pytest.raises(brokers.RequestRejectedError) as info:
        dx().login()
    assert "Correct-Horse" not in str(info.value)


def test_user_agent_must_be_a_valid_header():
    with pytest.raises(brokers.ConfigurationError):
        brokers.DXTrade("https://dx.example.com", "u", "p", user_agent="bot\u2014v1")


def test_dxtrade_ping_without_timeout_keeps_the_logins(sandbox, dx):
    sandbox.dxtrade.session_timeout = 900  # the login says "00:15:00"
    clock = Clock()
    client = dx(clock=clock)
    client.login()
    sandbox.dxtrade.timeout_format = "absent"
    client.ping()
    clock.now += 900
    sandbox.clear()
    client.get_balance()
    assert [r.path.rsplit("/", 1)[-1] for r in sandbox.requests] == ["login", "users", "metrics"]


def test_matchtrade_clock_ahead_of_the_broker_does_not_log_in_every_call(sandbox, mt):
    clock = Clock()
    clock.now += 20 * 60  # our clock runs 20 minutes ahead of the token's exp
    client = mt(clock=clock)
    for _ in range(5):
        client.get_balance()
    assert sandbox.count("/manager/*") == 1


def test_matchtrade_account_gone_is_not_retried_on_every_call(sandbox, mt):
    client = mt(account="700002")
    client.get_balance()
    sandbox.expire_sessions(refresh=True)
    gone = {"token": "a.b.c", "accounts": [{"tradingAccountId": "700001", "offer": {}}]}
    sandbox.fault("/manager/co-login", json=gone)
    for _ in range(3):
        with pytest.raises(brokers.ConfigurationError):
            client.get_balance()
    assert sandbox.count("/manager/co-login") == 2  # the first login and the one that failed


# ------------------------------------------------ adversarial review regressions


class RawServer:
    """An HTTP peer on 127.0.0.1 that answers every request with ``head`` and then the
    ``body`` bytes one at a time, ``pause`` seconds apart, and closes: for answers that no
    server library sends (trickled, truncated)."""

    def __init__(self, head: bytes, body: bytes, pause: float) -> None:
        import socket

        self.head, self.body, self.pause = head, body, pause
        self.stop = threading.Event()
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(self.head)
                    for byte in self.body:
                        if self.stop.wait(self.pause):
                            break
                        conn.sendall(bytes([byte]))
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.server.close()


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"


def test_an_answer_trickling_in_is_cut_at_the_timeout(retry):
    peer = RawServer(HEAD, b" " * 40, pause=0.1)  # each read is quick, the whole is not
    client = brokers.DXTrade(peer.url, "u", "p", timeout=(1, 0.5), retry=retry)
    started = time.monotonic()
    try:
        with pytest.raises(brokers.RequestTimeoutError):
            client.login()
    finally:
        peer.close()
    assert time.monotonic() - started < 3  # three attempts of 0.5 s, not 4 s each


def test_a_truncated_answer_is_a_network_error(retry):
    peer = RawServer(HEAD, b'{"sessionToken"', pause=0)  # then the connection closes
    client = brokers.DXTrade(peer.url, "u", "p", timeout=(1, 1), retry=retry)
    try:
        with pytest.raises(brokers.NetworkError, match="broke while the answer arrived"):
            client.login()
    finally:
        peer.close()


def test_threads_share_a_failed_login_instead_of_queueing_retries(sandbox, platform, sleeps):
    sandbox.fault(platform.login, delay=2, times=None)
    client = platform.make(timeout=(2, 0.2))
    barrier = threading.Barrier(8)
    errors = []

    def read():
        barrier.wait()
        try:
            client.get_balance()
        except brokers.BrokerError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(errors) == 8 and all(isinstance(e, brokers.RequestTimeoutError) for e in errors)
    assert sandbox.count(platform.login) <= 6  # one retry cycle (3), not one per thread (24)


def test_a_header_error_does_not_chain_the_token(sandbox, dx):
    login = {"sessionToken": "tok-secret\nX-Injected: 1", "timeout": "00:30:00"}
    sandbox.fault("/dxsca-web/login", json=login)
    with pytest.raises(brokers.ResponseError) as info:
        dx().get_balance()
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_passwords_stay_masked_however_many_tokens_come_and_go(sandbox, dx):
    from brokers.redaction import Secret, redact_text

    client = dx(password="pinned-pass-42")
    for n in range(600):  # far more session tokens than the redactor keeps
        Secret(f"session-token-{n:06d}")
    assert "pinned-pass-42" not in redact_text("echo: pinned-pass-42")
    client.close()


def test_total_wait_never_exceeds_max_wait(sandbox, platform, sleeps):
    sandbox.fault(platform.read, status=503, times=None)
    policy = brokers.RetryPolicy(attempts=20, backoff=3, max_backoff=3, max_wait=10, sleep=sleeps)
    with pytest.raises(brokers.ServerError):
        platform.make(retry=policy).get_balance()
    assert sum(sleeps) <= 10


@pytest.mark.parametrize(
    "make",
    [
        lambda: brokers.DXTrade("https://dx.example.com", "u", "p", timeout=(5,)),
        lambda: brokers.DXTrade("https://dx.example.com", "u", "p", idle_timeout=None),
        lambda: brokers.MatchTrade("https://m.example.com", "e", "p", "1", renew_before="3m"),
        lambda: brokers.DXTrade("https://dx.example.com", "u", "p", user_agent=42),
        lambda: brokers.Rate(0, 1),
        lambda: brokers.fetch_balances(5),
    ],
)
def test_odd_arguments_are_configuration_errors(make):
    with pytest.raises(brokers.ConfigurationError):
        make()


def test_absurd_numbers_in_session_answers_are_ignored():
    from brokers.dxtrade import parse_session_timeout
    from brokers.matchtrade import jwt_claim

    assert parse_session_timeout(10**400) is None
    import base64
    import json

    claims = json.dumps({"exp": 10**400}).encode()
    payload = base64.urlsafe_b64encode(claims).decode().rstrip("=")
    assert jwt_claim(f"h.{payload}.s", "exp") is None

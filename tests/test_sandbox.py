"""Tests of the loopback sandbox itself, spoken to with ``http.client`` only (no client code)."""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from brokers.sandbox import (
    DX_DOMAIN,
    DX_PASSWORD,
    DX_USERS,
    MT_BROKER_ID,
    MT_PASSWORD,
    MT_USERS,
    Sandbox,
)
from brokers.sandbox.__main__ import main as sandbox_main
from brokers.sandbox.wire import dumps

ROOT = Path(__file__).resolve().parent.parent
DX_ACCT = "default%3A1210001"
ORDERS = f"/dxsca-web/accounts/{DX_ACCT}/orders"


class Wire:
    """One keep-alive HTTP/1.1 connection to the sandbox."""

    def __init__(self, sb: Sandbox, timeout: float = 5.0) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=timeout)
        self.last: http.client.HTTPResponse | None = None

    def call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, bytes]:
        """Send one request; return (status, body) and keep the response in ``last``."""
        sent = dict(headers or {})
        body = raw
        if payload is not None:
            body = json.dumps(payload).encode()
            sent["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=sent)
        self.last = self.conn.getresponse()
        return self.last.status, self.last.read()

    def json(self, method: str, path: str, payload: Any = None, **kw: Any) -> tuple[int, Any]:
        status, body = self.call(method, path, payload, **kw)
        return status, json.loads(body, parse_float=Decimal) if body else None

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def sb():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def wire(sb: Sandbox):
    connection = Wire(sb)
    yield connection
    connection.close()


def dx_login(wire: Wire, username: str = "1210001") -> dict[str, str]:
    credentials = {"username": username, "domain": DX_DOMAIN, "password": DX_PASSWORD}
    status, body = wire.json("POST", "/dxsca-web/login", credentials)
    assert status == 200, body
    return {"Authorization": f"DXAPI {body['sessionToken']}"}


def mt_login(wire: Wire, path: str = "/manager/co-login") -> tuple[dict[str, Any], str]:
    credentials = {"email": "trader@example.com", "password": MT_PASSWORD, "brokerId": MT_BROKER_ID}
    status, body = wire.json("POST", path, credentials)
    assert status == 200, body
    return body, body["token"]


def mt_headers(account: dict[str, Any], token: str) -> dict[str, str]:
    return {"Auth-trading-api": account["tradingApiToken"], "Cookie": f"co-auth={token}"}


def market_order(code: str, quantity: int = 10000) -> dict[str, Any]:
    return {
        "account": "default:1210001",
        "orderCode": code,
        "type": "MARKET",
        "instrument": "EUR/USD",
        "quantity": quantity,
        "positionEffect": "OPEN",
        "side": "BUY",
        "tif": "GTC",
    }


# --------------------------------------------------------------------------- server


def test_keep_alive_two_requests_one_connection(sb: Sandbox, wire: Wire) -> None:
    assert wire.call("GET", "/manager/platform-details")[0] == 200
    assert wire.last is not None and wire.last.getheader("Content-Length") is not None
    assert wire.call("GET", "/manager/platform-details")[0] == 200
    assert sb.connections == 1
    assert {r.connection for r in sb.requests} == {sb.requests[0].connection}


def test_connection_close_is_honoured(sb: Sandbox, wire: Wire) -> None:
    wire.call("GET", "/manager/platform-details", headers={"Connection": "close"})
    assert wire.last is not None and wire.last.getheader("Connection") == "close"
    wire.call("GET", "/manager/platform-details")  # http.client reconnects
    assert sb.connections == 2


def test_recorded_request_fields(sb: Sandbox, wire: Wire) -> None:
    wire.call("POST", "/dxsca-web/login?x=1&x=2", {"username": "u"}, headers={"X-Test": "yes"})
    (record,) = sb.requests
    assert (record.method, record.path, record.query) == ("POST", "/dxsca-web/login", {"x": "2"})
    assert record.headers["x-test"] == "yes" and record.json == {"username": "u"}
    assert json.loads(record.body) == {"username": "u"} and record.time <= time.monotonic()
    assert sb.count("/dxsca-web/*", method="post") == 1 and sb.count(method="GET") == 0
    sb.clear()
    assert sb.requests == [] and sb.connections == 0


def test_unknown_paths_are_html_404(wire: Wire) -> None:
    for path in ("/nowhere", "/dxsca-web/accounts", "/manager/nothing"):
        status, body = wire.call("GET", path)
        assert status == 404 and b"<html>" in body
        assert wire.last is not None and wire.last.getheader("Content-Type", "").startswith(
            "text/html"
        )


def test_decimal_json_is_exact() -> None:
    text = dumps({"a": Decimal("100250.55"), "b": Decimal("0"), "c": [Decimal("-99.90"), 1]})
    assert text == '{"a":100250.55,"b":0,"c":[-99.90,1]}'


# --------------------------------------------------------------------------- DXtrade


def test_dx_login_users_metrics_round_trip(wire: Wire) -> None:
    auth = dx_login(wire)
    status, users = wire.json("GET", "/dxsca-web/users", headers=auth)
    assert status == 200
    (user,) = users["userDetails"]
    assert user["username"] == "1210001@default"
    assert [a["account"] for a in user["accounts"]] == DX_USERS["1210001"]
    assert [a["baseCurrency"] for a in user["accounts"]] == ["USD", "EUR"]
    status, raw = wire.call("GET", f"/dxsca-web/accounts/{DX_ACCT}/metrics", headers=auth)
    assert status == 200 and b'"equity":100250.55' in raw and b'"balance":100000.00' in raw
    (metrics,) = json.loads(raw, parse_float=Decimal)["metrics"]
    assert metrics["availableFunds"] == Decimal("98750.25") and metrics["openPL"] == Decimal(
        "250.55"
    )
    query = "/dxsca-web/accounts/metrics?accounts=default:1210001,default:1210002"
    status, both = wire.json("GET", query, headers=auth)
    assert [m["equity"] for m in both["metrics"]] == [Decimal("100250.55"), Decimal("49900.10")]
    status, foreign = wire.json("GET", "/dxsca-web/accounts/default:1210003/metrics", headers=auth)
    assert (status, foreign["errorCode"]) == (404, "2")


def test_dx_login_errors(sb: Sandbox, wire: Wire) -> None:
    bad = {"username": "1210001", "domain": DX_DOMAIN, "password": "wrong"}
    assert wire.json("POST", "/dxsca-web/login", bad) == (
        401,
        {"errorCode": "3", "description": "Incorrect username or password"},
    )
    status, body = wire.json("POST", "/dxsca-web/login", raw=b"")
    assert (status, body["errorCode"]) == (500, "110")
    sb.dxtrade.rest_disabled.add("1210003")
    status, _ = wire.json(
        "POST", "/dxsca-web/login", {**bad, "username": "1210003", "password": DX_PASSWORD}
    )
    assert status == 403
    assert wire.json("GET", "/dxsca-web/users")[1]["errorCode"] == "1"


def test_dx_settings_change_the_wire(sb: Sandbox, wire: Wire) -> None:
    sb.dxtrade.timeout_format = "iso"
    sb.dxtrade.pl_spelling = "openPl"
    sb.dxtrade.margin_field = "maintenanceMargin"
    sb.dxtrade.numbers_as_strings = True
    sb.dxtrade.omit_fields = {"credit"}
    sb.dxtrade.error_code_int = True
    credentials = {"username": "1210001", "domain": DX_DOMAIN, "password": DX_PASSWORD}
    _, login = wire.json("POST", "/dxsca-web/login", credentials)
    assert login["timeout"] == "PT30M"
    auth = {"Authorization": f"DXAPI {login['sessionToken']}"}
    (metrics,) = wire.json("GET", f"/dxsca-web/accounts/{DX_ACCT}/metrics", headers=auth)[1][
        "metrics"
    ]
    assert metrics["openPl"] == "250.55" and metrics["maintenanceMargin"] == "1500.30"
    assert "credit" not in metrics and "openPL" not in metrics
    assert wire.json("GET", "/dxsca-web/users")[1]["errorCode"] == 1


def test_dx_session_idle_timeout_and_logout(sb: Sandbox, wire: Wire) -> None:
    auth = dx_login(wire)
    status, ping = wire.json("POST", "/dxsca-web/ping", headers=auth)
    assert status == 200 and ping["sessionToken"] == auth["Authorization"].split()[1]
    assert wire.json("POST", "/dxsca-web/logout", headers=auth) == (200, {})
    assert wire.json("GET", "/dxsca-web/users", headers=auth)[0] == 401
    sb.dxtrade.session_timeout = 0.05
    auth = dx_login(wire)
    time.sleep(0.08)
    assert wire.json("GET", "/dxsca-web/users", headers=auth)[0] == 401


def test_dx_place_fill_and_duplicate_order_code(wire: Wire) -> None:
    auth = dx_login(wire)
    status, placed = wire.json("POST", ORDERS, market_order("bot-1"), headers=auth)
    assert status == 200 and placed["orderId"] == placed["updateOrderId"]
    status, dup = wire.json("POST", ORDERS, market_order("bot-1"), headers=auth)
    assert (status, dup["errorCode"]) == (409, "100")
    assert dup["description"] == "Order with this id already exists (bot-1)"
    _, positions = wire.json("GET", f"/dxsca-web/accounts/{DX_ACCT}/positions", headers=auth)
    assert str(placed["orderId"]) in [p["positionCode"] for p in positions["positions"]]
    assert wire.json("POST", ORDERS, {"orderCode": "x"}, headers=auth)[1]["errorCode"] == "33"
    bad_symbol = {**market_order("bot-2"), "instrument": "NOPE"}
    assert wire.json("POST", ORDERS, bad_symbol, headers=auth)[1]["errorCode"] == "32"
    assert wire.json("POST", ORDERS, market_order("bot-3", 0), headers=auth)[0] == 400


def test_dx_cancel_needs_if_match(wire: Wire) -> None:
    auth = dx_login(wire)
    limit = {**market_order("lim-1"), "type": "LIMIT", "limitPrice": 1.05}
    assert wire.json("POST", ORDERS, limit, headers=auth)[0] == 200
    status, listed = wire.json("GET", ORDERS, headers=auth)
    assert [o["status"] for o in listed["orders"]] == ["WORKING"]
    etag = wire.last.getheader("ETag") if wire.last else None
    assert etag and wire.call("GET", ORDERS, headers={**auth, "If-None-Match": etag})[0] == 304
    assert wire.json("DELETE", f"{ORDERS}/lim-1", headers=auth)[1]["errorCode"] == "99"
    stale = {**auth, "If-Match": '"stale"'}
    assert wire.json("DELETE", f"{ORDERS}/lim-1", headers=stale)[0] == 412
    status, cancelled = wire.json("DELETE", f"{ORDERS}/lim-1", headers={**auth, "If-Match": etag})
    assert status == 200 and "updateOrderId" in cancelled
    status, closed = wire.json("DELETE", f"{ORDERS}/lim-1", headers={**auth, "If-Match": "*"})
    assert (status, closed["errorCode"]) == (409, "1005")
    history = wire.json("GET", f"{ORDERS}/history?with-client-id=lim-1", headers=auth)[1]
    assert [o["status"] for o in history["orders"]] == ["CANCELED"]


# --------------------------------------------------------------------------- Match-Trader


def test_mt_co_login_and_balance(sb: Sandbox, wire: Wire) -> None:
    body, token = mt_login(wire)
    cookies = wire.last.headers.get_all("Set-Cookie") if wire.last else []
    assert f"co-auth={token}; Path=/; HttpOnly" in cookies
    assert any(c.startswith("rt=") and "Path=/manager" in c for c in cookies)
    _, claims, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["user_name"] == "trader@example.com:0" and claims["partnerId"] == 0
    assert claims["exp"] > time.time() + 800
    ids = [a["tradingAccountId"] for a in body["accounts"]]
    assert ids == MT_USERS["trader@example.com"]
    assert body["selectedAccount"]["tradingAccountId"] == "700001"
    first, second = body["accounts"]
    assert first["tradingApiToken"] != second["tradingApiToken"]
    system = first["offer"]["system"]["uuid"]
    assert system == second["offer"]["system"]["uuid"]
    status, raw = wire.call("GET", f"/mtr-api/{system}/balance", headers=mt_headers(first, token))
    assert status == 200
    balance = json.loads(raw)
    assert balance["equity"] == "10012.34" and balance["marginLevel"] == "8912.00"
    assert balance["currency"] == "USD" and balance["currencyPrecision"] == 2
    eur = json.loads(
        wire.call("GET", f"/mtr-api/{system}/balance", headers=mt_headers(second, token))[1]
    )
    assert (eur["currency"], eur["credit"]) == ("EUR", "50.00")
    assert wire.call("GET", f"/mtr-api/{system}/balance")[0] == 401
    assert wire.call("GET", "/mtr-api/unknown-system/balance")[0] == 404


def test_mt_login_variants_and_errors(sb: Sandbox, wire: Wire) -> None:
    bad = {"email": "trader@example.com", "password": "nope", "brokerId": 0}
    assert wire.json("POST", "/manager/mtr-login", bad) == (
        401,
        {"errorMessage": "Invalid credentials"},
    )
    sb.matchtrade.account_keys = "tradingAccounts"
    sb.matchtrade.selected_index = 1
    body, _ = mt_login(wire, "/manager/mtr-login")
    assert body["selectedTradingAccount"]["tradingAccountId"] == "700002"
    assert len(body["tradingAccounts"]) == 2
    sb.matchtrade.co_login_enabled = False
    credentials = {"email": "trader@example.com", "password": MT_PASSWORD, "brokerId": "0"}
    assert wire.call("POST", "/manager/co-login", credentials)[0] == 404


def test_mt_trading_and_rejections(sb: Sandbox, wire: Wire) -> None:
    body, token = mt_login(wire)
    account = body["accounts"][0]
    base = f"/mtr-api/{account['offer']['system']['uuid']}"
    auth = mt_headers(account, token)
    order = {"instrument": "EURUSD.", "orderSide": "BUY", "volume": 0.1, "slPrice": 0, "tpPrice": 0}
    status, opened = wire.json("POST", f"{base}/position/open", order, headers=auth)
    assert status == 200 and opened["status"] == "OK" and len(opened["orderId"]) == 17
    positions = wire.json("GET", f"{base}/open-positions", headers=auth)[1]["positions"]
    assert opened["orderId"] in [p["id"] for p in positions]
    rejected = wire.json("POST", f"{base}/position/open", {**order, "volume": 0.001}, headers=auth)
    assert rejected[1]["status"] == "REJECTED" and rejected[1]["orderId"] is None
    close = {
        "positionId": opened["orderId"],
        "instrument": "EURUSD.",
        "orderSide": "BUY",
        "volume": "0.10",
    }
    assert wire.json("POST", f"{base}/position/close", close, headers=auth)[1]["status"] == "OK"
    assert (
        wire.json("POST", f"{base}/position/close", close, headers=auth)[1]["status"] == "REJECTED"
    )
    sb.matchtrade.reject_orders = "Market closed"
    status, refused = wire.json("POST", f"{base}/position/open", order, headers=auth)
    assert (status, refused["status"], refused["errorMessage"]) == (
        200,
        "REJECTED",
        "Market closed",
    )
    instruments = wire.json("GET", f"{base}/effective-instruments", headers=auth)[1]
    assert [i["symbol"] for i in instruments] == ["EURUSD.", "GBPUSD.", "XAUUSD."]


def test_mt_refresh_token(sb: Sandbox, wire: Wire) -> None:
    _, token = mt_login(wire)
    rt = next(c for c in wire.last.headers.get_all("Set-Cookie") if c.startswith("rt="))
    assert wire.call("POST", "/manager/refresh-token")[0] == 401
    status, body = wire.call("POST", "/manager/refresh-token", headers={"Cookie": rt.split(";")[0]})
    assert status == 200 and body == b""
    renewed = wire.last.getheader("Set-Cookie") if wire.last else ""
    assert renewed.startswith("co-auth=") and token not in renewed


# --------------------------------------------------------------------------- faults


def test_fault_queued_twice_then_normal(sb: Sandbox, wire: Wire) -> None:
    auth = dx_login(wire)
    sb.fault("/dxsca-web/accounts/*/metrics", status=503, times=2, headers={"Retry-After": "2"})
    path = f"/dxsca-web/accounts/{DX_ACCT}/metrics"
    assert wire.call("GET", path, headers=auth) == (503, b"{}")
    assert wire.last is not None and wire.last.getheader("Retry-After") == "2"
    assert wire.call("GET", path, headers=auth)[0] == 503
    assert wire.call("GET", path, headers=auth)[0] == 200
    assert sb.count("/dxsca-web/accounts/default:1210001/metrics") == 3
    assert sb.faults == []


def test_fault_drop_closes_without_answer(sb: Sandbox, wire: Wire) -> None:
    sb.fault("/manager/platform-details", drop=True)
    with pytest.raises(http.client.RemoteDisconnected):
        wire.call("GET", "/manager/platform-details")
    wire.close()
    assert wire.call("GET", "/manager/platform-details")[0] == 200
    assert sb.count("/manager/platform-details") == 2


def test_after_execute_places_the_order_exactly_once(sb: Sandbox, wire: Wire) -> None:
    auth = dx_login(wire)
    sb.fault(ORDERS, method="POST", after_execute=True, status=502, body="<html>Bad gateway</html>")
    status, body = wire.call("POST", ORDERS, market_order("lost-1"), headers=auth)
    assert (status, body) == (502, b"<html>Bad gateway</html>")
    assert wire.json("POST", ORDERS, market_order("lost-1"), headers=auth)[1]["errorCode"] == "100"
    history = wire.json("GET", f"{ORDERS}/history?with-client-id=lost-1", headers=auth)[1]
    assert [o["status"] for o in history["orders"]] == ["COMPLETED"]


def test_cloudflare_challenge(sb: Sandbox, wire: Wire) -> None:
    sb.cloudflare("/manager/*", times=1)
    status, body = wire.call("POST", "/manager/mtr-login", {"email": "x"})
    assert status == 403 and b"<title>Just a moment...</title>" in body
    assert b"Enable JavaScript and cookies to continue" in body
    assert wire.last is not None
    assert wire.last.getheader("cf-mitigated") == "challenge"
    assert wire.last.getheader("Server") == "cloudflare"
    assert wire.last.getheader("Content-Type") == "text/html"
    assert wire.call("GET", "/manager/platform-details")[0] == 200


def test_delay_fault_times_out_and_stop_is_prompt() -> None:
    sb = Sandbox().start()
    sb.fault("/manager/*", delay=30)
    slow = Wire(sb, timeout=0.2)
    with pytest.raises(TimeoutError):
        slow.call("GET", "/manager/platform-details")
    started = time.monotonic()
    sb.stop()
    assert time.monotonic() - started < 1.0
    slow.close()


def test_latency_applies_to_platform_requests(sb: Sandbox, wire: Wire) -> None:
    sb.latency = 0.1
    started = time.monotonic()
    wire.call("GET", "/manager/platform-details")
    assert time.monotonic() - started >= 0.1


# --------------------------------------------------------------------------- sessions and admin


def test_expire_sessions_gives_401_on_both_platforms(sb: Sandbox, wire: Wire) -> None:
    auth = dx_login(wire)
    body, token = mt_login(wire)
    account = body["accounts"][0]
    balance = f"/mtr-api/{account['offer']['system']['uuid']}/balance"
    assert wire.call("GET", balance, headers=mt_headers(account, token))[0] == 200
    sb.expire_sessions()
    assert wire.json("GET", "/dxsca-web/users", headers=auth) == (
        401,
        {"errorCode": "1", "description": "Authorization required"},
    )
    assert wire.call("GET", balance, headers=mt_headers(account, token))[0] == 401


def test_admin_routes(sb: Sandbox, wire: Wire) -> None:
    wire.call("GET", "/manager/platform-details")
    wire.call("GET", "/manager/platform-details")
    status, stats = wire.json("GET", "/_sandbox/stats")
    assert status == 200
    assert stats == {
        "requests": 2,
        "connections": 1,
        "by_path": {"GET /manager/platform-details": 2},
    }
    assert wire.json("POST", "/_sandbox/config", {"latency": 0.01})[0] == 200
    assert sb.latency == 0.01
    assert wire.json("POST", "/_sandbox/clear")[0] == 200
    assert wire.json("POST", "/_sandbox/expire")[0] == 200
    assert sb.requests == [] and sb.connections == 0


# --------------------------------------------------------------------------- command line


def test_main_refuses_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert sandbox_main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_python_dash_m_prints_the_url_first() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "brokers.sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("SANDBOX_URL=http://127.0.0.1:")
        port = int(first.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/_sandbox/stats")
        assert json.loads(conn.getresponse().read())["requests"] == 0
        conn.close()
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_platform_settings_can_be_changed_from_another_process():
    """``POST /_sandbox/<platform>/settings``: the benchmark's way to page a history."""
    import requests

    with Sandbox() as sb:
        ok = requests.post(f"{sb.url}/_sandbox/dxtrade/settings", json={"history_page_size": 3})
        assert ok.status_code == 200 and sb.dxtrade.history_page_size == 3
        for bad in ({"no_such_setting": 1}, {"_accounts": {}}, {"lock": None}):
            answer = requests.post(f"{sb.url}/_sandbox/matchtrade/settings", json=bad)
            assert answer.status_code == 400, bad
        requests.post(f"{sb.url}/_sandbox/reset")
        assert sb.dxtrade.history_page_size == 50

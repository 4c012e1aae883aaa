"""The TradeLocker emulator, spoken to with plain ``requests`` (no client code).

Section numbers (§) refer to ``shared/reference/tradelocker-api.md``.
"""

from __future__ import annotations

import base64
import json
import time
from decimal import Decimal
from typing import Any

import pytest
import requests

from brokers.sandbox import TL_PASSWORD, TL_SERVER, TL_USERS, Sandbox

EMAIL = "trader@example.com"
ACCT = "/trade/accounts/1000001"


@pytest.fixture
def sb():
    with Sandbox() as sandbox:
        yield sandbox


class TL:
    """A logged-in plain HTTP session for one environment."""

    def __init__(self, sb: Sandbox, env: str = "demo", email: str = EMAIL, acc_num: str = "1"):
        self.base = sb.url + ("/live" if env == "live" else "") + "/backend-api"
        self.http = requests.Session()
        reply = self.http.post(
            self.base + "/auth/jwt/token",
            json={"email": email, "password": TL_PASSWORD, "server": TL_SERVER[env]},
        )
        assert reply.status_code == 201, reply.text
        self.tokens = reply.json()
        self.acc_num = acc_num

    def headers(self, acc_num: str | None = "") -> dict[str, str]:
        headers = {"Authorization": "Bearer " + self.tokens["accessToken"]}
        acc_num = self.acc_num if acc_num == "" else acc_num
        if acc_num is not None:
            headers["accNum"] = acc_num
        return headers

    def call(self, method: str, path: str, acc_num: str | None = "", **kw: Any):
        return self.http.request(method, self.base + path, headers=self.headers(acc_num), **kw)

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        reply = self.call(method, path, **kw)
        body = json.loads(reply.content, parse_float=Decimal)
        assert reply.status_code == 200 and body["s"] == "ok", (reply.status_code, body)
        return body.get("d")

    def error(self, method: str, path: str, status: int = 200, **kw: Any) -> str:
        reply = self.call(method, path, **kw)
        assert reply.status_code == status, (reply.status_code, reply.text)
        body = reply.json()
        assert body["s"] == "error"
        return body["errmsg"]

    def columns(self, key: str) -> list[str]:
        return [c["id"] for c in self.ok("GET", "/trade/config")[key]["columns"]]

    def rows(self, path: str, data_key: str, config_key: str) -> list[dict[str, Any]]:
        names = self.columns(config_key)
        return [dict(zip(names, row, strict=False)) for row in self.ok("GET", path)[data_key]]


@pytest.fixture
def tl(sb: Sandbox) -> TL:
    return TL(sb)


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def market(qty: Any = "0.10", side: str = "buy", **extra: Any) -> dict[str, Any]:
    body = {
        "tradableInstrumentId": "278",
        "routeId": 9101,
        "qty": qty,
        "side": side,
        "type": "market",
        "validity": "IOC",
        "price": 0,
    }
    return {**body, **extra}


# --------------------------------------------------------------------------- §3 auth


def test_login_answers_201_bare_jwts_with_exp(sb: Sandbox, tl: TL) -> None:
    assert set(tl.tokens) == {"accessToken", "refreshToken", "expireDate"}  # §3.1, no s/d
    access, refresh = claims(tl.tokens["accessToken"]), claims(tl.tokens["refreshToken"])
    assert 3500 < access["exp"] - time.time() <= 3600  # §17.1 default 60 min
    assert refresh["exp"] > access["exp"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": EMAIL, "password": "wrong", "server": TL_SERVER["demo"]},
        {"email": EMAIL, "password": TL_PASSWORD, "server": TL_SERVER["live"]},
        {"email": "nobody@example.com", "password": TL_PASSWORD, "server": TL_SERVER["demo"]},
    ],
)
def test_bad_login_is_400_or_401_by_switch(sb: Sandbox, body: dict[str, str]) -> None:
    url = sb.url + "/backend-api/auth/jwt/token"
    assert requests.post(url, json=body).status_code == 400  # §17.1
    sb.tradelocker.login_error_status = 401
    assert requests.post(url, json=body).status_code == 401


def test_refresh_rotates_both_tokens_and_kills_the_old_refresh_token(sb: Sandbox, tl: TL) -> None:
    url = tl.base + "/auth/jwt/refresh"
    old = tl.tokens["refreshToken"]
    reply = requests.post(url, json={"refreshToken": old})
    assert reply.status_code == 200
    pair = reply.json()
    assert set(pair) == {"accessToken", "refreshToken"} and pair["refreshToken"] != old  # §3.3
    assert requests.post(url, json={"refreshToken": old}).status_code == 401  # §17.2
    tl.tokens = pair
    assert tl.ok("GET", "/trade/config")


def test_expired_access_token_is_401_and_refresh_still_works(sb: Sandbox, tl: TL) -> None:
    sb.expire_sessions()
    assert tl.call("GET", "/trade/config").status_code == 401  # §17.3
    reply = requests.post(tl.base + "/auth/jwt/refresh", json=tl.tokens)
    assert reply.status_code == 200
    sb.expire_sessions(refresh=True)
    assert requests.post(tl.base + "/auth/jwt/refresh", json=reply.json()).status_code == 401


def test_token_lifetime_setting_sets_exp(sb: Sandbox) -> None:
    sb.tradelocker.access_lifetime = 120
    assert claims(TL(sb).tokens["accessToken"])["exp"] - time.time() <= 120


def test_missing_bearer_is_401(sb: Sandbox, tl: TL) -> None:
    reply = requests.get(tl.base + "/trade/config", headers={"accNum": "1"})
    assert reply.status_code == 401


# --------------------------------------------------------------------------- §1 environments


def test_demo_and_live_are_separate_environments(sb: Sandbox, tl: TL) -> None:
    live = TL(sb, "live")
    ids = [
        a["id"]
        for a in live.http.get(
            live.base + "/auth/jwt/all-accounts", headers=live.headers(None)
        ).json()["accounts"]
    ]
    assert ids == TL_USERS["live"][EMAIL]
    # A demo token means nothing on live (§1: separate environments, separate accounts).
    demo_token = {"Authorization": tl.headers()["Authorization"], "accNum": "1"}
    assert requests.get(live.base + "/trade/config", headers=demo_token).status_code == 401
    # A demo account id on live is not the live user's account (§1, accountId per environment).
    assert "does not match" in live.error("GET", ACCT + "/positions", status=400)
    # /demo/backend-api is the demo environment too.
    reply = requests.get(sb.url + "/demo/backend-api/trade/config", headers=tl.headers())
    assert reply.status_code == 200


# --------------------------------------------------------------------------- §4 accounts


def test_all_accounts_needs_no_accnum_and_sends_strings(sb: Sandbox, tl: TL) -> None:
    reply = tl.call("GET", "/auth/jwt/all-accounts", acc_num=None)
    rows = reply.json()["accounts"]  # bare object, no envelope
    assert [(r["id"], r["accNum"]) for r in rows] == [("1000001", "1"), ("1000002", "3")]
    assert all(isinstance(v, str) for row in rows for v in row.values())  # §4, §17.4
    sb.tradelocker.accounts_as_numbers = True
    row = tl.call("GET", "/auth/jwt/all-accounts", acc_num=None).json()["accounts"][1]
    assert row["id"] == 1000002 and row["accNum"] == 3


def test_accnum_header_is_required_and_must_own_the_path_account(sb: Sandbox, tl: TL) -> None:
    assert tl.error("GET", "/trade/config", status=400, acc_num=None) == "accNum header missing"
    assert "does not match" in tl.error("GET", "/trade/accounts/1000002/state", status=400)
    assert "not an account" in tl.error("GET", "/trade/config", status=400, acc_num="2")
    sb.tradelocker.mismatch_status = 403
    tl.error("GET", "/trade/accounts/1000002/state", status=403)
    # The right pair: accountId 1000002 with accNum 3 (§4: not 2).
    assert tl.ok("GET", "/trade/accounts/1000002/state", acc_num="3")
    assert tl.ok("GET", "/trade/accounts", acc_num="3")[0]["id"] == "1000002"


# --------------------------------------------------------------------------- §5/§6 columnar


def test_config_structure_and_default_columns(sb: Sandbox, tl: TL) -> None:
    config = tl.ok("GET", "/trade/config")
    assert list(config) == [
        "customerAccess",
        "positionsConfig",
        "ordersConfig",
        "ordersHistoryConfig",
        "filledOrdersConfig",
        "accountDetailsConfig",
        "rateLimits",
        "limits",
    ]  # §5 key order
    positions = [c["id"] for c in config["positionsConfig"]["columns"]]
    assert positions[3:5] == ["side", "qty"]
    orders = [c["id"] for c in config["ordersConfig"]["columns"]]
    assert orders[3:5] == ["qty", "side"] and orders[-1] == "strategyId"
    details = config["accountDetailsConfig"]["columns"]
    assert len(details) == 26 and all(c["description"] for c in details)  # §6
    limits = {r["rateLimitType"]: r for r in config["rateLimits"]}
    assert limits["GET_POSITIONS"] == {
        "rateLimitType": "GET_POSITIONS",
        "measure": "SECONDS",
        "intervalNum": 1,
        "limit": 1,
    }  # §12
    assert limits["QUOTES_HISTORY"]["measure"] == "MINUTES"


def test_state_is_one_flat_row_of_strings_in_config_order(sb: Sandbox, tl: TL) -> None:
    names = tl.columns("accountDetailsConfig")
    row = tl.ok("GET", ACCT + "/state")["accountDetailsData"]
    assert len(row) == 26 and all(isinstance(cell, str) for cell in row)  # §17.6
    state = dict(zip(names, row, strict=True))
    # Seed: EURUSD buy 0.10 @ 1.08376 marked at bid 1.08500 → +12.40.
    assert state["balance"] == "25000.00" and state["openNetPnL"] == "12.40"
    assert state["projectedBalance"] == "25012.40" and state["positionsCount"] == "1"
    sb.tradelocker.cells_as_numbers = True
    row = tl.ok("GET", ACCT + "/state")["accountDetailsData"]
    assert row[0] == Decimal("25000.00") and row[names.index("positionsCount")] == 1


def test_shuffled_layout_rows_follow_the_config(sb: Sandbox, tl: TL) -> None:
    before = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    state_before = dict(
        zip(
            tl.columns("accountDetailsConfig"),
            tl.ok("GET", ACCT + "/state")["accountDetailsData"],
            strict=True,
        )
    )
    sb.tradelocker.shuffle_columns = True  # §17.5
    names = tl.columns("positionsConfig")
    assert names[1] == "sandboxExtra" and names[:4] != [
        "id",
        "tradableInstrumentId",
        "routeId",
        "side",
    ]
    after = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    assert [{k: v for k, v in r.items() if k != "sandboxExtra"} for r in after] == before
    state_after = dict(
        zip(
            tl.columns("accountDetailsConfig"),
            tl.ok("GET", ACCT + "/state")["accountDetailsData"],
            strict=True,
        )
    )
    state_after.pop("sandboxExtra")
    assert state_after == state_before


def test_omitted_columns_and_extra_cells(sb: Sandbox, tl: TL) -> None:
    sb.tradelocker.omit_columns = {"qty"}
    sb.tradelocker.extra_cells = 2
    names = tl.columns("positionsConfig")
    assert "qty" not in names
    row = tl.ok("GET", ACCT + "/positions")["positions"][0]
    assert len(row) == len(names) + 2  # §16: rows longer than the config


def test_positional_rows_carry_64_bit_ids_and_nulls(sb: Sandbox, tl: TL) -> None:
    (position,) = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    assert int(position["id"]) > 2**53  # §5
    assert position["stopLossId"] is None and position["takeProfitId"] is None
    assert position["side"] == "buy" and position["qty"] == "0.10"
    assert position["routeId"] == "9101"  # the TRADE route
    (order,) = tl.rows(ACCT + "/orders", "orders", "ordersConfig")
    assert (order["type"], order["status"], order["price"]) == ("limit", "New", "1.25000")


# --------------------------------------------------------------------------- §9 instruments


def test_instruments_have_info_and_trade_routes(sb: Sandbox, tl: TL) -> None:
    items = {i["name"]: i for i in tl.ok("GET", ACCT + "/instruments")["instruments"]}
    eurusd = items["EURUSD"]
    assert eurusd["tradableInstrumentId"] == 278 and eurusd["id"] != 278
    assert eurusd["routes"] == [
        {"id": 9000, "type": "INFO"},
        {"id": 9001, "type": "INFO"},
        {"id": 9101, "type": "TRADE"},
    ]  # §17.7
    assert "lotSize" not in eurusd  # §6 lessons: only the details have it
    details = tl.ok("GET", "/trade/instruments/316", params={"routeId": "9001"})
    assert details["lotSize"] == 100 and details["tickSize"] == [
        {"leftRangeLimit": None, "tickSize": Decimal("0.01")}
    ]
    assert (details["minLot"], details["lotStep"]) == (Decimal("0.01"), Decimal("0.01"))
    sb.tradelocker.ids_as_strings = True
    items = tl.ok("GET", ACCT + "/instruments")["instruments"]
    assert items[0]["tradableInstrumentId"] == "278" and items[0]["routes"][0]["id"] == "9000"


def test_quotes_only_on_a_working_info_route(sb: Sandbox, tl: TL) -> None:
    def quote(route: int) -> Any:
        return tl.call(
            "GET", "/trade/quotes", params={"tradableInstrumentId": 278, "routeId": route}
        ).json()

    assert quote(9000)["s"] == "error"  # the first INFO route is broken (§9, §17.7)
    assert quote(9001) == {
        "s": "ok",
        "d": {"ap": 1.0851, "bp": 1.085, "as": 1000000, "bs": 1000000},
    }
    assert quote(9101) == {"s": "ok", "d": {}}  # TRADE route: empty, not an error (§17.8)
    sb.tradelocker.bad_first_info_route = False
    assert quote(9000)["d"]["bp"] == 1.085


def test_bars_history_no_data_and_resolution_case(sb: Sandbox, tl: TL) -> None:
    start = 1767348000000
    params = {
        "tradableInstrumentId": 278,
        "routeId": 9001,
        "resolution": "1H",
        "from": start,
        "to": start + 3 * 3600000,
    }
    bars = tl.ok("GET", "/trade/history", params=params)["barDetails"]
    assert [b["t"] for b in bars] == [start + n * 3600000 for n in range(4)]
    assert all(b["l"] <= min(b["o"], b["c"]) <= max(b["o"], b["c"]) <= b["h"] for b in bars)
    future = {
        **params,
        "from": int(time.time() * 1000) + 10**9,
        "to": int(time.time() * 1000) + 2 * 10**9,
    }
    assert tl.call("GET", "/trade/history", params=future).json() == {"s": "no_data"}  # §1
    months = tl.ok(
        "GET", "/trade/history", params={**params, "resolution": "15M", "from": 0, "to": start}
    )["barDetails"]
    # 15M literally: fifteen-month bars (§6 lessons), not fifteen minutes.
    assert months[1]["t"] - months[0]["t"] == 15 * 30 * 86400000
    sb.tradelocker.strict_resolutions = True
    assert "resolution" in tl.error("GET", "/trade/history", params={**params, "resolution": "15M"})


# --------------------------------------------------------------------------- §10 trading


def test_market_order_fills_into_a_position_with_its_strategy_id(sb: Sandbox, tl: TL) -> None:
    order_id = tl.ok("POST", ACCT + "/orders", json=market(strategyId="brk-1"))["orderId"]
    assert isinstance(order_id, str) and order_id.isdigit()  # §10.1
    positions = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    new = next(p for p in positions if p["strategyId"] == "brk-1")
    assert new["avgPrice"] == "1.08510" and new["id"] != order_id  # bought at ask; §8
    history = tl.rows(ACCT + "/ordersHistory", "ordersHistory", "ordersHistoryConfig")
    filled = next(o for o in history if o["id"] == order_id)
    assert filled["status"] == "Filled" and filled["positionId"] == new["id"]
    assert filled["strategyId"] == "brk-1"
    executions = tl.rows(ACCT + "/executions", "executions", "filledOrdersConfig")
    assert executions[-1]["orderId"] == order_id
    # No de-duplication: the same strategyId places a second order (§11, §17.9).
    tl.ok("POST", ACCT + "/orders", json=market(strategyId="brk-1"))
    positions = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    assert sum(p["strategyId"] == "brk-1" for p in positions) == 2
    sb.tradelocker.status_upper = True
    history = tl.rows(ACCT + "/ordersHistory", "ordersHistory", "ordersHistoryConfig")
    assert history[-1]["status"] == "FILLED"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (market(qty="0.001"), "minimum lot"),
        (market(qty=0.015), "lot step"),
        (market(validity="GTC"), "TimeInForce"),
        (market(routeId=9001), "TRADE route"),
        (market(strategyId="x" * 32), "strategyId"),
        (market(stopLoss=1.0), "stopLossType"),
        (market(qty="90"), "Not enough money"),
        ({**market(), "type": "limit", "validity": "GTC"}, "price"),
    ],
)
def test_business_rejections_are_http_200_s_error(
    sb: Sandbox, tl: TL, body: dict[str, Any], words: str
) -> None:
    assert words in tl.error("POST", ACCT + "/orders", json=body)  # §10.1, §17.9
    assert len(sb.tradelocker.account("1000001").history) == 0


def test_malformed_order_is_400(sb: Sandbox, tl: TL) -> None:
    body = market()
    del body["routeId"]
    assert "routeId" in tl.error("POST", ACCT + "/orders", status=400, json=body)
    tl.error("POST", ACCT + "/orders", status=400, data=b"not json")


def test_reject_orders_switch(sb: Sandbox, tl: TL) -> None:
    sb.tradelocker.reject_orders = "Market is closed"
    assert tl.error("POST", ACCT + "/orders", json=market()) == "Market is closed"


def test_string_or_number_qty_and_ids(sb: Sandbox, tl: TL) -> None:
    tl.ok("POST", ACCT + "/orders", json=market(qty=0.02, tradableInstrumentId=278))
    tl.ok("POST", ACCT + "/orders", json=market(qty="0.02", routeId="9101"))
    assert len(sb.tradelocker.account("1000001").positions) == 3


def test_stop_loss_creates_a_protective_order_named_by_the_position(sb: Sandbox, tl: TL) -> None:
    body = market(
        strategyId="sl",
        stopLoss="1.08000",
        stopLossType="absolute",
        takeProfit="1.09500",
        takeProfitType="absolute",
    )
    tl.ok("POST", ACCT + "/orders", json=body)
    position = next(
        p
        for p in tl.rows(ACCT + "/positions", "positions", "positionsConfig")
        if p["strategyId"] == "sl"
    )
    orders = {o["id"]: o for o in tl.rows(ACCT + "/orders", "orders", "ordersConfig")}
    stop, target = orders[position["stopLossId"]], orders[position["takeProfitId"]]  # §7
    assert (stop["type"], stop["stopPrice"], stop["side"]) == ("stop", "1.08000", "sell")
    assert (target["type"], target["price"]) == ("limit", "1.09500")
    # Move the stop, drop the target (§10.2).
    tl.ok(
        "PATCH",
        "/trade/positions/" + position["id"],
        json={"stopLoss": 1.081, "stopLossType": "absolute", "takeProfit": None},
    )
    position = next(
        p
        for p in tl.rows(ACCT + "/positions", "positions", "positionsConfig")
        if p["strategyId"] == "sl"
    )
    orders = {o["id"]: o for o in tl.rows(ACCT + "/orders", "orders", "ordersConfig")}
    assert orders[position["stopLossId"]]["stopPrice"] == "1.081"
    assert position["takeProfitId"] is None


def test_pending_order_modify_and_cancel_both_paths(sb: Sandbox, tl: TL) -> None:
    (order,) = tl.rows(ACCT + "/orders", "orders", "ordersConfig")
    tl.ok("PATCH", "/trade/orders/" + order["id"], json={"price": "1.24000", "qty": "0.20"})
    (order,) = tl.rows(ACCT + "/orders", "orders", "ordersConfig")
    assert (order["price"], order["qty"]) == ("1.24000", "0.20")
    tl.ok("DELETE", "/trade/orders/" + order["id"])
    assert tl.rows(ACCT + "/orders", "orders", "ordersConfig") == []
    history = tl.rows(ACCT + "/ordersHistory", "ordersHistory", "ordersHistoryConfig")
    assert history[-1]["status"] == "Cancelled"
    # Cancelling a final order: 200 s:error (§10.2); an unknown id: 404.
    assert "final" in tl.error("DELETE", "/trade/orders/" + order["id"])
    tl.error("DELETE", "/trade/orders/123", status=404)
    # S4's path form works too (§10.2).
    body = {**market(), "type": "limit", "validity": "GTC", "price": "1.00000"}
    new_id = tl.ok("POST", ACCT + "/orders", json=body)["orderId"]
    tl.ok("DELETE", ACCT + "/orders/" + new_id)
    assert tl.rows(ACCT + "/orders", "orders", "ordersConfig") == []


def test_orders_of_another_account_are_not_found(sb: Sandbox, tl: TL) -> None:
    (order,) = tl.rows(ACCT + "/orders", "orders", "ordersConfig")
    tl.error("DELETE", "/trade/orders/" + order["id"], status=404, acc_num="3")


def test_close_partially_then_fully(sb: Sandbox, tl: TL) -> None:
    (position,) = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    path = "/trade/positions/" + position["id"]
    assert "exceeds" in tl.error("DELETE", path, json={"qty": "0.50"})
    tl.ok("DELETE", path, json={"qty": "0.04"})  # §10.2: JSON body on DELETE, in lots
    (position,) = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    assert position["qty"] == "0.06"
    tl.ok("DELETE", path, json={"qty": "0"})  # 0 = all
    assert tl.rows(ACCT + "/positions", "positions", "positionsConfig") == []
    # P/L booked: 0.04 and 0.06 lots of +0.00124 x 100000.
    assert sb.tradelocker.account("1000001").balance == Decimal("25012.40")
    closing = tl.rows(ACCT + "/ordersHistory", "ordersHistory", "ordersHistoryConfig")
    assert [(o["side"], o["qty"], o["positionId"], o["isOpen"]) for o in closing] == [
        ("sell", "0.04", position["id"], "false"),
        ("sell", "0.06", position["id"], "false"),
    ]


def test_close_without_body_and_bulk_routes(sb: Sandbox, tl: TL) -> None:
    tl.ok("POST", ACCT + "/orders", json=market())
    first, _second = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    tl.ok("DELETE", "/trade/positions/" + first["id"])  # no body = full close
    assert len(tl.rows(ACCT + "/positions", "positions", "positionsConfig")) == 1
    tl.ok("DELETE", ACCT + "/positions")
    tl.ok("DELETE", ACCT + "/orders")
    assert tl.rows(ACCT + "/positions", "positions", "positionsConfig") == []
    assert tl.rows(ACCT + "/orders", "orders", "ordersConfig") == []


def test_history_honours_from_to_and_instrument(sb: Sandbox, tl: TL) -> None:
    tl.ok("POST", ACCT + "/orders", json=market())
    now = int(time.time() * 1000)
    tl.ok("POST", ACCT + "/orders", json=market(tradableInstrumentId=316, routeId=9102))
    everything = tl.ok("GET", ACCT + "/ordersHistory")["ordersHistory"]
    assert len(everything) == 2
    gold = tl.ok("GET", ACCT + "/ordersHistory", params={"tradableInstrumentId": "316"})
    assert len(gold["ordersHistory"]) == 1
    old = tl.ok("GET", ACCT + "/ordersHistory", params={"from": 0, "to": now - 60000})
    assert old["ordersHistory"] == []


def test_fill_delay_keeps_a_market_order_working(sb: Sandbox, tl: TL) -> None:
    sb.tradelocker.fill_delay = 0.3
    order_id = tl.ok("POST", ACCT + "/orders", json=market(strategyId="slow"))["orderId"]
    working = tl.rows(ACCT + "/orders", "orders", "ordersConfig")
    assert any(o["id"] == order_id for o in working)
    time.sleep(0.35)
    positions = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    assert any(p["strategyId"] == "slow" for p in positions)


# --------------------------------------------------------------------------- §12 limits, faults


def test_rate_limits_from_config_are_enforced_with_429(sb: Sandbox, tl: TL) -> None:
    sb.tradelocker.enforce_rate_limits = True
    sb.tradelocker.retry_after = 1
    assert tl.call("GET", ACCT + "/positions").status_code == 200
    reply = tl.call("GET", ACCT + "/positions")  # GET_POSITIONS: 1 per second (§12)
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "1"
    assert reply.json()["s"] == "error"
    assert tl.call("GET", ACCT + "/orders").status_code == 200  # another route, own budget
    sb.tradelocker.rate_limit_body = "empty"
    assert tl.call("GET", ACCT + "/positions").content == b""
    time.sleep(1.05)
    assert tl.call("GET", ACCT + "/positions").status_code == 200
    # The config's numbers are the enforced ones.
    sb.tradelocker.rate_limits["GET_POSITIONS"] = (3, 1, "SECONDS")
    limits = {r["rateLimitType"]: r["limit"] for r in tl.ok("GET", "/trade/config")["rateLimits"]}
    assert limits["GET_POSITIONS"] == 3
    statuses = [tl.call("GET", ACCT + "/positions").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_lost_answer_after_execution_leaves_the_order(sb: Sandbox, tl: TL) -> None:
    sb.fault(
        f"/backend-api{ACCT}/orders",
        method="POST",
        status=502,
        body="<html>bad gateway",
        after_execute=True,
    )
    reply = tl.call("POST", ACCT + "/orders", json=market(strategyId="lost-1"))
    assert reply.status_code == 502
    positions = tl.rows(ACCT + "/positions", "positions", "positionsConfig")
    assert [p["strategyId"] for p in positions].count("lost-1") == 1  # §17.12


def test_cloudflare_pages(sb: Sandbox, tl: TL) -> None:
    sb.cloudflare("/backend-api/auth/*", times=1)
    reply = requests.post(tl.base + "/auth/jwt/token", json={})
    assert reply.status_code == 403 and "Just a moment" in reply.text
    sb.tradelocker.blocked_user_agents = ["python-urllib*"]  # §13, §17.12: code 1010
    assert tl.call("GET", "/trade/config").status_code == 200  # requests' own agent passes
    reply = requests.get(
        tl.base + "/trade/config", headers={**tl.headers(), "User-Agent": "python-urllib/3.12"}
    )
    assert reply.status_code == 403 and "1010" in reply.text


def test_unknown_paths_and_methods(sb: Sandbox, tl: TL) -> None:
    assert tl.call("GET", "/trade/nothing").status_code == 404
    assert tl.call("PUT", "/trade/config").status_code == 405
    assert tl.call("GET", "/auth/jwt/token", acc_num=None).status_code == 405


def test_reset_restores_seed_and_drops_tokens(sb: Sandbox, tl: TL) -> None:
    tl.ok("POST", ACCT + "/orders", json=market())
    sb.reset()
    assert tl.call("GET", "/trade/config").status_code == 401
    tl = TL(sb)
    assert len(tl.rows(ACCT + "/positions", "positions", "positionsConfig")) == 1

"""The DXtrade half of the sandbox against the reference sheet, spoken to with plain ``requests``.

Each test cites the section of ``shared/reference/dxtrade-api.md`` it checks (§ = section,
"item n" = its emulator checklist §12).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
import requests

from brokers.sandbox import DX_DOMAIN, DX_PASSWORD, Sandbox
from brokers.sandbox.seed import DX_SSO_TOKEN

ACCT = "default:1210001"
ENC = quote(ACCT, safe="")


class DX:
    """A logged-in ``requests`` session against the sandbox's DXtrade API."""

    def __init__(self, sb: Sandbox, username: str = "1210001") -> None:
        self.sb = sb
        self.http = requests.Session()
        self.base = sb.dxtrade_url
        answer = self.http.post(
            f"{self.base}/login",
            json={"username": username, "domain": DX_DOMAIN, "password": DX_PASSWORD},
        )
        assert answer.status_code == 200, answer.text
        self.http.headers["Authorization"] = f"DXAPI {answer.json()['sessionToken']}"

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.http.request(method, self.base + path, **kw)

    def data(self, method: str, path: str, **kw: Any) -> Any:
        answer = self.call(method, path, **kw)
        return answer.status_code, answer.json(parse_float=Decimal) if answer.content else None

    def place(self, body: dict[str, Any]) -> requests.Response:
        return self.call("POST", f"/accounts/{ENC}/orders", json=body)

    def orders(self) -> tuple[list[dict[str, Any]], str]:
        answer = self.call("GET", f"/accounts/{ENC}/orders")
        assert answer.status_code == 200
        return answer.json(parse_float=Decimal)["orders"], answer.headers["ETag"]

    def order(self, client_code: str) -> dict[str, Any]:
        status, body = self.data("GET", f"/accounts/{ENC}/orders/{quote(client_code, safe='')}")
        assert status == 200, body
        return body

    def positions(self) -> dict[str, dict[str, Any]]:
        body = self.data("GET", f"/accounts/{ENC}/positions")[1]
        return {p["positionCode"]: p for p in body["positions"]}

    def history(self, **params: Any) -> dict[str, Any]:
        status, body = self.data("GET", f"/accounts/{ENC}/orders/history", params=params)
        assert status == 200, body
        return body

    def quote(self, symbol: str, bid: str, ask: str) -> None:
        answer = self.http.post(
            f"{self.sb.url}/_sandbox/dxtrade/quote", json={"symbol": symbol, "bid": bid, "ask": ask}
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def sb():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def dx(sb: Sandbox) -> DX:
    return DX(sb)


def order(code: str, **fields: Any) -> dict[str, Any]:
    body = {
        "account": ACCT,
        "orderCode": code,
        "type": "MARKET",
        "instrument": "EUR/USD",
        "quantity": 10000,
        "positionEffect": "OPEN",
        "side": "BUY",
        "tif": "GTC",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def child(code: str, kind: str, price: float, side: str = "SELL", **fields: Any) -> dict[str, Any]:
    """A protective (THEN or position) CLOSE order: no quantity unless ``fields`` gives one."""
    key = "stopPrice" if kind == "STOP" else "limitPrice"
    base = {"type": kind, "side": side, "positionEffect": "CLOSE", "quantity": None, key: price}
    return order(code, **{**base, **fields})


def if_then(entry: dict[str, Any], sl: float = 1.05, tp: float = 1.15) -> dict[str, Any]:
    code = entry["orderCode"]
    members = [entry, child(f"{code}-sl", "STOP", sl), child(f"{code}-tp", "LIMIT", tp)]
    return {"orders": members, "contingencyType": "IF-THEN"}


def by_client(orders: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["clientOrderId"]: o for o in orders}


# --------------------------------------------------------------------------- groups (§7.2)


def test_groups_are_placed_at_the_orders_resource(sb: Sandbox, dx: DX) -> None:
    """§7.2 Groups / item 8: POST /accounts/{acct}/orders takes an Order Group Request and
    answers {"orderResponses": [...]}; ``group_answer_list`` serves a bare list."""
    answer = dx.place(if_then(order("g1", type="LIMIT", limitPrice=1.08)))
    assert answer.status_code == 200, answer.text
    responses = answer.json()["orderResponses"]
    assert len(responses) == 3 and all(set(r) == {"orderId", "updateOrderId"} for r in responses)
    sb.dxtrade.group_answer_list = True
    bare = dx.place(if_then(order("g2", type="LIMIT", limitPrice=1.08))).json()
    assert isinstance(bare, list) and len(bare) == 3


def test_post_orders_group_is_not_a_placement_route(dx: DX) -> None:
    """§7.2 correction: /orders/group is the group CANCEL (DELETE); POST there gets what an
    unknown method gets (§8: 405 with Allow) and places nothing."""
    answer = dx.call("POST", f"/accounts/{ENC}/orders/group", json=if_then(order("g1")))
    assert answer.status_code == 405 and "DELETE" in answer.headers["Allow"]
    assert dx.orders()[0] == [] and dx.history(**{"with-client-id": "g1"})["orders"] == []


@pytest.mark.parametrize(
    ("member", "change"),
    [
        (0, {"positionEffect": "CLOSE", "positionCode": "1000001"}),  # parent must be OPEN
        (1, {"positionEffect": "OPEN", "quantity": 10000}),  # children are CLOSE
        (1, {"side": "BUY"}),  # opposite side
        (1, {"quantity": 10000}),  # quantity 0 or omitted
        (2, {"tif": "DAY"}),  # GTC
        (2, {"instrument": "GBP/USD"}),  # same instrument
    ],
)
def test_if_then_rules(dx: DX, member: int, change: dict[str, Any]) -> None:
    """§7.2 IF-THEN rules (S2): parent OPEN with quantity; children CLOSE, opposite side,
    quantity 0/omitted, GTC, same instrument → otherwise 400/33, nothing placed."""
    group = if_then(order("g1", type="LIMIT", limitPrice=1.08))
    group["orders"][member].update(change)
    status, body = dx.data("POST", f"/accounts/{ENC}/orders", json=group)
    assert (status, body["errorCode"]) == (400, "33")
    assert dx.orders()[0] == []


def test_if_then_children_with_quantity_zero_are_accepted(dx: DX) -> None:
    """§7.2: THEN children carry quantity 0 or none."""
    group = if_then(order("g1", type="LIMIT", limitPrice=1.08))
    group["orders"][1]["quantity"] = 0
    assert dx.place(group).status_code == 200


def test_oco_rules_and_one_cancels_the_other(dx: DX) -> None:
    """§7.2 OCO: both OPEN with equal nonzero quantity (else 400/33); when one fills the
    other is cancelled."""
    buy = order("o-buy", type="LIMIT", limitPrice=1.08)
    sell = order("o-sell", type="LIMIT", side="SELL", limitPrice=1.09)
    unequal = {"orders": [buy, {**sell, "quantity": 20000}], "contingencyType": "OCO"}
    assert dx.data("POST", f"/accounts/{ENC}/orders", json=unequal)[1]["errorCode"] == "33"
    assert dx.place({"orders": [buy, sell], "contingencyType": "OCO"}).status_code == 200
    listed = by_client(dx.orders()[0])
    assert listed["o-buy"]["links"][0]["linkType"] == "OCO"
    assert listed["o-buy"]["links"][0]["linkedClientOrderId"] == "o-sell"
    dx.quote("EUR/USD", "1.08990", "1.09000")  # the sell limit at 1.09 is not hit yet
    dx.quote("EUR/USD", "1.09000", "1.09010")
    statuses = {o["clientOrderId"]: o["status"] for o in dx.history()["orders"][:2]}
    assert statuses == {"o-sell": "COMPLETED", "o-buy": "CANCELED"}


# --------------------------------------------------------------------------- listing (§7.1)


def test_listed_orders_carry_client_and_system_codes(dx: DX) -> None:
    """§7.1 "Which field holds your code": clientOrderId = the placed orderCode; the Order's
    orderCode is the system's chain code "<n>:<client code>"; orderId numeric; legs[]."""
    placed = dx.place(order("lim-1", type="LIMIT", limitPrice=1.05)).json()
    (listed,) = dx.orders()[0]
    assert listed["clientOrderId"] == "lim-1" and listed["orderId"] == placed["orderId"]
    assert isinstance(listed["orderId"], int)
    number, _, client = listed["orderCode"].partition(":")
    assert number.isdigit() and client == "lim-1" and listed["orderCode"] != "lim-1"
    leg = listed["legs"][0]
    assert (leg["price"], leg["quantity"], leg["positionEffect"]) == (
        Decimal("1.05"),
        10000,
        "OPEN",
    )
    assert "limitPrice" not in listed  # the price is legs[0].price (§7.5)
    assert dx.order("lim-1")["orderCode"] == listed["orderCode"]
    assert dx.order(listed["orderCode"])["clientOrderId"] == "lim-1"
    (history,) = dx.history(**{"with-client-id": "lim-1"})["orders"]
    assert (history["clientOrderId"], history["orderCode"]) == ("lim-1", listed["orderCode"])


def test_session_prefixed_order_codes(sb: Sandbox, dx: DX) -> None:
    """§7.2/§11: ``order_code_style = "session"`` serves dxsca-integration-session-code:<code>."""
    sb.dxtrade.order_code_style = "session"
    dx.place(order("lim-1", type="LIMIT", limitPrice=1.05))
    (listed,) = dx.orders()[0]
    assert listed["orderCode"] == "dxsca-integration-session-code:lim-1"
    assert listed["clientOrderId"] == "lim-1"


def test_group_links_in_the_open_list_but_not_in_history(dx: DX) -> None:
    """§7.1 links[] (PARENT|CHILD) for group members; §7.6: history orders carry no links."""
    dx.place(if_then(order("g1", type="LIMIT", limitPrice=1.08)))
    listed = by_client(dx.orders()[0])
    parent_links = {(k["linkType"], k["linkedClientOrderId"]) for k in listed["g1"]["links"]}
    assert parent_links == {("CHILD", "g1-sl"), ("CHILD", "g1-tp")}
    (link,) = listed["g1-sl"]["links"]
    assert (link["linkType"], link["linkedOrder"]) == ("PARENT", listed["g1"]["orderCode"])
    assert all("links" not in o for o in dx.history()["orders"])


# --------------------------------------------------------------------------- IF-THEN life


def test_if_then_children_wait_for_the_parent_fill(dx: DX) -> None:
    """Item 8: IF-THEN children are inactive until the parent fills (status ACCEPTED, a
    choice); then they are working protective CLOSE orders of the new position (§7.5 case 2)."""
    dx.place(if_then(order("g1", type="LIMIT", limitPrice=1.08)))
    listed = by_client(dx.orders()[0])
    assert [listed[c]["status"] for c in ("g1", "g1-sl", "g1-tp")] == [
        "WORKING",
        "ACCEPTED",
        "ACCEPTED",
    ]
    dx.quote("EUR/USD", "1.13000", "1.13010")  # neither child may fire before the fill
    dx.quote("EUR/USD", "1.07990", "1.08000")  # the entry limit is reached
    listed = by_client(dx.orders()[0])
    assert set(listed) == {"g1-sl", "g1-tp"}
    code = str(dx.history(**{"with-client-id": "g1"})["orders"][0]["orderId"])
    for name in ("g1-sl", "g1-tp"):
        assert listed[name]["status"] == "WORKING" and "links" not in listed[name]
        assert listed[name]["legs"][0]["positionCode"] == code
    position = dx.positions()[code]
    assert (position["stopLossPrice"], position["takeProfitPrice"]) == (
        Decimal("1.05"),
        Decimal("1.15"),
    )


def test_market_parent_fills_at_once_and_protects_the_position(dx: DX) -> None:
    """§7.5 case 2: a MARKET entry fills at once; its THEN orders protect the position."""
    answer = dx.place(if_then(order("g1"))).json()["orderResponses"]
    code = str(answer[0]["orderId"])
    listed = by_client(dx.orders()[0])
    assert {o["legs"][0]["positionCode"] for o in listed.values()} == {code}
    assert {o["type"] for o in listed.values()} == {"STOP", "LIMIT"}
    assert code in dx.positions()


def test_cancelling_an_if_then_parent_cancels_its_children(dx: DX) -> None:
    """§7.3 (silent on a single DELETE of a parent): the children are cancelled with it, as
    with the group cancel (item 8) — a choice."""
    dx.place(if_then(order("g1", type="LIMIT", limitPrice=1.08)))
    etag = dx.orders()[1]
    answer = dx.call("DELETE", f"/accounts/{ENC}/orders/g1", headers={"If-Match": etag})
    assert answer.status_code == 200 and set(answer.json()) == {"orderId", "updateOrderId"}
    assert dx.orders()[0] == []


def test_group_cancel(dx: DX) -> None:
    """§7.3: DELETE /orders/group?order-codes=a,b&contingency-type=..., parent first;
    bad parameters 400/32; If-Match required (403/99)."""
    dx.place(if_then(order("g1", type="LIMIT", limitPrice=1.08)))
    path = f"/accounts/{ENC}/orders/group"
    etag = dx.orders()[1]
    good = {"order-codes": "g1,g1-sl,g1-tp", "contingency-type": "IF-THEN"}
    assert dx.data("DELETE", path, params=good)[1]["errorCode"] == "99"
    for params in (
        {"order-codes": "g1-sl,g1", "contingency-type": "IF-THEN"},
        {"order-codes": "g1,g1-sl,g1-tp", "contingency-type": "OCO"},
        {"contingency-type": "IF-THEN"},
    ):
        status, body = dx.data("DELETE", path, params=params, headers={"If-Match": etag})
        assert (status, body["errorCode"]) == (400, "32")
    status, body = dx.data("DELETE", path, params=good, headers={"If-Match": etag})
    assert status == 200 and len(body["orderResponses"]) == 3
    assert dx.orders()[0] == []
    status, body = dx.data("DELETE", path, params=good, headers={"If-Match": "*"})
    assert (status, body["errorCode"]) == (409, "1005")


# --------------------------------------------------------------------------- protective orders


def test_protective_orders_die_with_their_position(dx: DX) -> None:
    """§7.2 (S5) / item 8: protective orders are cancelled when their position closes; a
    MARKET CLOSE without quantity closes the whole position (§7.3)."""
    code = str(dx.place(order("open-1")).json()["orderId"])
    for name, kind, price in (("sl", "STOP", 1.05), ("tp", "LIMIT", 1.15)):
        protect = child(name, kind, price, positionCode=code)
        assert dx.place(protect).status_code == 200
    assert len(dx.orders()[0]) == 2
    close = order("close-1", side="SELL", positionEffect="CLOSE", positionCode=code, quantity=None)
    assert dx.place(close).status_code == 200
    assert code not in dx.positions() and dx.orders()[0] == []
    statuses = {o["clientOrderId"]: o["status"] for o in dx.history()["orders"]}
    assert (statuses["sl"], statuses["tp"], statuses["close-1"]) == (
        "CANCELED",
        "CANCELED",
        "COMPLETED",
    )


def test_close_order_rules(sb: Sandbox, dx: DX) -> None:
    """§7.2 Velotrade quirks: a closing STOP/LIMIT with quantity → 400/33 "Closing STOP/LIMIT
    orders should not have specified quantity" (``reject_close_quantity``); CLOSE without
    positionCode → 400/33; a MARKET CLOSE with a quantity closes that much (§7.3)."""
    code = str(dx.place(order("open-1", quantity=20000)).json()["orderId"])
    with_qty = child("sl", "STOP", 1.05, positionCode=code, quantity=20000)
    status, body = dx.data("POST", f"/accounts/{ENC}/orders", json=with_qty)
    assert (status, body["errorCode"]) == (400, "33")
    assert "Closing STOP/LIMIT orders should not have specified quantity" in body["description"]
    no_code = child("sl", "STOP", 1.05)
    assert dx.data("POST", f"/accounts/{ENC}/orders", json=no_code)[1]["errorCode"] == "33"
    partial = order(
        "close-1", side="SELL", positionEffect="CLOSE", positionCode=code, quantity=5000
    )
    assert dx.place(partial).status_code == 200
    assert dx.positions()[code]["quantity"] == 15000
    sb.dxtrade.reject_close_quantity = False
    assert dx.place({**with_qty, "quantity": 15000}).status_code == 200


def test_stop_loss_hit_closes_the_position_and_cancels_the_take_profit(dx: DX) -> None:
    """Item 13: protective orders trigger on the price, close the position, and the sibling is
    cancelled; the close carries a fill and a SETTLEMENT of the realised P/L (§7.6)."""
    code = str(dx.place(if_then(order("g1"))).json()["orderResponses"][0]["orderId"])
    dx.quote("EUR/USD", "1.04990", "1.05000")
    assert code not in dx.positions() and dx.orders()[0] == []
    latest = by_client(dx.history()["orders"])
    assert (latest["g1-sl"]["status"], latest["g1-tp"]["status"]) == ("COMPLETED", "CANCELED")
    fill = latest["g1-sl"]["executions"][-1]
    assert (fill["lastPrice"], fill["lastQuantity"]) == (Decimal("1.04990"), -10000)
    (settlement,) = latest["g1-sl"]["cashTransactions"]
    expected = (Decimal("1.04990") - Decimal("1.08510")) * 10000
    assert (settlement["type"], settlement["value"], settlement["currency"]) == (
        "SETTLEMENT",
        expected,
        "USD",
    )
    assert settlement["tradeCode"] == fill["executionCode"]


def test_limit_orders_fill_when_the_quote_reaches_them(sb: Sandbox, dx: DX) -> None:
    """Item 13 / §7.2: a LIMIT OPEN order works until the quote reaches it (buy on ask), then
    opens a position; ``set_quote`` is the Python twin of the admin route."""
    placed = dx.place(order("lim-1", type="LIMIT", limitPrice=1.08)).json()
    sb.dxtrade.set_quote("EUR/USD", "1.08010", "1.08020")
    assert len(dx.orders()[0]) == 1
    sb.dxtrade.set_quote("EUR/USD", "1.07990", "1.08000")
    assert dx.orders()[0] == [] and str(placed["orderId"]) in dx.positions()
    with pytest.raises(ValueError):
        sb.dxtrade.set_quote("NOPE", "1", "2")


def test_quotes_move_the_metrics(dx: DX) -> None:
    """§5: equity = balance + floating P/L, which follows the quote (XAU/USD BUY 10 @ 2375.045)."""
    dx.quote("XAU/USD", "2410.10", "2410.50")
    (metrics,) = dx.data("GET", f"/accounts/{ENC}/metrics")[1]["metrics"]
    assert metrics["openPL"] == Decimal("350.55")
    assert metrics["equity"] == Decimal("100350.55")


# --------------------------------------------------------------------------- cancel (§7.3)


def test_cancel_by_client_or_system_code_never_by_order_id(sb: Sandbox, dx: DX) -> None:
    """§7.3 Cancel: the path segment is the clientOrderId or the system orderCode (URL-encoded),
    not the numeric orderId (404/2); the answer is an OrderResponse (``cancel_empty``: none)."""
    first = dx.place(order("lim-1", type="LIMIT", limitPrice=1.05)).json()
    dx.place(order("lim-2", type="LIMIT", limitPrice=1.04))
    listed, etag = dx.orders()
    by_id = dx.call(
        "DELETE", f"/accounts/{ENC}/orders/{first['orderId']}", headers={"If-Match": etag}
    )
    assert (by_id.status_code, by_id.json()["errorCode"]) == (404, "2")
    system = quote(by_client(listed)["lim-1"]["orderCode"], safe="")
    answer = dx.call("DELETE", f"/accounts/{ENC}/orders/{system}", headers={"If-Match": etag})
    assert answer.status_code == 200 and answer.json()["orderId"] == first["orderId"]
    sb.dxtrade.cancel_empty = True
    answer = dx.call("DELETE", f"/accounts/{ENC}/orders/lim-2", headers={"If-Match": "*"})
    assert (answer.status_code, answer.content) == (200, b"")


def test_cancel_conditions(sb: Sandbox, dx: DX) -> None:
    """§10/item 9: If-Match missing → 403/99 (``require_if_match``), stale → 412, final →
    409/1005; the single-order GET's ETag is accepted too (§7.5 [?])."""
    dx.place(order("lim-1", type="LIMIT", limitPrice=1.05))
    path = f"/accounts/{ENC}/orders/lim-1"
    assert dx.data("DELETE", path)[1]["errorCode"] == "99"
    assert dx.call("DELETE", path, headers={"If-Match": '"stale"'}).status_code == 412
    own = dx.call("GET", path).headers["ETag"]
    assert dx.call("DELETE", path, headers={"If-Match": own}).status_code == 200
    assert dx.data("DELETE", path, headers={"If-Match": own})[1]["errorCode"] == "1005"
    sb.dxtrade.require_if_match = False
    dx.place(order("lim-2", type="LIMIT", limitPrice=1.05))
    assert dx.call("DELETE", f"/accounts/{ENC}/orders/lim-2").status_code == 200


# --------------------------------------------------------------------------- instruments (§7.4)


def test_instruments_and_instrument_details(dx: DX) -> None:
    """§7.4: plain Instrument has lotSize = units per lot (100000 for FX), priceIncrement,
    pipSize, multiplier; Instrument Details carry the account's size limits and status."""
    (plain,) = dx.data("GET", "/instruments/EUR%2FUSD")[1]["instruments"]
    assert (plain["lotSize"], plain["priceIncrement"], plain["pipSize"]) == (
        100000,
        Decimal("0.00001"),
        Decimal("0.0001"),
    )
    assert "minOrderSize" not in plain and plain["multiplier"] == 1
    details = dx.data("GET", f"/accounts/{ENC}/instruments/query")[1]["instruments"]
    eur = next(d for d in details if d["symbol"] == "EUR/USD")
    assert (eur["minOrderSize"], eur["minOrderSizeIncrement"], eur["tradingStatus"]) == (
        1000,
        1000,
        "FULL",
    )
    assert eur["account"] == ACCT and eur["marginRate"] == Decimal("0.01")
    (one,) = dx.data("GET", f"/accounts/{ENC}/instruments/XAU%2FUSD")[1]["instruments"]
    assert one["maxOrderSize"] == 10000
    assert dx.call("GET", "/accounts/default%3A1210003/instruments/query").status_code == 404


@pytest.mark.parametrize("quantity", ["0.1", "1500", "500", "20000000"])
def test_order_size_limits_are_pre_trade_rejections(dx: DX, quantity: str) -> None:
    """Item 8: below minOrderSize, above maxOrderSize or off minOrderSizeIncrement → 409
    (code unknown per the sheet: 29 here, ``pre_trade_code``); nothing is placed."""
    status, body = dx.data("POST", f"/accounts/{ENC}/orders", json=order("q", quantity=quantity))
    assert (status, body["errorCode"]) == (409, "29")
    assert dx.history(**{"with-client-id": "q"})["orders"] == []


def test_trading_status_close_only(sb: Sandbox, dx: DX) -> None:
    """§7.4 tradingStatus CLOSE_ONLY: OPEN orders are pre-trade rejections (409), CLOSE pass."""
    sb.dxtrade.instrument_details = {"XAU/USD": {"tradingStatus": "CLOSE_ONLY"}}
    gold = order("g", instrument="XAU/USD", quantity=1)
    assert dx.place(gold).status_code == 409
    close = order("c", instrument="XAU/USD", side="SELL", positionEffect="CLOSE", quantity=None)
    assert dx.place({**close, "positionCode": "1000001"}).status_code == 200


# --------------------------------------------------------------------------- modify (§7.5)


def test_modify_a_pending_order(dx: DX) -> None:
    """Item 12 / §7.5: PUT the complete order with If-Match = the orders ETag; prices, quantity
    and tif are replaced, the version and ETag move, the answer is an Order Response + ETag."""
    placed = dx.place(order("lim-1", type="LIMIT", limitPrice=1.05)).json()
    (before,), etag = dx.orders()
    body = order("lim-1", type=None, limitPrice=1.06, quantity=20000)
    answer = dx.call("PUT", f"/accounts/{ENC}/orders", json=body, headers={"If-Match": etag})
    assert answer.status_code == 200 and answer.json()["orderId"] == placed["orderId"]
    (after,), new_etag = dx.orders()
    assert answer.headers["ETag"] == new_etag != etag
    assert (after["legs"][0]["price"], after["legs"][0]["quantity"]) == (Decimal("1.06"), 20000)
    assert after["version"] > before["version"]
    stale = dx.call("PUT", f"/accounts/{ENC}/orders", json=body, headers={"If-Match": etag})
    assert stale.status_code == 412


def test_modify_errors(sb: Sandbox, dx: DX) -> None:
    """§7.5 Errors: no If-Match → 403/99; unknown order → 404/2; a changed type, side or
    instrument → 409 (code a guess: ``immutable_code``); the size limits still apply (409)."""
    dx.place(order("lim-1", type="LIMIT", limitPrice=1.05))
    etag = dx.orders()[1]
    path = f"/accounts/{ENC}/orders"
    body = order("lim-1", type=None, limitPrice=1.06)
    assert dx.data("PUT", path, json=body)[1]["errorCode"] == "99"
    missing = dx.data("PUT", path, json={**body, "orderCode": "nope"}, headers={"If-Match": etag})
    assert missing == (404, {"errorCode": "2", "description": "Entity not found at server"})
    for change in ({"side": "SELL"}, {"type": "STOP", "stopPrice": 1.2}, {"instrument": "GBP/USD"}):
        status, _ = dx.data("PUT", path, json={**body, **change}, headers={"If-Match": etag})
        assert status == 409
    assert (
        dx.call("PUT", path, json={**body, "quantity": 1}, headers={"If-Match": etag}).status_code
        == 409
    )
    sb.dxtrade.etag_sources = {"list"}
    own = dx.call("GET", f"{path}/lim-1").headers["ETag"]
    assert dx.call("PUT", path, json=body, headers={"If-Match": own}).status_code == 412


def test_single_put_of_an_if_then_entry_drops_its_children(sb: Sandbox, dx: DX) -> None:
    """Item 12 / §7.5 case 1: a single-order PUT of the entry turns the group into a single
    order (``single_put_drops_children``); a group PUT keeps and changes every member."""
    dx.place(if_then(order("g1", type="LIMIT", limitPrice=1.08)))
    group = if_then(order("g1", type="LIMIT", limitPrice=1.07), sl=1.04)
    etag = dx.orders()[1]
    answer = dx.call("PUT", f"/accounts/{ENC}/orders", json=group, headers={"If-Match": etag})
    assert answer.status_code == 200 and len(answer.json()["orderResponses"]) == 3
    listed = by_client(dx.orders()[0])
    assert listed["g1-sl"]["legs"][0]["price"] == Decimal("1.04")
    assert listed["g1"]["legs"][0]["price"] == Decimal("1.07")
    single = order("g1", type=None, limitPrice=1.075)
    put = dx.call(
        "PUT", f"/accounts/{ENC}/orders", json=single, headers={"If-Match": answer.headers["ETag"]}
    )
    assert put.status_code == 200
    assert [o["clientOrderId"] for o in dx.orders()[0]] == ["g1"]


def test_a_single_order_may_be_replaced_by_a_group(dx: DX) -> None:
    """§7.5 Groups (S2): "a single order may be replaced by a group": the existing order first,
    new THEN members after it, inactive until the parent fills (item 8); adding a member to a
    group that stays one is refused (the sheet gives no code: 404 for the unknown member)."""
    dx.place(order("s1", type="LIMIT", limitPrice=1.05))
    etag = dx.orders()[1]
    entry = order("s1", type="LIMIT", limitPrice=1.05)
    group = {"orders": [entry, child("s1-sl", "STOP", 1.04)], "contingencyType": "IF-THEN"}
    answer = dx.call("PUT", f"/accounts/{ENC}/orders", json=group, headers={"If-Match": etag})
    assert answer.status_code == 200, answer.text
    listed = by_client(dx.orders()[0])
    assert listed["s1-sl"]["status"] == "ACCEPTED"  # inactive until the parent fills
    assert listed["s1-sl"]["legs"][0]["price"] == Decimal("1.04")
    grown = if_then(entry, sl=1.04, tp=1.2)
    added = dx.call(
        "PUT", f"/accounts/{ENC}/orders", json=grown, headers={"If-Match": answer.headers["ETag"]}
    )
    assert added.status_code in (404, 409)
    assert "s1-tp" not in by_client(dx.orders()[0])


def test_modify_a_working_stop_loss(dx: DX) -> None:
    """§7.5 case 2: a working protective CLOSE order is moved with a single-order PUT (its
    orderCode, positionCode, no quantity, new stopPrice); the new level then triggers."""
    code = str(dx.place(if_then(order("g1"))).json()["orderResponses"][0]["orderId"])
    etag = dx.orders()[1]
    move = child("g1-sl", "STOP", 1.07, positionCode=code)
    answer = dx.call("PUT", f"/accounts/{ENC}/orders", json=move, headers={"If-Match": etag})
    assert answer.status_code == 200, answer.text
    assert dx.positions()[code]["stopLossPrice"] == Decimal("1.07")
    with_qty = dx.call(
        "PUT",
        f"/accounts/{ENC}/orders",
        json={**move, "quantity": 10000},
        headers={"If-Match": answer.headers["ETag"]},
    )
    assert with_qty.status_code == 400
    dx.quote("EUR/USD", "1.06990", "1.07000")
    assert code not in dx.positions()


# --------------------------------------------------------------------------- history (§7.6)


def test_history_pages_by_cursor(sb: Sandbox, dx: DX) -> None:
    """Item 14 / §7.6: newest first, capped at ``history_page_size`` with
    nextPageTransactionTime = the first order left out; repeating with transaction-to walks it."""
    sb.dxtrade.history_page_size = 3
    seen: list[int] = []
    params: dict[str, str] = {}
    for _ in range(10):
        page = dx.history(**params)
        times = [o["transactionTime"] for o in page["orders"]]
        assert times == sorted(times, reverse=True) and len(times) <= 3
        seen += [o["orderId"] for o in page["orders"] if o["orderId"] not in seen]
        if not page.get("nextPageTransactionTime"):
            break
        params = {"transaction-to": page["nextPageTransactionTime"]}
    assert len(seen) == 11  # five closed trades (open + close) and one cancelled order


@pytest.mark.parametrize(("style", "value"), [("empty", ""), ("null", None)])
def test_history_last_page_variants(sb: Sandbox, dx: DX, style: str, value: Any) -> None:
    """§11: nextPageTransactionTime empty or null on the last page."""
    sb.dxtrade.history_last_page = style
    assert dx.history()["nextPageTransactionTime"] == value


def test_history_virtual_pages_and_limit(sb: Sandbox, dx: DX) -> None:
    """§7.6: virtual pages ``page`` (from 1) + ``page-size``, and ``limit``."""
    everything = [o["orderId"] for o in dx.history()["orders"]]
    second = dx.history(page=2, **{"page-size": 4})["orders"]
    assert [o["orderId"] for o in second] == everything[4:8]
    assert [o["orderId"] for o in dx.history(limit=2)["orders"]] == everything[:2]
    assert dx.call("GET", f"/accounts/{ENC}/orders/history?page=0").status_code == 400


def test_history_filters(dx: DX) -> None:
    """§7.1 filters (comma values OR-ed, of-type written lower-case in the spec), and POST
    history with the parameters in a JSON body (S1)."""
    dx.place(order("lim-1", type="LIMIT", limitPrice=1.05))
    cancelled = dx.history(**{"in-status": "CANCELED"})["orders"]
    assert [o["type"] for o in cancelled] == ["LIMIT"]
    limits = dx.history(**{"of-type": "limit"})["orders"]
    assert {o["clientOrderId"] for o in limits} >= {"lim-1"} and len(limits) == 2
    gold = dx.history(**{"for-instrument": "XAU/USD,BTCUSD"})["orders"]
    assert {o["instrument"] for o in gold} == {"XAU/USD", "BTCUSD"} and len(gold) == 4
    recent = dx.history(**{"completed-from": "2020-01-01T00:00:00Z", "side": "SELL"})["orders"]
    assert recent and all(o["side"] == "SELL" and o["finalStatus"] for o in recent)
    today = dx.history(period="today")["orders"]
    assert [o["clientOrderId"] for o in today] == ["lim-1"]
    status, body = dx.data(
        "POST", f"/accounts/{ENC}/orders/history", json={"with-client-id": ["lim-1"]}
    )
    assert status == 200 and [o["clientOrderId"] for o in body["orders"]] == ["lim-1"]
    bad = dx.call("GET", f"/accounts/{ENC}/orders/history?issued-from=yesterday")
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "32")


def test_history_closed_trades_carry_executions_and_cash(sb: Sandbox, dx: DX) -> None:
    """§7.6 closed trades: a CLOSE order's fill execution (lastPrice, signed lastQuantity) and a
    SETTLEMENT cash transaction (plus COMMISSION when charged: ``commission_rate``)."""
    closes = [
        o
        for o in dx.history(**{"in-status": "COMPLETED"})["orders"]
        if o["legs"][0]["positionEffect"] == "CLOSE"
    ]
    assert len(closes) == 5
    gold = next(o for o in closes if o["instrument"] == "XAU/USD")
    fill = gold["executions"][-1]
    assert (fill["lastPrice"], fill["lastQuantity"]) == (Decimal("2398.20"), 5)
    kinds = {c["type"]: c["value"] for c in gold["cashTransactions"]}
    assert kinds == {"SETTLEMENT": Decimal("61.50"), "COMMISSION": Decimal("-2.10")}
    opener = dx.history(**{"with-order-id": gold["legs"][0]["positionCode"]})["orders"]
    assert opener[0]["legs"][0]["positionEffect"] == "OPEN"
    sb.dxtrade.commission_rate = Decimal("0.0001")
    code = str(dx.place(order("o1")).json()["orderId"])
    dx.place(order("c1", side="SELL", positionEffect="CLOSE", positionCode=code, quantity=None))
    (close,) = dx.history(**{"with-client-id": "c1"})["orders"]
    assert [c["type"] for c in close["cashTransactions"]] == ["SETTLEMENT", "COMMISSION"]
    first = close["executions"][0]
    assert first["lastQuantity"] == 0 and "lastPrice" not in first


# --------------------------------------------------------------------------- transfers, events


def test_cash_transfers(dx: DX) -> None:
    """Item 15 / §7.6: {"cashTransfers": [...]}; trade-originated transfers have no
    transferCode; of-type, time-from/time-to, limit and start-from."""
    transfers = dx.data("GET", f"/accounts/{ENC}/transfers")[1]["cashTransfers"]
    deposit = transfers[0]
    assert deposit["transferCode"] == "T-50001"
    assert deposit["cashTransactions"][0]["type"] == "DEPOSIT"
    trades = [t for t in transfers if "transferCode" not in t]
    assert trades and all("orderCode" in t["cashTransactions"][0] for t in trades)
    settled = dx.data("GET", f"/accounts/{ENC}/transfers", params={"of-type": "SETTLEMENT"})[1]
    assert len(settled["cashTransfers"]) == 5
    window = {"time-from": "2000-01-01T00:00:00Z", "time-to": "2000-01-02T00:00:00Z"}
    assert dx.data("GET", f"/accounts/{ENC}/transfers", params=window)[1]["cashTransfers"] == []
    paged = {"start-from": 1, "limit": 2}
    page = dx.data("GET", f"/accounts/{ENC}/transfers", params=paged)[1]["cashTransfers"]
    assert page == transfers[1:3]


def test_account_events(sb: Sandbox, dx: DX) -> None:
    """Item 15 / §7.6: {"accountEvents": [...]} without timestamps, an ETag, both time-filter
    spellings (``events_time_spelling`` restricts them)."""
    path = "/accounts/default%3A1210002/events"
    answer = dx.call("GET", path)
    (event,) = answer.json(parse_float=Decimal)["accountEvents"]
    assert event == {
        "account": "default:1210002",
        "eventType": "MARGIN_CALL",
        "riskLevelThreshold": Decimal("0.5"),
        "actualRiskLevel": Decimal("0.48"),
    }
    assert (
        dx.call("GET", path, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    )
    old = {"from-time": "2000-01-01T00:00:00Z", "to-time": "2000-01-02T00:00:00Z"}
    new = {"time-from": "2000-01-01T00:00:00Z"}
    assert dx.data("GET", path, params=old)[1]["accountEvents"] == []
    assert len(dx.data("GET", path, params=new)[1]["accountEvents"]) == 1
    sb.dxtrade.events_time_spelling = "from-time"
    assert dx.call("GET", path, params=new).status_code == 400


# --------------------------------------------------------------------------- market data (§7.7)


def md(symbols: list[str], *kinds: dict[str, Any]) -> dict[str, Any]:
    return {"account": ACCT, "symbols": symbols, "eventTypes": list(kinds)}


def test_quotes(dx: DX) -> None:
    """Item 16: Quote events {"type","symbol","bid","ask","time"} with whole-second time."""
    status, body = dx.data("POST", "/marketdata", json=md(["EUR/USD", "BTCUSD"], {"type": "Quote"}))
    assert status == 200
    first, second = body["events"]
    assert (first["type"], first["symbol"], first["bid"], first["ask"]) == (
        "Quote",
        "EUR/USD",
        Decimal("1.08500"),
        Decimal("1.08510"),
    )
    assert second["symbol"] == "BTCUSD" and first["time"].endswith("Z") and "." not in first["time"]
    bad = dx.data("POST", "/marketdata", json=md(["NOPE"], {"type": "Quote"}))
    assert (bad[0], bad[1]["errorCode"]) == (400, "32")


@pytest.mark.parametrize("kind", ["m", "5m", "15m", "30m", "h", "2h", "4h", "d", "w", "mo"])
def test_candles_every_timeframe(dx: DX, kind: str) -> None:
    """Item 16: candleType m 5m 15m 30m h 2h 4h d w mo; candles in the window, deterministic."""
    request = {
        "type": "Candle",
        "format": "COMPACT",
        "candleType": kind,
        "fromTime": "2025-01-01T00:00:00.000Z",
        "toTime": "2025-12-31T00:00:00.000Z",
        "count": 5,
    }
    body = dx.data("POST", "/marketdata", json=md(["EUR/USD"], request))[1]
    candles = body["events"]
    assert len(candles) == 5 and all(c["candleType"] == kind for c in candles)
    assert candles[0]["time"] >= "2025-01-01T00:00:00Z"
    assert [c["time"] for c in candles] == sorted(c["time"] for c in candles)
    for candle in candles:
        assert candle["low"] <= min(candle["open"], candle["close"])
        assert candle["high"] >= max(candle["open"], candle["close"])
    assert dx.data("POST", "/marketdata", json=md(["EUR/USD"], request))[1] == body


def test_candle_errors_and_settings(sb: Sandbox, dx: DX) -> None:
    """Item 16: missing fromTime/toTime → 400/33, bad candleType (1m, H1) → 400/32, count capped
    at ``candle_max_count``; ``candle_order = "desc"`` serves newest first."""
    base = {"type": "Candle", "candleType": "h", "fromTime": "2025-01-01T00:00:00Z"}
    assert dx.data("POST", "/marketdata", json=md(["EUR/USD"], base))[1]["errorCode"] == "33"
    window = {**base, "toTime": "2025-03-01T00:00:00Z"}
    for wrong in ("1m", "H1"):
        bad = md(["EUR/USD"], {**window, "candleType": wrong})
        assert dx.data("POST", "/marketdata", json=bad)[1]["errorCode"] == "32"
    sb.dxtrade.candle_max_count = 7
    many = dx.data("POST", "/marketdata", json=md(["EUR/USD"], {**window, "count": 500}))[1]
    assert len(many["events"]) == 7
    sb.dxtrade.candle_order = "desc"
    times = [
        c["time"] for c in dx.data("POST", "/marketdata", json=md(["EUR/USD"], window))[1]["events"]
    ]
    assert times == sorted(times, reverse=True)


# --------------------------------------------------------------------------- conversion (§7.8)


def test_conversion_rates(sb: Sandbox, dx: DX) -> None:
    """Item 17: GET and POST answer {"conversionRates": [...]}; ``conversion_post_405`` makes POST
    405 with Allow: GET; ``conversion_single`` sends one object; toCurrency required (400/32)."""
    status, body = dx.data(
        "GET", "/conversionRates", params={"toCurrency": "USD", "fromCurrency": "EUR"}
    )
    assert status == 200
    assert body["conversionRates"] == [
        {"fromCurrency": "EUR", "toCurrency": "USD", "convRate": Decimal("1.08505000")}
    ]
    everything = dx.data("POST", "/conversionRates", params={"toCurrency": "EUR"})[1]
    assert {r["fromCurrency"] for r in everything["conversionRates"]} >= {"USD", "GBP"}
    assert dx.data("GET", "/conversionRates")[1]["errorCode"] == "32"
    sb.dxtrade.conversion_single = True
    single = dx.data("GET", "/conversionRates", params={"toCurrency": "USD", "fromCurrency": "GBP"})
    assert single[1]["fromCurrency"] == "GBP"
    sb.dxtrade.conversion_post_405 = True
    refused = dx.call("POST", "/conversionRates", params={"toCurrency": "USD"})
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET"


# --------------------------------------------------------------------------- session extras


def test_login_by_token_and_empty_login_switch(sb: Sandbox) -> None:
    """§3.4 SSO loginByToken; item 2: empty login body 500/110, switch 400/33; §10 optional
    empty User-Agent → 403 (``require_user_agent``)."""
    http = requests.Session()
    sso = {"username": "1210001", "domain": DX_DOMAIN, "token": DX_SSO_TOKEN}
    answer = http.post(f"{sb.dxtrade_url}/loginByToken", json=sso)
    assert answer.status_code == 200 and answer.json()["timeout"] == "00:30:00"
    assert (
        http.post(f"{sb.dxtrade_url}/loginByToken", json={**sso, "token": "x"}).status_code == 401
    )
    assert http.post(f"{sb.dxtrade_url}/login", data=b"").json()["errorCode"] == "110"
    sb.dxtrade.empty_login_status = 400
    assert http.post(f"{sb.dxtrade_url}/login", data=b"").status_code == 400
    sb.dxtrade.require_user_agent = True
    blank = http.post(f"{sb.dxtrade_url}/loginByToken", json=sso, headers={"User-Agent": ""})
    assert blank.status_code == 403


def test_admin_quote_route_validates(sb: Sandbox) -> None:
    """The admin route ``POST /_sandbox/dxtrade/quote`` (not part of the DXtrade API)."""
    url = f"{sb.url}/_sandbox/dxtrade/quote"
    assert requests.post(url, json={"symbol": "EUR/USD", "bid": "2", "ask": "1"}).status_code == 400
    assert requests.post(f"{sb.url}/_sandbox/matchtrade/quote", json={}).status_code == 404
    moved = requests.post(url, json={"symbol": "EUR/USD", "bid": "1.1", "ask": "1.2"})
    assert moved.status_code == 200 and sb.requests == []

"""The conformance layer itself: the checker catches each known misreading, the descriptions
are consistent, the suite-wide guard sees client requests, and every documented answer goes
through the parser named for it."""

from __future__ import annotations

import importlib
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from brokers.exceptions import BrokerError
from brokers.parsing import decode_json
from brokers.sandbox import RecordedRequest

from .conformance import dxtrade, hook, matchtrade
from .conformance.checker import Conversation, check_request, match_route

UA = {"user-agent": "brokers-python/9 (+requests/2)"}
DX_AUTH = {**UA, "authorization": "DXAPI token-1"}
MT_AUTH = {**UA, "auth-trading-api": "trading-1", "cookie": "co-auth=jwt-1"}
ACCT = "/dxsca-web/accounts/default%3A1210001"
SYSTEM = "/mtr-api/system-1"


def rec(method: str, path: str, body: Any = None, headers: Any = None, **query: str) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = dict(DX_AUTH if headers is None else headers)
    if raw:
        headers["content-type"] = "application/json"
    return RecordedRequest(method, path, query, headers, raw, body, 1, 0.0)


def order(**fields: Any) -> dict[str, Any]:
    base = {
        "account": "default:1210001",
        "orderCode": "c-1",
        "type": "MARKET",
        "instrument": "EUR/USD",
        "quantity": 10000,
        "positionEffect": "OPEN",
        "side": "BUY",
        "tif": "GTC",
    }
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


def protective(kind: str = "STOP", **fields: Any) -> dict[str, Any]:
    price = {"stopPrice": 1.07} if kind == "STOP" else {"limitPrice": 1.1}
    closing = {
        "orderCode": f"c-{kind}",
        "type": kind,
        "quantity": None,
        "positionEffect": "CLOSE",
        "side": "SELL",
    }
    return order(**{**closing, **price, **fields})


def group(*members: dict[str, Any], kind: str = "IF-THEN") -> dict[str, Any]:
    return {"orders": list(members), "contingencyType": kind}


def only(found: list[str], *words: str) -> None:
    assert len(found) == 1, found
    assert all(w in found[0] for w in words), found


# ----------------------------------------------------------------------------- DXtrade


def test_conformant_dxtrade_requests_pass():
    assert check_request(rec("POST", ACCT + "/orders", order())) == []
    assert check_request(rec("POST", ACCT + "/orders", group(order(), protective()))) == []
    assert check_request(rec("POST", ACCT + "/orders", protective(positionCode="88"))) == []
    closing = order(positionEffect="CLOSE", positionCode="88", side="SELL", quantity=None)
    assert check_request(rec("POST", ACCT + "/orders", closing)) == []
    conditional = {**DX_AUTH, "if-match": '"3.1"'}
    assert check_request(rec("DELETE", ACCT + "/orders/c-1", headers=conditional)) == []
    modify = protective(positionCode="88", type=None, stopPrice=1.06)
    assert check_request(rec("PUT", ACCT + "/orders", modify, headers=conditional)) == []
    cancel_group = rec(
        "DELETE",
        ACCT + "/orders/group",
        headers=conditional,
        **{"order-codes": "c-1,c-STOP", "contingency-type": "IF-THEN"},
    )
    assert check_request(cancel_group) == []
    login = {"username": "1", "domain": "default", "password": "p"}
    assert check_request(rec("POST", "/dxsca-web/login", login, headers=UA)) == []
    assert check_request(rec("GET", ACCT + "/orders/history", **{"with-client-id": "c-1"})) == []


def test_a_group_posted_to_orders_group_is_caught():
    found = check_request(rec("POST", ACCT + "/orders/group", group(order(), protective())))
    only(found, "no documented DXtrade request", "DELETE")


def test_a_delete_without_if_match_is_caught():
    only(check_request(rec("DELETE", ACCT + "/orders/c-1")), "If-Match is required")
    only(check_request(rec("PUT", ACCT + "/orders", order())), "If-Match is required")


def test_a_quantity_on_a_protective_close_stop_or_limit_is_caught():
    for kind in ("STOP", "LIMIT"):
        found = check_request(
            rec("POST", ACCT + "/orders", protective(kind, positionCode="8", quantity=10000))
        )
        only(found, "body.quantity must not be sent", "position's quantity")


def test_group_rules_are_checked():
    bad_child = protective(quantity=5000)
    only(
        check_request(rec("POST", ACCT + "/orders", group(order(), bad_child))),
        "zero or absent quantity",
    )
    same_side = protective(side="BUY")
    only(check_request(rec("POST", ACCT + "/orders", group(order(), same_side))), "opposite")
    no_kind = {"orders": [order(), protective()]}
    only(check_request(rec("POST", ACCT + "/orders", no_kind)), "contingencyType is required")


def test_an_unknown_path_is_caught():
    only(check_request(rec("GET", ACCT + "/trades")), "no documented DXtrade request")
    only(check_request(rec("GET", "/somewhere/else")), "not under any documented platform")


def test_a_missing_or_wrong_authorization_is_caught():
    only(check_request(rec("GET", ACCT + "/metrics", headers=UA)), "Authorization is required")
    bearer = {**UA, "authorization": "Bearer token-1"}
    only(check_request(rec("GET", ACCT + "/metrics", headers=bearer)), "documented form")


def test_paths_queries_and_bodies_are_checked():
    raw = rec("GET", "/dxsca-web/accounts/default:1210001/metrics")
    only(check_request(raw), "{account}", "documented form")
    only(check_request(rec("GET", ACCT + "/metrics", verbose="1")), "verbose is not documented")
    only(check_request(rec("GET", "/dxsca-web/accounts/metrics")), "accounts is required")
    only(
        check_request(
            rec(
                "DELETE",
                ACCT + "/orders/group",
                headers={**DX_AUTH, "if-match": "*"},
                **{"order-codes": "a,b"},
            )
        ),
        "contingency-type is required",
    )
    only(check_request(rec("POST", ACCT + "/orders", order(colour="red"))), "colour is not")
    only(check_request(rec("POST", ACCT + "/orders", order(type="LIMIT"))), "limitPrice")
    only(check_request(rec("POST", ACCT + "/orders", order(positionCode="88"))), "positionCode")
    only(check_request(rec("GET", ACCT + "/positions", {"x": 1})), "no body")


def test_market_data_requests_are_checked():
    def candle(**fields: Any) -> dict[str, Any]:
        event = {
            "type": "Candle",
            "format": "COMPACT",
            "candleType": "15m",
            "fromTime": "2026-11-03T00:00:00.000Z",
            "toTime": "2026-11-03T12:00:00.000Z",
            **fields,
        }
        body = {"account": "default:1210001", "symbols": ["EUR/USD"], "eventTypes": [event]}
        return check_request(rec("POST", "/dxsca-web/marketdata", body))

    assert candle() == []
    only(candle(candleType="1m"), "candleType")
    only(candle(fromTime=1788782400000), "ISO-8601")
    assert len(candle(toTime=None, fromTime=None)) == 2


def test_cancel_by_numeric_order_id_is_caught_from_earlier_answers():
    conversation = Conversation()
    placed = rec("POST", ACCT + "/orders", order(orderCode="mine-1", type="LIMIT", limitPrice=1))
    assert conversation.feed(placed, 200, b'{"orderId": 63650, "updateOrderId": 63650}') == []
    conditional = {**DX_AUTH, "if-match": "*"}
    found = conversation.feed(
        rec("DELETE", ACCT + "/orders/63650", headers=conditional), 200, b"{}"
    )
    only(found, "63650", "numeric orderId")
    by_code = rec("DELETE", ACCT + "/orders/mine-1", headers=conditional)
    assert conversation.feed(by_code, 200, b"{}") == []


def test_a_full_close_with_a_quantity_is_caught_from_the_positions_answer():
    conversation = Conversation()
    answer = b'{"positions": [{"positionCode": "88", "quantity": 25000, "side": "BUY"}]}'
    assert conversation.feed(rec("GET", ACCT + "/positions"), 200, answer) == []
    close = order(positionEffect="CLOSE", positionCode="88", side="SELL", quantity=25000)
    only(conversation.feed(rec("POST", ACCT + "/orders", close), 200, b"{}"), "full close")
    partial = order(positionEffect="CLOSE", positionCode="88", side="SELL", quantity=10000)
    assert conversation.feed(rec("POST", ACCT + "/orders", partial), 200, b"{}") == []


def test_raw_test_requests_are_out_of_scope():
    raw = rec("POST", ACCT + "/orders/group", {}, headers={"user-agent": "python-requests/2"})
    assert Conversation().feed(raw, 404, b"") == []


# ----------------------------------------------------------------------------- Match-Trader


def mt(path: str, body: Any = None, headers: Any = None, **query: str) -> list[str]:
    method = "GET" if body is None else "POST"
    return check_request(
        rec(method, SYSTEM + path, body, MT_AUTH if headers is None else headers, **query)
    )


CLOSE = {"positionId": "W1", "instrument": "EURUSD.", "orderSide": "BUY", "volume": "0.10"}


def test_conformant_match_trader_requests_pass():
    assert mt("/balance") == []
    assert mt("/position/close", CLOSE) == []
    assert mt("/positions/close", [CLOSE]) == []
    edit = {
        "id": "W1",
        "instrument": "EURUSD.",
        "orderSide": "BUY",
        "volume": 0.1,
        "slPrice": 1.09,
        "tpPrice": 0,
        "isMobile": False,
    }
    assert mt("/position/edit", edit) == []
    window = {"from": "2026-09-07T00:00:00Z", "to": "2026-09-08T00:00:00+00:00"}
    assert mt("/closed-positions", window) == []
    assert (
        mt(
            "/candles",
            symbol="EURUSD.",
            interval="MN1",
            **{"from": window["from"], "to": window["from"]},
        )
        == []
    )
    login = {"email": "a@b.c", "password": "p", "brokerId": "0"}
    assert check_request(rec("POST", "/manager/co-login", login, headers=UA)) == []


def test_match_trader_misreadings_are_caught():
    only(mt("/position/close", {**CLOSE, "volume": 0.1}), "volume must be a JSON string")
    only(mt("/balance", headers={**UA, "cookie": "co-auth=jwt"}), "Auth-trading-api is required")
    only(mt("/balance", headers={**UA, "auth-trading-api": "t"}), "Cookie is required")
    pending = {
        "id": "W2",
        "instrument": "XAUUSD.",
        "orderSide": "BUY",
        "volume": 1,
        "type": "LIMIT",
        "priceOrder": 4340,
        "price": 4340,
    }
    only(mt("/pending-order/edit", pending), "price must not be sent")
    only(
        mt(
            "/candles",
            symbol="X",
            interval="MN",
            **{"from": "2026-09-07T00:00:00Z", "to": "2026-09-08T00:00:00Z"},
        ),
        "interval",
    )
    only(mt("/closed-positions", {"from": 1788739200000, "to": "2026-09-08T00:00:00Z"}), "ISO-8601")
    login = rec(
        "POST",
        "/manager/co-login",
        {"email": "a", "password": "p", "brokerId": "0"},
        headers=MT_AUTH,
    )
    only(check_request(login), "Auth-trading-api must not be sent")
    only(mt("/position/modify", CLOSE), "no documented Match-Trader request")


# ----------------------------------------------------------------------------- descriptions


@pytest.mark.parametrize("module", [dxtrade, matchtrade], ids=["dxtrade", "matchtrade"])
def test_every_described_request_is_reachable_and_cited(module):
    seen = set()
    for spec in module.REQUESTS:
        assert spec["doc"], spec
        assert (spec["method"], spec["path"]) not in seen, spec
        seen.add((spec["method"], spec["path"]))
        concrete = re.sub(r"\{\w+\}", "x-1", spec["path"])
        found, _, _ = match_route(module, spec["method"], concrete)
        assert found is spec, spec["path"]


# ----------------------------------------------------------------------------- the guard


def test_the_guard_sees_client_requests_and_flags_undocumented_ones(sandbox, dx):
    client = dx()
    client.get_balance()
    requests.get(sandbox.dxtrade_url + "/anything", timeout=5)  # a raw test request: ignored
    exchanges = hook.take()
    assert any(r.path.endswith("/metrics") for _, r, _, _ in exchanges)
    assert hook.violations(exchanges) == []
    with pytest.raises(BrokerError):
        client._call("GET", "/dxsca-web/accounts/default%3A1210001/trades")
    only(hook.violations(hook.take()), "/trades", "no documented DXtrade request")


@pytest.mark.nonconformant("asks for an undocumented path on purpose")
def test_a_marked_test_may_send_an_undocumented_request(dx):
    with pytest.raises(BrokerError):
        dx()._call("GET", "/dxsca-web/time")


# ----------------------------------------------------------------------------- answers


def _resolve(value: Any, path: str) -> Any:
    for step in path.split(".") if path else ():
        if step == "len":
            value = len(value)
        elif step.isdigit():
            value = value[int(step)]
        else:
            value = getattr(value, step)
    return value


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, Decimal):
        return actual == Decimal(str(expected))
    if isinstance(actual, datetime):
        return actual.isoformat() == expected
    if isinstance(actual, float):
        return actual == float(expected)
    return actual == expected


RESPONSES = [("dxtrade", r) for r in dxtrade.RESPONSES] + [
    ("matchtrade", r) for r in matchtrade.RESPONSES
]


@pytest.mark.parametrize(
    ("platform", "case"), RESPONSES, ids=[f"{p}-{r['name']}" for p, r in RESPONSES]
)
def test_documented_answers_go_through_the_parsers(platform, case):
    module = importlib.import_module(f"brokers.{platform}")
    parser = getattr(module, case["parser"], None)
    if parser is None:
        pytest.skip(f"brokers.{platform}.{case['parser']} does not exist yet ({case['doc']})")
    payload = decode_json(case["example"])
    if "field" in case:
        payload = payload[case["field"]]
    result = parser(payload, *case["args"])
    expect = case["expect"]
    assert expect is not None, f"describe what {case['parser']} must give for this example"
    if not isinstance(expect, dict):
        assert _same(result, expect), (result, expect)
        return
    wrong = {
        path: (_resolve(result, path), value)
        for path, value in expect.items()
        if not _same(_resolve(result, path), value)
    }
    assert not wrong, f"{case['parser']} gave (actual, documented): {wrong}"

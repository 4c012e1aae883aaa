"""The Match-Trader sandbox's market data, history and edit routes, over plain ``requests``.

Each test cites the section of ``shared/reference/matchtrader-api.md`` it follows. No client code.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests

from brokers.sandbox import MT_BROKER_ID, MT_PASSWORD, Sandbox

DAY = 86400


class MT:
    """A logged-in Match-Trader user on one account, over one ``requests.Session``."""

    def __init__(self, sb: Sandbox, index: int = 0) -> None:
        self.http = requests.Session()
        login = {"email": "trader@example.com", "password": MT_PASSWORD, "brokerId": MT_BROKER_ID}
        body = self.http.post(f"{sb.url}/manager/co-login", json=login, timeout=5).json()
        account = body["accounts"][index]
        self.base = f"{sb.url}/mtr-api/{account['offer']['system']['uuid']}"
        self.http.headers["Auth-trading-api"] = account["tradingApiToken"]
        self.http.headers["Cookie"] = f"co-auth={body['token']}"
        self.http.cookies.clear()

    def get(self, endpoint: str, **params: Any) -> requests.Response:
        return self.http.get(f"{self.base}/{endpoint}", params=params, timeout=5)

    def post(self, endpoint: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.http.post(f"{self.base}/{endpoint}", json=body, timeout=5, **kw)

    def dec(self, response: requests.Response) -> Any:
        return response.json(parse_float=Decimal)


@pytest.fixture
def sb():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def mt(sb: Sandbox):
    client = MT(sb)
    yield client
    client.http.close()


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(days: float) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(days=days))


# --------------------------------------------------------------------------- quotations (§4.1)


def test_quotations_many_symbols_in_one_request(sb: Sandbox, mt: MT) -> None:
    """§4.1 Quotations: comma-separated ``symbols``, plain or ``%2C``; a top-level array of
    strings; unknown symbols left out; ``timestampMs`` and ``timestampSec``."""
    plain = mt.http.get(f"{mt.base}/quotations?symbols=EURUSD.,XAUUSD.,NOPE", timeout=5).json()
    encoded = mt.http.get(f"{mt.base}/quotations?symbols=EURUSD.%2CXAUUSD.", timeout=5).json()
    assert [q["symbol"] for q in plain] == ["EURUSD.", "XAUUSD."]
    assert [q["symbol"] for q in encoded] == ["EURUSD.", "XAUUSD."]
    eur = plain[0]
    assert (eur["bid"], eur["ask"], eur["alias"]) == ("1.08500", "1.08510", "EURUSD")
    assert abs(eur["timestampMs"] / 1000 - time.time()) < 5
    assert eur["timestampSec"] == eur["timestampMs"] // 1000
    assert sb.count("/mtr-api/*/quotations") == 2


def test_quotation_variants(sb: Sandbox, mt: MT) -> None:
    """§7: ``{quotations: [...]}`` as well as an array; time as ms, seconds only, or none;
    numbers as well as strings."""
    sb.matchtrade.quotations_shape = "wrapped"
    sb.matchtrade.quote_timestamps = "sec"
    sb.matchtrade.money_as_numbers = True
    body = mt.dec(mt.get("quotations", symbols="GBPUSD."))
    (quote,) = body["quotations"]
    assert quote["bid"] == Decimal("1.27000") and "timestampMs" not in quote
    assert isinstance(quote["timestampSec"], int)
    sb.matchtrade.quote_timestamps = "none"
    (quote,) = mt.get("quotations", symbols="GBPUSD.").json()["quotations"]
    assert "timestampSec" not in quote and "timestampMs" not in quote


# --------------------------------------------------------------------------- candles (§4.1, §8.10)


@pytest.mark.parametrize(
    ("interval", "step"),
    [("M1", 60), ("M5", 300), ("M15", 900), ("M30", 1800), ("H1", 3600), ("H4", 14400)],
)
def test_candles_intervals_oldest_first(mt: MT, interval: str, step: int) -> None:
    """§8.10: ``interval`` in the Platform API spelling; ``{symbol, interval, candles}``, oldest
    first, ``time`` = open time in epoch ms on the interval's grid, values JSON numbers."""
    body = mt.dec(
        mt.get("candles", symbol="EURUSD.", interval=interval, **{"from": ago(1), "to": ago(0)})
    )
    assert (body["symbol"], body["interval"]) == ("EURUSD.", interval)
    times = [c["time"] for c in body["candles"]]
    assert times == sorted(times) and len(times) >= DAY // step - 1
    assert all(t % (step * 1000) == 0 for t in times)
    assert all(b - a == step * 1000 for a, b in itertools.pairwise(times))
    for candle in body["candles"]:
        assert isinstance(candle["open"], Decimal) and isinstance(candle["volume"], int)
        assert candle["low"] <= min(candle["open"], candle["close"])
        assert candle["high"] >= max(candle["open"], candle["close"])
    # The bar holding "now" is still forming: its close is the current mid.
    assert body["candles"][-1]["close"] == Decimal("1.08505")


def test_candles_daily_weekly_monthly(mt: MT) -> None:
    """§4.1: ``D1``, ``W1`` and ``MN1`` (the monthly spelling S2, P3 and P4 use)."""
    span = {"from": ago(100), "to": ago(0)}
    days = mt.get("candles", symbol="XAUUSD.", interval="D1", **span).json()["candles"]
    weeks = mt.get("candles", symbol="XAUUSD.", interval="W1", **span).json()["candles"]
    months = mt.get("candles", symbol="XAUUSD.", interval="MN1", **span).json()["candles"]
    assert 99 <= len(days) <= 101 and all(c["time"] % (DAY * 1000) == 0 for c in days)
    opened = [datetime.fromtimestamp(c["time"] / 1000, timezone.utc) for c in weeks]
    assert 13 <= len(weeks) <= 15 and {d.weekday() for d in opened} == {0}
    opened = [datetime.fromtimestamp(c["time"] / 1000, timezone.utc) for c in months]
    assert 3 <= len(months) <= 4 and {(d.day, d.hour) for d in opened} == {(1, 0)}


def test_candles_are_deterministic_and_bounded(mt: MT) -> None:
    """Same bars for the same range (a stable series to test against); ``[from, to]`` holds
    every bar opening in it, both ends included (undocumented, the sandbox's choice)."""
    start = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    span = {"from": iso(start), "to": iso(start + timedelta(hours=2))}
    first = mt.get("candles", symbol="EURUSD.", interval="M15", **span).json()["candles"]
    again = mt.get("candles", symbol="EURUSD.", interval="M15", **span).json()["candles"]
    assert first == again and len(first) == 9
    assert first[0]["time"] == int(start.timestamp()) * 1000


def test_candles_order_and_string_variants(sb: Sandbox, mt: MT) -> None:
    """§7: clients accept candles in any order and values as strings."""
    sb.matchtrade.candles_order = "desc"
    sb.matchtrade.candles_as_strings = True
    candles = mt.get("candles", symbol="EURUSD.", interval="H1", **{"from": ago(1), "to": ago(0)})
    bars = candles.json()["candles"]
    assert [c["time"] for c in bars] == sorted((c["time"] for c in bars), reverse=True)
    assert isinstance(bars[0]["open"], str) and Decimal(bars[0]["open"]) > 1


@pytest.mark.parametrize(
    "params",
    [
        {"symbol": "EURUSD.", "interval": "M15", "from": "2026-03-02T00:00:00Z"},  # no to
        {"interval": "M15", "from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"},
        {"symbol": "EURUSD.", "interval": "15m", "from": "2026-03-02T00:00:00Z", "to": "x"},
        {"symbol": "EURUSD.", "interval": "MN", "from": "2026-03-02T00:00:00Z", "to": "x"},
        {"symbol": "NOPE", "interval": "M15", "from": "2026-03-02T00:00:00Z", "to": "x"},
        {"symbol": "EURUSD.", "interval": "M15", "from": "2026-03-03T00:00:00Z",
         "to": "2026-03-02T00:00:00Z"},
    ],
)  # fmt: skip
def test_candles_bad_requests_are_400(mt: MT, params: dict[str, str]) -> None:
    """§8.10: all four parameters required, intervals ``M1 ... MN1`` only, else 400."""
    response = mt.get("candles", **params)
    assert response.status_code == 400 and response.json()["errorMessage"]


# --------------------------------------------------------------------------- closed positions


def test_closed_positions_seeded_over_weeks(mt: MT) -> None:
    """§4.1 / §8.11: ``{"operations": [...]}``, one entry per closing operation, ISO times with
    ``Z``, money strings, ``netProfit`` = ``profit`` + costs; a partial close is its own entry
    (``CLOSE_REASON_PARTIAL``, own ``uid``, same ``id``)."""
    ops = mt.post("closed-positions", {"from": ago(60), "to": ago(0)}).json()["operations"]
    assert len(ops) == 12
    times = [datetime.fromisoformat(o["time"].replace("Z", "+00:00")) for o in ops]
    assert times == sorted(times) and (times[-1] - times[0]).days >= 50
    assert all(o["time"].endswith("Z") and o["openTime"] < o["time"] for o in ops)
    assert len({o["uid"] for o in ops}) == 12
    partial = [o for o in ops if o["closeReason"] == "CLOSE_REASON_PARTIAL"]
    (piece,) = partial
    rest = [o for o in ops if o["id"] == piece["id"] and o is not piece]
    assert len(rest) == 1 and rest[0]["uid"] != piece["uid"]
    assert (Decimal(piece["volume"]), Decimal(rest[0]["volume"])) == (
        Decimal("0.02"),
        Decimal("0.03"),
    )
    for op in ops:
        assert isinstance(op["profit"], str) and Decimal(op["netProfit"]) < Decimal(op["profit"])
        assert set(op) >= {"id", "uid", "closingOrderID", "symbol", "volume", "side", "openTime",
                           "time", "openPrice", "closePrice", "profit", "netProfit"}  # fmt: skip
    gbp_sell = next(o for o in ops if o["symbol"] == "GBPUSD." and o["side"] == "SELL")
    assert Decimal(gbp_sell["profit"]) == Decimal("18.00")  # (1.27300 - 1.27120) * 0.1 lot


def test_closed_positions_bounds_and_symbols(mt: MT) -> None:
    """§4.1: the ``from``/``to`` body filters by close time; ``symbols`` (S4) filters too."""
    recent = mt.post("closed-positions", {"from": ago(10), "to": ago(0)}).json()["operations"]
    assert len(recent) == 3
    gold = mt.post(
        "closed-positions", {"from": ago(60), "to": ago(0), "symbols": ["XAUUSD."]}
    ).json()["operations"]
    assert {o["symbol"] for o in gold} == {"XAUUSD."} and len(gold) == 4
    assert mt.post("closed-positions", {"from": ago(0), "to": ago(10)}).status_code == 400


def test_closed_positions_page_size_cuts_silently(sb: Sandbox, mt: MT) -> None:
    """Sheet §4.1: the maximum per answer is unknown and no paging field is documented: with
    ``closed_page_size`` the answer holds the first N operations and nothing else; asking again
    from the last close time (inclusive) walks the rest."""
    sb.matchtrade.closed_page_size = 5
    seen: dict[str, dict[str, Any]] = {}
    start, requests_made = ago(60), 0
    while True:
        ops = mt.post("closed-positions", {"from": start, "to": ago(0)}).json()["operations"]
        requests_made += 1
        assert set(ops[0]) == set(ops[-1]) and "next" not in ops[0]
        seen.update((o["uid"], o) for o in ops)
        if len(ops) < 5:
            break
        start = ops[-1]["time"]
    assert len(seen) == 12 and requests_made == 3


def test_closed_positions_variants(sb: Sandbox, mt: MT) -> None:
    """§7: times with an offset or without a zone; newest-first order; a span limit (400)."""
    sb.matchtrade.closed_time_format = "offset"
    ops = mt.post("closed-positions", {"from": ago(60), "to": ago(0)}).json()["operations"]
    assert all(o["time"].endswith("+00:00") for o in ops)
    sb.matchtrade.closed_time_format = "naive"
    sb.matchtrade.closed_order = "desc"
    ops = mt.post("closed-positions", {"from": ago(60), "to": ago(0)}).json()["operations"]
    assert all(len(o["time"]) == 19 for o in ops)
    assert [o["time"] for o in ops] == sorted((o["time"] for o in ops), reverse=True)
    sb.matchtrade.closed_max_span = 31 * DAY
    assert mt.post("closed-positions", {"from": ago(60), "to": ago(0)}).status_code == 400
    assert mt.post("closed-positions", {"from": ago(30), "to": ago(0)}).status_code == 200


def test_live_closes_join_the_history(mt: MT) -> None:
    """§8.11: a close is booked as an operation; a partial close has its own uid and reason."""
    opened = mt.post("position/open", {"instrument": "EURUSD.", "orderSide": "BUY",
                                       "volume": 0.3}).json()  # fmt: skip
    pid = opened["orderId"]
    part = {"positionId": pid, "instrument": "EURUSD.", "orderSide": "BUY", "volume": 0.1}
    assert mt.post("position/close-partially", part).json()["status"] == "OK"
    rest = {**part, "volume": "0.20"}
    assert mt.post("position/close", rest).json()["status"] == "OK"
    ops = mt.post("closed-positions", {"from": ago(0.01), "to": ago(-0.01)}).json()["operations"]
    assert [o["id"] for o in ops] == [pid, pid] and ops[0]["uid"] != ops[1]["uid"]
    assert [o["closeReason"] for o in ops] == ["CLOSE_REASON_PARTIAL", "CLOSE_REASON_CLIENT"]
    assert [o["volume"] for o in ops] == ["0.10", "0.20"]


# --------------------------------------------------------------------------- position edit


def _position(mt: MT, pid: str) -> dict[str, Any]:
    return next(p for p in mt.get("open-positions").json()["positions"] if p["id"] == pid)


def _edit(pid: str, sl: Any, tp: Any) -> dict[str, Any]:
    return {"id": pid, "instrument": "EURUSD.", "orderSide": "BUY", "volume": 0.1,
            "slPrice": sl, "tpPrice": tp, "isMobile": False}  # fmt: skip


def test_position_edit_sets_moves_and_removes(mt: MT) -> None:
    """§4.2 Edit / §8.12: both levels travel in every edit, ``0`` clears one; answer = the
    operation object; confirmed by re-reading open-positions."""
    pid = "W0000000000700001"  # the seeded EURUSD. BUY 0.10 (bid 1.08500)
    answer = mt.post("position/edit", _edit(pid, 1.08, 1.09)).json()
    assert answer == {"status": "OK", "nativeCode": None, "errorMessage": None, "orderId": pid}
    assert (_position(mt, pid)["stopLoss"], _position(mt, pid)["takeProfit"]) == ("1.08", "1.09")
    mt.post("position/edit", _edit(pid, 1.081, 1.09))  # move the stop, resend the target
    assert (_position(mt, pid)["stopLoss"], _position(mt, pid)["takeProfit"]) == ("1.081", "1.09")
    mt.post("position/edit", _edit(pid, 0, 1.09))  # remove the stop
    assert (_position(mt, pid)["stopLoss"], _position(mt, pid)["takeProfit"]) == ("0", "1.09")
    body = {"id": pid, "instrument": "EURUSD."}  # S3 types the rest optional: absent = none
    assert mt.post("position/edit", body).json()["status"] == "OK"
    assert (_position(mt, pid)["stopLoss"], _position(mt, pid)["takeProfit"]) == ("0", "0")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (_edit("W0000000000700001", 1.086, 0), "INVALID_STOPS"),  # stop above the bid
        (_edit("W0000000000700001", 0, 1.084), "INVALID_STOPS"),  # target below the bid
        (_edit("W0000000000700001", -1, 0), "INVALID_PRICE"),
        (_edit("W9999999999999999", 1.08, 0), "POSITION_NOT_FOUND"),
        ({**_edit("W0000000000700001", 1.08, 0), "instrument": "GBPUSD."}, "INVALID_SYMBOL"),
    ],
)
def test_position_edit_rejections(mt: MT, body: dict[str, Any], code: str) -> None:
    """§4.2: a refused edit is HTTP 200 ``REJECTED`` with ``nativeCode``/``errorMessage``, and
    the position keeps its levels."""
    response = mt.post("position/edit", body)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["status"], answer["nativeCode"]) == ("REJECTED", code) and answer["errorMessage"]
    assert _position(mt, "W0000000000700001")["stopLoss"] == "0"


def test_position_edit_strict_and_sell_side(sb: Sandbox, mt: MT) -> None:
    """§4.2: whether other values are ignored or rejected is undocumented: ``edit_strict``
    rejects an ``orderSide``/``volume`` that differ. A SELL's stop lies above the ask."""
    sb.matchtrade.edit_strict = True
    pid = "W0000000000700001"
    wrong = {**_edit(pid, 1.08, 0), "orderSide": "SELL"}
    assert mt.post("position/edit", wrong).json()["nativeCode"] == "INVALID_SIDE"
    assert mt.post("position/edit", {**_edit(pid, 1.08, 0), "volume": 0.2}).json()["status"] == (
        "REJECTED"
    )
    assert mt.post("position/edit", _edit(pid, 1.08, 0)).json()["status"] == "OK"
    sell = mt.post("position/open", {"instrument": "EURUSD.", "orderSide": "SELL",
                                     "volume": 0.1}).json()["orderId"]  # fmt: skip
    body = {**_edit(sell, 1.0850, 1.08), "orderSide": "SELL"}
    assert mt.post("position/edit", body).json()["nativeCode"] == "INVALID_STOPS"  # under the ask
    body = {**_edit(sell, 1.09, 1.08), "orderSide": "SELL"}
    assert mt.post("position/edit", body).json()["status"] == "OK"


# --------------------------------------------------------------------------- pending-order edit


def _pending(mt: MT) -> str:
    body = {"instrument": "XAUUSD.", "orderSide": "BUY", "volume": 1, "type": "LIMIT",
            "price": 2300, "slPrice": 2290, "tpPrice": 2350, "isMobile": False}  # fmt: skip
    return mt.post("pending-order/create", body).json()["orderId"]


def _order(mt: MT, oid: str) -> dict[str, Any]:
    return next(o for o in mt.get("active-orders").json()["orders"] if o["id"] == oid)


def _pending_edit(oid: str, **changes: Any) -> dict[str, Any]:
    body = {"id": oid, "instrument": "XAUUSD.", "orderSide": "BUY", "volume": 1, "type": "LIMIT",
            "priceOrder": 2300, "slPrice": 2290, "tpPrice": 2350, "isMobile": False}  # fmt: skip
    return {**body, **changes}


def test_pending_edit_price_volume_and_levels(mt: MT) -> None:
    """§4.2 Pending edit: the create body + ``id``, price named ``priceOrder``; read back as
    ``activationPrice``; SL/TP ``0`` = none."""
    oid = _pending(mt)
    body = _pending_edit(oid, priceOrder=2310.5, volume=2, slPrice=2300, tpPrice=0)
    answer = mt.post("pending-order/edit", body).json()
    assert (answer["status"], answer["orderId"]) == ("OK", oid)
    order = _order(mt, oid)
    assert (order["activationPrice"], order["volume"]) == ("2310.50", "2.00")
    assert (order["stopLoss"], order["takeProfit"]) == ("2300", "0")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"slPrice": 2305}, "INVALID_STOPS"),  # a BUY's stop above its price
        ({"tpPrice": 2299}, "INVALID_STOPS"),
        ({"volume": 0.001}, "INVALID_VOLUME"),
        ({"priceOrder": 0}, "INVALID_PRICE"),
        ({"priceOrder": None, "price": 2310}, "INVALID_PRICE"),  # `price` is the create name
        ({"id": "W0000000000000000"}, "ORDER_NOT_FOUND"),
    ],
)
def test_pending_edit_rejections(mt: MT, changes: dict[str, Any], code: str) -> None:
    """§4.2: 200 ``REJECTED``; the order is unchanged."""
    oid = _pending(mt)
    answer = mt.post("pending-order/edit", _pending_edit(oid, **changes)).json()
    assert (answer["status"], answer["nativeCode"]) == ("REJECTED", code)
    order = _order(mt, oid)
    assert (order["activationPrice"], order["stopLoss"], order["volume"]) == (
        "2300.00",
        "2290",
        "1.00",
    )


@pytest.mark.parametrize(("setting", "status"), [("empty", 200), ("204", 204)])
def test_pending_edit_answer_variants(sb: Sandbox, mt: MT, setting: str, status: int) -> None:
    """§4.2 / §7: no success schema is documented: the operation object, 200 empty or 204."""
    oid = _pending(mt)
    sb.matchtrade.pending_edit_answer = setting
    response = mt.post("pending-order/edit", _pending_edit(oid, priceOrder=2301))
    assert (response.status_code, response.content) == (status, b"")
    assert _order(mt, oid)["activationPrice"] == "2301.00"
    rejected = mt.post("pending-order/edit", _pending_edit(oid, slPrice=2400))
    assert rejected.json()["status"] == "REJECTED"  # a rejection is still the operation object


def test_lost_answer_after_edit_executed(sb: Sandbox, mt: MT) -> None:
    """Faults with ``after_execute=True`` (server.py): the edit happens, the answer is a 502."""
    pid = "W0000000000700001"
    sb.fault("/mtr-api/*/position/edit", status=502, after_execute=True)
    assert mt.post("position/edit", _edit(pid, 1.08, 0)).status_code == 502
    assert _position(mt, pid)["stopLoss"] == "1.08"

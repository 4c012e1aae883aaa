"""DXtrade: modify orders and protection, history, quotes and candles (issue 12).

Against the sandbox, written from ``shared/reference/dxtrade-api.md`` §7.5 to §7.7.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import brokers
from brokers.models import Records

ORDERS = "/dxsca-web/accounts/*/orders"
HISTORY = "/dxsca-web/accounts/*/orders/history"


def _puts(sandbox):
    return [r for r in sandbox.requests if r.method == "PUT"]


# --------------------------------------------------------------------- modify


def test_modify_a_pending_orders_price_and_size_with_if_match(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    result = client.modify_order(placed.order_id, price="1.02", quantity="20000")
    (order,) = client.orders()
    assert (order.price, order.quantity) == (Decimal("1.02"), Decimal("20000"))
    (put,) = _puts(sandbox)
    assert put.headers["if-match"] and "type" not in put.json  # type is not editable
    assert result.client_order_id == placed.client_order_id and result.status == "MODIFIED"


def test_modifying_a_protected_entry_keeps_its_protection(sandbox, dx):
    client = dx()
    placed = client.place_order(
        "EUR/USD", "BUY", "10000", type="LIMIT", price="1.01", stop_loss="1.0", take_profit="1.2"
    )
    client.modify_order(placed.client_order_id, price="1.03", stop_loss="0.99")
    (put,) = _puts(sandbox)
    assert put.json["contingencyType"] == "IF-THEN" and len(put.json["orders"]) == 3
    (entry,) = [o for o in client.orders() if o.price == Decimal("1.03")]
    assert (entry.stop_loss, entry.take_profit) == (Decimal("0.99"), Decimal("1.2"))


def test_protection_can_be_added_to_and_removed_from_a_pending_order(dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    client.modify_order(placed.order_id, stop_loss="1.0")
    (entry,) = [o for o in client.orders() if o.type == "LIMIT" and o.price == Decimal("1.01")]
    assert entry.stop_loss == Decimal("1.0")
    client.modify_order(placed.order_id, take_profit="1.2")  # a member added: two PUTs
    (entry,) = [o for o in client.orders() if o.price == Decimal("1.01") and o.type == "LIMIT"]
    assert (entry.stop_loss, entry.take_profit) == (Decimal("1.0"), Decimal("1.2"))
    client.modify_order(placed.order_id, stop_loss=None, take_profit=None)
    (entry,) = client.orders()
    assert (entry.stop_loss, entry.take_profit) == (None, None)


def test_a_stale_etag_reads_again_and_tries_once_more(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    stale = {"errorCode": "99", "description": "Precondition failed"}
    sandbox.fault(ORDERS, method="PUT", status=412, json=stale)
    client.modify_order(placed.order_id, price="1.02")
    assert len(_puts(sandbox)) == 2
    assert client.orders()[0].price == Decimal("1.02")


def test_a_second_stale_etag_is_the_platforms_refusal(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    stale = {"errorCode": "99", "description": "Precondition failed"}
    sandbox.fault(ORDERS, method="PUT", status=412, json=stale, times=2)
    with pytest.raises(brokers.OrderRejectedError) as info:
        client.modify_order(placed.order_id, price="1.02")
    assert info.value.status == 412 and len(_puts(sandbox)) == 2


def test_a_lost_modify_answer_is_reconciled(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    sandbox.fault(ORDERS, method="PUT", drop=True, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.modify_order(placed.order_id, price="1.02")
    assert len(_puts(sandbox)) == 1  # a write is never retried
    assert client.reconcile(info.value) is True
    sandbox.fault(ORDERS, method="PUT", drop=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.modify_order(placed.order_id, price="1.05")
    assert client.reconcile(info.value) is False


def test_bad_modifications_are_refused_before_any_request(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    sent = len(sandbox.requests)
    with pytest.raises(brokers.ConfigurationError):
        client.modify_order(placed.order_id, quantity="-5")
    with pytest.raises(brokers.ConfigurationError):
        client.modify_order(placed.order_id, price=1.02)  # a float rounds: refused
    assert len(sandbox.requests) == sent
    with pytest.raises(brokers.ConfigurationError, match=r"stop_loss .* below"):
        client.modify_order(placed.order_id, stop_loss="1.05")
    assert not _puts(sandbox)


# ----------------------------------------------------------------- protection


def test_set_move_and_remove_a_positions_protection(sandbox, dx):
    client = dx("1210003")
    client.place_order("EUR/USD", "BUY", "10000")
    (position,) = client.positions()
    client.set_protection(position, stop_loss="1.05", take_profit="1.15")
    posts = [r.json for r in sandbox.requests if r.method == "POST" and r.path.endswith("/orders")]
    assert all("quantity" not in body for body in posts[-2:])  # protective: no quantity
    assert {o.type: o.price for o in client.orders()} == {
        "STOP": Decimal("1.05"),
        "LIMIT": Decimal("1.15"),
    }
    client.set_protection(position, stop_loss="1.06")  # moved with a PUT; the target stays
    assert Decimal(str(_puts(sandbox)[-1].json["stopPrice"])) == Decimal("1.06")
    assert {o.type: o.price for o in client.orders()} == {
        "STOP": Decimal("1.06"),
        "LIMIT": Decimal("1.15"),
    }
    client.set_protection(position, take_profit=None)
    assert [(o.type, o.price) for o in client.orders()] == [("STOP", Decimal("1.06"))]
    assert client.positions()[0].stop_loss == Decimal("1.06")


def test_a_stop_on_the_wrong_side_of_the_market_is_refused(sandbox, dx):
    client = dx("1210003")
    client.place_order("EUR/USD", "BUY", "10000")
    (position,) = client.positions()
    with pytest.raises(brokers.ConfigurationError, match="below"):
        client.set_protection(position, stop_loss="1.2")
    assert client.orders() == []


def test_a_lost_protection_answer_is_reconciled(sandbox, dx):
    client = dx("1210003")
    client.place_order("EUR/USD", "BUY", "10000")
    (position,) = client.positions()
    sandbox.fault(ORDERS, method="POST", drop=True, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.set_protection(position, stop_loss="1.05")
    assert client.reconcile(info.value) is True
    assert len(client.orders()) == 1  # never a second stop


# -------------------------------------------------------------------- history


def test_history_reads_every_page_and_gives_closed_trades(sandbox, dx):
    sandbox.dxtrade.history_page_size = 3
    client = dx()
    trades = client.history(since=datetime.now(timezone.utc) - timedelta(days=30))
    pages = sandbox.count(HISTORY)
    assert pages >= 3  # the seeded account's history spans several pages
    assert isinstance(trades, Records) and len(trades) == 5
    assert [t.close_time for t in trades] == sorted(t.close_time for t in trades)
    eurusd = trades[0]
    assert (eurusd.symbol, eurusd.side, eurusd.quantity) == ("EUR/USD", "BUY", Decimal("20000"))
    assert (eurusd.open_price, eurusd.close_price) == (Decimal("1.07950"), Decimal("1.08240"))
    assert eurusd.profit == Decimal("58.00") and eurusd.currency == "USD"
    assert eurusd.open_time < eurusd.close_time
    assert all(t.close_time.tzinfo is timezone.utc for t in trades)


def test_history_pages_cost_one_request_each(sandbox, dx):
    sandbox.dxtrade.history_page_size = 2
    client = dx()
    client.accounts()
    sandbox.clear()
    client.history(since="2020-01-01")
    by_path = sandbox.stats()["by_path"]
    pages = sum(n for key, n in by_path.items() if "history" in key)
    assert pages == len(sandbox.requests)  # nothing but pages
    assert pages == 5  # 10 completed orders (5 trades) of the first account, 2 a page


def test_history_pages_do_not_burst_past_the_read_limit(sandbox, dx, sleeps):
    sandbox.dxtrade.history_page_size = 2
    frozen = brokers.Throttle(brokers.DXTrade.default_rates, clock=lambda: 0.0, sleep=sleeps)
    dx(throttle=frozen).history(since="2020-01-01")  # 5 pages at the spec's 2 reads a second
    assert sum(sleeps) == pytest.approx(3.0)  # the 3 pages past the burst of 2 waited


def test_a_range_selects_trades_by_close_time(dx):
    client = dx()
    everything = client.history(since="2020-01-01")
    cut = everything[2].close_time
    later = client.history(since=cut)
    assert [t.id for t in later] == [t.id for t in everything[2:]]
    assert client.history(since="2020-01-01", until=cut - timedelta(seconds=1)) == everything[:2]


def test_history_arguments_are_checked_before_any_request(sandbox, dx):
    client = dx()
    with pytest.raises(brokers.ConfigurationError, match="after until"):
        client.history(since="2026-11-02", until="2026-11-01")
    with pytest.raises(brokers.ConfigurationError, match="no time zone"):
        client.history(since=datetime(2026, 11, 1))
    assert sandbox.requests == []


def test_order_history_lists_final_orders(dx):
    orders = dx().order_history(since="2020-01-01")
    statuses = {o.status for o in orders}
    assert statuses <= {"COMPLETED", "CANCELED", "EXPIRED", "REJECTED"}
    assert "CANCELED" in statuses and all(o.closed_time for o in orders)


def test_history_rows_are_ready_for_pandas(dx):
    rows = dx().history(since="2020-01-01").rows()
    assert isinstance(rows[0]["profit"], Decimal) and isinstance(rows[0]["close_time"], datetime)


# --------------------------------------------------------------- market data


def test_quotes_of_many_symbols_in_one_request(sandbox, dx):
    client = dx()
    client.accounts()
    sandbox.clear()
    quotes = client.quotes(["EUR/USD", "XAU/USD"])
    assert sandbox.count("/dxsca-web/marketdata") == 1 and len(sandbox.requests) == 1
    assert [q.symbol for q in quotes] == ["EUR/USD", "XAU/USD"]
    assert quotes[0].bid == Decimal("1.08500") and quotes[0].spread == Decimal("0.00010")
    assert client.quote("EUR/USD").ask == Decimal("1.08510")


def test_candles_map_the_timeframe_and_come_oldest_first(sandbox, dx):
    sandbox.dxtrade.candle_order = "desc"
    client = dx()
    candles = client.candles("EUR/USD", "1h", count=10)
    body = [r.json for r in sandbox.requests if r.path.endswith("/marketdata")][-1]
    assert body["eventTypes"][0]["candleType"] == "h"  # DXtrade's spelling of 1 hour
    assert len(candles) == 10
    assert [c.time for c in candles] == sorted(c.time for c in candles)
    assert all(c.low <= c.open <= c.high and c.timeframe == "1h" for c in candles)


def test_a_timeframe_the_platform_lacks_lists_those_it_has(sandbox, dx):
    with pytest.raises(brokers.ConfigurationError, match="offers 1m, 5m, 15m"):
        dx().candles("EUR/USD", "3m")
    assert sandbox.requests == []


def test_long_candle_ranges_are_read_in_windows(sandbox, dx):
    sandbox.dxtrade.candle_max_count = 50
    client = dx()
    since = datetime.now(timezone.utc) - timedelta(days=10)
    candles = client.candles("EUR/USD", "1h", since=since)
    assert len(candles) > 50
    assert sandbox.count("/dxsca-web/marketdata") >= 2
    assert len({c.time for c in candles}) == len(candles)


def test_the_last_candles_take_one_request_whatever_the_servers_default_count(sandbox, dx):
    sandbox.dxtrade.candle_default_count = 20  # a server default below what is asked
    client = dx()
    candles = client.candles("EUR/USD", "1h", count=50)
    assert len(candles) == 50 and sandbox.count("/dxsca-web/marketdata") == 1

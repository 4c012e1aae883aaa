"""Match-Trader: modify_order, set_protection, history, quotes and candles against the sandbox."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import brokers
from brokers.models import Candle, Quote, Trade

UTC = timezone.utc
EDIT = "/mtr-api/*/position/edit"
PENDING_EDIT = "/mtr-api/*/pending-order/edit"
CLOSED = "/mtr-api/*/closed-positions"
CANDLES = "/mtr-api/*/candles"
SEEDED = "W0000000000700001"  # 700001's EURUSD. BUY 0.10, bid 1.08500, no SL/TP


def bodies(sb, pattern):
    return [r.json for r in sb.requests if r.method == "POST" and _match(r.path, pattern)]


def queries(sb, pattern):
    return [r.query for r in sb.requests if _match(r.path, pattern)]


def _match(path, pattern):
    from fnmatch import fnmatchcase

    return fnmatchcase(path, pattern)


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def all_decimal(*values):
    return all(isinstance(v, Decimal) for v in values)


# ------------------------------------------------------------------------- quotes


def test_quotes_many_symbols_in_one_request(sandbox, mt):
    client = mt()
    quotes = client.quotes(["XAUUSD.", "EURUSD."])
    assert sandbox.count("/mtr-api/*/quotations") == 1
    assert queries(sandbox, "/mtr-api/*/quotations") == [{"symbols": "XAUUSD.,EURUSD."}]
    assert [q.symbol for q in quotes] == ["XAUUSD.", "EURUSD."]  # the order asked, not the answer's
    gold = quotes[0]
    assert (gold.bid, gold.ask, gold.spread) == (
        Decimal("2400.10"),
        Decimal("2400.50"),
        Decimal("0.40"),
    )
    assert gold.time.tzinfo == UTC and abs(gold.time - datetime.now(UTC)) < timedelta(seconds=5)
    assert quotes.rows()[1]["spread"] == Decimal("0.00010")
    assert json.dumps([q.to_dict() for q in quotes])  # JSON-safe
    single = client.quote("GBPUSD.")
    assert isinstance(single, Quote) and single.bid == Decimal("1.27000")


def test_quote_variants_are_read_alike(sandbox, mt):
    """Sheet §7: an array or {quotations: [...]}; numbers or strings; time in ms, s or none."""
    sandbox.matchtrade.quotations_shape = "wrapped"
    sandbox.matchtrade.money_as_numbers = True
    sandbox.matchtrade.quote_timestamps = "sec"
    client = mt()
    quote = client.quote("EURUSD.")
    assert quote.bid == Decimal("1.08500") and all_decimal(quote.bid, quote.ask)
    assert quote.time is not None and quote.time.microsecond == 0  # seconds only
    sandbox.matchtrade.quote_timestamps = "none"
    assert client.quote("EURUSD.").time is None  # unknown, never "now"


def test_unknown_symbol_is_a_configuration_error(sandbox, mt):
    client = mt()
    with pytest.raises(brokers.ConfigurationError, match=r"no quote for NOPE.*instruments\(\)"):
        client.quotes(["EURUSD.", "NOPE"])
    with pytest.raises(brokers.ConfigurationError):
        client.quotes([])
    assert sandbox.count("/mtr-api/*/quotations") == 1


# ------------------------------------------------------------------------ candles


@pytest.mark.parametrize(
    ("timeframe", "interval", "name"),
    [("1m", "M1", "1m"), ("5m", "M5", "5m"), ("15m", "M15", "15m"), ("30m", "M30", "30m"),
     ("1h", "H1", "1h"), ("4h", "H4", "4h"), ("1d", "D1", "1d"), ("1w", "W1", "1w"),
     ("1M", "MN1", "1M"), ("H1", "H1", "1h"), ("mn1", "MN1", "1M")],
)  # fmt: skip
def test_timeframes_map_to_match_trader_intervals(sandbox, mt, timeframe, interval, name):
    bars = mt().candles("EURUSD.", timeframe, count=3)
    assert queries(sandbox, CANDLES)[0]["interval"] == interval
    assert len(bars) == 3 and {b.timeframe for b in bars} == {name}
    assert all(isinstance(b, Candle) for b in bars)


def test_a_timeframe_match_trader_lacks_lists_those_it_has(sandbox, mt):
    with pytest.raises(brokers.ConfigurationError) as caught:
        mt().candles("EURUSD.", "2h", count=10)
    assert "offers 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1M" in str(caught.value)
    assert sandbox.count(CANDLES) == 0


def test_candles_oldest_first_in_utc_with_decimals(sandbox, mt):
    sandbox.matchtrade.candles_order = "desc"  # sheet §7: any order; the client sorts
    sandbox.matchtrade.candles_as_strings = True
    since = datetime(2026, 3, 2, 8, tzinfo=UTC)
    bars = mt().candles("XAUUSD.", "15m", since=since, until=since + timedelta(hours=2))
    assert [b.time for b in bars] == [since + timedelta(minutes=15 * i) for i in range(9)]
    assert all(b.time.tzinfo == UTC for b in bars)
    assert all(all_decimal(b.open, b.high, b.low, b.close, b.volume) for b in bars)
    sent = queries(sandbox, CANDLES)[0]
    assert (sent["symbol"], sent["from"], sent["to"]) == (
        "XAUUSD.",
        "2026-03-02T08:00:00Z",
        "2026-03-02T10:00:00Z",
    )
    rows = bars.rows()
    assert rows[0]["time"] == since and rows[0]["open"] == bars[0].open


def test_candles_count_takes_the_latest_bars(sandbox, mt):
    bars = mt().candles("EURUSD.", "1h", count=5)
    now = datetime.now(UTC)
    assert len(bars) == 5 and bars[-1].time <= now < bars[-1].time + timedelta(hours=1)
    assert [b.time for b in bars] == sorted(b.time for b in bars)
    assert sandbox.count(CANDLES) == 1


def test_candles_count_reaches_back_over_a_market_closure(sandbox, mt):
    """Fewer bars than asked (the market was closed): one more request further back."""
    sandbox.fault(CANDLES, json={"symbol": "EURUSD.", "interval": "H1", "candles": []})
    bars = mt().candles("EURUSD.", "1h", count=5)
    assert len(bars) == 5 and sandbox.count(CANDLES) == 2
    first, second = queries(sandbox, CANDLES)
    assert second["to"] <= first["from"]


def test_long_candle_ranges_are_fetched_in_windows(sandbox, mt):
    since = datetime(2026, 3, 2, tzinfo=UTC)
    bars = mt().candles("EURUSD.", "1m", since=since, until=since + timedelta(days=2))
    assert len(bars) == 2 * 1440 + 1  # both ends included
    assert len({b.time for b in bars}) == len(bars)  # window edges not repeated
    assert sandbox.count(CANDLES) == 3  # 1000 bars a request
    sandbox.clear()
    first = mt().candles("EURUSD.", "1m", since=since, count=7)  # the first 7 from since
    assert [b.time for b in first] == [since + timedelta(minutes=i) for i in range(7)]
    assert sandbox.count(CANDLES) == 1


def test_candles_default_to_the_last_hundred(mt):
    bars = mt().candles("EURUSD.", "1h")
    assert len(bars) == 100 and bars[0].time < bars[-1].time


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": datetime(2026, 3, 2)}, "no time zone"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "after until"),
        ({"count": 0}, "count"),
        ({"count": -3}, "count"),
    ],
)
def test_bad_candle_arguments_fail_before_any_request(sandbox, mt, kwargs, message):
    with pytest.raises(brokers.ConfigurationError, match=message):
        mt().candles("EURUSD.", "1h", **kwargs)
    assert sandbox.count("/mtr-api/*") == 0


# ------------------------------------------------------------------------ history


def test_history_lists_every_closing_operation(sandbox, mt):
    trades = mt().history(since=ago(60))
    assert sandbox.count(CLOSED) == 1 and len(trades) == 12
    assert all(isinstance(t, Trade) for t in trades)
    assert [t.close_time for t in trades] == sorted(t.close_time for t in trades)
    gbp = next(t for t in trades if t.symbol == "GBPUSD." and t.side == "SELL")
    assert (gbp.quantity, gbp.open_price, gbp.close_price) == (
        Decimal("0.10"),
        Decimal("1.27300"),
        Decimal("1.27120"),
    )
    assert (gbp.profit, gbp.net_profit, gbp.currency) == (
        Decimal("18.00"),
        Decimal("17.30"),
        "USD",
    )
    assert gbp.commission is None and gbp.swap is None  # the platform sends only the net
    assert gbp.open_time < gbp.close_time and gbp.close_time.tzinfo == UTC
    parts = [t for t in trades if t.raw["closeReason"] == "CLOSE_REASON_PARTIAL"]
    (part,) = parts
    whole = [t for t in trades if t.position_id == part.position_id]
    assert len(whole) == 2 and len({t.id for t in whole}) == 2
    assert sum(t.quantity for t in whole) == Decimal("0.05")
    assert json.dumps([t.to_dict() for t in trades])


def test_history_range_and_arguments(sandbox, mt):
    client = mt()
    recent = client.history(since=ago(10))
    assert len(recent) == 3
    sent = bodies(sandbox, CLOSED)[0]
    assert sent["from"].endswith("Z") and sent["to"].endswith("Z")
    older = client.history(since=ago(60), until=ago(30))
    assert older and all(t.close_time <= ago(30) for t in older)
    assert len(client.history(since=date.today() - timedelta(days=60), account="700002")) == 3
    eur = client.history(since=ago(60), account="700002")
    assert {t.currency for t in eur} == {"EUR"} and {t.account for t in eur} == {"700002"}
    for bad, message in [
        ({"since": datetime(2026, 11, 1)}, "no time zone"),
        ({"since": ago(1), "until": ago(2)}, "after until"),
        ({"since": "last week"}, "ISO 8601"),
    ]:
        with pytest.raises(brokers.ConfigurationError, match=message):
            client.history(**bad)
    assert sandbox.count(CLOSED) == 4


def test_history_pages_until_complete_n_pages_n_requests(sandbox, mt):
    """The server cuts each answer at 4 operations, saying nothing: the client asks again from
    the last close time (inclusive) until an answer is not full; no trade lost or doubled."""
    sandbox.matchtrade.closed_page_size = 4
    trades = mt(history_page_size=4).history(since=ago(60))
    assert len(trades) == 12 and len({t.id for t in trades}) == 12
    sent = bodies(sandbox, CLOSED)
    # pages: ops 1-4, 4-7, 7-10, 10-12: four answers, four requests
    assert len(sent) == 4
    starts = [datetime.fromisoformat(b["from"].replace("Z", "+00:00")) for b in sent[1:]]
    assert starts == [trades[3].close_time, trades[6].close_time, trades[9].close_time]
    assert len({b["to"] for b in sent}) == 1


def test_history_pages_newest_first_too(sandbox, mt):
    sandbox.matchtrade.closed_page_size = 5
    sandbox.matchtrade.closed_order = "desc"
    trades = mt(history_page_size=5).history(since=ago(60))
    assert len(trades) == 12 and [t.close_time for t in trades] == sorted(
        t.close_time for t in trades
    )
    sent = bodies(sandbox, CLOSED)
    assert len(sent) == 3 and sent[1]["from"] == sent[0]["from"]  # walking backwards


def test_without_a_page_size_one_request_is_the_answer(sandbox, mt):
    """The Platform API documents no cap: by default the one answer is taken as complete."""
    trades = mt().history(since=ago(60))
    assert len(trades) == 12 and sandbox.count(CLOSED) == 1


def test_history_paging_respects_the_throttle(sandbox, mt, sleeps):
    sandbox.matchtrade.closed_page_size = 4
    limited = brokers.Throttle({"request": brokers.Rate(2, 60.0)}, sleep=sleeps)
    client = mt(history_page_size=4, throttle=limited)
    assert len(client.history(since=ago(60))) == 12
    # login + 4 pages = 5 requests at 2 a minute: three waits, none of them skipped
    assert len(sleeps) == 3 and all(s > 20 for s in sleeps)


def test_history_times_with_offset_or_without_zone(sandbox, mt, caplog):
    sandbox.matchtrade.closed_time_format = "offset"
    client = mt()
    with_offset = client.history(since=ago(60))
    sandbox.matchtrade.closed_time_format = "naive"
    naive = client.history(since=ago(60))
    assert [t.close_time for t in naive] == [t.close_time for t in with_offset]
    assert all(t.close_time.tzinfo == UTC for t in naive)
    assert "carry no zone; read as UTC" in caplog.text


def test_history_includes_closes_made_through_the_client(sandbox, mt):
    client = mt()
    opened = client.place_order("EURUSD.", "BUY", "0.30")
    client.close_position(opened.order_id, "0.10")
    client.close_position(opened.order_id)
    mine = [t for t in client.history(since=ago(1)) if t.position_id == opened.order_id]
    assert [t.quantity for t in mine] == [Decimal("0.10"), Decimal("0.20")]


def test_order_history_is_not_offered(sandbox, mt):
    assert brokers.MatchTrade.capabilities["order_history"] is False
    with pytest.raises(brokers.ConfigurationError, match="does not offer order_history"):
        mt().order_history(since=ago(7))
    assert sandbox.count("/mtr-api/*") == 0


# ------------------------------------------------------------------ set_protection


def seeded(client):
    return next(p for p in client.positions() if p.id == SEEDED)


def test_set_protection_sets_moves_and_removes(sandbox, mt):
    client = mt()
    position = seeded(client)
    result = client.set_protection(position, stop_loss="1.08", take_profit=Decimal("1.09"))
    assert (result.status, result.position_id) == ("OK", SEEDED)
    assert (seeded(client).stop_loss, seeded(client).take_profit) == (
        Decimal("1.08"),
        Decimal("1.09"),
    )
    client.set_protection(SEEDED, stop_loss="1.081")  # move one, keep the other
    client.set_protection(SEEDED, take_profit=None)  # remove one, keep the other
    after = seeded(client)
    assert (after.stop_loss, after.take_profit) == (Decimal("1.081"), None)
    first, move, remove = bodies(sandbox, EDIT)
    assert first == {
        "id": SEEDED,
        "instrument": "EURUSD.",
        "orderSide": "BUY",
        "volume": 0.1,
        "slPrice": 1.08,
        "tpPrice": 1.09,
        "isMobile": False,
    }
    assert (move["slPrice"], move["tpPrice"]) == (1.081, 1.09)  # the kept level resent
    assert (remove["slPrice"], remove["tpPrice"]) == (1.081, 0)  # 0 = none


def test_set_protection_with_the_position_costs_one_request(sandbox, mt):
    client = mt()
    position = seeded(client)
    sandbox.clear()
    client.set_protection(position, stop_loss="1.07")
    assert [r.path.rsplit("/", 2)[-2:] for r in sandbox.requests] == [["position", "edit"]]


# (The patterns skip the word "wrong": another test's password "wrong" is masked by the redactor.)
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stop_loss": "1.09"}, r"stop_loss 1.09 is on the .* side of 1.08500"),  # above the bid
        ({"take_profit": "1.07"}, r"take_profit 1.07 is on the .* side of 1.08500"),
        ({"stop_loss": "-1"}, "positive"),
        ({"stop_loss": 1.08}, "not a float"),
        ({}, "needs stop_loss or take_profit"),
    ],
)
def test_set_protection_refuses_bad_levels_before_sending(sandbox, mt, kwargs, message):
    client = mt()
    position = seeded(client)
    with pytest.raises(brokers.ConfigurationError, match=message):
        client.set_protection(position, **kwargs)
    assert sandbox.count(EDIT) == 0


def test_set_protection_rejected_by_the_platform(sandbox, mt):
    sandbox.matchtrade.reject_orders = "Trading is disabled"
    with pytest.raises(brokers.OrderRejectedError, match="Trading is disabled"):
        mt().set_protection(SEEDED, stop_loss="1.08")


def test_set_protection_lost_answer_then_reconcile(sandbox, mt):
    client = mt()
    position = seeded(client)
    sandbox.fault(EDIT, status=502, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.set_protection(position, stop_loss="1.08")
    assert sandbox.count(EDIT) == 1  # never resent
    assert client.reconcile(caught.value) is True
    sandbox.fault(EDIT, drop=True)  # this time lost before it executed
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.set_protection(position, stop_loss="1.07", take_profit="1.10")
    assert client.reconcile(caught.value) is False
    assert seeded(client).stop_loss == Decimal("1.08")
    text = str(caught.value) + repr(caught.value.sent)
    assert sandbox.matchtrade.trading_api_token("700001") not in text


# -------------------------------------------------------------------- modify_order


def pending(client):
    placed = client.place_order("XAUUSD.", "BUY", "1", type="LIMIT", price="2300")
    return next(o for o in client.orders() if o.id == placed.order_id)


def test_modify_order_price_quantity_and_protection(sandbox, mt):
    client = mt()
    order = pending(client)
    result = client.modify_order(order, price="2310.5", quantity="2", stop_loss="2290")
    assert (result.status, result.order_id) == ("OK", order.id)
    now = client.orders()[0]
    assert (now.price, now.quantity, now.stop_loss, now.take_profit) == (
        Decimal("2310.50"),
        Decimal("2.00"),
        Decimal("2290"),
        None,
    )
    client.modify_order(order.id, take_profit="2350")  # keeps price, size and stop
    client.modify_order(order.id, stop_loss=None)
    now = client.orders()[0]
    assert (now.price, now.quantity, now.stop_loss, now.take_profit) == (
        Decimal("2310.50"),
        Decimal("2.00"),
        None,
        Decimal("2350"),
    )
    first, keep, remove = bodies(sandbox, PENDING_EDIT)
    assert first == {
        "id": order.id,
        "instrument": "XAUUSD.",
        "orderSide": "BUY",
        "volume": 2,
        "type": "LIMIT",
        "priceOrder": 2310.5,
        "slPrice": 2290,
        "tpPrice": 0,
        "isMobile": False,
    }
    assert (keep["priceOrder"], keep["slPrice"], keep["tpPrice"]) == (2310.5, 2290, 2350)
    assert (remove["slPrice"], remove["tpPrice"]) == (0, 2350)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantity": "-1"}, "positive"),
        ({"price": "0"}, "positive"),
        ({"stop_loss": "2310"}, r"stop_loss 2310 is on the .* side of 2300"),
        ({"price": "2280", "stop_loss": "2290"}, r"stop_loss 2290 is on the .* side of 2280"),
        ({"take_profit": "2250"}, "take_profit"),
        ({}, "needs a price"),
    ],
)
def test_modify_order_refuses_bad_arguments_before_sending(sandbox, mt, kwargs, message):
    client = mt()
    order = pending(client)
    with pytest.raises(brokers.ConfigurationError, match=message):
        client.modify_order(order, **kwargs)
    assert sandbox.count(PENDING_EDIT) == 0


def test_modify_order_rejected_by_the_platform(sandbox, mt):
    client = mt()
    order = pending(client)
    with pytest.raises(brokers.OrderRejectedError, match="Volume must be"):
        client.modify_order(order, quantity="0.001")


def test_modify_order_unknown_id(sandbox, mt):
    with pytest.raises(brokers.ConfigurationError, match="no open order has the id 'W1234'"):
        mt().modify_order("W1234", price="2300")
    assert sandbox.count(PENDING_EDIT) == 0


def test_modify_order_lost_answer_then_reconcile(sandbox, mt):
    client = mt()
    order = pending(client)
    sandbox.fault(PENDING_EDIT, status=504, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.modify_order(order, price="2305")
    assert sandbox.count(PENDING_EDIT) == 1
    assert client.reconcile(caught.value) is True
    sandbox.fault(PENDING_EDIT, status=503)  # refused before it executed
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.modify_order(order, price="2301", quantity="3")
    assert client.reconcile(caught.value) is False
    assert client.orders()[0].price == Decimal("2305.00")


@pytest.mark.parametrize(("answer", "status"), [("empty", 200), ("204", 204)])
def test_modify_order_empty_answers_are_confirmed_by_reading(sandbox, mt, answer, status):
    """Sheet §4.2: no success schema is documented for pending-order/edit: an empty 2xx is
    taken as sent, and the order as now read must show the change."""
    client = mt()
    order = pending(client)
    sandbox.matchtrade.pending_edit_answer = answer
    sandbox.clear()
    result = client.modify_order(order, price="2302")
    assert result.status == "OK" and result.order_id == order.id
    assert [r.method for r in sandbox.requests] == ["POST", "GET"]  # the edit, one read
    sandbox.fault(PENDING_EDIT, status=status, body="")  # an empty answer, nothing done
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.modify_order(order, price="2303")
    assert client.reconcile(caught.value) is False


def test_reads_are_retried_like_every_read(sandbox, mt, sleeps):
    sandbox.fault(CLOSED, status=503)
    sandbox.fault(CANDLES, status=502)
    sandbox.fault("/mtr-api/*/quotations", status=429, headers={"Retry-After": "1"})
    client = mt()
    assert len(client.history(since=ago(60))) == 12
    assert len(client.candles("EURUSD.", "1h", count=2)) == 2
    assert client.quote("EURUSD.").bid == Decimal("1.08500")
    assert sandbox.count(CLOSED) == 2 and sandbox.count(CANDLES) == 2
    assert len(sleeps) == 3  # waited, without really sleeping


def test_every_list_is_a_records_table(sandbox, mt):
    client = mt()
    lists = [client.accounts(), client.get_balances(), client.positions(), client.instruments()]
    client.place_order("XAUUSD.", "BUY", "1", type="LIMIT", price="2300")
    lists += [client.orders(), client.history(since=ago(60)), client.quotes(["EURUSD."])]
    lists.append(client.candles("EURUSD.", "1d", count=3))
    for items in lists:
        assert isinstance(items, brokers.Records) and isinstance(items, list) and items
        assert "<table>" in items._repr_html_() and len(items.rows()) == len(items)

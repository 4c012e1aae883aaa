"""The shared interface: time arguments, timeframes, the list type, the capability map."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import brokers
from brokers import capabilities, orders, timeframes
from brokers.models import Candle, Quote, Records

UTC = timezone.utc
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_times_accept_aware_datetimes_dates_and_iso_strings():
    paris = timezone(timedelta(hours=1))
    assert orders.utc_time(datetime(2026, 11, 1, 9, 0, tzinfo=paris), "since") == datetime(
        2026, 11, 1, 8, 0, tzinfo=UTC
    )
    assert orders.utc_time(date(2026, 11, 1), "since") == datetime(2026, 11, 1, tzinfo=UTC)
    assert orders.utc_time("2026-11-01", "since") == datetime(2026, 11, 1, tzinfo=UTC)
    assert orders.utc_time("2026-11-01T08:30:00Z", "since") == datetime(
        2026, 11, 1, 8, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("value", [datetime(2026, 11, 1), "2026-11-01T08:00:00", "yesterday", 5])
def test_naive_or_unreadable_times_are_refused(value):
    with pytest.raises(brokers.ConfigurationError):
        orders.utc_time(value, "since")


def test_a_range_runs_forwards_and_ends_now_by_default():
    assert orders.time_range("2026-11-01", None, NOW) == (datetime(2026, 11, 1, tzinfo=UTC), NOW)
    with pytest.raises(brokers.ConfigurationError, match="after until"):
        orders.time_range("2026-11-02", "2026-11-01", NOW)


def test_protection_on_the_wrong_side_is_refused_before_sending():
    orders.check_protection_sides("BUY", Decimal("1.1"), Decimal("1.0"), Decimal("1.2"))
    with pytest.raises(brokers.ConfigurationError, match=r"stop_loss .* below"):
        orders.check_protection_sides("BUY", Decimal("1.1"), Decimal("1.2"), None)
    with pytest.raises(brokers.ConfigurationError, match=r"take_profit .* below"):
        orders.check_protection_sides("SELL", Decimal("1.1"), None, Decimal("1.2"))
    assert orders.protection(orders.UNSET, "stop_loss") is orders.UNSET
    assert orders.protection(None, "stop_loss") is None


def test_timeframes_map_to_what_the_platform_offers_or_list_it():
    offered = {"1m": "M1", "1h": "H1", "1d": "D1"}
    assert timeframes.timeframe("1h", offered, "x") == "1h"
    assert timeframes.timeframe("H1", offered, "x") == "1h"
    with pytest.raises(brokers.ConfigurationError, match="offers 1m, 1h, 1d"):
        timeframes.timeframe("4h", offered, "x")


def test_records_stay_a_list_and_render_as_a_table():
    quote = Quote("dxtrade", "EUR/USD", Decimal("1.1"), Decimal("1.1002"), NOW)
    records = Records([quote])
    assert records == [quote] and len(records) == 1 and records[0] is quote
    assert records.rows() == [
        {
            "broker": "dxtrade",
            "symbol": "EUR/USD",
            "bid": Decimal("1.1"),
            "ask": Decimal("1.1002"),
            "time": NOW,
            "spread": Decimal("0.0002"),
        }
    ]
    html = records._repr_html_()
    assert "<th>spread</th>" in html and "<td>0.0002</td>" in html
    assert Records([])._repr_html_() == "<p><em>no items</em></p>"
    assert quote.to_dict()["spread"] == "0.0002"


def test_candle_rows_are_chartable():
    candle = Candle("matchtrade", "EURUSD", "1h", NOW, *(Decimal(v) for v in "1234"))
    assert Records([candle]).rows()[0]["close"] == Decimal("4")


def test_a_lacking_platform_says_which_capability(sandbox):
    class Bare(brokers.BrokerClient):
        broker = "bare"

    with pytest.raises(brokers.ConfigurationError, match="does not offer history"):
        Bare(sandbox.url).history(since="2026-11-01")


def test_capability_table_covers_every_platform_and_only_known_names():
    for cls in brokers.factory.platform_classes():
        capabilities.check(cls.capabilities)
    table = capabilities.table()
    names = [cls.__name__ for cls in brokers.factory.platform_classes()]
    assert table.splitlines()[0] == "| operation | " + " | ".join(names) + " |"
    assert "DXTrade" in names and "MatchTrade" in names
    with pytest.raises(ValueError, match="unknown capability"):
        capabilities.check({"histroy": True})


def test_a_slice_of_records_is_records_and_times_show_in_utc():
    quotes = Records([Quote("x", s, Decimal(1), Decimal(2), NOW) for s in "abc"])
    assert isinstance(quotes[:2], Records) and quotes[:2] == quotes[0:2]
    assert isinstance(quotes[0], Quote)
    assert "<td>2026-12-04 12:00:00 UTC</td>" in quotes._repr_html_()

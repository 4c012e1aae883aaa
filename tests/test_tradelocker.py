"""brokers.TradeLocker against the sandbox's TradeLocker emulator.

Section numbers (§) refer to ``shared/reference/tradelocker-api.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import brokers
from brokers.sandbox import TL_PASSWORD, TL_SERVER
from brokers.tradelocker import TradeLocker, api_url

EMAIL = "trader@example.com"
API = "/backend-api"
LOGIN = API + "/auth/jwt/token"
REFRESH = API + "/auth/jwt/refresh"
ORDERS = API + "/trade/accounts/1000001/orders"
D = Decimal


@pytest.fixture
def tl(sandbox, retry):
    """A factory of TradeLocker clients for the sandbox's demo user (live with env="live")."""
    made = []

    def make(env: str = "demo", account: str | None = None, **options):
        options.setdefault("retry", retry)
        origin = sandbox.url + ("/live" if env == "live" else "")
        client = TradeLocker(origin, EMAIL, TL_PASSWORD, TL_SERVER[env], account, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def trade_requests(sandbox):
    return [r for r in sandbox.requests if "/trade/" in r.path]


# --------------------------------------------------------------------------- session


def test_cold_balance_is_four_requests_then_one_on_one_connection(sandbox, tl):
    client = tl()
    balance = client.get_balance()
    assert balance == brokers.Balance(
        broker="tradelocker",
        account="1000001",
        currency="USD",  # from all-accounts: the state has none (§6)
        balance=D("25000.00"),
        equity=D("25012.40"),
        available=D("24904.02"),
        margin=D("108.38"),
        profit=D("12.40"),
        credit=None,  # TradeLocker sends none: unknown, not 0
    )
    assert [r.path for r in sandbox.requests] == [
        LOGIN,
        API + "/auth/jwt/all-accounts",
        API + "/trade/config",
        API + "/trade/accounts/1000001/state",
    ]
    sandbox.clear()
    client.get_balance()
    assert sandbox.count() == 1 and sandbox.connections == 1


def test_accnum_header_on_every_trade_call_and_never_on_all_accounts(sandbox, tl):
    client = tl()
    client.get_balances()
    client.positions("1000002")
    accounts = [r for r in sandbox.requests if r.path.endswith("all-accounts")]
    assert accounts and all(r.header("accNum") is None for r in accounts)
    for request in trade_requests(sandbox):
        expected = "3" if "1000002" in request.path else request.header("accNum")
        assert request.header("accNum") in ("1", "3") and request.header("accNum") == expected
    state_2 = next(r for r in sandbox.requests if r.path.endswith("1000002/state"))
    assert state_2.header("accNum") == "3"  # §4: accountId in the path, accNum in the header


def test_an_accnum_given_as_account_is_refused_with_a_hint(sandbox, tl):
    with pytest.raises(brokers.ConfigurationError) as caught:
        tl(account="3").get_balance()
    assert "accNum of account 1000002" in caught.value.hint
    assert not trade_requests(sandbox)


def test_demo_and_live_are_separate(sandbox, tl):
    live = tl("live")
    assert [a.id for a in live.accounts()] == ["2000001"]
    with pytest.raises(brokers.ConfigurationError, match="not an account"):
        live.get_balance("1000001")  # a demo account id never goes to live
    assert not [r for r in trade_requests(sandbox) if "1000001" in r.path]
    assert api_url("demo") == ("https://demo.tradelocker.com/backend-api", "demo")
    assert api_url("https://live.tradelocker.com/backend-api/") == (
        "https://live.tradelocker.com/backend-api",
        "live",
    )
    assert TradeLocker("live", EMAIL, "x", "S").environment == "live"


def test_bad_login_is_typed_and_not_repeated(sandbox, tl):
    client = TradeLocker(sandbox.url, EMAIL, "wrong-password", TL_SERVER["demo"])
    with pytest.raises(brokers.AuthenticationError, match="SANDBOX-DEMO"):
        client.get_balance()
    with pytest.raises(brokers.AuthenticationError):
        client.get_balance()
    assert sandbox.count(LOGIN) == 1
    wrong_env = tl(account=None)
    wrong_env.server = TL_SERVER["live"]  # a live server name at the demo host
    with pytest.raises(brokers.AuthenticationError):
        wrong_env.login()


def test_token_expiry_is_read_from_the_jwt_and_refreshed_before_it(sandbox, tl):
    now = [time.time()]
    client = tl(clock=lambda: now[0])
    client.get_balance()
    assert 3500 < client._lifetime <= 3600  # exp of the access token
    now[0] += 1801  # less than 30 min left
    client.get_balance()
    assert sandbox.count(REFRESH) == 1 and sandbox.count(LOGIN) == 1
    assert sandbox.count(API + "/trade/accounts/*/state") == 2  # renewed first: no 401 replay


def test_a_401_refreshes_once_and_replays_the_read(sandbox, tl):
    client = tl()
    client.get_balance()
    sandbox.expire_sessions()
    client.get_balance()
    assert sandbox.count(REFRESH) == 1 and sandbox.count(LOGIN) == 1
    sandbox.expire_sessions(refresh=True)  # the refresh token dies too: a new login
    client.get_balance()
    assert sandbox.count(LOGIN) == 2


def test_a_write_on_an_expired_session_is_not_executed_nor_resent(sandbox, tl):
    client = tl()
    client.instruments()  # the symbol is resolved from the cache: the POST is the first call
    sandbox.expire_sessions()
    with pytest.raises(brokers.SessionExpiredError):
        client.place_order("EURUSD", "BUY", "0.01")
    assert sandbox.count(ORDERS, "POST") == 1
    assert len(sandbox.tradelocker.account("1000001").history) == 0


def test_secrets_stay_out_of_logs_and_repr(sandbox, tl, caplog):
    client = tl(developer_api_key="tl-sandbox-developer-key")
    client.get_balance()
    sandbox.expire_sessions()
    client.get_balance()  # a refresh: the refresh token travels in a body
    secrets = [client._access.reveal(), client._refresh_token.reveal(), TL_PASSWORD]
    secrets.append("tl-sandbox-developer-key")
    assert all(s not in caplog.text and s not in repr(client) for s in secrets)
    # on every request, login and refresh included, as the official client sends it (§3.2)
    assert all(
        r.header("developer-api-key") == "tl-sandbox-developer-key" for r in sandbox.requests
    )


# --------------------------------------------------------------------------- columnar format


def test_config_is_read_once_per_session_and_rows_are_read_by_name(sandbox, tl):
    client = tl()
    plain = (client.get_balance(), client.positions(), client.orders())
    assert sandbox.count(API + "/trade/config") == 1
    sandbox.tradelocker.shuffle_columns = True  # §17.5: another order plus an unknown column
    sandbox.tradelocker.cells_as_numbers = True
    shuffled = tl()
    assert (shuffled.get_balance(), shuffled.positions(), shuffled.orders()) == plain


def test_a_row_longer_than_the_config_rereads_it_once(sandbox, tl):
    client = tl()
    before = client.positions()
    sandbox.tradelocker.extra_cells = 2
    assert client.positions() == before
    assert sandbox.count(API + "/trade/config") == 2


@pytest.mark.parametrize(
    ("column", "call"),
    [
        ("qty", lambda c: c.positions()),
        ("side", lambda c: c.orders()),
        ("balance", lambda c: c.get_balance()),
    ],
)
def test_a_config_without_a_needed_column_is_a_response_error(sandbox, tl, column, call):
    sandbox.tradelocker.omit_columns = {column}
    with pytest.raises(brokers.ResponseError, match=repr(column)):
        call(tl())


def test_a_column_the_config_does_not_name_is_unknown(sandbox, tl):
    sandbox.tradelocker.omit_columns = {"projectedBalance", "avgPrice"}
    client = tl()
    assert client.get_balance().equity is None
    assert client.positions()[0].open_price is None


def test_ids_beyond_2_53_stay_exact(sandbox, tl):
    sandbox.tradelocker.cells_as_numbers = True
    (position,) = tl().positions()
    assert int(position.id) > 2**53
    assert int(position.id) in sandbox.tradelocker.account("1000001").positions


# --------------------------------------------------------------------------- instruments, data


def test_symbols_resolve_once_and_sizes_come_from_the_details(sandbox, tl):
    client = tl()
    items = client.instruments()
    assert [(i.symbol, i.id) for i in items][:2] == [("EURUSD", "278"), ("GBPUSD", "279")]
    assert items[0].lot_size is None  # the list has no sizes (§6 lessons)
    gold = client.instrument("xauusd")
    assert (gold.lot_size, gold.contract_size, gold.min_quantity, gold.quantity_step) == (
        D("100"),
        D("100"),
        D("0.01"),
        D("0.01"),
    )
    assert (gold.max_quantity, gold.tick_size, gold.id) == (D("50"), D("0.01"), "316")
    client.quote("EURUSD")
    client.positions()
    assert sandbox.count(API + "/trade/accounts/*/instruments") == 1
    with pytest.raises(brokers.ConfigurationError, match="not an instrument"):
        client.quote("NOPE")


def test_quotes_use_a_working_info_route_never_the_trade_route(sandbox, tl):
    client = tl()
    quotes = client.quotes(["EURUSD", "XAUUSD", "EURUSD"])
    assert [(q.symbol, q.bid, q.ask, q.spread) for q in quotes] == [
        ("EURUSD", D("1.08500"), D("1.08510"), D("0.00010")),
        ("XAUUSD", D("2400.10"), D("2400.50"), D("0.40")),
        ("EURUSD", D("1.08500"), D("1.08510"), D("0.00010")),
    ]
    routes = [r.query["routeId"] for r in sandbox.requests if r.path.endswith("/quotes")]
    assert routes == ["9001", "9001", "9001"]  # never 9000 (dead) nor 9101 (TRADE)


def test_a_dead_info_route_falls_back_to_another(sandbox, tl):
    sandbox.tradelocker.bad_first_info_route = False
    sandbox.fault(API + "/trade/quotes", json={"s": "error", "errmsg": "route down"})
    client = tl()
    assert client.quote("EURUSD").bid == D("1.08500")
    routes = [r.query["routeId"] for r in sandbox.requests if r.path.endswith("/quotes")]
    assert routes == ["9001", "9000"]  # probed last first (§9), the next one kept
    client.quote("EURUSD")
    assert sandbox.requests[-1].query["routeId"] == "9000"
    sandbox.fault(API + "/trade/quotes", json={"s": "error", "errmsg": "down"}, times=None)
    with pytest.raises(brokers.ResponseError, match="no INFO route"):
        tl().quote("GBPUSD")


def test_candles_by_count_and_range_in_pages(sandbox, tl):
    client = tl()
    last = client.candles("EURUSD", "1h", count=3)
    assert len(last) == 3 and last[0].timeframe == "1h"
    assert last[1].time - last[0].time == (last[2].time - last[1].time)
    assert all(c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close) for c in last)
    assert sandbox.requests[-1].query["resolution"] == "1H"  # §6 lessons: case matters
    sandbox.tradelocker.limits["QUOTES_HISTORY_BARS"] = 2
    fresh = tl()
    week = fresh.candles("EURUSD", "1d", since="2026-01-05", until="2026-01-10")
    assert [c.time.day for c in week] == [5, 6, 7, 8, 9, 10]
    assert sandbox.count(API + "/trade/history") == 1 + 3  # pages of 2 bars
    with pytest.raises(brokers.ConfigurationError, match="offers 1m, 5m"):
        fresh.candles("EURUSD", "2h", count=1)  # there is no 2H (§6 lessons)


# --------------------------------------------------------------------------- trading


def test_place_sends_a_unique_strategy_id_on_the_trade_route(sandbox, tl):
    client = tl()
    first = client.place_order("EURUSD", "buy", "0.05")
    second = client.place_order("EURUSD", "buy", D("0.05"))
    bodies = [r.json for r in sandbox.requests if r.method == "POST" and r.path == ORDERS]
    assert [b["strategyId"] for b in bodies] == [first.client_order_id, second.client_order_id]
    assert first.client_order_id != second.client_order_id
    assert all(len(b["strategyId"]) <= 31 for b in bodies)  # §10.1
    assert bodies[0]["routeId"] == 9101 and bodies[0]["tradableInstrumentId"] == 278
    assert (bodies[0]["validity"], bodies[0]["type"], bodies[0]["side"]) == ("IOC", "market", "buy")
    assert first.order_id.isdigit() and first.status == "ACCEPTED"
    mine = [p for p in client.positions() if p.raw["strategyId"] == first.client_order_id]
    assert mine[0].quantity == D("0.05") and mine[0].open_price == D("1.08510")


def test_client_order_id_is_the_strategy_id_and_too_long_is_refused(sandbox, tl):
    client = tl()
    client.place_order("EURUSD", "SELL", "0.01", client_order_id="my-bot-7")
    assert sandbox.requests[-1].json["strategyId"] == "my-bot-7"
    with pytest.raises(brokers.ConfigurationError, match="31"):
        client.place_order("EURUSD", "SELL", "0.01", client_order_id="x" * 32)
    assert sandbox.count(ORDERS, "POST") == 1


@pytest.mark.parametrize("quantity", ["0.001", "0.015"])
def test_s_error_rejections_are_order_rejected_errors(sandbox, tl, quantity):
    with pytest.raises(brokers.OrderRejectedError, match="lot") as caught:
        tl().place_order("EURUSD", "BUY", quantity)
    assert caught.value.status == 200  # §13: HTTP 200 with s: "error"
    assert sandbox.count(ORDERS, "POST") == 1  # never resent


def test_s_error_on_a_read_is_a_request_rejected_error(sandbox, tl):
    client = tl()
    client.get_balance()
    sandbox.fault(API + "/trade/accounts/*/state", json={"s": "error", "errmsg": "disabled"})
    with pytest.raises(brokers.RequestRejectedError, match="disabled") as caught:
        client.get_balance()
    assert not isinstance(caught.value, brokers.OrderRejectedError)


def test_a_lost_placement_answer_is_outcome_unknown_and_reconcile_finds_it(sandbox, tl):
    client = tl()
    client.get_balance()
    sandbox.fault(
        ORDERS, method="POST", status=502, body="<html>Bad gateway</html>", after_execute=True
    )
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.place_order("EURUSD", "BUY", "0.02", client_order_id="lost-one")
    assert sandbox.count(ORDERS, "POST") == 1  # never a second order
    found = client.reconcile(caught.value)
    assert isinstance(found, brokers.Position) and found.quantity == D("0.02")
    assert found.raw["strategyId"] == "lost-one"
    assert len(sandbox.tradelocker.account("1000001").positions) == 2


def test_a_dropped_connection_after_execution_reconciles_a_pending_order(sandbox, tl):
    client = tl()
    sandbox.fault(ORDERS, method="POST", drop=True, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.place_order("EURUSD", "BUY", "0.02", type="LIMIT", price="1.00000")
    found = client.reconcile(caught.value)
    assert isinstance(found, brokers.Order) and found.type == "LIMIT"
    assert found.client_order_id == caught.value.sent["client_order_id"]
    assert sandbox.count(ORDERS, "POST") == 1


def test_a_lost_answer_without_execution_reconciles_to_none(sandbox, tl):
    client = tl()
    sandbox.fault(ORDERS, method="POST", status=504, body="")
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.place_order("EURUSD", "BUY", "0.02")
    assert client.reconcile(caught.value) is None


def test_reconcile_finds_a_filled_then_closed_placement_in_history(sandbox, tl):
    client = tl()
    sandbox.fault(ORDERS, method="POST", status=500, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.place_order("EURUSD", "BUY", "0.02")
    mine = next(p for p in client.positions() if p.raw["strategyId"])
    client.close_position(mine)
    found = client.reconcile(caught.value)
    assert isinstance(found, brokers.Order) and found.status == "FILLED"


def test_reconcile_needs_the_strategy_id_column(sandbox, tl):
    sandbox.tradelocker.omit_columns = {"strategyId"}
    client = tl()
    sandbox.fault(ORDERS, method="POST", status=502, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as caught:
        client.place_order("EURUSD", "BUY", "0.02")
    with pytest.raises(brokers.ResponseError, match="strategyId"):
        client.reconcile(caught.value)


def test_protection_close_cancel_and_modify(sandbox, tl):
    client = tl()
    client.place_order(
        "EURUSD",
        "BUY",
        "0.10",
        stop_loss="1.08000",
        take_profit="1.09500",
        client_order_id="protected",
    )
    position = next(p for p in client.positions() if p.raw["strategyId"] == "protected")
    assert (position.stop_loss, position.take_profit) == (D("1.08000"), D("1.09500"))
    client.set_protection(position, stop_loss="1.08100", take_profit=None)
    position = next(p for p in client.positions() if p.id == position.id)
    assert (position.stop_loss, position.take_profit) == (D("1.08100"), None)
    result = client.close_position(position, "0.04")
    assert sandbox.requests[-1].json == {"qty": "0.04"} and result.position_id == position.id
    assert next(p for p in client.positions() if p.id == position.id).quantity == D("0.06")
    client.close_position(position.id)
    assert sandbox.requests[-1].json == {"qty": "0"}
    assert all(p.id != position.id for p in client.positions())
    (pending,) = [o for o in client.orders() if o.type == "LIMIT"]
    client.modify_order(pending, price="1.24000", quantity="0.20")
    (pending,) = [o for o in client.orders() if o.type == "LIMIT"]
    assert (pending.price, pending.quantity) == (D("1.24000"), D("0.20"))
    client.cancel_order(pending.id)
    assert [o for o in client.orders() if o.type == "LIMIT"] == []
    with pytest.raises(brokers.OrderRejectedError, match="final"):
        client.cancel_order(pending)  # §10.2: 200 s:error for a final order
    with pytest.raises(brokers.ConfigurationError, match="no open position"):
        client.close_position("123")


def test_history_and_order_history(sandbox, tl):
    client = tl()
    start = "2026-01-01"
    client.place_order("XAUUSD", "SELL", "0.01", client_order_id="gold")
    position = next(
        p
        for p in client.positions()
        if p.symbol == "XAUUSD" and p.side == "SELL" and p.raw["strategyId"] == "gold"
    )
    client.close_position(position)
    (trade,) = client.history(since=start)
    assert (trade.symbol, trade.side, trade.quantity) == ("XAUUSD", "SELL", D("0.01"))
    assert (trade.open_price, trade.close_price) == (D("2400.10"), D("2400.50"))
    assert trade.profit is None and trade.position_id == position.id  # not sent: unknown
    orders = client.order_history(since=start)
    assert [o.status for o in orders] == ["FILLED", "FILLED"]
    assert orders[0].client_order_id == "gold" and orders[0].closed_time is not None


def test_history_windows_at_the_cap_are_split_not_cut(sandbox, tl):
    sandbox.tradelocker.limits["MAX_ORDERS_COUNT_IN_HISTORY"] = 2
    client = tl()
    since = time.time()
    for n in range(3):
        client.place_order("EURUSD", "BUY", "0.01", client_order_id=f"h{n}")
        time.sleep(0.002)
    sandbox.clear()
    found = client.order_history(since=datetime.fromtimestamp(since - 1, timezone.utc))
    assert sorted(o.client_order_id for o in found) == ["h0", "h1", "h2"]
    # the rest of a capped answer is read around the rows it holds, not by halving time
    assert sandbox.count(API + "/trade/accounts/*/ordersHistory") <= 5  # halving took 30 to 80


# --------------------------------------------------------------------------- limits, blocks


def test_a_429_on_a_read_is_retried_after_retry_after(sandbox, tl, sleeps):
    sandbox.tradelocker.enforce_rate_limits = True
    sandbox.tradelocker.retry_after = 1
    client = tl(throttle=False)
    client.positions()
    with pytest.raises(brokers.RateLimitError) as caught:
        client.positions()
    assert caught.value.retry_after == 1 and sleeps == [1, 1]  # 3 attempts, never real sleeps


def test_the_throttle_follows_the_config_so_a_burst_earns_no_429(sandbox, tl):
    sandbox.tradelocker.enforce_rate_limits = True
    sandbox.tradelocker.rate_limits["QUOTES_HISTORY"] = (2, 1, "SECONDS")
    sandbox.tradelocker.limits["QUOTES_HISTORY_BARS"] = 2
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        time.sleep(seconds)

    client = tl(retry=brokers.RetryPolicy(attempts=1, sleep=sleep))
    client.positions()
    client.positions()  # GET_POSITIONS: 1 a second
    client.candles("EURUSD", "1d", since="2026-01-05", until="2026-01-10")  # 3 pages, 2 a second
    # RetryPolicy(attempts=1) would have raised RateLimitError on any 429.
    assert sandbox.count(API + "/trade/history") == 3
    assert sum(w > 0.5 for w in waited) >= 2


def test_cloudflare_pages_are_bot_protection_errors(sandbox, tl):
    sandbox.cloudflare(LOGIN, times=1)
    with pytest.raises(brokers.BotProtectionError):
        tl().login()
    sandbox.tradelocker.blocked_user_agents = ["brokers-python/*"]  # §13: code 1010
    with pytest.raises(brokers.BotProtectionError):
        tl().get_balance()
    sandbox.tradelocker.blocked_user_agents = []
    client = tl()
    client.get_balance()
    sandbox.cloudflare(API + "/trade/*", times=1)
    with pytest.raises(brokers.BotProtectionError):
        client.positions()


# --------------------------------------------------------------------------- configuration


def test_from_env_broker_factory_and_capabilities(sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv("TRADELOCKER_BASE_URL", sandbox.url)
    monkeypatch.setenv("TRADELOCKER_EMAIL", EMAIL)
    monkeypatch.setenv("TRADELOCKER_PASSWORD", TL_PASSWORD)
    monkeypatch.setenv("TRADELOCKER_SERVER", TL_SERVER["demo"])
    monkeypatch.setenv("TRADELOCKER_ACCOUNT", "1000002")
    monkeypatch.chdir(tmp_path)  # no ./.env
    with TradeLocker.from_env() as client:
        assert client.get_balance().currency == "EUR"
    with brokers.Broker(
        "tradelocker", EMAIL, TL_PASSWORD, base_url=sandbox.url, server=TL_SERVER["demo"]
    ) as client:
        assert isinstance(client, TradeLocker) and client.get_balance().account == "1000001"
    with pytest.raises(brokers.ConfigurationError, match="server"):
        brokers.Broker("tradelocker", EMAIL, TL_PASSWORD, base_url="demo")
    assert all(TradeLocker.capabilities.get(name) for name in brokers.capabilities.OPERATIONS)


def test_profiles_fetch_balances_and_the_cli_across_three_platforms(sandbox, tmp_path):
    from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD

    env = tmp_path / "brokers.env"
    env.write_text(
        "\n".join(
            [
                "BROKERS_PROFILES=dx,mt,tl,tl-live",
                "DX_BROKER=dxtrade",
                f"DX_BASE_URL={sandbox.url}",
                "DX_USERNAME=1210001",
                f"DX_PASSWORD={DX_PASSWORD}",
                "MT_BROKER=matchtrade",
                f"MT_BASE_URL={sandbox.url}",
                "MT_USERNAME=solo@example.com",
                f"MT_PASSWORD={MT_PASSWORD}",
                f"MT_BROKER_ID={MT_BROKER_ID}",
                "TL_BROKER=tradelocker",
                f"TL_BASE_URL={sandbox.url}",
                f"TL_EMAIL={EMAIL}",
                f"TL_PASSWORD={TL_PASSWORD}",
                f"TL_SERVER={TL_SERVER['demo']}",
                "TL_LIVE_BROKER=tradelocker",
                f"TL_LIVE_BASE_URL={sandbox.url}/live",
                f"TL_LIVE_EMAIL={EMAIL}",
                f"TL_LIVE_PASSWORD={TL_PASSWORD}",
                f"TL_LIVE_SERVER={TL_SERVER['live']}",
            ]
        )
        + "\n"
    )
    profiles = brokers.load_profiles(env)
    assert profiles["tl"].server == "SANDBOX-DEMO" and TL_PASSWORD not in repr(profiles["tl"])
    results = brokers.fetch_balances(env_file=env)
    assert all(r.ok for r in results), [r.error for r in results]
    tl_accounts = {b.account for r in results for b in r.balances if b.broker == "tradelocker"}
    assert tl_accounts == {"1000001", "1000002", "2000001"}
    child = {k: v for k, v in os.environ.items() if not k.startswith(("TRADELOCKER_", "BROKERS_"))}
    child["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.run(
        [sys.executable, "-m", "brokers", "--json", "--env-file", str(env)],
        cwd=tmp_path,
        env=child,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    names = [entry["name"] for entry in json.loads(proc.stdout)["results"]]
    assert names == ["dx", "mt", "tl", "tl-live"]
    assert TL_PASSWORD not in proc.stdout + proc.stderr

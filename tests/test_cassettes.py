"""Replay the recorded login and balance exchanges offline, and prove the cassettes hold no secret.

The expected figures come from the recorded answers themselves, so the same tests hold for
cassettes re-recorded against a real broker (``python -m tests.record_cassettes``).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import vcr
import yaml

import brokers
from brokers.sandbox import DX_PASSWORD, MT_PASSWORD, PX_API_KEY, TL_PASSWORD
from tests.record_cassettes import (
    DEV_KEY,
    HISTORY_SINCE,
    HISTORY_UNTIL,
    MODIFY_CYCLES,
    numbered_order_ids,
)

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
REPLAY = vcr.VCR(record_mode="none", match_on=("method", "scheme", "host", "port", "path", "query"))
NAMES = sorted(p.name for p in CASSETTES.glob("*.yaml"))


def interactions(name: str) -> list[dict]:
    return yaml.safe_load((CASSETTES / name).read_text())["interactions"]


def origin(name: str) -> str:
    uri = interactions(name)[0]["request"]["uri"]
    return re.match(r"https?://[^/]+", uri).group()


def answer(name: str, path_end: str) -> dict:
    for item in interactions(name):
        if item["request"]["uri"].split("?")[0].endswith(path_end):
            return json.loads(item["response"]["body"]["string"], parse_float=Decimal)
    raise AssertionError(f"{name} has no request to *{path_end}")


def replay(name: str):
    return REPLAY.use_cassette(str(CASSETTES / name), allow_playback_repeats=False)


def test_dxtrade_login_and_balance_replayed():
    name = "dxtrade_login_balance.yaml"
    metrics = answer(name, "/metrics")["metrics"][0]
    currency = answer(name, "/users")["userDetails"][0]["accounts"][0]["baseCurrency"]
    with replay(name) as cassette, brokers.DXTrade(origin(name), "1210001", "pw") as client:
        balance = client.get_balance()
    assert cassette.all_played  # login, users, metrics, logout: nothing more, nothing less
    assert balance.account == metrics["account"] and balance.currency == currency
    assert balance.balance == Decimal(str(metrics["balance"]))
    assert balance.equity == Decimal(str(metrics["equity"]))
    assert balance.available == Decimal(str(metrics["availableFunds"]))


def test_matchtrade_login_and_balance_replayed():
    name = "matchtrade_login_balance.yaml"
    recorded = answer(name, "/balance")
    first = (answer(name, "/manager/co-login") or {}).get("accounts", [{}])[0]
    with replay(name) as cassette:
        client = brokers.MatchTrade(origin(name), "me@example.com", "pw", broker_id="0")
        balance = client.get_balance()
        client.close()
    assert cassette.all_played
    assert balance.account == first["tradingAccountId"]
    assert balance.currency == recorded["currency"]
    assert balance.balance == Decimal(recorded["balance"])
    assert balance.available == Decimal(recorded["freeMargin"])


def test_tradelocker_login_and_balance_replayed():
    name = "tradelocker_login_balance.yaml"
    listed = answer(name, "/all-accounts")["accounts"][0]
    columns = answer(name, "/trade/config")["d"]["accountDetailsConfig"]["columns"]
    state = answer(name, "/state")["d"]["accountDetailsData"]
    cell = {c["id"]: Decimal(v) for c, v in zip(columns, state, strict=True)}
    with replay(name) as cassette:
        client = brokers.TradeLocker(origin(name), "me@example.com", "pw", "SANDBOX-DEMO")
        balance = client.get_balance()
        client.close()
    assert cassette.all_played  # login, accounts, config, state
    assert balance.account == listed["id"] and balance.currency == listed["currency"]
    assert balance.balance == cell["balance"]
    assert balance.equity == cell["projectedBalance"]
    assert balance.available == cell["availableFunds"]


def test_projectx_login_and_balance_replayed():
    name = "projectx_login_balance.yaml"
    (recorded,) = answer(name, "/Account/search")["accounts"]
    with replay(name) as cassette, brokers.ProjectX(origin(name), "me", "key") as client:
        balance = client.get_balance()
    assert cassette.all_played  # login, accounts, logout
    assert balance.account == str(recorded["id"])
    assert balance.balance == Decimal(str(recorded["balance"]))
    assert balance.currency is None and balance.equity is None  # REST has neither


@pytest.mark.parametrize(
    "name, cls, args",
    [
        ("dxtrade_bad_credentials.yaml", brokers.DXTrade, ("1210001", "wrong")),
        ("matchtrade_bad_credentials.yaml", brokers.MatchTrade, ("me@example.com", "wrong", "0")),
        (
            "tradelocker_bad_credentials.yaml",
            brokers.TradeLocker,
            ("me@example.com", "wrong", "SANDBOX-DEMO"),
        ),
        ("projectx_bad_credentials.yaml", brokers.ProjectX, ("me", "wrong")),
    ],
)
def test_bad_credentials_replayed(name, cls, args):
    (recorded,) = interactions(name)
    with replay(name) as cassette:
        client = cls(origin(name), *args)
        with pytest.raises(brokers.AuthenticationError) as info:
            client.login()
        with pytest.raises(brokers.AuthenticationError):  # kept, not tried again
            client.get_balance()
    # ProjectX refuses a login with HTTP 200 and errorCode 3 (the others 400 or 401)
    assert info.value.status == recorded["response"]["status"]["code"]
    assert cassette.play_count == 1  # one login, never repeated


@pytest.mark.parametrize("name", NAMES)
def test_cassette_holds_no_secret(name):
    text = (CASSETTES / name).read_text()
    for secret in (DX_PASSWORD, MT_PASSWORD, TL_PASSWORD, PX_API_KEY, DEV_KEY, "wrong-"):
        assert secret not in text, name
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.", text), "JWT in cassette"
    assert not re.search(r"@[\w-]+\.\w+", text), "e-mail address in cassette"
    for item in interactions(name):
        headers = {k.lower(): v for k, v in item["request"]["headers"].items()}
        for header in ("authorization", "auth-trading-api", "cookie", "developer-api-key"):
            for value in headers.get(header, []):
                assert re.fullmatch(r"(DXAPI |Bearer )?(co-auth=)?<[A-Z-]+-\d+>", value), value
        body = json.loads(item["request"]["body"] or "null")
        if isinstance(body, dict):
            for key, mask in (("password", "<PASSWORD>"), ("apiKey", "<API-KEY>")):
                assert body.get(key, mask) == mask, key
        for cookie in item["response"]["headers"].get("Set-Cookie", []):
            assert re.match(r"(co-auth|rt)=<[A-Z-]+-\d+>", cookie), cookie
        payload = item["response"]["body"]["string"]
        for key in (
            "sessionToken",
            "token",
            "tradingApiToken",
            "accessToken",
            "refreshToken",
            "newToken",
        ):
            for value in re.findall(rf'"{key}": "([^"]*)"', payload):
                assert re.fullmatch(r"<[A-Z-]+-\d+>", value), (key, value)


def replay_bodies(name: str):
    """Replay matching every request's JSON body too (client order ids numbered)."""
    recorder = vcr.VCR(
        record_mode="none", match_on=("method", "host", "path", "query", "order_body")
    )
    recorder.register_matcher("order_body", same_body_but_credentials)
    return recorder.use_cassette(str(CASSETTES / name), allow_playback_repeats=False)


def same_body_but_credentials(recorded, sent) -> None:
    """vcrpy matcher: equal JSON bodies, ignoring the scrubbed credentials."""

    def load(request):
        body = request.body
        if not body:
            return None
        data = json.loads(body, parse_float=Decimal)
        if isinstance(data, dict):
            for key in ("password", "email", "apiKey", "userName"):
                data.pop(key, None)
        return data

    assert load(recorded) == load(sent)


@pytest.mark.parametrize(
    "name, cls, args, symbol, quantity",
    [
        ("dxtrade_trade_cycle.yaml", brokers.DXTrade, ("1210003", "pw"), "EUR/USD", "10000"),
        (
            "matchtrade_trade_cycle.yaml",
            brokers.MatchTrade,
            ("me@example.com", "pw", "0"),
            "EURUSD.",
            "0.10",
        ),
        (
            "tradelocker_trade_cycle.yaml",
            brokers.TradeLocker,
            ("me@example.com", "pw", "SANDBOX-DEMO"),
            "EURUSD",
            "0.10",
        ),
        (
            "projectx_trade_cycle.yaml",
            brokers.ProjectX,
            ("me", "key"),
            "CON.F.US.MNQ.H25",
            "1",
        ),
    ],
)
def test_trade_cycle_replayed_with_matching_bodies(name, cls, args, symbol, quantity):
    """Place, list and close, replayed request by request, bodies included."""
    with replay_bodies(name) as cassette, numbered_order_ids():
        client = cls(origin(name), *args)
        placed = client.place_order(symbol, "BUY", quantity)
        opened = [p for p in client.positions() if p.symbol == symbol]
        client.orders()
        closed = client.close_position(opened[-1].id)
        client.close()
    assert cassette.all_played
    assert opened[-1].quantity == Decimal(quantity)
    assert placed.order_id and placed.order_id != closed.order_id
    # DXtrade and Match-Trader answer with the closing order, TradeLocker and ProjectX with none
    assert closed.order_id or closed.position_id == opened[-1].id
    assert closed.position_id in (None, opened[-1].id)


def dxtrade_closed(name: str) -> tuple[int, Decimal]:
    """Completed CLOSE orders in the recorded history and their SETTLEMENT (realised P/L)."""
    closes = [
        o
        for o in answer(name, "/orders/history")["orders"]
        if o["legs"][0]["positionEffect"] == "CLOSE"
    ]
    profit = sum(
        Decimal(str(c["value"]))
        for o in closes
        for c in o.get("cashTransactions", [])
        if c["type"] == "SETTLEMENT"
    )
    return len(closes), profit


def matchtrade_closed(name: str) -> tuple[int, Decimal]:
    """Closing operations in the recorded closed-positions answer and their profit."""
    operations = answer(name, "/closed-positions")["operations"]
    return len(operations), sum(Decimal(o["profit"]) for o in operations)


@pytest.mark.parametrize(
    "platform, cls, args, closed",
    [
        ("dxtrade", brokers.DXTrade, ("1210001", "pw"), dxtrade_closed),
        ("matchtrade", brokers.MatchTrade, ("me@example.com", "pw", "0"), matchtrade_closed),
    ],
)
def test_modify_cycle_replayed_with_matching_bodies(platform, cls, args, closed):
    """Pending LIMIT with a stop loss, price moved, stop loss set on the open position,
    history read, order cancelled: replayed request by request, bodies included."""
    name = f"{platform}_modify_cycle.yaml"
    symbol, quantity, (price, stop, new_price), held, held_stop = MODIFY_CYCLES[platform]
    with replay_bodies(name) as cassette, numbered_order_ids():
        client = cls(origin(name), *args)
        placed = client.place_order(
            symbol, "BUY", quantity, type="LIMIT", price=price, stop_loss=stop
        )
        client.modify_order(placed.order_id, price=new_price)
        pending = [o for o in client.orders() if o.type == "LIMIT" and o.symbol == symbol]
        position = next(p for p in client.positions() if p.symbol == held)
        protected = client.set_protection(position, stop_loss=held_stop)
        trades = client.history(since=HISTORY_SINCE, until=HISTORY_UNTIL)
        cancelled = client.cancel_order(placed.order_id)
        client.close()
    assert cassette.all_played
    assert [o.price for o in pending] == [Decimal(new_price)]  # moved from the placed price
    assert pending[0].stop_loss == Decimal(stop)
    assert protected.position_id == position.id
    count, profit = closed(name)
    assert count and len(trades) == count
    assert all(isinstance(t.profit, Decimal) for t in trades)
    assert sum(t.profit for t in trades) == profit
    assert cancelled.order_id

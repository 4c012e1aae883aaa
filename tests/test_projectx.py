"""brokers.ProjectX against the sandbox's ProjectX emulator (issue 15)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import brokers
from brokers import projectx as projectx_module
from brokers.sandbox import PX_API_KEY
from brokers.throttle import Rate, Throttle

MNQ = "CON.F.US.MNQ.H25"
MES = "CON.F.US.MES.H25"
D = Decimal


def placed(sb, name: str = "/api/Order/place") -> list[dict]:
    return [r.json for r in sb.requests if r.path == name]


class Clock:
    """A settable wall clock."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------ accounts and balance


def test_balance_is_the_balance_alone(px, sandbox):
    balance = px().get_balance()
    assert balance.account == "10001" and balance.balance == D("50000")
    # REST sends no equity, margin, open P/L or currency: unknown, never 0 or a copy
    assert (balance.equity, balance.available, balance.margin, balance.profit) == (None,) * 4
    assert balance.currency is None and balance.credit is None
    assert sandbox.count("/api/Account/search") == 1


def test_account_by_name_and_never_the_first_by_chance(px):
    assert px(account="EXAMPLE-150K-FUNDED").get_balance().account == "10002"
    with pytest.raises(brokers.ConfigurationError, match="2 accounts that can trade"):
        px(account=None).get_balance()
    with pytest.raises(brokers.ConfigurationError, match="not one of this login"):
        px(account="nope").positions()
    client = px(username="solo@example.com", account=None)  # one tradable account: no doubt
    assert client.get_balance().account == "20001"


def test_all_balances_in_one_request(px, sandbox):
    balances = px().get_balances()
    assert [b.account for b in balances] == ["10001", "10002", "10003"]
    assert [a.status for a in px().accounts()] == ["TRADING", "TRADING", "NO_TRADING"]
    assert sandbox.count("/api/Account/search") == 2


def test_projectx_and_dxtrade_in_one_table(px, dx):
    results = brokers.fetch_balances([dx(), px()])
    assert results.ok
    rows = results.rows()
    assert {r["broker"] for r in rows} == {"dxtrade", "projectx"}
    row = next(r for r in rows if r["broker"] == "projectx" and r["account"] == "10001")
    assert row["balance"] == "50000.000000000" and row["equity"] is None


# ------------------------------------------------------------------ login and token


def test_wrong_key_is_an_authentication_error_with_its_code(px, sandbox):
    client = px(api_key="wrong-key-123")
    with pytest.raises(brokers.AuthenticationError) as info:
        client.get_balance()
    assert (info.value.status, info.value.code) == (200, "3")
    assert "login refused for trader@example.com: InvalidCredentials" in str(info.value)
    with pytest.raises(brokers.AuthenticationError):
        client.positions()  # a refused login is not repeated on its own
    assert sandbox.count("/api/Auth/loginKey") == 1


@pytest.mark.parametrize("code", [9, 10])
def test_api_subscription_and_disabled_key_are_access_denied(px, sandbox, code):
    sandbox.projectx.login_code = code
    with pytest.raises(brokers.AccessDeniedError) as info:
        px().get_balance()
    assert info.value.code == str(code) and info.value.hint


def test_login_refused_with_http_401(px, sandbox):
    sandbox.projectx.login_failure_status = 401
    with pytest.raises(brokers.AuthenticationError, match="login refused"):
        px(api_key="wrong-key-123").get_balance()


def test_token_is_renewed_with_validate_before_24_hours(px, sandbox):
    clock = Clock()
    client = px(clock=clock)
    client.positions()
    first = sandbox.requests[-1].header("authorization")
    clock.now += 23.5 * 3600  # within the hour before the 24 h expiry
    client.positions()
    paths = [r.path for r in sandbox.requests]
    assert paths.count("/api/Auth/validate") == 1 and paths.count("/api/Auth/loginKey") == 1
    assert sandbox.requests[-1].header("authorization") != first  # the newToken is used
    sandbox.projectx.validate_field = "token"
    clock.now += 23.5 * 3600
    client.positions()
    assert sandbox.count("/api/Auth/validate") == 2 and sandbox.count("/api/Auth/loginKey") == 1


def test_failed_validate_falls_back_to_one_login(px, sandbox):
    clock = Clock()
    client = px(clock=clock)
    client.positions()
    sandbox.expire_sessions()  # validate now answers code 2
    clock.now += 23.5 * 3600
    assert client.positions()
    assert sandbox.count("/api/Auth/loginKey") == 2


def test_expired_token_renews_once_for_a_read_and_never_replays_a_write(px, sandbox):
    client = px()
    client.positions()
    sandbox.expire_sessions()
    assert client.positions()  # 401 -> renewed -> replayed
    sandbox.expire_sessions()
    with pytest.raises(brokers.SessionExpiredError, match="not executed"):
        client.place_order(MNQ, "BUY", 1)
    assert sandbox.count("/api/Order/place") == 1
    assert len(client.positions()) == 1  # nothing was placed


def test_secrets_never_in_logs_repr_or_errors(px, sandbox, caplog):
    caplog.set_level(logging.DEBUG, logger="brokers")
    client = px()
    client.positions()
    token = sandbox.requests[-1].header("authorization").split()[1]
    assert PX_API_KEY not in repr(client) and PX_API_KEY not in repr(vars(client))
    sandbox.fault("/api/Position/searchOpen", status=400, json={"token": token}, times=None)
    with pytest.raises(brokers.BrokerError) as info:
        client.positions()
    assert token not in str(info.value)
    assert token not in caplog.text and PX_API_KEY not in caplog.text
    assert "Auth/loginKey" in caplog.text  # the login was logged, without its body's key


# ------------------------------------------------------------------ reads are marked as reads


def test_reads_are_retried_writes_are_sent_once(px, sandbox, sleeps):
    client = px()
    sandbox.fault("/api/Position/searchOpen", status=503, times=2)
    assert len(client.positions()) == 1
    assert sandbox.count("/api/Position/searchOpen") == 3 and len(sleeps) == 2
    sandbox.fault("/api/Order/place", status=503)
    with pytest.raises(brokers.OrderOutcomeUnknownError):
        client.place_order(MNQ, "BUY", 1)
    assert sandbox.count("/api/Order/place") == 1


def test_a_rate_limited_read_waits_for_retry_after(px, sandbox, sleeps):
    sandbox.projectx.rate_limit = (2, 60.0)
    sandbox.projectx.retry_after = 7
    client = px()
    client.positions()  # Account/search and Position/searchOpen: the window is full
    with pytest.raises(brokers.RateLimitError):
        client.orders()
    assert sleeps == [7, 7] and sandbox.count("/api/Order/searchOpen") == 3


def test_bars_have_their_own_throttle_budget(px, sleeps):
    throttle = Throttle({"request": Rate(100, 60.0), "bars": Rate(1, 30.0)}, sleep=sleeps)
    client = px(throttle=throttle)
    client.candles(MNQ, "1h", count=2)
    client.positions()
    assert sleeps == []
    client.candles(MNQ, "1h", count=2)
    assert len(sleeps) == 1 and 29 < sleeps[0] <= 30
    assert brokers.ProjectX.default_rates == {
        "request": Rate(200, 60.0),
        "bars": Rate(50, 30.0),
    }


# ------------------------------------------------------------------ per-endpoint error codes


def test_the_same_code_means_what_its_endpoint_says(px, sandbox):
    client = px()
    with pytest.raises(brokers.OrderRejectedError, match="OrderNotFound") as info:
        client.cancel_order("424242")
    assert (info.value.status, info.value.code) == (200, "2")
    with pytest.raises(brokers.OrderRejectedError, match="OrderRejected") as info:
        client.place_order("CON.F.US.MNQ.H25", "BUY", 1, client_order_id="tag-1")
        client.place_order("CON.F.US.MNQ.H25", "BUY", 1, client_order_id="tag-1")
    assert info.value.code == "2"
    with pytest.raises(brokers.OrderRejectedError, match="ContractNotActive"):
        client.place_order("CON.F.US.MNQ.Z24", "BUY", 1)
    with pytest.raises(brokers.OrderRejectedError, match="PositionNotFound"):
        client.close_position(
            brokers.Position("projectx", "10001", "1", "CON.F.US.CLE.H25", "BUY", D(1))
        )


def test_an_undocumented_code_is_never_success(px, sandbox):
    client = px()
    sandbox.projectx.reject_codes = {"Position/searchOpen": 42, "Order/place": 42}
    with pytest.raises(brokers.RequestRejectedError, match="undocumented") as info:
        client.positions()
    assert info.value.code == "42"
    with pytest.raises(brokers.OrderOutcomeUnknownError) as unknown:
        client.place_order(MNQ, "BUY", 1)
    assert unknown.value.code == "42" and unknown.value.client_order_id
    assert client.reconcile(unknown.value) is None  # not placed: safe to send again


def test_a_malformed_request_is_a_rejection_naming_the_field(px, sandbox):
    sandbox.fault(
        "/api/Position/searchOpen",
        status=400,
        json={"title": "One or more validation errors occurred.", "errors": {"accountId": ["x"]}},
    )
    with pytest.raises(brokers.RequestRejectedError, match="accountId"):
        px().positions()


# ------------------------------------------------------------------ placements


@pytest.mark.parametrize("code", [6, 7])
def test_pending_or_unknown_error_placement_is_outcome_unknown(px, sandbox, code):
    sandbox.projectx.outcome_codes = {"Order/place": code}
    client = px()
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order(MNQ, "BUY", 1, type="LIMIT", price="21500")
    assert info.value.code == str(code)
    found = client.reconcile(info.value)
    assert found is not None and found.client_order_id == info.value.client_order_id
    assert found.status == "OPEN" and sandbox.count("/api/Order/place") == 1


def test_lost_answer_after_execution_never_places_twice(px, sandbox):
    client = px()
    sandbox.fault("/api/Order/place", after_execute=True, drop=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order(MNQ, "BUY", 1, client_order_id="lost-once")
    assert sandbox.count("/api/Order/place") == 1
    order = client.reconcile(info.value)
    assert order is not None and order.client_order_id == "lost-once" and order.status == "FILLED"
    # Sending it again with the same tag cannot double it: the platform refuses the tag.
    with pytest.raises(brokers.OrderRejectedError):
        client.place_order(MNQ, "BUY", 1, client_order_id="lost-once")
    (position,) = [p for p in client.positions() if p.symbol == MNQ]
    assert position.quantity == 1


def test_429_on_a_sent_placement_is_outcome_unknown(px, sandbox):
    client = px()
    sandbox.fault("/api/Order/place", after_execute=True, status=429)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order(MNQ, "SELL", 2)
    assert sandbox.count("/api/Order/place") == 1
    assert client.reconcile(info.value).quantity == 2


def test_success_without_order_id_is_outcome_unknown(px, sandbox):
    body = {"success": True, "errorCode": 0, "errorMessage": None}
    sandbox.fault("/api/Order/place", after_execute=True, json=body)
    client = px()
    with pytest.raises(brokers.OrderOutcomeUnknownError, match="without an orderId") as info:
        client.place_order(MNQ, "BUY", 1)
    assert client.reconcile(info.value) is not None


def test_every_placement_carries_a_unique_custom_tag(px, sandbox):
    client = px()
    first = client.place_order(MNQ, "BUY", 1)
    second = client.place_order(MNQ, "BUY", 1)
    tags = [body["customTag"] for body in placed(sandbox)]
    assert tags == [first.client_order_id, second.client_order_id] and tags[0] != tags[1]
    assert client.find_order(tags[1]).id == second.order_id


def test_enums_are_mapped_both_ways(px, sandbox):
    client = px()
    result = client.place_order(MNQ, "sell", 3, type="STOP", price="21550.25")
    (body,) = placed(sandbox)
    assert (body["side"], body["type"], body["size"], body["stopPrice"]) == (1, 4, 3, 21550.25)
    (order,) = client.orders()
    assert (order.id, order.side, order.type, order.status, order.price) == (
        result.order_id,
        "SELL",
        "STOP",
        "OPEN",
        D("21550.25"),
    )
    assert order.quantity == 3 and isinstance(order.price, Decimal)


def test_brackets_are_signed_ticks_from_the_entry(px, sandbox):
    client = px()
    client.place_order(MNQ, "BUY", 1, "LIMIT", "21500", stop_loss="21490", take_profit="21520")
    client.place_order(MNQ, "SELL", 1, "LIMIT", "21700", stop_loss="21705.5", take_profit="21690")
    buy, sell = placed(sandbox)
    assert (buy["stopLossBracket"], buy["takeProfitBracket"]) == (
        {"ticks": -40, "type": 4},
        {"ticks": 80, "type": 1},
    )
    assert (sell["stopLossBracket"]["ticks"], sell["takeProfitBracket"]["ticks"]) == (22, -40)
    assert sandbox.count("/api/Contract/searchById") == 1  # the tick size is cached


def test_market_brackets_count_from_the_last_price(px, sandbox):
    client = px()
    client.place_order(MNQ, "BUY", 1, stop_loss="21580", take_profit="21650")  # market 21600
    stop, target = client.orders()
    assert (stop.type, stop.price, target.type, target.price) == (
        "STOP",
        D("21580"),
        "LIMIT",
        D("21650"),
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"type": "LIMIT", "price": "21500.1"}, "tick grid"),
        ({"type": "LIMIT", "price": "21500", "stop_loss": "21490.3"}, "tick grid"),
        ({"type": "LIMIT", "price": "21500", "stop_loss": "21510"}, "side of 21500"),
        ({"quantity": "1.5"}, "whole number"),
        ({"quantity": 1.0}, "float"),
        ({"type": "STOP_LIMIT", "price": "1"}, "order type"),
    ],
)
def test_bad_arguments_are_refused_before_sending(px, sandbox, kwargs, message):
    arguments = {"symbol": MNQ, "side": "BUY", "quantity": 1, **kwargs}
    with pytest.raises(brokers.ConfigurationError, match=message):
        px().place_order(**arguments)
    assert sandbox.count("/api/Order/place") == 0


def test_unknown_contract_is_a_configuration_error(px):
    with pytest.raises(brokers.ConfigurationError, match="unknown contract"):
        px().place_order("MNQ", "BUY", 1, "LIMIT", "21500")


# ------------------------------------------------------------------ closing leaves no orphans


def test_close_position_cancels_its_protective_orders(px, sandbox):
    client = px()
    client.place_order(MNQ, "BUY", 2, stop_loss="21580", take_profit="21650")
    client.place_order(MNQ, "BUY", 1, "LIMIT", "21400")  # an entry order: not protection
    assert len(client.orders()) == 3
    (position,) = [p for p in client.positions() if p.symbol == MNQ]
    result = client.close_position(position)
    assert result.status == "CLOSED" and result.position_id == position.id
    assert [p.symbol for p in client.positions()] == [MES]
    (left,) = client.orders()
    assert (left.side, left.price) == ("BUY", D("21400"))  # no orphan stop or target
    assert sandbox.count("/api/Order/cancel") == 2


def test_partial_close_cuts_the_protection_to_what_is_left(px, sandbox):
    client = px()
    client.place_order(MNQ, "BUY", 3, stop_loss="21580", take_profit="21650")
    result = client.close_position(MNQ, 2)
    assert result.status == "REDUCED"
    assert [o.quantity for o in client.orders()] == [1, 1]
    assert [p.quantity for p in client.positions() if p.symbol == MNQ] == [1]


def test_a_failed_clean_up_says_the_position_was_closed(px, sandbox):
    client = px()
    client.place_order(MNQ, "BUY", 1, stop_loss="21580")
    sandbox.projectx.cancel_refused = {10001}
    with pytest.raises(brokers.OrderRejectedError, match="position was closed") as info:
        client.close_position(MNQ)
    assert "AccountRejected" in str(info.value) and "cancel order" in info.value.hint
    assert [p.symbol for p in client.positions()] == [MES]


def test_a_lost_close_is_reconciled(px, sandbox):
    client = px()
    sandbox.fault("/api/Position/closeContract", after_execute=True, status=502)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.close_position(MES)
    assert client.reconcile(info.value) is True


# ------------------------------------------------------------------ modify and protection


def test_modify_order_price_size_and_legs(px, sandbox):
    client = px()
    result = client.place_order(MNQ, "BUY", 1, "LIMIT", "21500", stop_loss="21490")
    client.modify_order(result.order_id, price="21502.5", quantity=2, stop_loss="21480")
    (order,) = client.orders()  # the leg is Suspended: not listed by searchOpen
    assert (order.price, order.quantity) == (D("21502.5"), 2)
    with pytest.raises(brokers.ConfigurationError, match="tick grid"):
        client.modify_order(order, price="21502.3")
    with pytest.raises(brokers.ConfigurationError, match="cannot add"):
        client.modify_order(order, take_profit="21600")
    client.modify_order(order, stop_loss=None)
    bodies = placed(sandbox, "/api/Order/modify")
    assert bodies[0] == {
        "accountId": 10001,
        "orderId": int(order.id),
        "size": 2,
        "limitPrice": 21502.5,
    }
    assert bodies[1]["stopPrice"] == 21480
    assert sandbox.count("/api/Order/cancel") == 1


def test_set_protection_moves_and_removes_the_stop_and_target(px, sandbox):
    client = px()
    client.place_order(MNQ, "BUY", 1, stop_loss="21580", take_profit="21650")
    client.set_protection(MNQ, stop_loss="21590", take_profit=None)
    (stop,) = client.orders()
    assert (stop.type, stop.price) == ("STOP", D("21590"))
    with pytest.raises(brokers.ConfigurationError, match="cannot add"):
        client.set_protection(MNQ, take_profit="21700")


# ------------------------------------------------------------------ history and bars


def test_history_is_the_closing_fills(px, sandbox):
    client = px()
    client.place_order(MNQ, "BUY", 2)
    sandbox.projectx.set_price(MNQ, "21610.25")
    client.close_position(MNQ)
    (trade,) = client.history(since=datetime.now(timezone.utc) - timedelta(hours=2))
    assert (trade.symbol, trade.side, trade.quantity) == (MNQ, "BUY", 2)
    assert trade.profit == D("41") and trade.commission == D("-0.74")  # 41 ticks x 0.5 x 2
    assert trade.close_price == D("21610.25") and trade.open_price is None
    final = client.order_history(since="2000-01-01")
    assert {o.status for o in final} == {"FILLED"} and all(o.closed_time for o in final)


def test_candles_oldest_first_with_seven_digit_timestamps(px, sandbox):
    sandbox.projectx.timestamp_style = "zulu"
    candles = px().candles(MNQ, "5m", count=4)
    assert len(candles) == 4 and [c.time for c in candles] == sorted(c.time for c in candles)
    assert all(c.time.tzinfo is not None for c in candles)
    assert candles[1].time - candles[0].time == timedelta(minutes=5)
    (request,) = [r.json for r in sandbox.requests if r.path.endswith("retrieveBars")]
    assert (request["unit"], request["unitNumber"], request["live"]) == (2, 5, False)
    with pytest.raises(brokers.ConfigurationError, match="offers 1m"):
        px().candles(MNQ, "3m")


def test_candles_page_through_the_limit(px, sandbox, monkeypatch):
    monkeypatch.setattr(projectx_module, "MAX_BARS", 3)
    candles = px().candles(MNQ, "1m", count=7)
    assert len(candles) == 7 and len({c.time for c in candles}) == 7
    assert sandbox.count("/api/History/retrieveBars") == 3


def test_quotes_are_not_offered_over_rest(px):
    assert brokers.ProjectX.capabilities["quotes"] is False
    with pytest.raises(brokers.ConfigurationError, match="does not offer quotes"):
        px().quote(MNQ)


def test_instruments_search_and_tick_values(px):
    found = px().instruments("NQ")
    mnq = next(i for i in found if i.symbol == MNQ)
    assert (mnq.tick_size, mnq.tick_value, mnq.trading_status) == (D("0.25"), D("0.5"), "ACTIVE")
    assert {i.symbol for i in found} >= {MNQ, "CON.F.US.ENQ.H25"}


# ------------------------------------------------------------------ configuration


def test_from_env_profiles_and_factory(sandbox, tmp_path, monkeypatch):
    env = tmp_path / "px.env"
    env.write_text(
        f"BROKERS_PROFILES=topstep\nTOPSTEP_BROKER=projectx\nTOPSTEP_BASE_URL={sandbox.url}\n"
        f"TOPSTEP_USERNAME=trader@example.com\nTOPSTEP_API_KEY={PX_API_KEY}\n"
        "TOPSTEP_ACCOUNT=10002\n"
        f"PROJECTX_BASE_URL={sandbox.url}\nPROJECTX_USERNAME=solo@example.com\n"
        f"PROJECTX_API_KEY={PX_API_KEY}\n"
    )
    for name in ("BROKERS_PROFILES", "PROJECTX_BASE_URL", "PROJECTX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    profiles = brokers.load_profiles(env)
    assert list(profiles) == ["topstep", "projectx"]
    assert PX_API_KEY not in repr(profiles)
    with profiles["topstep"].client() as client:
        assert client.get_balance().account == "10002"
    with brokers.ProjectX.from_env(env) as client:
        assert client.get_balance().account == "20001"
    client = brokers.Broker("projectx", "solo@example.com", PX_API_KEY, base_url=sandbox.url)
    assert isinstance(client, brokers.ProjectX)
    client.close()
    assert brokers.ProjectX("topstepx", "u", "k").base_url == "https://api.topstepx.com"


def test_cli_shows_a_projectx_profile_beside_dxtrade(sandbox, tmp_path, monkeypatch, capsys):
    from brokers.cli import main
    from brokers.sandbox import DX_PASSWORD

    env = tmp_path / "cli.env"
    env.write_text(
        f"BROKERS_PROFILES=topstep,dx\nTOPSTEP_BROKER=projectx\nTOPSTEP_BASE_URL={sandbox.url}\n"
        f"TOPSTEP_USERNAME=trader@example.com\nTOPSTEP_API_KEY={PX_API_KEY}\n"
        "TOPSTEP_ACCOUNT=EXAMPLE-50K-001\n"
        f"DX_BROKER=dxtrade\nDX_BASE_URL={sandbox.url}\nDX_USERNAME=1210001\n"
        f"DX_PASSWORD={DX_PASSWORD}\n"
    )
    monkeypatch.delenv("BROKERS_PROFILES", raising=False)
    assert main(["check", "--env-file", str(env), "-qq"]) == 0  # the name is a known account
    assert main(["balance", "--env-file", str(env), "--json", "-qq"]) == 0
    out = capsys.readouterr().out
    assert '"broker": "projectx"' in out and '"account": "10001"' in out
    assert PX_API_KEY not in out

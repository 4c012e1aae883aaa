"""Trading against the sandbox: read, place, close, cancel, and never an order twice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

import brokers


@dataclass
class Venue:
    name: str
    make: object
    symbol: str
    quantity: str
    write: str  # glob of the market-order request


@pytest.fixture(params=["dxtrade", "matchtrade"])
def venue(request, dx, mt) -> Venue:
    if request.param == "dxtrade":
        return Venue("dxtrade", dx, "EUR/USD", "10000", "/dxsca-web/accounts/*/orders")
    return Venue("matchtrade", mt, "EURUSD.", "0.10", "/mtr-api/*/position/open")


def new_positions(venue: Venue, before: list[brokers.Position]) -> list[brokers.Position]:
    """Positions opened since ``before``, read with a fresh client."""
    known = {p.id for p in before}
    return [p for p in venue.make().positions() if p.id not in known]


# ----------------------------------------------------------------- read/write


def test_place_list_and_close_a_position(venue):
    client = venue.make()
    before = client.positions()
    result = client.place_order(venue.symbol, "buy", venue.quantity)
    assert result.order_id and not result.already_placed
    (opened,) = new_positions(venue, before)
    assert (opened.symbol, opened.side, opened.quantity) == (
        venue.symbol,
        "BUY",
        Decimal(venue.quantity),
    )
    assert isinstance(opened.open_price, Decimal) and opened.open_time.tzinfo is not None
    client.close_position(opened.id)
    assert new_positions(venue, before) == []


def test_pending_order_placed_listed_and_cancelled(venue):
    client = venue.make()
    result = client.place_order(venue.symbol, "SELL", venue.quantity, type="LIMIT", price="1.25")
    (order,) = client.orders()
    assert (order.type, order.side, order.price) == ("LIMIT", "SELL", Decimal("1.25"))
    client.cancel_order(order.id if venue.name == "matchtrade" else result.client_order_id)
    assert client.orders() == []


def test_stop_loss_and_take_profit_protect_the_position(venue):
    client = venue.make()
    before = client.positions()
    client.place_order(venue.symbol, "BUY", venue.quantity, stop_loss="1.05", take_profit="1.15")
    (opened,) = new_positions(venue, before)
    assert (opened.stop_loss, opened.take_profit) == (Decimal("1.05"), Decimal("1.15"))


def test_partial_close(venue):
    client = venue.make()
    before = client.positions()
    client.place_order(venue.symbol, "BUY", venue.quantity)
    (opened,) = new_positions(venue, before)
    client.close_position(opened.id, quantity=opened.quantity / 2)
    (left,) = new_positions(venue, before)
    assert left.quantity == opened.quantity / 2


def test_instruments_spell_the_symbols(venue):
    symbols = [i.symbol for i in venue.make().instruments()]
    assert venue.symbol in symbols


@pytest.mark.parametrize("bad", [{"quantity": 0.1}, {"quantity": "-1"}, {"side": "up"}])
def test_invalid_orders_are_refused_before_sending(sandbox, venue, bad):
    args = {"symbol": venue.symbol, "side": "BUY", "quantity": venue.quantity, **bad}
    client = venue.make()
    client.login()
    with pytest.raises(brokers.ConfigurationError):
        client.place_order(**args)
    assert sandbox.count(venue.write, method="POST") == 0


def test_market_orders_take_no_price_and_limits_need_one(venue):
    client = venue.make()
    with pytest.raises(brokers.ConfigurationError, match="MARKET"):
        client.place_order(venue.symbol, "BUY", venue.quantity, price="1.1")
    with pytest.raises(brokers.ConfigurationError, match="price"):
        client.place_order(venue.symbol, "BUY", venue.quantity, type="LIMIT")


# ----------------------------------------------------------------- rejections


def test_platform_rejection_is_order_rejected(sandbox, venue):
    if venue.name == "dxtrade":
        sandbox.dxtrade.reject_orders = "Not enough money"
    else:
        sandbox.matchtrade.reject_orders = "Not enough money"
    with pytest.raises(brokers.OrderRejectedError, match="Not enough money") as info:
        venue.make().place_order(venue.symbol, "BUY", venue.quantity)
    assert info.value.status == (409 if venue.name == "dxtrade" else 200)
    assert info.value.code


def test_unknown_symbol_is_rejected(venue):
    with pytest.raises(brokers.OrderRejectedError):
        venue.make().place_order("NOT-A-SYMBOL", "BUY", venue.quantity)


def test_an_unknown_id_is_the_same_error_for_close_and_cancel_on_every_platform(venue):
    client = venue.make()
    for call in (client.close_position, client.cancel_order):
        with pytest.raises(brokers.ConfigurationError, match=r"no open .* has the id '999999'"):
            call("999999")


def test_a_close_names_the_position_it_closed(venue):
    client = venue.make()
    (position,) = client.positions()
    assert client.close_position(position).position_id == position.id


def test_an_order_result_is_not_taken_for_a_position(venue):
    client = venue.make()
    placed = client.place_order(venue.symbol, "BUY", venue.quantity)
    with pytest.raises(brokers.ConfigurationError, match="pass a Position"):
        client.close_position(placed)


# ------------------------------------------------- never an order twice

LOST_ANSWERS = {
    "timeout": {"delay": 3},
    "dropped": {"drop": True},
    "5xx": {"status": 503},
    "429": {"status": 429, "headers": {"Retry-After": "1"}},
}


@pytest.mark.parametrize("fault", LOST_ANSWERS)
def test_a_lost_answer_never_doubles_the_order(sandbox, venue, sleeps, fault):
    client = venue.make(timeout=(2, 0.5))
    before = client.positions()
    sandbox.fault(venue.write, method="POST", after_execute=True, **LOST_ANSWERS[fault])
    try:
        result = client.place_order(venue.symbol, "BUY", venue.quantity)
    except brokers.OrderOutcomeUnknownError as exc:
        assert venue.name == "matchtrade"
        assert sandbox.count(venue.write, method="POST") == 1  # never resent
        found = client.reconcile(exc)
        assert isinstance(found, brokers.Position) and found.quantity == Decimal(venue.quantity)
    else:
        assert venue.name == "dxtrade"
        assert result.already_placed and result.order_id
        posts = [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/orders")]
        assert len(posts) == 2  # the one resend, with the same orderCode
        assert posts[0].json["orderCode"] == posts[1].json["orderCode"] == result.client_order_id
    assert len(new_positions(venue, before)) == 1


def test_lost_answer_before_execution(sandbox, venue):
    client = venue.make()
    before = client.positions()
    sandbox.fault(venue.write, method="POST", status=503)
    try:
        result = client.place_order(venue.symbol, "BUY", venue.quantity)
    except brokers.OrderOutcomeUnknownError as exc:
        assert venue.name == "matchtrade"
        assert client.reconcile(exc) is None  # nothing happened: a new order is safe
        assert new_positions(venue, before) == []
    else:
        assert venue.name == "dxtrade" and not result.already_placed
        assert len(new_positions(venue, before)) == 1


def test_retry_policy_never_fires_on_a_write(sandbox, venue, sleeps):
    client = venue.make(retry=brokers.RetryPolicy(attempts=5, sleep=sleeps))
    client.login()
    sandbox.fault(venue.write, method="POST", status=503, times=None)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order(venue.symbol, "BUY", venue.quantity)
    # Match-Trader: sent once. DXtrade: the deliberate resend with the same orderCode, once.
    assert sandbox.count(venue.write, method="POST") == (2 if venue.name == "dxtrade" else 1)
    assert info.value.sent


def test_401_on_a_write_is_not_replayed(sandbox, venue):
    client = venue.make()
    client.login()
    sandbox.fault(venue.write, method="POST", status=401)
    with pytest.raises(brokers.AuthenticationError):
        client.place_order(venue.symbol, "BUY", venue.quantity)
    assert sandbox.count(venue.write, method="POST") == 1


# ------------------------------------------------------ platform specifics


def test_dxtrade_cancel_sends_the_open_orders_etag(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    client.cancel_order(placed.client_order_id)
    lookup, cancel = sandbox.requests[-2:]
    assert lookup.method == "GET" and lookup.path.endswith("/orders")
    assert cancel.method == "DELETE" and cancel.headers["if-match"]
    assert cancel.path.endswith("/orders/" + placed.client_order_id)


def test_dxtrade_cancel_of_an_order_that_closed_meanwhile_is_rejected(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    body = {"errorCode": "1005", "description": "Reference order is closed"}
    sandbox.fault("/dxsca-web/accounts/*/orders/*", method="DELETE", status=409, json=body)
    with pytest.raises(brokers.OrderRejectedError) as info:
        client.cancel_order(placed.client_order_id)
    assert info.value.code == "1005"


def test_dxtrade_close_is_a_close_order_with_position_code(sandbox, dx):
    client = dx()
    (position,) = client.positions()
    client.close_position(position.id)
    body = sandbox.requests[-1].json
    assert (body["positionEffect"], body["positionCode"], body["side"]) == (
        "CLOSE",
        position.id,
        "SELL",
    )


def test_dxtrade_client_order_id_is_kept_and_found(dx):
    client = dx()
    result = client.place_order("EUR/USD", "BUY", "10000", client_order_id="my-order-1")
    assert result.client_order_id == "my-order-1"
    assert client.find_order("my-order-1").id == result.order_id
    # Sending the same client order id again (say, after OrderOutcomeUnknownError) places
    # nothing new: the client reports the order that has that id.
    again = client.place_order("EUR/USD", "BUY", "10000", client_order_id="my-order-1")
    assert again.already_placed and again.order_id == result.order_id
    assert len(client.positions()) == 2  # the seeded one and the one order


def test_matchtrade_close_sends_the_volume_as_a_string(sandbox, mt):
    client = mt()
    (position,) = client.positions()
    client.close_position(position.id)
    request = sandbox.requests[-1]
    assert request.path.endswith("/position/close")
    assert request.json["volume"] == str(position.quantity)
    assert request.json["orderSide"] == position.side


def test_matchtrade_falls_back_to_the_older_close_path(sandbox, mt):
    client = mt()
    (position,) = client.positions()
    sandbox.fault("/mtr-api/*/position/close", status=404, body="<html>Not found</html>")
    client.close_position(position.id)
    request = sandbox.requests[-1]
    assert request.path.endswith("/positions/close") and isinstance(request.json, list)
    assert client.positions() == []


def test_matchtrade_has_no_client_order_id(mt):
    with pytest.raises(brokers.ConfigurationError, match="no client order id"):
        mt().place_order("EURUSD.", "BUY", "0.10", client_order_id="x")


def test_matchtrade_partial_success_needs_reconciliation(sandbox, mt):
    sandbox.fault("/mtr-api/*/position/open", json={"status": "PARTIAL_SUCCESS", "orderId": "W1"})
    with pytest.raises(brokers.OrderOutcomeUnknownError, match="PARTIAL_SUCCESS"):
        mt().place_order("EURUSD.", "BUY", "0.10")


@pytest.mark.parametrize(
    "answer",
    [{"orderId": "W123"}, {"status": "OK", "errorCode": "UNKNOWN_ERROR", "orderId": "W123"}],
)
def test_matchtrade_success_variants(sandbox, mt, answer):
    sandbox.fault("/mtr-api/*/position/open", json=answer)
    assert mt().place_order("EURUSD.", "BUY", "0.10").order_id == "W123"


# ------------------------------------------- ambiguous answers after a lost one


def test_dxtrade_resend_refused_after_a_lost_answer_is_outcome_unknown(sandbox, dx):
    client = dx()
    client.login()
    orders = "/dxsca-web/accounts/*/orders"
    sandbox.fault(orders, method="POST", drop=True, after_execute=True)
    sandbox.fault(orders, method="POST", status=409, json={"errorCode": "29", "description": "No"})
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order("EUR/USD", "BUY", "10000")
    assert info.value.client_order_id  # what to look for: the first may well be placed
    assert client.find_order(info.value.client_order_id) is not None


def test_dxtrade_placed_order_whose_lookup_fails_is_still_placed(sandbox, dx):
    client = dx()
    client.login()
    sandbox.fault("/dxsca-web/accounts/*/orders", method="POST", drop=True, after_execute=True)
    sandbox.fault("/dxsca-web/accounts/*/orders/history", status=503, times=None)
    result = client.place_order("EUR/USD", "BUY", "10000")
    assert result.already_placed and result.client_order_id and result.order_id is None


def test_an_empty_2xx_answer_to_a_write_is_not_a_success(sandbox, venue):
    client = venue.make()
    before = client.positions()
    sandbox.fault(venue.write, method="POST", status=200, body="", after_execute=True)
    try:
        result = client.place_order(venue.symbol, "BUY", venue.quantity)
    except brokers.OrderOutcomeUnknownError:
        assert venue.name == "matchtrade"
    else:  # DXtrade resent with the same orderCode and learnt it was placed
        assert venue.name == "dxtrade" and result.already_placed
    assert len(new_positions(venue, before)) == 1


def test_matchtrade_204_to_a_cancel_is_a_success(sandbox, mt):
    sandbox.matchtrade.cancel_empty = True
    client = mt()
    placed = client.place_order("EURUSD.", "BUY", "0.10", type="LIMIT", price="1.01")
    assert client.cancel_order(placed.order_id).status == "OK"
    assert client.orders() == []


def test_closing_and_cancelling_with_the_objects_saves_the_lookup(sandbox, venue):
    client = venue.make()
    client.place_order(venue.symbol, "BUY", venue.quantity, type="LIMIT", price="1.01")
    (position,), (order,) = client.positions(), client.orders()
    sandbox.clear()
    client.close_position(position)
    client.cancel_order(order)
    assert client.positions() == [] and client.orders() == []
    reads = [r for r in sandbox.requests[:-2] if r.method == "GET"]
    # No positions list was read to find the position (DXtrade reads the open orders, whose
    # ETag the cancel must send as If-Match).
    assert [r.path.rsplit("/", 1)[-1] for r in reads] == (
        ["orders"] if venue.name == "dxtrade" else []
    )


# ------------------------------------------------ adversarial review regressions


def test_matchtrade_reconcile_sees_a_partial_close_that_happened(sandbox, mt):
    client = mt()
    (position,) = client.positions()
    sandbox.fault("/mtr-api/*/position/close-partially", drop=True, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.close_position(position, quantity="0.04")
    assert client.reconcile(info.value) is True  # it took effect: do not send it again


def test_matchtrade_reconcile_does_not_trust_our_clock(sandbox, mt):
    import time as _time

    client = mt(clock=lambda: _time.time() + 120)  # our clock two minutes fast
    sandbox.fault("/mtr-api/*/position/open", drop=True, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order("EURUSD.", "BUY", "0.20")
    found = client.reconcile(info.value)
    assert isinstance(found, brokers.Position) and found.quantity == Decimal("0.20")


def test_matchtrade_reconcile_never_takes_an_older_twin_for_the_lost_one(sandbox, mt):
    client = mt()
    client.place_order("EURUSD.", "BUY", "0.20")
    sandbox.fault("/mtr-api/*/position/open", drop=True)  # lost before it was executed
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order("EURUSD.", "BUY", "0.20")
    assert client.reconcile(info.value) is None  # the twin was there before: not it


def test_matchtrade_204_to_an_order_is_not_a_success(sandbox, mt):
    sandbox.fault("/mtr-api/*/position/open", status=204)
    with pytest.raises(brokers.OrderOutcomeUnknownError):
        mt().place_order("EURUSD.", "BUY", "0.10")


def test_matchtrade_partial_close_beyond_the_position_is_refused(mt):
    client = mt()
    (position,) = client.positions()
    with pytest.raises(brokers.ConfigurationError, match="exceeds"):
        client.close_position(position, quantity="5")


@pytest.mark.parametrize(
    "bad",
    [{"symbol": 42}, {"symbol": ""}, {"client_order_id": 7}],
)
def test_argument_types_are_checked_before_sending(sandbox, dx, bad):
    args = {"symbol": "EUR/USD", "side": "BUY", "quantity": "10000", **bad}
    with pytest.raises(brokers.ConfigurationError):
        dx().place_order(**args)
    assert sandbox.count("/dxsca-web/accounts/*/orders", method="POST") == 0


def test_reconcile_wants_an_outcome_unknown_error(dx, mt):
    for client in (dx(), mt()):
        with pytest.raises(brokers.ConfigurationError):
            client.reconcile(brokers.ServerError("x"))

"""DXtrade orders as the official specification defines them (issue 11).

Against the sandbox rewritten from the corrected sheet (``shared/reference/dxtrade-api.md``
§7.1 to §7.5): listed orders carry the client's code as ``clientOrderId`` and a different
system ``orderCode`` (``"<n>:<code>"``); groups are placed at ``POST /orders``; cancels name a
code, never the numeric ``orderId``; a full close omits its quantity; size limits are
Instrument Details, and ``lotSize`` is units per lot.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import brokers

ORDERS = "/dxsca-web/accounts/*/orders"


def test_listed_orders_carry_a_system_code_that_is_not_the_client_code(dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    (order,) = client.orders()
    assert order.client_order_id == placed.client_order_id
    assert order.raw["orderCode"] != placed.client_order_id  # the system's chain code
    assert order.raw["orderCode"].endswith(":" + placed.client_order_id)
    assert client.find_order(placed.client_order_id).id == placed.order_id


def test_a_lost_answer_then_a_duplicate_finds_the_order_placed_once(sandbox, dx):
    client = dx()
    sandbox.fault(ORDERS, method="POST", drop=True, after_execute=True)
    result = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    assert result.already_placed and result.order_id is not None  # found, not "unknown"
    assert len(client.orders()) == 1


def test_reconcile_says_placed_after_both_answers_were_lost(sandbox, dx):
    client = dx()
    sandbox.fault(ORDERS, method="POST", drop=True, after_execute=True)
    sandbox.fault(ORDERS, method="POST", drop=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    order = client.reconcile(info.value)
    assert order is not None and order.client_order_id == info.value.client_order_id
    assert len(client.orders()) == 1  # placed once; the user must not place it again


def test_protection_is_an_if_then_group_at_the_orders_resource(sandbox, dx):
    client = dx()
    client.place_order(
        "EUR/USD", "BUY", "10000", type="LIMIT", price="1.01", stop_loss="1.0", take_profit="1.2"
    )
    post = [r for r in sandbox.requests if r.method == "POST" and "orders" in r.path][-1]
    assert post.path.endswith("/orders") and post.json["contingencyType"] == "IF-THEN"
    (entry,) = [o for o in client.orders() if o.type == "LIMIT" and o.price == Decimal("1.01")]
    assert (entry.stop_loss, entry.take_profit) == (Decimal("1.0"), Decimal("1.2"))


def test_a_market_order_with_protection_protects_its_position(sandbox, dx):
    client = dx("1210003")  # a flat account
    client.place_order("EUR/USD", "BUY", "10000", stop_loss="1.05", take_profit="1.15")
    (position,) = client.positions()
    protective = {o.type: o for o in client.orders()}
    assert protective["STOP"].price == Decimal("1.05")
    assert protective["LIMIT"].price == Decimal("1.15")
    assert {o.raw["legs"][0]["positionCode"] for o in protective.values()} == {position.id}


def test_cancel_by_numeric_id_finds_the_code_and_returns_the_real_client_id(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    result = client.cancel_order(placed.order_id)
    assert result.client_order_id == placed.client_order_id
    assert result.order_id == placed.order_id
    delete = sandbox.requests[-1]
    assert delete.method == "DELETE" and not delete.path.endswith("/" + placed.order_id)
    assert client.orders() == []


def test_cancelling_a_protected_entry_cancels_its_group(sandbox, dx):
    client = dx()
    placed = client.place_order(
        "EUR/USD", "BUY", "10000", type="LIMIT", price="1.01", stop_loss="1.0", take_profit="1.2"
    )
    client.cancel_order(placed.client_order_id)
    delete = sandbox.requests[-1]
    assert delete.path.endswith("/orders/group")
    assert delete.query["contingency-type"] == "IF-THEN"
    assert delete.query["order-codes"].split(",")[0] == placed.client_order_id  # parent first
    assert client.orders() == []  # no protective order left working alone


def test_a_full_close_names_no_quantity_and_a_partial_one_does(sandbox, dx):
    client = dx()
    (position,) = client.positions()
    client.close_position(position, quantity="4")
    assert sandbox.requests[-1].json["quantity"] == 4
    (rest,) = client.positions()
    assert rest.quantity == position.quantity - 4
    result = client.close_position(rest)
    assert "quantity" not in sandbox.requests[-1].json
    assert result.position_id == position.id and client.positions() == []


def test_protective_orders_go_when_their_position_closes(dx):
    client = dx("1210003")
    client.place_order("EUR/USD", "BUY", "10000", stop_loss="1.05")
    (position,) = client.positions()
    client.close_position(position)
    assert client.orders() == []


def test_instruments_expose_the_lot_size_and_the_accounts_size_limits(dx):
    by_symbol = {i.symbol: i for i in dx().instruments()}
    eurusd = by_symbol["EUR/USD"]
    assert eurusd.lot_size == Decimal("100000")  # units in one lot, not a limit
    assert (eurusd.min_quantity, eurusd.quantity_step) == (Decimal("1000"), Decimal("1000"))
    assert eurusd.max_quantity is not None and eurusd.trading_status == "FULL"


def test_limits_the_platform_does_not_send_are_unknown(sandbox, dx):
    sandbox.fault("/dxsca-web/accounts/*/instruments/query", status=404)
    (eurusd,) = [i for i in dx().instruments() if i.symbol == "EUR/USD"]
    assert eurusd.lot_size == Decimal("100000")
    assert (eurusd.min_quantity, eurusd.quantity_step, eurusd.max_quantity) == (None, None, None)


def test_a_size_in_lots_is_refused_before_sending_and_says_units(sandbox, dx):
    client = dx()
    with pytest.raises(brokers.ConfigurationError, match="units, not lots"):
        client.place_order("EUR/USD", "BUY", "0.1")
    assert sandbox.count(ORDERS, method="POST") == 0
    client.place_order("EUR/USD", "BUY", "10000")  # the limits were read once, and kept
    assert sandbox.count("/dxsca-web/accounts/*/instruments/*") == 1


def test_without_known_limits_the_platform_decides(sandbox, dx):
    client = dx()
    sandbox.fault("/dxsca-web/accounts/*/instruments/*", status=404)
    with pytest.raises(brokers.OrderRejectedError):  # the platform's 409 pre-trade check
        client.place_order("EUR/USD", "BUY", "0.1")
    assert sandbox.count(ORDERS, method="POST") == 1


def test_reconcile_answers_a_cancel_whose_answer_was_lost(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    sandbox.fault("/dxsca-web/accounts/*/orders/*", method="DELETE", drop=True, after_execute=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.cancel_order(placed.client_order_id)
    assert client.reconcile(info.value) is True
    assert client.orders() == []


def test_reconcile_says_not_cancelled_when_the_cancel_never_arrived(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    sandbox.fault("/dxsca-web/accounts/*/orders/*", method="DELETE", drop=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.cancel_order(placed.client_order_id)
    assert client.reconcile(info.value) is False


def test_reconcile_answers_a_close_whose_answer_was_lost(sandbox, dx):
    client = dx()
    (position,) = client.positions()
    sandbox.fault(ORDERS, method="POST", drop=True, after_execute=True)
    sandbox.fault(ORDERS, method="POST", drop=True)
    with pytest.raises(brokers.OrderOutcomeUnknownError) as info:
        client.close_position(position)
    assert client.reconcile(info.value) is not None
    assert client.positions() == []


def test_an_empty_answer_where_the_etag_comes_from_is_read_again(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    sandbox.fault(ORDERS, method="GET", body="", content_type="application/json")
    client.cancel_order(placed.client_order_id)
    assert sandbox.requests[-1].headers["if-match"]
    assert client.orders() == []


def test_without_an_etag_nothing_is_sent(sandbox, dx):
    client = dx()
    placed = client.place_order("EUR/USD", "BUY", "10000", type="LIMIT", price="1.01")
    sandbox.fault(ORDERS, method="GET", body="", content_type="application/json", times=2)
    with pytest.raises(brokers.ResponseError, match="no ETag"):
        client.cancel_order(placed.client_order_id)
    assert sandbox.count("/dxsca-web/accounts/*/orders/*", method="DELETE") == 0
    assert len(client.orders()) == 1

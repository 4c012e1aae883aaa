"""Every write the library can leave unknown has a reconcile() that tells the truth.

Each kind of write (place, close, cancel, modify, protection) on DXtrade and Match-Trader meets
each way an answer gets lost (the connection dropped after the platform executed it, dropped
before it arrived, a 503 after execution). Whenever the library raises
``OrderOutcomeUnknownError``, ``reconcile(error)`` must answer (never "holds nothing to
reconcile") and its answer must match what the sandbox really holds.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import brokers

FAULTS = {
    "executed, then dropped": {"drop": True, "after_execute": True},
    "dropped before": {"drop": True},
    "executed, then 503": {"status": 503, "after_execute": True},
}

# platform -> (client factory name, symbol, quantity, price of a pending buy, write routes)
PLATFORMS = {
    "dxtrade": ("dx", "EUR/USD", "10000", "1.01", "/dxsca-web/accounts/*/orders*"),
    "matchtrade": ("mt", "EURUSD.", "0.10", "1.01", "/mtr-api/*/p*"),
}
# The HTTP method of each write on DXtrade (Match-Trader writes are all POSTs): only the write
# itself loses its answer, not the reads that come before it.
DX_METHODS = {"place": "POST", "close": "POST", "cancel": "DELETE", "modify": "PUT"}
DX_METHODS["protection"] = "POST"  # a take profit where there was none: a new CLOSE order


def _pending(client, symbol, quantity, price):
    return client.place_order(symbol, "BUY", quantity, type="LIMIT", price=price)


def _open_position(client):
    return next(iter(client.positions()))


def _writes(client, symbol, quantity, price):
    """name -> (prepare, write(prepared), effect(prepared) -> did it take effect?)."""
    return {
        "place": (
            lambda: None,
            lambda _: _pending(client, symbol, quantity, price),
            lambda _: any(o.price == Decimal(price) for o in client.orders()),
        ),
        "close": (
            lambda: _open_position(client),
            lambda p: client.close_position(p),
            lambda p: all(x.id != p.id for x in client.positions()),
        ),
        "cancel": (
            lambda: next(iter(client.orders())) if _pending(client, symbol, quantity, price) else 0,
            lambda o: client.cancel_order(o),
            lambda o: all(x.id != o.id for x in client.orders()),
        ),
        "modify": (
            lambda: next(iter(client.orders())) if _pending(client, symbol, quantity, price) else 0,
            lambda o: client.modify_order(o, price="1.005"),
            lambda o: any(x.price == Decimal("1.005") for x in client.orders()),
        ),
        "protection": (
            lambda: _open_position(client),
            lambda p: client.set_protection(p, take_profit=p.open_price * 2),
            lambda p: any(x.take_profit for x in client.positions() if x.id == p.id),
        ),
    }


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("write", ["place", "close", "cancel", "modify", "protection"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_reconcile_answers_every_lost_write_truthfully(request, sandbox, platform, write, fault):
    factory, symbol, quantity, price, routes = PLATFORMS[platform]
    client = request.getfixturevalue(factory)()
    prepare, send, took_effect = _writes(client, symbol, quantity, price)[write]
    prepared = prepare()
    method = DX_METHODS[write] if platform == "dxtrade" else "POST"
    sandbox.fault(routes, method=method, **FAULTS[fault])
    try:
        send(prepared)
    except brokers.OrderOutcomeUnknownError as error:
        answer = client.reconcile(error)  # must answer for every kind of write
        sandbox.clear_faults()
        assert bool(answer) == took_effect(prepared), (answer, fault)
    else:
        # The library settled it itself (DXtrade resends a lost placement with the same
        # code, which the platform deduplicates): the write took effect exactly once.
        sandbox.clear_faults()
        assert took_effect(prepared)
        if write == "place":
            assert sum(o.price == Decimal(price) for o in client.orders()) == 1

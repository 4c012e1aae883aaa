"""Guarantees the lean warm-read path keeps: parse errors carry the request they came from,
money stays exact Decimal whatever form the wire gives it."""

from __future__ import annotations

from decimal import Decimal

import pytest

import brokers
from brokers.parsing import decode_json, money, text

READS = {"dxtrade": "/dxsca-web/accounts/*/metrics", "matchtrade": "/mtr-api/*/balance"}
BAD = {"dxtrade": {"metrics": [{"account": "x", "balance": "lots"}]}, "matchtrade": {"equity": 1}}


@pytest.mark.parametrize("platform", ["dxtrade", "matchtrade"])
def test_a_bad_answer_names_the_request_it_came_from(sandbox, dx, mt, platform):
    client = dx() if platform == "dxtrade" else mt()
    client.get_balance()
    sandbox.fault(READS[platform], status=200, json=BAD[platform])
    with pytest.raises(brokers.ResponseError) as caught:
        client.get_balance()
    error = caught.value
    assert (error.broker, error.method) == (platform, "GET")
    assert error.path.endswith("/metrics" if platform == "dxtrade" else "/balance")


def test_money_takes_every_wire_form_exactly():
    payload = decode_json(b'{"a": 1.10, "b": "2.50", "c": 3, "d": "+INF", "e": null, "f": 0.1}')
    assert money(payload, "a") == Decimal("1.10") and str(money(payload, "a")) == "1.10"
    assert money(payload, "b") == Decimal("2.50")
    assert money(payload, "c") == Decimal(3) and isinstance(money(payload, "c"), Decimal)
    assert money(payload, "d") == Decimal("Infinity")
    assert money(payload, "e") is None and money(payload, "missing") is None
    assert money(payload, "e", "f") == Decimal("0.1")  # the first one present
    nan = decode_json(b'{"x": NaN}')
    with pytest.raises(brokers.ResponseError):
        money(nan, "x")
    with pytest.raises(brokers.ResponseError):
        money({"x": True}, "x")


def test_text_keeps_strings_and_refuses_structures():
    assert text("abc") == "abc" and text(12) == "12" and text(Decimal("1.5")) == "1.5"
    assert text(None) is None and text({"a": 1}) is None and text([1]) is None
    assert text(True) is None

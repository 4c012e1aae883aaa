"""Checks of the caller's arguments shared by the platforms, done before anything is sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .exceptions import ConfigurationError, ResponseError
from .parsing import to_decimal

SIDES = {"BUY": "BUY", "SELL": "SELL", "LONG": "BUY", "SHORT": "SELL"}
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")


def side(value: str) -> str:
    """``"BUY"`` or ``"SELL"`` from any spelling (``buy``, ``Sell``, ``long``, ``short``)."""
    found = SIDES.get(str(value).strip().upper())
    if found is None:
        raise ConfigurationError(f"side {value!r} is not BUY or SELL")
    return found


def opposite(value: str) -> str:
    return "SELL" if side(value) == "BUY" else "BUY"


def order_type(value: str) -> str:
    found = str(value).strip().upper()
    if found not in ORDER_TYPES:
        raise ConfigurationError(f"order type {value!r} is not one of {', '.join(ORDER_TYPES)}")
    return found


def amount(value: Any, name: str, *, required: bool = True) -> Decimal | None:
    """A positive ``Decimal`` from an int, str or Decimal (floats are refused: they round)."""
    if value is None:
        if required:
            raise ConfigurationError(f"{name} is required")
        return None
    if isinstance(value, float):
        raise ConfigurationError(f"{name} must be a Decimal, int or str, not a float: {value!r}")
    try:
        number = to_decimal(value, name)
    except ResponseError as exc:  # the wire parser's complaint means bad input here
        raise ConfigurationError(f"{name} {value!r} is not a number") from exc
    if not number.is_finite() or number <= 0:
        raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
    return number


def symbol(value: Any) -> str:
    """A symbol as the platform spells it (a non-empty string)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"symbol must be a non-empty string, not {value!r}")
    return value.strip()


def client_order_id(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(f"client_order_id must be a non-empty string, not {value!r}")
    return value


def seconds(value: Any, name: str) -> float:
    """A positive, finite number of seconds (an option such as ``idle_timeout``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e9:
        raise ConfigurationError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def check_price(kind: str, price: Any) -> Decimal | None:
    """The limit/stop price: required for LIMIT and STOP, refused for MARKET."""
    if kind == "MARKET":
        if price is not None:
            raise ConfigurationError("a MARKET order takes no price (use type='LIMIT' or 'STOP')")
        return None
    return amount(price, f"price of a {kind} order")


def new_client_order_id() -> str:
    """A unique client order id: short, from the safe character set."""
    import uuid  # here, not at the top: it costs start-up time for every cron run

    return f"brokers-{uuid.uuid4().hex[:24]}"

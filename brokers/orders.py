"""Checks of the caller's arguments shared by the platforms, done before anything is sent."""

from __future__ import annotations

from datetime import date, datetime, timezone
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


class _Unset:
    """The default of an argument left out: "keep as it is" (``None`` means "remove")."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


def protection(value: Any, name: str) -> Decimal | _Unset | None:
    """A stop-loss or take-profit argument: ``UNSET`` (keep), ``None`` (remove) or a price."""
    if value is UNSET or value is None:
        return value
    return amount(value, name)


def check_protection_sides(
    order_side: str, reference: Decimal | None, stop_loss: Any, take_profit: Any
) -> None:
    """A stop loss below and a take profit above a buy's ``reference`` price (mirrored for a
    sell); nothing to check where the reference price is unknown."""
    if reference is None:
        return
    buy = side(order_side) == "BUY"
    if isinstance(stop_loss, Decimal) and (
        stop_loss >= reference if buy else stop_loss <= reference
    ):
        raise ConfigurationError(
            f"stop_loss {stop_loss} is on the wrong side of {reference} for a "
            f"{'BUY' if buy else 'SELL'}: it must be {'below' if buy else 'above'} it"
        )
    if isinstance(take_profit, Decimal) and (
        take_profit <= reference if buy else take_profit >= reference
    ):
        raise ConfigurationError(
            f"take_profit {take_profit} is on the wrong side of {reference} for a "
            f"{'BUY' if buy else 'SELL'}: it must be {'above' if buy else 'below'} it"
        )


def utc_time(value: Any, name: str) -> datetime:
    """An aware UTC datetime from a ``datetime``, a ``date`` or an ISO 8601 string.

    A ``date`` or a bare ``"2026-11-01"`` means midnight UTC. A naive ``datetime`` (or a
    string with a time but no offset) is refused: taken as local or as UTC it would silently
    shift the range by hours, so say which (``tzinfo=timezone.utc``).
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigurationError(
                f"{name} {value!r} is not an ISO 8601 date or time, like 2026-11-01 or "
                "2026-11-01T08:00:00Z"
            ) from None
        if parsed.tzinfo is None and len(text) <= 10:  # a date alone: midnight UTC
            parsed = parsed.replace(tzinfo=timezone.utc)
        value = parsed
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if not isinstance(value, datetime):
        raise ConfigurationError(
            f"{name} must be a datetime, a date or an ISO string, not {value!r}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(
            f"{name} {value.isoformat()} has no time zone",
            hint="pass an aware datetime, e.g. datetime(2026, 11, 1, tzinfo=timezone.utc)",
        )
    return value.astimezone(timezone.utc)


def time_range(since: Any, until: Any, now: datetime) -> tuple[datetime, datetime]:
    """``(since, until)`` as UTC datetimes; ``until`` defaults to ``now``; since <= until."""
    start = utc_time(since, "since")
    end = now if until is None else utc_time(until, "until")
    if start > end:
        raise ConfigurationError(f"since {start.isoformat()} is after until {end.isoformat()}")
    return start, end


def count(value: Any, name: str = "count") -> int | None:
    """A positive whole number, or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive whole number, not {value!r}")
    return value

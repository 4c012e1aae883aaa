"""The unified models every platform's answers are turned into.

Money is ``Decimal``; a figure the platform did not send is ``None`` (unknown), never 0.
``raw`` keeps the platform's own payload, left out of ``repr()`` and equality.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Model:
    """Shared ``to_dict()`` and notebook rendering for the dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the public fields (decimals as strings, no ``raw``)."""
        public = (f.name for f in fields(self) if f.name != "raw")  # type: ignore[arg-type]
        return {name: _json_safe(getattr(self, name)) for name in public}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape('' if v is None else str(v))}</td></tr>"
            for k, v in self.to_dict().items()
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


@dataclass(frozen=True)
class Account(_Model):
    """A trading account the login can use.

    ``id`` is what ``account=`` takes: DXtrade's account code (``default:1210001``) or
    Match-Trader's ``tradingAccountId``.
    """

    broker: str
    id: str
    currency: str | None = None
    status: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Balance(_Model):
    """An account's money, in the account currency.

    >>> b = client.get_balance()
    >>> b.balance, b.equity, b.available   # Decimal('100000.00') ...

    ``available`` is what can be used for new trades (DXtrade ``availableFunds``,
    Match-Trader ``freeMargin``), ``margin`` the margin in use, ``profit`` the open P/L.
    """

    broker: str
    account: str
    currency: str | None
    balance: Decimal
    equity: Decimal | None = None
    available: Decimal | None = None
    margin: Decimal | None = None
    profit: Decimal | None = None
    credit: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Position(_Model):
    """An open position. ``quantity`` is in the platform's native unit (DXtrade units,
    Match-Trader lots) and always positive; ``side`` says the direction."""

    broker: str
    account: str
    id: str
    symbol: str
    side: str
    quantity: Decimal
    open_price: Decimal | None = None
    profit: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    open_time: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Order(_Model):
    """An open (pending or working) order. ``client_order_id`` is DXtrade's ``orderCode``."""

    broker: str
    account: str
    id: str
    symbol: str
    side: str | None
    quantity: Decimal | None
    type: str | None = None
    price: Decimal | None = None
    status: str | None = None
    client_order_id: str | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class OrderResult(_Model):
    """What the platform answered to a placement, close or cancel.

    ``already_placed`` is true when a resend after a lost answer found the order already
    placed (DXtrade deduplicates on ``client_order_id``): it was placed exactly once.
    """

    broker: str
    account: str
    order_id: str | None
    client_order_id: str | None = None
    status: str | None = None
    already_placed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Instrument(_Model):
    """A tradable symbol, spelled exactly as the platform wants it in orders."""

    broker: str
    symbol: str
    description: str | None = None
    type: str | None = None
    currency: str | None = None
    min_quantity: Decimal | None = None
    quantity_step: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

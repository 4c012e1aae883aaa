"""The unified models every platform's answers are turned into.

Money is ``Decimal``; a figure the platform did not send is ``None`` (unknown), never 0.
``raw`` keeps the platform's own payload, left out of ``repr()`` and equality.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    """A value as a table shows it: times in UTC to the second, nothing for ``None``."""
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return html.escape("" if value is None else str(value))


class _Model:
    """Shared ``to_dict()`` and notebook rendering for the dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the public fields (decimals as strings, no ``raw``)."""
        return {name: _json_safe(value) for name, value in self.values().items()}

    def values(self) -> dict[str, Any]:
        """The public fields with their exact values (``Decimal``, ``datetime``), no ``raw``."""
        public = (f.name for f in fields(self) if f.name != "raw")  # type: ignore[arg-type]
        return {name: getattr(self, name) for name in public}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{_cell(v)}</td></tr>"
            for k, v in self.values().items()
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


ModelT = TypeVar("ModelT", bound=_Model)


class Records(list[ModelT]):
    """A list of models that also renders as a table in Jupyter.

    It stays a plain ``list`` for code (indexing, ``len``, ``==`` with a list) and adds::

        >>> trades = client.history(since="2026-11-01")
        >>> trades.rows()          # one dict per item: exact Decimal and datetime values
        >>> trades.dataframe()     # a pandas DataFrame, numbers as float (pandas needed)
    """

    def __getitem__(self, index: Any) -> Any:  # a slice stays a table
        found = super().__getitem__(index)
        return Records(found) if isinstance(index, slice) else found

    def rows(self) -> list[dict[str, Any]]:
        """One dict per item with exact values: ``pandas.DataFrame(records.rows())``."""
        return [item.values() for item in self]

    def dataframe(self) -> Any:
        """A ``pandas.DataFrame`` with decimal columns as ``float`` (for charts and maths)."""
        try:
            import pandas
        except ImportError:  # an optional extra: the library never needs pandas itself
            from .exceptions import ConfigurationError

            raise ConfigurationError(
                "dataframe() needs pandas", hint="pip install pandas, or use rows()"
            ) from None
        frame = pandas.DataFrame(self.rows())
        for column in frame.columns:
            if any(isinstance(v, Decimal) for v in frame[column]):
                frame[column] = frame[column].map(lambda v: None if v is None else float(v))
        return frame

    def _repr_html_(self) -> str:
        if not self:
            return "<p><em>no items</em></p>"
        items = [item.values() for item in self]
        columns = list(items[0])
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>"
            for row in items
        )
        caption = f"{len(self)} {type(self[0]).__name__}{'s' if len(self) > 1 else ''}"
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"


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
    """An order: open (pending or working) from :meth:`orders`, or final from
    :meth:`order_history`.

    ``client_order_id`` is the code the order was placed with (DXtrade ``clientOrderId``,
    TradeLocker ``strategyId``, ProjectX ``customTag``); ``stop_loss`` and ``take_profit`` are
    the prices of its protection, where it has any. ``time`` is when it was placed and
    ``closed_time`` when it reached its final state (history only).
    """

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
    filled_quantity: Decimal | None = None
    average_price: Decimal | None = None
    time: datetime | None = None
    closed_time: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class OrderResult(_Model):
    """What the platform answered to a placement, close or cancel.

    ``already_placed`` is true when a resend after a lost answer found the order already
    placed (DXtrade deduplicates on ``client_order_id``): it was placed exactly once.
    ``position_id`` is the position the order opened, closed or protects, where known.
    """

    broker: str
    account: str
    order_id: str | None
    client_order_id: str | None = None
    status: str | None = None
    already_placed: bool = False
    position_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Instrument(_Model):
    """A tradable symbol, spelled exactly as the platform wants it in orders.

    ``min_quantity``, ``max_quantity`` and ``quantity_step`` are the order size limits in
    the platform's quantity unit (DXtrade units, the others lots or contracts), ``None``
    where the platform does not say. ``lot_size`` is the number of units in one lot
    (100000 for FX on DXtrade), ``contract_size`` the units in one contract or lot where the
    platform names it so; ``tick_size`` the price step and ``tick_value`` what one tick is
    worth per unit of quantity. ``id`` is the platform's own instrument id where it has one
    besides the symbol (TradeLocker ``tradableInstrumentId``, ProjectX contract id).
    """

    broker: str
    symbol: str
    description: str | None = None
    type: str | None = None
    currency: str | None = None
    min_quantity: Decimal | None = None
    quantity_step: Decimal | None = None
    max_quantity: Decimal | None = None
    lot_size: Decimal | None = None
    contract_size: Decimal | None = None
    tick_size: Decimal | None = None
    tick_value: Decimal | None = None
    trading_status: str | None = None
    id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Trade(_Model):
    """A closed trade (a position, or the part of one, that was closed), from :meth:`history`.

    ``profit`` is the realised profit as the platform books it, in the account currency;
    ``net_profit`` is after ``commission`` and ``swap`` where the platform says (``None``
    where it does not). ``side`` is the side of the opening order.
    """

    broker: str
    account: str
    id: str
    symbol: str
    side: str | None
    quantity: Decimal | None
    open_time: datetime | None = None
    close_time: datetime | None = None
    open_price: Decimal | None = None
    close_price: Decimal | None = None
    profit: Decimal | None = None
    commission: Decimal | None = None
    swap: Decimal | None = None
    net_profit: Decimal | None = None
    currency: str | None = None
    position_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Quote(_Model):
    """The best bid and ask of a symbol at ``time`` (UTC); ``spread`` is ``ask - bid``."""

    broker: str
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    time: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def spread(self) -> Decimal | None:
        return None if self.bid is None or self.ask is None else self.ask - self.bid

    def values(self) -> dict[str, Any]:
        return {**super().values(), "spread": self.spread}


@dataclass(frozen=True)
class Candle(_Model):
    """One bar of a symbol's prices: ``time`` is the start of its period (UTC)."""

    broker: str
    symbol: str
    timeframe: str
    time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

"""The unified models every platform's answers are turned into.

Money is ``Decimal``; a figure the platform did not send is ``None`` (unknown), never 0.
``raw`` keeps the platform's own payload, left out of ``repr()`` and equality.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


class _Model:
    """Shared ``to_dict()`` and notebook rendering for the dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the public fields (decimals as strings, no ``raw``)."""
        return {f.name: _json_safe(getattr(self, f.name)) for f in fields(self) if f.name != "raw"}

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

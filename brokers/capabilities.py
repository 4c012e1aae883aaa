"""What each platform can do, in code (the idea of ccxt's ``has``).

Every client class has ``capabilities``: a mapping from the operation names below to
``False`` (the platform lacks it: the call raises :class:`~brokers.ConfigurationError`
naming it) or a few words saying how the platform does it (truthy)::

    >>> brokers.DXTrade.capabilities["client_order_id"]
    'resent safely: the platform refuses a duplicate code'
    >>> print(brokers.capabilities.table())      # the table the README shows
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# operation -> what it means; the order is the table's
OPERATIONS: dict[str, str] = {
    "balance": "get_balance() / get_balances()",
    "positions": "positions()",
    "orders": "orders()",
    "instruments": "instruments()",
    "place_order": "place_order(): MARKET, LIMIT, STOP, with stop loss / take profit",
    "client_order_id": "what makes a lost placement answer safe",
    "close_position": "close_position(), whole or partial",
    "cancel_order": "cancel_order()",
    "modify_order": "modify_order(): a pending order's price, size, protection",
    "set_protection": "set_protection(): a position's stop loss / take profit",
    "history": "history(): closed trades",
    "order_history": "order_history(): orders in final states",
    "quotes": "quote() / quotes()",
    "candles": "candles()",
}


def cell(value: bool | str) -> str:
    if value is True:
        return "yes"
    return value or "no"


def table(classes: Iterable[type] | None = None) -> str:
    """A Markdown table of ``capabilities`` for the given client classes (default: all)."""
    if classes is None:
        from .factory import platform_classes

        classes = platform_classes()
    classes = list(classes)
    head = "| operation | " + " | ".join(c.__name__ for c in classes) + " |"
    rule = "|---|" + "---|" * len(classes)
    rows = [
        f"| `{name}` | " + " | ".join(cell(c.capabilities.get(name, False)) for c in classes) + " |"
        for name in OPERATIONS
    ]
    return "\n".join([head, rule, *rows])


def check(capabilities: Mapping[str, bool | str]) -> None:
    """Refuse names that are not operations (a typo would hide a capability)."""
    unknown = set(capabilities) - set(OPERATIONS)
    if unknown:
        raise ValueError(f"unknown capability names: {', '.join(sorted(unknown))}")

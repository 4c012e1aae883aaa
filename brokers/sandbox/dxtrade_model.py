"""DXtrade emulator model: errors, accounts, positions, orders, executions, cash, time helpers.

Plain data shared by the DXtrade route modules (``dxtrade*.py``); nothing here answers HTTP.
Section numbers (§) refer to ``shared/reference/dxtrade-api.md``.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")
CENT = Decimal("0.01")
FINAL_STATUSES = ("COMPLETED", "CANCELED", "REJECTED", "EXPIRED")  # §7.1 status enum
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")  # §7.1 (XT's STOP_LIMIT/TRAILING_STOP not served)
TIFS = ("DAY", "GTC", "IOC", "FOK", "GTD")  # §7.2
CONTINGENCIES = ("IF-THEN", "OCO")  # §7.2 groups
_CODE_RE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,64}$")  # §10: ≤64 chars from a safe set


class DXError(Exception):
    """A DXtrade error answer (§8): HTTP status, errorCode and description."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description


def not_found() -> DXError:
    """§8: 404/2 — missing or not permitted."""
    return DXError(404, "2", "Entity not found at server")


def bad_request(detail: str) -> DXError:
    """§8: 400/33 "Incorrect request (<details>)" — malformed order."""
    return DXError(400, "33", f"Incorrect request ({detail})")


def bad_param(name: str) -> DXError:
    """§8: 400/32 "Incorrect request parameters (<param>)"."""
    return DXError(400, "32", f"Incorrect request parameters ({name})")


def valid_client_code(code: str) -> bool:
    """§10: an ``orderCode`` is unique per account, ≤64 chars from a safe set (else 400/101)."""
    return bool(_CODE_RE.match(code))


@dataclass
class Session:
    username: str
    last_used: float


@dataclass
class CashTx:
    """§7.6 Cash Transaction."""

    code: int
    type: str
    value: Decimal
    currency: str
    time: float
    version: int
    order: Order | None = None
    trade_code: str | None = None
    position_code: str | None = None


@dataclass
class Transfer:
    """§7.6 Cash Transfer: ``code`` is ``None`` when the transfer comes from a trade."""

    code: str | None
    comment: str | None
    time: float
    version: int
    cash: list[CashTx] = field(default_factory=list)


@dataclass
class AccountEvent:
    """§7.6 account event; ``time`` is kept for the time filters but never sent (no timestamp)."""

    type: str
    threshold: Decimal
    actual: Decimal
    time: float


@dataclass
class Execution:
    """§7.6 Execution: one report of an order (placement, replace, cancel or fill)."""

    code: str
    status: str
    filled: Decimal
    remaining: Decimal
    last_quantity: Decimal
    time: float
    update_order_id: int
    version: int
    last_price: Decimal | None = None
    average_price: Decimal | None = None


@dataclass
class Position:
    account: str
    code: str
    symbol: str
    side: str
    quantity: Decimal
    open_price: Decimal
    margin: Decimal
    margin_rate: Decimal
    open_time: float
    update_time: float
    version: int = 1

    @property
    def sign(self) -> int:
        return 1 if self.side == "BUY" else -1


@dataclass
class Order:
    """One order chain. ``client_code`` is the ``orderCode`` the client sent (the Order's
    ``clientOrderId``); ``system_code`` is the server's chain code (the Order's ``orderCode``)."""

    account: str
    order_id: int
    client_code: str
    system_code: str
    type: str
    instrument: str
    side: str
    tif: str
    position_effect: str
    quantity: Decimal | None
    issue_time: float
    transaction_time: float
    status: str = "WORKING"
    version: int = 1
    update_order_id: int = 0
    position_code: str | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    expire_date: str | None = None
    filled: Decimal = ZERO
    average_price: Decimal | None = None
    final_time: float | None = None
    contingency: str | None = None  # "IF-THEN" | "OCO" while the order belongs to a group
    group: int | None = None
    parent: str | None = None  # client code of the IF-THEN parent (children only)
    executions: list[Execution] = field(default_factory=list)
    cash: list[CashTx] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def active(self) -> bool:
        return not self.final

    @property
    def price(self) -> Decimal | None:
        return self.limit_price if self.type == "LIMIT" else self.stop_price

    @property
    def etag(self) -> str:
        return f'"{self.order_id}.{self.version}"'


@dataclass
class Account:
    code: str
    owner: str
    currency: str
    balance: Decimal
    credit: Decimal
    available_adjust: Decimal
    version: int = 40
    positions: dict[str, Position] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    events: list[AccountEvent] = field(default_factory=list)

    @property
    def margin(self) -> Decimal:
        return sum((p.margin for p in self.positions.values()), ZERO)

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders if o.active]

    def by_client_code(self, code: str) -> Order | None:
        return next((o for o in self.orders if o.client_code == code), None)


# --------------------------------------------------------------------------- helpers


def etag_of(parts: list[str]) -> str:
    digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]
    return f'"{digest}"'


def iso(epoch: float, millis: bool = True) -> str:
    """§10: RFC 3339 UTC, with millis (``...00.000Z``) or whole seconds (``...00Z``)."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{base}.{round(epoch * 1000) % 1000:03d}Z" if millis else base + "Z"


_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(text: str, name: str) -> float:
    """Parse an RFC 3339 timestamp of a query or body (§10; UTC when no zone): 400/32 if bad."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise bad_param(name)
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        raise bad_param(name) from None
    fraction = float(match.group(7)) if match.group(7) else 0.0
    zone = match.group(8) or "Z"
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        epoch -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return epoch + fraction


def csv(value: Any) -> list[str]:
    """A comma-separated query value (OR-ed, §7.6) as a list of stripped items."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]

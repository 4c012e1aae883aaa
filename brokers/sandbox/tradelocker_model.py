"""TradeLocker emulator: the wire layouts of ``/trade/config`` and the in-memory records.

Column orders, account-detail descriptions and rate limits are the defaults of the one captured
real config (``tradelocker-api.md`` §5, §6, §12): an emulator default, not a contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .tradelocker_seed import TL_INSTRUMENTS, TL_LEVERAGE, InstrumentSeed

ZERO = Decimal("0")
CENT = Decimal("0.01")
T0_MS = 1767348000000  # 2026-01-02T10:00:00Z: when seeded positions and orders were opened
FIRST_ID = 7349874591873860000  # ids beyond 2**53 (§5: 64-bit ids, never floats)
EXTRA_COLUMN = "sandboxExtra"  # the unknown column of the shuffled layout (§17.5)

# §5: positionsConfig (side before qty).
POSITION_COLUMNS = (
    "id",
    "tradableInstrumentId",
    "routeId",
    "side",
    "qty",
    "avgPrice",
    "stopLossId",
    "takeProfitId",
    "openDate",
    "unrealizedPl",
    "strategyId",
)
# §5: ordersConfig = ordersHistoryConfig (qty before side).
ORDER_COLUMNS = (
    "id",
    "tradableInstrumentId",
    "routeId",
    "qty",
    "side",
    "type",
    "status",
    "filledQty",
    "avgPrice",
    "price",
    "stopPrice",
    "validity",
    "expireDate",
    "createdDate",
    "lastModified",
    "isOpen",
    "positionId",
    "stopLoss",
    "stopLossType",
    "takeProfit",
    "takeProfitType",
    "strategyId",
)
# §5: filledOrdersConfig.
EXECUTION_COLUMNS = (
    "id",
    "price",
    "side",
    "createdDate",
    "qty",
    "orderId",
    "positionId",
    "tradableInstrumentId",
)
# §6: accountDetailsConfig, 26 columns with their descriptions.
STATE_COLUMNS = (
    ("balance", "Balance"),
    ("projectedBalance", "Balance plus all accrued, unrealised profit and loss"),
    ("availableFunds", "Funds available for trading"),
    ("blockedBalance", "Balance blocked for withdrawal or transfer"),
    ("cashBalance", "Cash including unsettled profit and loss"),
    ("unsettledCash", "Not yet settled operations"),
    ("withdrawalAvailable", "Available for withdrawal"),
    ("stocksValue", "Value of stock-prepaid positions"),
    ("optionValue", "Option value"),
    ("initialMarginReq", "Initial margin blocked for positions and orders"),
    ("maintMarginReq", "Maintenance margin in use"),
    ("marginWarningLevel", "Maintenance margin level"),
    ("blockedForStocks", "Funds debited for stock-prepaid trades"),
    ("stockOrdersReq", "Margin blocked for stock orders"),
    ("stopOutLevel", "Stop-out level"),
    ("warningMarginReq", "Warning margin requirement"),
    ("marginBeforeWarning", "Margin available before warning"),
    ("todayGross", "Today's gross profit"),
    ("todayNet", "Today's realised profit and loss"),
    ("todayFees", "Today's fees"),
    ("todayVolume", "Today's traded volume"),
    ("todayTradesCount", "Today's trades"),
    ("openGrossPnL", "Gross profit and loss of open positions"),
    ("openNetPnL", "Net profit and loss of open positions"),
    ("positionsCount", "Open positions"),
    ("ordersCount", "Pending orders"),
)
# config key -> (id, title, columns)
CONFIGS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "positionsConfig": ("positions", "Positions", POSITION_COLUMNS),
    "ordersConfig": ("orders", "Orders", ORDER_COLUMNS),
    "ordersHistoryConfig": ("ordersHistory", "Orders History", ORDER_COLUMNS),
    "filledOrdersConfig": ("filledOrders", "Filled Orders", EXECUTION_COLUMNS),
    "accountDetailsConfig": (
        "accountDetails",
        "Account Details",
        tuple(name for name, _ in STATE_COLUMNS),
    ),
}
STATE_DESCRIPTIONS = dict(STATE_COLUMNS)

# §12: route -> (limit, intervalNum, measure).
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int, str]] = {
    "GET_ACCOUNTS": (2, 1, "SECONDS"),
    "GET_EXECUTIONS": (2, 1, "SECONDS"),
    "GET_INSTRUMENTS": (2, 1, "SECONDS"),
    "GET_ORDERS": (1, 1, "SECONDS"),
    "GET_ORDERS_HISTORY": (1, 1, "SECONDS"),
    "GET_POSITIONS": (1, 1, "SECONDS"),
    "GET_ACCOUNTS_STATE": (4, 2, "SECONDS"),
    "GET_INSTRUMENT_DETAILS": (2, 1, "SECONDS"),
    "GET_TRADE_SESSIONS": (2, 1, "SECONDS"),
    "PLACE_ORDER": (5, 1, "SECONDS"),
    "MODIFY_ORDER": (5, 1, "SECONDS"),
    "MODIFY_POSITION": (5, 1, "SECONDS"),
    "DAILY_BAR": (5, 1, "SECONDS"),
    "QUOTES": (10, 1, "SECONDS"),
    "DEPTH": (10, 1, "SECONDS"),
    "TRADES": (5, 1, "SECONDS"),
    "QUOTES_HISTORY": (60, 1, "MINUTES"),
    "GET_SESSION_STATUSES": (2, 1, "SECONDS"),
}
# §12: d.limits.
DEFAULT_LIMITS = {"QUOTES_HISTORY_BARS": 50000, "MAX_ORDERS_COUNT_IN_HISTORY": 10000}
# §9: bar resolutions (minutes lower-case, months upper-case); value = seconds per bar.
RESOLUTIONS = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1H": 3600,
    "4H": 14400,
    "1D": 86400,
    "1W": 604800,
    "1M": 2592000,  # 30 days: the sandbox's month
}
_UNIT_SECONDS = {"m": 60, "H": 3600, "D": 86400, "W": 604800, "M": 2592000}


def resolution_seconds(text: str, strict: bool) -> int | None:
    """Seconds per bar for a resolution like ``15m``; ``None`` when it is not one.

    Strict: only the documented list. Lenient: any ``<n><unit>``, so ``15M`` is fifteen months
    (the trap of §6 lessons: it is not an error, just not what a user meant)."""
    if strict or text in RESOLUTIONS:
        return RESOLUTIONS.get(text)
    number, unit = text[:-1], text[-1:]
    if not number.isdigit() or unit not in _UNIT_SECONDS or int(number) < 1:
        return None
    return int(number) * _UNIT_SECONDS[unit]


class TLError(Exception):
    """An error answer ``{"s": "error", "errmsg": ...}`` with an HTTP status (200 for
    business rejections, §13)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def rejected(message: str) -> TLError:
    """A business rejection: HTTP 200 ``s: "error"`` (§10.1, §13)."""
    return TLError(200, message)


def instrument(tid: int) -> InstrumentSeed:
    return TL_INSTRUMENTS[tid]


@dataclass
class Position:
    id: int
    tid: int
    side: str
    qty: Decimal
    avg_price: Decimal
    open_ms: int
    strategy_id: str | None = None
    stop_loss_id: int | None = None
    take_profit_id: int | None = None

    @property
    def sign(self) -> int:
        return 1 if self.side == "buy" else -1

    @property
    def mark(self) -> Decimal:
        seed = instrument(self.tid)
        return seed.bid if self.side == "buy" else seed.ask

    def pnl(self, qty: Decimal | None = None) -> Decimal:
        lots = self.qty if qty is None else qty
        move = (self.mark - self.avg_price) * self.sign
        return (move * lots * instrument(self.tid).lot_size).quantize(CENT)

    @property
    def margin(self) -> Decimal:
        notional = self.qty * instrument(self.tid).lot_size * self.avg_price
        return (notional / TL_LEVERAGE).quantize(CENT)


@dataclass
class Order:
    id: int
    tid: int
    side: str
    qty: Decimal
    type: str
    validity: str
    created_ms: int
    status: str = "New"
    price: Decimal | None = None
    stop_price: Decimal | None = None
    filled_qty: Decimal = ZERO
    avg_price: Decimal | None = None
    modified_ms: int = 0
    is_open: bool = True  # False for orders that close (part of) a position
    position_id: int | None = None
    stop_loss: Decimal | None = None
    stop_loss_type: str | None = None
    take_profit: Decimal | None = None
    take_profit_type: str | None = None
    strategy_id: str | None = None
    expire_ms: int | None = None
    fill_at: float | None = None  # monotonic time a delayed market order fills

    def record(self, route_id: int) -> dict[str, object]:
        """This order by the §5 column names (values still Python objects)."""
        return {
            "id": self.id,
            "tradableInstrumentId": self.tid,
            "routeId": route_id,
            "qty": self.qty,
            "side": self.side,
            "type": self.type,
            "status": self.status,
            "filledQty": self.filled_qty,
            "avgPrice": self.avg_price if self.avg_price is not None else ZERO,
            "price": self.price,
            "stopPrice": self.stop_price,
            "validity": self.validity,
            "expireDate": self.expire_ms,
            "createdDate": self.created_ms,
            "lastModified": self.modified_ms or self.created_ms,
            "isOpen": self.is_open,
            "positionId": self.position_id,
            "stopLoss": self.stop_loss,
            "stopLossType": self.stop_loss_type,
            "takeProfit": self.take_profit,
            "takeProfitType": self.take_profit_type,
            "strategyId": self.strategy_id,
        }


@dataclass
class Account:
    id: str
    env: str
    email: str
    acc_num: str
    currency: str
    name: str
    balance: Decimal
    positions: dict[int, Position] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)  # non-final
    history: list[Order] = field(default_factory=list)  # final
    executions: list[dict[str, object]] = field(default_factory=list)
    today_net: Decimal = ZERO
    today_volume: Decimal = ZERO
    today_trades: int = 0

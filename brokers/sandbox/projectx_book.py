"""ProjectX account book: accounts, orders, bracket legs, net positions, fills and trades.

Pure state and rules (no HTTP), written from ``shared/reference/projectx-api.md`` §4-§8; a
rule the platform refuses raises :class:`Refused` with the endpoint's numeric ``errorCode``
(§12.3). Market orders fill at once at the contract's market price; resting orders never trigger.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import projectx_seed as seed

NINE = Decimal("0.000000001")

# §6.1 enums
SIDE_BID, SIDE_ASK = 0, 1
LIMIT, MARKET, STOP_LIMIT, STOP, TRAILING, JOIN_BID, JOIN_ASK = 1, 2, 3, 4, 5, 6, 7
PLACEABLE = {LIMIT, MARKET, STOP, TRAILING, JOIN_BID, JOIN_ASK}  # 3 StopLimit is not (§6.1)
OPEN, FILLED, CANCELLED, EXPIRED, REJECTED, PENDING, PENDING_CANCEL, SUSPENDED = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
)
WORKING = {OPEN, PENDING, SUSPENDED}
LONG, SHORT = 1, 2
MAX_TRAIL_TICKS = 1000  # §6.3: at placement only


class Refused(Exception):
    """``success: false`` with ``code``; ``extra`` goes into the envelope (e.g. an orderId)."""

    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


@dataclass
class Account:
    id: int
    user: str
    name: str
    balance: Decimal
    can_trade: bool
    active: bool
    simulated: bool | None


@dataclass
class Order:
    id: int
    account_id: int
    contract_id: str
    type: int
    side: int
    size: int
    status: int
    created: float
    updated: float | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None  # read-back: a distance (§6.3)
    trail_distance: int | None = None
    fill_volume: int = 0
    filled_price: Decimal | None = None
    custom_tag: str | None = None
    parent_id: int | None = None
    linked_id: int | None = None
    brackets: list[tuple[str, int, int]] = field(default_factory=list)  # (leg, ticks, type)


@dataclass
class Position:
    id: int
    account_id: int
    contract_id: str
    size: int  # signed: > 0 long, < 0 short
    average: Decimal
    created: float


@dataclass
class Trade:
    id: int
    account_id: int
    contract_id: str
    created: float
    price: Decimal
    pnl: Decimal | None
    fees: Decimal
    side: int
    size: int
    order_id: int
    voided: bool = False


def q9(value: Decimal) -> Decimal:
    """Nine fraction digits, as the platform prints prices and money (§14, §16)."""
    return value.quantize(NINE)


def tick_size(contract_id: str) -> Decimal:
    return seed.PX_CONTRACTS[contract_id][3]


class Book:
    """Every account, order, position and trade of the sandbox, plus the market prices."""

    def __init__(self) -> None:
        self.accounts: dict[int, Account] = {}
        for user, ids in seed.PX_USERS.items():
            for account_id in ids:
                name, balance, can_trade, active, simulated = seed.PX_ACCOUNTS[account_id]
                self.accounts[account_id] = Account(
                    account_id, user, name, balance, can_trade, active, simulated
                )
        self.prices: dict[str, Decimal] = {cid: c[6] for cid, c in seed.PX_CONTRACTS.items()}
        self.orders: dict[int, Order] = {}
        self.positions: dict[tuple[int, str], Position] = {}
        self.trades: list[Trade] = []
        self._ids = {"order": 9000, "position": 6100, "trade": 8000}
        t0 = time.time() - 3600
        for account_id, rows in seed.PX_POSITIONS.items():
            for contract_id, size, average in rows:
                self._seed_position(account_id, contract_id, size, average, t0)

    def _seed_position(
        self, account_id: int, contract_id: str, size: int, average: Decimal, when: float
    ) -> None:
        """A filled opening order, its half-turn trade, a voided fill and the position; the
        seeded balance already includes their fees."""
        side = SIDE_BID if size > 0 else SIDE_ASK
        order = self._new_order(account_id, contract_id, MARKET, side, abs(size), when)
        order.status, order.fill_volume, order.filled_price = FILLED, abs(size), average
        order.updated = when
        self.orders[order.id] = order
        fees = seed.PX_FEE_PER_CONTRACT * abs(size)
        for voided in (False, True):  # §8: voided fills exist and count for nothing
            self.trades.append(
                Trade(
                    self._next("trade"),
                    account_id,
                    contract_id,
                    when,
                    average,
                    None,
                    fees,
                    side,
                    abs(size),
                    order.id,
                    voided,
                )
            )
        self.positions[(account_id, contract_id)] = Position(
            self._next("position"), account_id, contract_id, size, average, when
        )

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    # ------------------------------------------------------------------ lookups

    def account(self, user: str, account_id: Any, code: int = 1) -> Account:
        """The user's account, else Refused(code) (AccountNotFound on every endpoint, §12.3)."""
        account = self.accounts.get(account_id) if isinstance(account_id, int) else None
        if account is None or account.user != user:
            raise Refused(code, "AccountNotFound")
        return account

    def order(self, account: Account, order_id: int, code: int) -> Order:
        order = self.orders.get(order_id)
        if order is None or order.account_id != account.id:
            raise Refused(code, "OrderNotFound")
        return order

    def account_orders(self, account: Account) -> list[Order]:
        return [o for o in self.orders.values() if o.account_id == account.id]

    def account_positions(self, account: Account) -> list[Position]:
        return [p for p in self.positions.values() if p.account_id == account.id]

    # ------------------------------------------------------------------ placement (§6.3)

    def place(
        self, account: Account, body: dict[str, Any], *, unique_tags: bool, position_brackets: bool
    ) -> Order:
        """Validate and apply ``Order/place``; Refused with the §12.3 placement codes."""
        contract_id = body["contractId"]
        if contract_id not in seed.PX_CONTRACTS:
            raise Refused(8, "ContractNotFound")
        if not seed.PX_CONTRACTS[contract_id][5]:
            raise Refused(9, "ContractNotActive")
        if not account.can_trade:
            raise Refused(10, "AccountRejected")
        kind, side, size = body["type"], body["side"], body["size"]
        if kind not in PLACEABLE or side not in (SIDE_BID, SIDE_ASK) or size <= 0:
            raise Refused(2, "OrderRejected")
        tag = body.get("customTag")
        if (
            unique_tags
            and tag is not None
            and any(o.custom_tag == tag for o in self.account_orders(account))
        ):
            raise Refused(2, "OrderRejected")  # §18.8: assumption, switch to "accept"
        order = self._new_order(account.id, contract_id, kind, side, size, time.time())
        order.custom_tag = tag
        self._set_prices(order, body, placing=True)
        order.brackets = self._brackets(body, side)
        if order.brackets and position_brackets:
            # §6.3: Position-Brackets mode rejects API brackets yet returns the record's id
            order.status = REJECTED
            self.orders[order.id] = order
            raise Refused(2, "OrderRejected", orderId=order.id)
        self.orders[order.id] = order
        entry = self._entry_price(order)
        children = [
            self._leg(order, leg, ticks, kind_, entry) for leg, ticks, kind_ in order.brackets
        ]
        if len(children) == 2:
            children[1].linked_id = children[0].id  # the take-profit points at its OCO stop
        if kind == MARKET:
            self._fill(order, self.prices[contract_id])
        return order

    def _new_order(
        self, account_id: int, contract_id: str, kind: int, side: int, size: int, now: float
    ) -> Order:
        return Order(self._next("order"), account_id, contract_id, kind, side, size, OPEN, now)

    def _set_prices(self, order: Order, body: dict[str, Any], placing: bool) -> None:
        """Apply limit/stop/trail prices; a type without its price is refused (§6.3)."""
        for key, attr in (("limitPrice", "limit_price"), ("stopPrice", "stop_price")):
            if body.get(key) is not None:
                if body[key] <= 0:
                    raise Refused(2, "OrderRejected")
                setattr(order, attr, Decimal(body[key]))
        if body.get("trailPrice") is not None:
            if order.type != TRAILING:
                raise Refused(2, "OrderRejected")
            tick = tick_size(order.contract_id)
            # absolute price → whole ticks from the last trade, fraction dropped (§6.3)
            ticks = int(abs(self.prices[order.contract_id] - Decimal(body["trailPrice"])) / tick)
            if ticks <= 0 or (placing and ticks > MAX_TRAIL_TICKS):
                raise Refused(2, "OrderRejected")
            order.trail_distance, order.trail_price = ticks, ticks * tick
        needed = {LIMIT: order.limit_price, STOP: order.stop_price, TRAILING: order.trail_price}
        if order.type in needed and needed[order.type] is None:
            raise Refused(2, "OrderRejected")
        if order.type in (JOIN_BID, JOIN_ASK) and placing:
            order.limit_price = self.prices[order.contract_id]

    @staticmethod
    def _brackets(body: dict[str, Any], side: int) -> list[tuple[str, int, int]]:
        """Signed-tick brackets: long SL < 0 < TP, short reversed; a wrong sign is refused."""
        legs = []
        for key, leg, sign in (("stopLossBracket", "sl", -1), ("takeProfitBracket", "tp", 1)):
            bracket = body.get(key)
            if bracket is None:
                continue
            ticks, kind = bracket["ticks"], bracket["type"]
            expected = sign if side == SIDE_BID else -sign
            if ticks == 0 or (ticks > 0) != (expected > 0) or kind not in PLACEABLE - {MARKET}:
                raise Refused(2, "OrderRejected")
            legs.append((leg, ticks, kind))
        return legs

    def _entry_price(self, order: Order) -> Decimal:
        if order.type == MARKET:
            return self.prices[order.contract_id]
        return order.limit_price or order.stop_price or self.prices[order.contract_id]

    def _leg(self, parent: Order, leg: str, ticks: int, kind: int, entry: Decimal) -> Order:
        """A bracket child: Suspended until the parent fills (§6.2), then Open."""
        child = self._new_order(
            parent.account_id,
            parent.contract_id,
            kind,
            1 - parent.side,
            parent.size,
            parent.created,
        )
        child.status, child.parent_id = SUSPENDED, parent.id
        price = entry + ticks * tick_size(parent.contract_id)
        if kind == LIMIT:
            child.limit_price = price
        else:
            child.stop_price = price
        self.orders[child.id] = child
        return child

    # ------------------------------------------------------------------ fills

    def _fill(self, order: Order, price: Decimal) -> None:
        now = time.time()
        order.status, order.fill_volume, order.filled_price, order.updated = (
            FILLED,
            order.size,
            price,
            now,
        )
        signed = order.size if order.side == SIDE_BID else -order.size
        pnl = self._apply_to_position(order.account_id, order.contract_id, signed, price, now)
        self._trade(order, price, pnl, now)
        for child in self.orders.values():  # the bracket legs start working
            if child.parent_id == order.id and child.status == SUSPENDED:
                child.status, child.updated = OPEN, now

    def _apply_to_position(
        self, account_id: int, contract_id: str, signed: int, price: Decimal, now: float
    ) -> Decimal | None:
        """Net the fill into the position; return the realised P/L of a closing half-turn."""
        key = (account_id, contract_id)
        position = self.positions.get(key)
        if position is None:
            self.positions[key] = Position(
                self._next("position"), account_id, contract_id, signed, price, now
            )
            return None
        if (position.size > 0) == (signed > 0):
            total = abs(position.size) + abs(signed)
            position.average = (abs(position.size) * position.average + abs(signed) * price) / total
            position.size += signed
            return None
        closed = min(abs(position.size), abs(signed))
        _name, _desc, _sym, tick, tick_value, _active, _price = seed.PX_CONTRACTS[contract_id]
        direction = 1 if position.size > 0 else -1
        pnl = (price - position.average) * closed * direction * tick_value / tick
        self.accounts[account_id].balance += pnl
        position.size += signed
        if position.size == 0:
            del self.positions[key]
        elif (position.size > 0) != (direction > 0):
            position.average, position.created = price, now  # flipped: a new position
        return pnl

    def _trade(self, order: Order, price: Decimal, pnl: Decimal | None, now: float) -> Trade:
        fees = seed.PX_FEE_PER_CONTRACT * order.size
        self.accounts[order.account_id].balance -= fees
        trade = Trade(
            self._next("trade"),
            order.account_id,
            order.contract_id,
            now,
            price,
            pnl,
            fees,
            order.side,
            order.size,
            order.id,
        )
        self.trades.append(trade)
        return trade

    # ------------------------------------------------------------------ modify / cancel (§6.5)

    def modify(self, account: Account, body: dict[str, Any]) -> Order:
        order = self.order(account, body["orderId"], 2)
        if order.status not in WORKING:
            raise Refused(3, "Rejected")
        if body.get("size") is not None:
            if body["size"] <= 0:
                raise Refused(3, "Rejected")
            order.size = body["size"]
        try:
            self._set_prices(order, body, placing=False)
        except Refused:
            raise Refused(3, "Rejected") from None
        order.updated = time.time()
        return order

    def cancel(self, account: Account, order_id: int) -> Order:
        order = self.order(account, order_id, 2)
        if order.status not in WORKING:
            raise Refused(3, "Rejected")
        now = time.time()
        order.status, order.updated = CANCELLED, now
        for child in self.orders.values():  # legs of a parent that never filled go with it
            if child.parent_id == order.id and child.status == SUSPENDED:
                child.status, child.updated = CANCELLED, now
        return order

    # ------------------------------------------------------------------ closing (§7)

    def close(self, account: Account, contract_id: str, size: int | None) -> Order:
        """Flatten (``size`` None) or reduce a position with a market order.

        Resting stop/target orders stay working: the platform does not cancel them (§7, P7).
        """
        partial = size is not None
        if contract_id not in seed.PX_CONTRACTS:
            raise Refused(3, "ContractNotFound")
        if not seed.PX_CONTRACTS[contract_id][5]:
            raise Refused(4, "ContractNotActive")
        if not account.can_trade:
            raise Refused(9 if partial else 8, "AccountRejected")
        position = self.positions.get((account.id, contract_id))
        if position is None:
            raise Refused(2, "PositionNotFound")
        amount = abs(position.size) if size is None else size
        if partial and not 0 < amount <= abs(position.size):
            raise Refused(5, "InvalidCloseSize")
        side = SIDE_ASK if position.size > 0 else SIDE_BID
        order = self._new_order(account.id, contract_id, MARKET, side, amount, time.time())
        self.orders[order.id] = order
        self._fill(order, self.prices[contract_id])
        return order

    # ------------------------------------------------------------------ JSON

    def order_json(self, order: Order, stamp: Callable[[float], str]) -> dict[str, Any]:
        """An order object (§6.2): every field beyond the core may be null."""
        price = lambda v: None if v is None else q9(v)  # noqa: E731
        return {
            "id": order.id,
            "accountId": order.account_id,
            "contractId": order.contract_id,
            "symbolId": seed.PX_CONTRACTS[order.contract_id][2],
            "creationTimestamp": stamp(order.created),
            "updateTimestamp": None if order.updated is None else stamp(order.updated),
            "status": order.status,
            "type": order.type,
            "side": order.side,
            "size": order.size,
            "limitPrice": price(order.limit_price),
            "stopPrice": price(order.stop_price),
            "fillVolume": order.fill_volume,
            "filledPrice": price(order.filled_price),
            "customTag": order.custom_tag,
            "trailPrice": price(order.trail_price),
            "trailDistance": order.trail_distance,
            "parentOrderId": order.parent_id,
            "linkedOrderId": order.linked_id,
        }

    @staticmethod
    def position_json(
        position: Position, stamp: Callable[[float], str], negative_short: bool
    ) -> dict[str, Any]:
        size = abs(position.size)
        return {
            "id": position.id,
            "accountId": position.account_id,
            "contractId": position.contract_id,
            "contractDisplayName": seed.PX_CONTRACTS[position.contract_id][0],
            "creationTimestamp": stamp(position.created),
            "type": LONG if position.size > 0 else SHORT,
            "size": -size if negative_short and position.size < 0 else size,
            "averagePrice": q9(position.average),
        }

    @staticmethod
    def trade_json(trade: Trade, stamp: Callable[[float], str]) -> dict[str, Any]:
        return {
            "id": trade.id,
            "accountId": trade.account_id,
            "contractId": trade.contract_id,
            "creationTimestamp": stamp(trade.created),
            "price": q9(trade.price),
            "profitAndLoss": None if trade.pnl is None else q9(trade.pnl),
            "fees": q9(trade.fees),
            "side": trade.side,
            "size": trade.size,
            "voided": trade.voided,
            "orderId": trade.order_id,
        }

"""Re-record the VCR cassettes in ``cassettes/``.

    python -m tests.record_cassettes                 # against the loopback sandbox
    python -m tests.record_cassettes --env-file .env # real brokers whose credentials are set

For each platform with ``DXTRADE_*`` / ``MATCHTRADE_*`` credentials in the environment or the
env file, that platform is recorded against the real broker (one login, one balance read and,
for the bad-credentials cassette, exactly one login with a wrong password); otherwise against
the sandbox. TradeLocker and ProjectX are always recorded against the sandbox. Every secret is
replaced by a stable placeholder before anything is written, and the broker's address by
``https://<platform>.broker.invalid``. The trading cycles (one order placed, listed and
closed; for DXtrade and Match-Trader also a pending order modified, a stop loss set, the
history read and the order cancelled) are always recorded against the sandbox.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import vcr

import brokers
from brokers.redaction import redact_text
from brokers.sandbox import (
    DX_PASSWORD,
    MT_BROKER_ID,
    MT_PASSWORD,
    PX_API_KEY,
    TL_PASSWORD,
    TL_SERVER,
    Sandbox,
)

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
HOSTS = {
    "dxtrade": "https://dxtrade.broker.invalid",
    "matchtrade": "https://matchtrade.broker.invalid",
    "tradelocker": "https://tradelocker.broker.invalid",
    "projectx": "https://projectx.broker.invalid",
}
TOKEN_KEYS = {"sessionToken", "token", "tradingApiToken", "refreshToken", "accessToken", "newToken"}
# Body fields replaced by a fixed text: credentials and who logs in.
MASKED_KEYS = {
    "password": "<PASSWORD>",
    "apiKey": "<API-KEY>",
    "email": "<EMAIL>",
    "userName": "<USERNAME>",
}
# A fixed history range, the same in the recorder and the replay tests (the bodies and queries
# of a history read carry it); wide enough for the sandbox's history, dated relative to now.
HISTORY_SINCE = "2020-01-01T00:00:00Z"
HISTORY_UNTIL = "2100-01-01T00:00:00Z"
DEV_KEY = "tl-developer-key-cassette"  # sent as developer-api-key, scrubbed like the rest
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class Scrubber:
    """Replaces secrets by stable, numbered placeholders, the same on requests and answers."""

    def __init__(self, origin: str, placeholder_origin: str) -> None:
        self.origin = origin.rstrip("/")
        self.placeholder_origin = placeholder_origin
        self.names: dict[str, str] = {}

    def placeholder(self, kind: str, value: str) -> str:
        if value not in self.names:
            count = sum(1 for v in self.names.values() if v.startswith(f"<{kind}"))
            self.names[value] = f"<{kind}-{count + 1}>"
        return self.names[value]

    def _json(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key in TOKEN_KEYS and isinstance(item, str):
                    out[key] = self.placeholder(key.upper(), item)
                elif key in MASKED_KEYS:
                    out[key] = MASKED_KEYS[key]
                else:
                    out[key] = self._json(item)
            return out
        if isinstance(value, list):
            return [self._json(v) for v in value]
        if isinstance(value, str) and JWT.search(value):
            return JWT.sub(lambda m: self.placeholder("JWT", m.group()), value)
        return value

    def _body(self, body: bytes | None) -> bytes | None:
        if not body:
            return body
        text = body.decode("utf-8", "replace")
        try:
            return json.dumps(self._json(json.loads(text))).encode()
        except ValueError:  # an HTML or text body: mask what looks secret
            return redact_text(JWT.sub(lambda m: self.placeholder("JWT", m.group()), text)).encode()

    def _header(self, name: str, value: str) -> str:
        lower = name.lower()
        if lower == "authorization":
            scheme, _, token = value.partition(" ")
            return f"{scheme} {self.placeholder('SESSIONTOKEN', token)}"
        if lower == "auth-trading-api":
            return self.placeholder("TRADINGAPITOKEN", value)
        if lower == "developer-api-key":
            return self.placeholder("DEVELOPERAPIKEY", value)
        if lower in ("cookie", "set-cookie"):
            return re.sub(r"(co-auth|rt)=([^;]+)", self._cookie, value)
        return value

    def _cookie(self, match: re.Match[str]) -> str:
        name, value = match.groups()
        return f"{name}={self.placeholder('TOKEN' if name == 'co-auth' else 'RT', value)}"

    def request(self, request: vcr.request.Request) -> vcr.request.Request:
        parts = urlsplit(request.uri)
        request.uri = (
            self.placeholder_origin + request.uri[len(f"{parts.scheme}://{parts.netloc}") :]
        )
        request.headers = {k: self._header(k, v) for k, v in request.headers.items()}
        request.body = self._body(request.body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        response = copy.deepcopy(response)  # the client still sees the real answer
        response["headers"] = {
            k: [self._header(k, v) for v in values]
            for k, values in response["headers"].items()
            if k.lower() != "date"  # keeps re-recorded cassettes free of noise
        }
        response["body"]["string"] = self._body(response["body"]["string"])
        return response


def record(name: str, platform: str, origin: str, action) -> None:
    scrub = Scrubber(origin, HOSTS[platform])
    recorder = vcr.VCR(
        record_mode="all",
        decode_compressed_response=True,
        before_record_request=scrub.request,
        before_record_response=scrub.response,
    )
    path = CASSETTES / name
    path.unlink(missing_ok=True)
    with recorder.use_cassette(str(path)):
        action()
    print(f"recorded {path.relative_to(CASSETTES.parent)}")


def expect_auth_error(client: brokers.BrokerClient) -> None:
    try:
        client.login()
    except brokers.AuthenticationError:
        return
    finally:
        client.close()
    raise SystemExit(f"{type(client).__name__}: wrong credentials were accepted?")


def balance_then_close(client: brokers.BrokerClient) -> None:
    with client:
        client.get_balance()


@contextlib.contextmanager
def numbered_order_ids():
    """Client order ids (TradeLocker ``strategyId`` tags too) ``cassette-order-1``, ``-2``...
    so that replayed bodies match."""
    count = itertools.count(1)
    originals = brokers.orders.new_client_order_id, brokers.tradelocker.new_strategy_id
    brokers.orders.new_client_order_id = lambda: f"cassette-order-{next(count)}"
    brokers.tradelocker.new_strategy_id = brokers.orders.new_client_order_id
    try:
        yield
    finally:
        brokers.orders.new_client_order_id, brokers.tradelocker.new_strategy_id = originals


def trade_cycle(client: brokers.BrokerClient, symbol: str, quantity: str) -> None:
    """Place a market order, list positions and orders, close the new position."""
    with client, numbered_order_ids():
        placed = client.place_order(symbol, "BUY", quantity)
        opened = [p for p in client.positions() if p.symbol == symbol]
        client.orders()
        client.close_position(opened[-1].id)
        assert placed.order_id


# platform -> symbol, lots/units, (limit price, its stop loss, the modified price), and the stop
# loss set on the account's seeded open position (a BUY of that symbol).
MODIFY_CYCLES = {
    "dxtrade": ("EUR/USD", "10000", ("1.07000", "1.06000", "1.07500"), "XAU/USD", "2300.00"),
    "matchtrade": ("EURUSD.", "0.10", ("1.07000", "1.06000", "1.07500"), "EURUSD.", "1.07000"),
}


def modify_cycle(client: brokers.BrokerClient, platform: str) -> None:
    """Place a pending LIMIT with a stop loss, move its price, list the orders, set a stop
    loss on the open position, read the history and cancel the pending order."""
    symbol, quantity, (price, stop, new_price), held, held_stop = MODIFY_CYCLES[platform]
    with client, numbered_order_ids():
        placed = client.place_order(
            symbol, "BUY", quantity, type="LIMIT", price=price, stop_loss=stop
        )
        client.modify_order(placed.order_id, price=new_price)
        assert any(o.price == Decimal(new_price) for o in client.orders())
        position = next(p for p in client.positions() if p.symbol == held)
        client.set_protection(position, stop_loss=held_stop)
        assert client.history(since=HISTORY_SINCE, until=HISTORY_UNTIL)
        client.cancel_order(placed.order_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", help="read broker credentials from this file")
    args = parser.parse_args(argv)
    CASSETTES.mkdir(exist_ok=True)
    retry = brokers.RetryPolicy.disabled()
    with Sandbox() as sb:
        try:
            dx = brokers.DXTrade.from_env(args.env_file, retry=retry)
            print("DXtrade: recording against the broker in DXTRADE_BASE_URL")
        except brokers.ConfigurationError:
            dx = brokers.DXTrade(sb.url, "1210001", DX_PASSWORD, retry=retry)
            print("DXtrade: recording against the sandbox")
        try:
            mt = brokers.MatchTrade.from_env(args.env_file, retry=retry)
            print("Match-Trader: recording against the broker in MATCHTRADE_BASE_URL")
        except brokers.ConfigurationError:
            mt = brokers.MatchTrade(
                sb.url, "trader@example.com", MT_PASSWORD, MT_BROKER_ID, retry=retry
            )
            print("Match-Trader: recording against the sandbox")
        bad_dx = brokers.DXTrade(dx.base_url, dx.username, "wrong-password", dx.domain, retry=retry)
        bad_mt = brokers.MatchTrade(
            mt.base_url, mt.email, "wrong-password", mt.broker_id, retry=retry
        )
        record("dxtrade_login_balance.yaml", "dxtrade", dx.base_url, lambda: balance_then_close(dx))
        record(
            "dxtrade_bad_credentials.yaml",
            "dxtrade",
            dx.base_url,
            lambda: expect_auth_error(bad_dx),
        )
        record(
            "matchtrade_login_balance.yaml",
            "matchtrade",
            mt.base_url,
            lambda: balance_then_close(mt),
        )
        record(
            "matchtrade_bad_credentials.yaml",
            "matchtrade",
            mt.base_url,
            lambda: expect_auth_error(bad_mt),
        )
        record_sandbox_only(sb, retry)
    return 0


def record_sandbox_only(sb: Sandbox, retry: brokers.RetryPolicy) -> None:
    """Trading cycles place real orders: they are recorded against the sandbox only, and so
    is everything of TradeLocker and ProjectX."""

    def dx(user: str) -> brokers.DXTrade:
        return brokers.DXTrade(sb.url, user, DX_PASSWORD, retry=retry)

    def mt(email: str) -> brokers.MatchTrade:
        return brokers.MatchTrade(sb.url, email, MT_PASSWORD, MT_BROKER_ID, retry=retry)

    def tl(password: str = TL_PASSWORD, **options: Any) -> brokers.TradeLocker:
        return brokers.TradeLocker(
            sb.url, "solo@example.com", password, TL_SERVER["demo"], retry=retry, **options
        )

    def px(api_key: str = PX_API_KEY) -> brokers.ProjectX:
        return brokers.ProjectX(sb.url, "solo@example.com", api_key, retry=retry)

    cycles = [
        ("dxtrade_trade_cycle", lambda: trade_cycle(dx("1210003"), "EUR/USD", "10000")),
        ("matchtrade_trade_cycle", lambda: trade_cycle(mt("solo@example.com"), "EURUSD.", "0.10")),
        ("dxtrade_modify_cycle", lambda: modify_cycle(dx("1210001"), "dxtrade")),
        ("matchtrade_modify_cycle", lambda: modify_cycle(mt("trader@example.com"), "matchtrade")),
        ("tradelocker_login_balance", lambda: balance_then_close(tl(developer_api_key=DEV_KEY))),
        ("tradelocker_bad_credentials", lambda: expect_auth_error(tl("wrong-password"))),
        ("tradelocker_trade_cycle", lambda: trade_cycle(tl(), "EURUSD", "0.10")),
        ("projectx_login_balance", lambda: balance_then_close(px())),
        ("projectx_bad_credentials", lambda: expect_auth_error(px("wrong-api-key"))),
        ("projectx_trade_cycle", lambda: trade_cycle(px(), "CON.F.US.MNQ.H25", "1")),
    ]
    for name, action in cycles:
        record(f"{name}.yaml", name.split("_")[0], sb.url, action)


if __name__ == "__main__":
    sys.exit(main())

"""Match-Trader login for the emulator: ``/manager/...`` routes and the co-auth JWT.

A mixin of :class:`~.matchtrade.MatchTraderState` (which holds the users, accounts and
settings). It follows ``shared/reference/matchtrader-api.md`` §2 and the "Emulator checklist"
items 1-4.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from . import seed
from .wire import (
    RecordedRequest,
    Response,
    empty_response,
    json_response,
    jwt_claims,
    loads_exact,
    not_found_html,
    sign_jwt,
)

TRADING_API_DOMAIN = "http://ta-sandbox-mtr:8080"
T0 = 1767348000.0  # 2026-01-02T10:00:00Z: when seeded accounts and positions were created


@dataclass
class Session:
    email: str
    account_uuid: str
    expires: float


def iso_z(epoch: float, millis: bool = False) -> str:
    """RFC 3339 UTC with ``Z``, with or without milliseconds."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{base}.{int(epoch * 1000) % 1000:03d}Z" if millis else base + "Z"


def error(status: int, message: str) -> Response:
    """A Match-Trader error answer ``{"errorMessage": ...}`` (the shape S3 assumes, sheet §5)."""
    return json_response(status, {"errorMessage": message})


class LoginRoutes:
    """The ``/manager`` routes and the JWT; state lives on the subclass."""

    # Set by MatchTraderState.reset(); declared here for type checkers.
    platform_url: str
    co_login_enabled: bool
    account_keys: str
    token_lifetime: float
    refresh_mode: str
    refresh_limit: int
    locked: set[str]
    _secret: bytes
    _sessions: dict[str, Session]
    _refresh: dict[str, str]
    _refresh_log: dict[str, list[float]]

    def _selected(self, email: str) -> Any:
        raise NotImplementedError

    def _user_accounts(self, email: str) -> list[Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ JWT

    def _issue_jwt(self, email: str) -> str:
        """Mint an HS256 co-auth JWT for ``email`` and remember it as live."""
        now = time.time()
        selected = self._selected(email)
        jti = str(uuid.uuid4())
        claims = {
            "account_uuid": selected.uuid,
            "manager_scope": [],
            "user_name": f"{email}:{seed.MT_BROKER_ID}",
            "scope": ["read", "write", "trust"],
            "partnerId": int(seed.MT_BROKER_ID),
            "exp": int(now + self.token_lifetime),
            "jti": jti,
            "email": email,
            "authorities": ["EMAIL_READ", "PHONE_READ", "ROLE_USER", "USER"],
            "client_id": "mtr-sandbox",
        }
        self._sessions[jti] = Session(email, selected.uuid, now + self.token_lifetime)
        return sign_jwt(self._secret, claims)

    def _verify_jwt(self, token: str) -> Session | None:
        """The live session behind a JWT, or None (bad signature, unknown, expired)."""
        claims = jwt_claims(self._secret, token)
        session = self._sessions.get(str(claims.get("jti"))) if claims else None
        if session is None or time.time() >= session.expires:
            return None
        return session

    # ------------------------------------------------------------------ manager routes

    def _platform_details(self, _req: RecordedRequest) -> Response:
        return json_response(
            200,
            {
                "partnerId": seed.MT_BROKER_ID,
                "brokerName": "Sandbox Broker",
                "platformUrl": self.platform_url,
            },
        )

    def _co_login(self, req: RecordedRequest) -> Response:
        if not self.co_login_enabled:
            return not_found_html()
        return self._login(req)

    def _mtr_login(self, req: RecordedRequest) -> Response:
        return self._login(req)

    def _login(self, req: RecordedRequest) -> Response:
        try:
            body = loads_exact(req.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return error(400, "Invalid request body")
        email = str(body.get("email", "")).strip().lower()
        broker = body.get("brokerId")
        valid = (
            email in seed.MT_USERS
            and body.get("password") == seed.MT_PASSWORD
            and not isinstance(broker, bool)
            and str(broker).strip() == seed.MT_BROKER_ID
        )
        if not valid:
            return error(401, "Invalid credentials")
        if email in self.locked:
            return error(401, "User is blocked")
        token = self._issue_jwt(email)
        refresh = uuid.uuid4().hex
        self._refresh[refresh] = email
        cookies = [
            ("Set-Cookie", f"co-auth={token}; Path=/; HttpOnly"),
            ("Set-Cookie", f"rt={refresh}; Path=/manager; HttpOnly"),
        ]
        return json_response(200, self._login_body(email, token), cookies)

    def _login_body(self, email: str, token: str) -> dict[str, Any]:
        accounts = [self._account_json(a) for a in self._user_accounts(email)]
        selected = self._account_json(self._selected(email))
        body: dict[str, Any] = {"email": email, "token": token}
        if self.account_keys == "tradingAccounts":
            body.update(tradingAccounts=accounts, selectedTradingAccount=selected)
        elif self.account_keys == "selected_only":
            body["selectedAccount"] = selected
        else:
            body.update(accounts=accounts, selectedAccount=selected)
        return body

    def _account_json(self, account: Any) -> dict[str, Any]:
        branch = seed.stable_uuid("branch:sandbox")
        system = account.system_uuid
        return {
            "tradingAccountId": account.id,
            "uuid": account.uuid,
            "tradingApiToken": account.trading_api_token,
            "branchUuid": branch,
            "created": iso_z(T0, millis=True),
            "offer": {
                "uuid": seed.stable_uuid(f"offer:{account.id}"),
                "partnerId": seed.MT_BROKER_ID,
                "name": account.offer_name,
                "currency": account.currency,
                "initialDeposit": int(seed.MT_BALANCES[account.id]["balance"]),
                "demo": True,
                "hidden": False,
                "leverage": seed.MT_LEVERAGE,
                "branch": {"uuid": branch},
                "system": {
                    "uuid": system,
                    "name": "MTR sandbox " + ("A" if system == seed.MT_SYSTEM_A else "B"),
                    "demo": True,
                    "active": True,
                    "systemType": "DEMO",
                    "tradingApiDomain": TRADING_API_DOMAIN,
                },
                "moneyManager": None,
            },
            "tradingAccountToken": {
                "token": uuid.uuid4().hex,
                "expiration": iso_z(time.time() + self.token_lifetime, millis=True),
            },
        }

    def _refresh_token(self, req: RecordedRequest) -> Response:
        email = self._refresh.get(req.cookies().get("rt", ""))
        if email is None:
            return error(401, "Unauthorized")
        now = time.time()
        recent = [t for t in self._refresh_log.get(email, []) if now - t < 3600]
        if len(recent) >= self.refresh_limit:
            self._refresh_log[email] = recent
            return error(429, "Too many refresh requests")
        self._refresh_log[email] = [*recent, now]
        token = self._issue_jwt(email)
        cookie = [("Set-Cookie", f"co-auth={token}; Path=/; HttpOnly")]
        if self.refresh_mode == "body":
            return json_response(200, {"token": token}, cookie)
        return empty_response(200, cookie)

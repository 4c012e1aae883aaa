"""The shared base of the platform clients.

:class:`BrokerClient` owns what every platform needs and no platform knows about: one
``requests.Session`` (one kept-alive connection), a ``(connect, read)`` timeout on every
request, the retry policy, the client-side throttle, the mapping of HTTP outcomes to typed
errors, redacted logging, and the session life cycle (log in lazily, renew before expiry,
renew once on a 401, one renewal for many threads).

Thread model: a client may be shared by threads. Session renewal happens under a lock, so
any number of threads that meet an expired session cause exactly one new login; requests
themselves run in parallel over the session's connection pool (``pool_maxsize``).
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple, TypeVar
from urllib.parse import quote, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from . import __version__
from .config import load_settings, pick
from .exceptions import (
    AuthenticationError,
    BotProtectionError,
    BrokerError,
    ConfigurationError,
    NetworkError,
    OrderOutcomeUnknownError,
    RateLimitError,
    RequestRejectedError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    SessionExpiredError,
)
from .models import (
    Account,
    Balance,
    Candle,
    Order,
    OrderResult,
    Position,
    Quote,
    Records,
    Trade,
)
from .orders import UNSET
from .parsing import decode_json, encode_json
from .redaction import redact, redact_text
from .retry import RetryPolicy, parse_retry_after
from .throttle import Rate, Throttle
from .token_cache import CacheEntry, TokenCache

log = logging.getLogger("brokers")

DEFAULT_TIMEOUT = (5.0, 30.0)
DEFAULT_USER_AGENT = f"brokers-python/{__version__} (+requests/{requests.__version__})"
EXCERPT_CHARS = 160
MAX_TIMEOUT = 86400.0  # larger values overflow the socket layer; no broker needs them
# The token cache's copy of a session is refreshed (its last activity, which DXtrade times
# the session from) at most this often while a client runs, and when it is closed. A copy
# that lags only makes the next run think the session older than it is: one login more at
# worst, never a dead token sent.
CACHE_TOUCH_EVERY = 60.0
CLOSE_LOCK_WAIT = 2.0  # seconds close() waits for the cache lock before leaving the copy as is

Timeout = float | tuple[float, float]
ClientT = TypeVar("ClientT", bound="BrokerClient")


class Reply(NamedTuple):
    """A successful HTTP answer: status, headers, decoded JSON body (``None`` when empty) and
    the cookies it set. A named tuple: one is built for every answer, on the hot path."""

    status: int
    headers: Mapping[str, str]
    data: Any
    cookies: Mapping[str, str] = MappingProxyType({})


def _excerpt(text: str) -> str:
    # Redact before cutting: a cut can split a secret out of the redactor's sight.
    text = " ".join(redact_text(text).split())
    return text[:EXCERPT_CHARS] + ("..." if len(text) > EXCERPT_CHARS else "")


def _looks_like_html(response: requests.Response) -> bool:
    ctype = response.headers.get("Content-Type", "").lower()
    return "html" in ctype or response.content.lstrip()[:1] == b"<"


def _is_bot_challenge(response: requests.Response) -> bool:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if response.status_code not in (403, 503) or not _looks_like_html(response):
        return False
    body = response.text[:20000].lower()
    return any(
        marker in body
        for marker in ("just a moment", "cf-browser-verification", "challenge-platform", "cf_chl")
    )


def _reason(exc: BaseException) -> str:
    """Plain words for why a connection failed (urllib3 wraps the cause in layers)."""
    cause: BaseException | None = exc
    seen: list[BaseException] = []
    while cause is not None and len(seen) < 8:
        seen.append(cause)
        inner = getattr(cause, "reason", None)
        if not isinstance(inner, BaseException) and cause.args:
            inner = cause.args[0] if isinstance(cause.args[0], BaseException) else None
        cause = inner or cause.__cause__ or cause.__context__
    names = {type(c).__name__ for c in seen}
    if "NameResolutionError" in names or any(
        isinstance(c, OSError) and c.errno in (-2, -3) for c in seen
    ):
        return "the host name could not be resolved"
    if any(isinstance(c, ConnectionRefusedError) for c in seen):
        return "the connection was refused (nothing listens at that address and port)"
    if any(isinstance(c, ConnectionResetError) for c in seen):
        return "the connection was reset"
    if names & {"RemoteDisconnected", "ProtocolError", "IncompleteRead"}:
        return "the connection was closed before an answer came"
    return type(seen[-1]).__name__


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; ``http://`` only for loopback hosts."""
    if not base_url or not isinstance(base_url, str):
        raise ConfigurationError("base_url is empty")
    try:
        parts = urlsplit(base_url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise ConfigurationError(f"base_url {base_url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url {base_url!r} is not an http(s) URL",
            hint="use the broker's address, like https://trade.example-broker.com",
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"base_url {base_url!r} is plain http on a non-local host",
            hint="use https:// (credentials must not travel unencrypted)",
        )
    return base_url.strip().rstrip("/")


@functools.lru_cache(maxsize=1024)
def path_segment(value: str) -> str:
    """``value`` percent-encoded as one URL path segment (remembered: the same account codes
    go into every request, and ``quote`` costs more than the rest of building a path)."""
    return quote(value, safe="")


def check_timeout(timeout: Timeout) -> Timeout:
    """``timeout`` if it is a positive number of seconds (at most a day) or a
    ``(connect, read)`` pair of them."""
    parts = timeout if isinstance(timeout, tuple) else (timeout,)
    valid = len(parts) == (2 if isinstance(timeout, tuple) else 1) and all(
        isinstance(p, (int, float)) and not isinstance(p, bool) and 0 < p <= MAX_TIMEOUT
        for p in parts
    )
    if not valid:
        raise ConfigurationError(
            f"timeout {timeout!r} is not a positive number of seconds or a (connect, read) pair"
        )
    return timeout


class _Parsing:
    """``with client._parsing(method, path):`` a :class:`BrokerError` raised inside without a
    client's context gets this one (a class: a generator context costs more on every read)."""

    __slots__ = ("broker", "method", "path")

    def __init__(self, broker: str, method: str, path: str) -> None:
        self.broker, self.method, self.path = broker, method, path

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if isinstance(exc, BrokerError) and exc.broker is None:
            exc.broker, exc.method, exc.path = self.broker, self.method, self.path


class BrokerClient:
    """Base class of :class:`~brokers.DXTrade` and :class:`~brokers.MatchTrade`.

    Options shared by every client (keyword arguments):

    - ``timeout``: seconds, or a ``(connect, read)`` tuple; default ``(5, 30)``.
    - ``session``: a ``requests.Session`` to use (it is not closed by :meth:`close`).
    - ``user_agent``: the ``User-Agent`` header; default names this library and version.
    - ``retry``: a :class:`~brokers.RetryPolicy` (``RetryPolicy.disabled()`` to switch off).
    - ``throttle``: a :class:`~brokers.Throttle`, ``None`` for the platform's defaults, or
      ``False`` to switch the client-side limiter off.
    - ``pool_maxsize``: connections kept per host when threads share the client (default 10).
    - ``clock``: the wall clock (``time.time``), replaceable in tests.
    - ``token_cache``: keep the session on disk for the next process (``True``: the user's
      cache directory; a path: that directory; default off). A live cached session is
      taken instead of a login; with the cache on, :meth:`close` keeps the session open for
      the next run instead of logging out. See :mod:`brokers.token_cache`.
    """

    broker: ClassVar[str] = "broker"
    default_rates: ClassVar[Mapping[str, Rate]] = {}
    # constructor argument -> (environment variables (the first is the name, the others
    # aliases), required), for from_env()
    env_variables: ClassVar[Mapping[str, tuple[tuple[str, ...], bool]]] = {}
    # operation -> False or how the platform does it (see brokers.capabilities)
    capabilities: ClassVar[Mapping[str, bool | str]] = {}

    def __init__(
        self,
        base_url: str,
        *,
        account: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        user_agent: str | None = None,
        retry: RetryPolicy | None = None,
        throttle: Throttle | bool | None = None,
        pool_maxsize: int = 10,
        clock: Callable[[], float] = time.time,
        token_cache: bool | str | os.PathLike[str] | TokenCache | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.account = None if account in (None, "") else str(account)
        self.timeout = check_timeout(timeout)
        self.retry = retry or RetryPolicy()
        if throttle is None or throttle is True:
            throttle = Throttle(self.default_rates, sleep=self.retry.sleep)
        self.throttle = throttle or Throttle.disabled()
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        if not isinstance(self.user_agent, str):
            raise ConfigurationError("user_agent must be a string")
        if not isinstance(pool_maxsize, int) or pool_maxsize < 1:
            raise ConfigurationError("pool_maxsize must be a whole number of at least 1")
        if not self.user_agent.isascii() or not self.user_agent.isprintable():
            raise ConfigurationError("user_agent must be printable ASCII (it is an HTTP header)")
        self._clock = clock
        self._token_cache = TokenCache.from_option(token_cache)  # before the session is made
        self._owns_http = session is None
        self._http = session or self._new_http_session(pool_maxsize)
        self._lock = threading.RLock()
        self._generation = 0  # bumped by every login or renewal
        self._logged_in = False
        # A login refused, or a configured account gone: kept and raised again until the
        # user calls login(), because repeating a refused login can lock the account.
        self._login_failure: BrokerError | None = None
        self._last_activity = 0.0  # clock() of the last answer: platforms time sessions from it
        self._login_attempts = 0  # logins tried by _ensure_session, and how the last one went
        self._login_error: BrokerError | None = None
        self._cache_entry: CacheEntry | None = None
        self._cache_saved_at = 0.0  # clock() of the last write of this session to the cache
        self._cache_token: Any = None  # the token this client last took from or wrote there

    @staticmethod
    def _new_http_session(pool_maxsize: int) -> requests.Session:
        http = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
        http.mount("https://", adapter)
        http.mount("http://", adapter)
        return http

    @classmethod
    def from_env(
        cls: type[ClientT], env_file: str | os.PathLike[str] | None = None, **kwargs: Any
    ) -> ClientT:
        """A client configured from the environment and the env file; arguments given here
        win over the environment, which wins over the file (see :mod:`brokers.config`)."""
        settings = load_settings(env_file)
        for param, (variables, required) in cls.env_variables.items():
            kwargs[param] = pick(kwargs.get(param), settings, *variables, required=required)
        return cls(**kwargs)

    # ------------------------------------------------------------------ public API

    def login(self) -> bool:
        """Log in now (also after an earlier failure); ``True`` or a typed error."""
        with self._lock:
            self._login_failure = None
            self._open(fresh=True)  # a real login even when a cached session is alive
        return True

    def accounts(self) -> list[Account]:
        """Every trading account of the login."""
        raise NotImplementedError

    def get_balance(self, account: str | None = None) -> Balance:
        """The balance of ``account`` (default: the client's account); logs in if needed."""
        raise NotImplementedError

    def get_balances(self, accounts: list[str] | None = None) -> list[Balance]:
        """The balances of ``accounts`` (default: every account of the login)."""
        raise NotImplementedError

    # Trading: each platform implements these; quantities are in its native unit.

    def positions(self, account: str | None = None) -> list[Position]:
        """Open positions of ``account``."""
        raise NotImplementedError

    def orders(self, account: str | None = None) -> list[Order]:
        """Open (pending or working) orders of ``account``."""
        raise NotImplementedError

    def place_order(
        self,
        symbol: str,
        side: str,
        quantity: Any,
        type: str = "MARKET",
        price: Any = None,
        stop_loss: Any = None,
        take_profit: Any = None,
        client_order_id: str | None = None,
        *,
        account: str | None = None,
    ) -> OrderResult:
        """Place an order; never sent twice (see each platform)."""
        raise NotImplementedError

    def close_position(
        self, position_id: str | Position, quantity: Any = None, *, account: str | None = None
    ) -> OrderResult:
        """Close a position (an id, or the :class:`~brokers.Position`), or ``quantity`` of it."""
        raise NotImplementedError

    def cancel_order(self, order_id: str | Order, *, account: str | None = None) -> OrderResult:
        """Cancel a pending order (an id, or the :class:`~brokers.Order`)."""
        raise NotImplementedError

    def modify_order(
        self,
        order: str | Order,
        *,
        price: Any = None,
        quantity: Any = None,
        stop_loss: Any = UNSET,
        take_profit: Any = UNSET,
        account: str | None = None,
    ) -> OrderResult:
        """Change a pending order: its ``price`` or ``quantity`` (``None`` keeps them), its
        ``stop_loss`` / ``take_profit`` (left out keeps, ``None`` removes, a price sets)."""
        raise self._lacks("modify_order")

    def set_protection(
        self,
        position: str | Position,
        *,
        stop_loss: Any = UNSET,
        take_profit: Any = UNSET,
        account: str | None = None,
    ) -> OrderResult:
        """Set, move or remove a position's stop loss and take profit: a price sets or moves
        it, ``None`` removes it, leaving the argument out keeps it."""
        raise self._lacks("set_protection")

    def history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Trade]:
        """Closed trades between ``since`` and ``until`` (default: now), every page of them.

        Times: aware ``datetime``, ``date`` or ISO string (a date alone is midnight UTC); a
        naive ``datetime`` is refused."""
        raise self._lacks("history")

    def order_history(
        self, *, since: Any, until: Any = None, account: str | None = None
    ) -> Records[Order]:
        """Orders that reached a final state (filled, cancelled, rejected, expired) in the range."""
        raise self._lacks("order_history")

    def quote(self, symbol: str, *, account: str | None = None) -> Quote:
        """The current bid and ask of ``symbol``."""
        return self.quotes([symbol], account=account)[0]

    def quotes(self, symbols: list[str], *, account: str | None = None) -> Records[Quote]:
        """Current quotes of ``symbols`` (one request where the platform allows), in order."""
        raise self._lacks("quotes")

    def candles(
        self,
        symbol: str,
        timeframe: str,
        *,
        since: Any = None,
        until: Any = None,
        count: int | None = None,
        account: str | None = None,
    ) -> Records[Candle]:
        """Candles of ``symbol``, oldest first; ``timeframe`` like ``"1m"``, ``"1h"``, ``"1d"``
        (see :mod:`brokers.timeframes`). Without ``since``: the last ``count`` (default 100)
        up to ``until`` (default now); with it, those from ``since`` (the first ``count``)."""
        raise self._lacks("candles")

    def ping(self) -> bool:
        """Make sure the session is alive (logging in or renewing it if needed)."""
        self._ensure_session()
        return True

    def reconcile(self, error: OrderOutcomeUnknownError) -> Any:
        """After :class:`~brokers.OrderOutcomeUnknownError`: what the platform shows now."""
        raise NotImplementedError

    @staticmethod
    def _position_ref(position: Any) -> Position | str:
        """A :class:`Position` or a position id from what the caller gave ``close_position``
        or ``set_protection``; anything else is a ``ConfigurationError`` saying what to pass."""
        if isinstance(position, Position):
            return position
        if isinstance(position, OrderResult) and position.position_id:
            return position.position_id
        if isinstance(position, OrderResult):
            raise ConfigurationError(
                "pass a Position (from positions()) or a position id, not the OrderResult of "
                "an order: this result does not say which position the order opened",
                hint="find the position in client.positions() (its symbol and side)",
            )
        if isinstance(position, (str, int)) and not isinstance(position, bool) and str(position):
            return str(position).strip()
        raise ConfigurationError(
            f"pass a Position (from positions()) or a position id, not {position!r}"
        )

    @staticmethod
    def _order_ref(order: Any) -> Order | str:
        """An :class:`Order` or an order id from what the caller gave ``cancel_order`` or
        ``modify_order`` (an :class:`OrderResult` names its order by ``order_id``)."""
        if isinstance(order, Order):
            return order
        if isinstance(order, OrderResult):
            ref = order.order_id or order.client_order_id
            if ref:
                return ref
        elif isinstance(order, (str, int)) and not isinstance(order, bool) and str(order):
            return str(order).strip()
        raise ConfigurationError(f"pass an Order (from orders()) or an order id, not {order!r}")

    def _not_open(self, what: str, item_id: str, account: str, known: list[str]) -> BrokerError:
        """The error for an id that names no open position or order: the same on every
        platform, for close, cancel and modify (``what``: "position" or "order")."""
        listed = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "") or "none"
        return ConfigurationError(
            f"no open {what} has the id {item_id!r} on account {account} (open: {listed})",
            broker=self.broker,
            hint=f"it may be closed, filled or cancelled already; list them with {what}s()",
        )

    def _lacks(self, operation: str) -> ConfigurationError:
        """The error for an operation this platform does not offer."""
        return ConfigurationError(
            f"the platform does not offer {operation} (see {type(self).__name__}.capabilities)",
            broker=self.broker,
        )

    @property
    def logged_in(self) -> bool:
        return self._logged_in

    def close(self) -> None:
        """End the platform session (where the platform has a logout) and free the connection."""
        with self._lock:
            if self._logged_in and self._token_cache is not None:
                # No logout: the next run takes this session from the cache (it ends by
                # the platform's own expiry otherwise).
                self._save_session(CLOSE_LOCK_WAIT)
                self._forget_session()
            elif self._logged_in:
                try:
                    self._close_session()
                except BrokerError as exc:
                    log.warning("%s: logout failed: %s", self.broker, exc)
                finally:
                    self._forget_session()
        if self._owns_http:
            self._http.close()

    def __enter__(self: ClientT) -> ClientT:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, user={self._user_label!r}, "
            f"account={self.account!r}, logged_in={self._logged_in})"
        )

    # --------------------------------------------------- hooks for the platforms

    @property
    def _user_label(self) -> str:
        """Who logs in (a login or e-mail, never a secret)."""
        raise NotImplementedError

    def _open_session(self) -> None:
        """Log in and keep the session state. Called under the lock."""
        raise NotImplementedError

    def _renew_session(self) -> None:
        """Renew an expiring or rejected session; by default a new login."""
        self._open_session()

    def _session_is_stale(self) -> bool:
        """True when the session should be renewed before the next request."""
        return False

    def _close_session(self) -> None:
        """Tell the platform the session ends (logout); default: nothing to say."""

    def _forget_session(self) -> None:
        """Drop the session state."""
        self._logged_in = False

    def _auth_headers(self, account: str | None) -> dict[str, str]:
        raise NotImplementedError

    def _session_state(self) -> dict[str, Any] | None:
        """What the token cache keeps of the current session: JSON-able data whose
        ``"token"`` is the session token; ``None`` when there is nothing to keep (the
        default: a platform without these two hooks is never cached)."""
        return None

    def _restore_session_state(self, state: Mapping[str, Any]) -> bool:
        """Adopt a cached session if it is well formed and alive by the platform's own rule;
        ``False`` leaves the client as it was. Called under the lock."""
        return False

    def _error_details(self, data: Any) -> tuple[str | None, str | None]:
        """The platform's error code and text from an error body."""
        return None, None

    def _refine_error(self, error: BrokerError, data: Any) -> BrokerError:
        """Give a platform the chance to pick a more precise error class."""
        return error

    # ------------------------------------------------------- session life cycle

    def _open(self, *, fresh: bool = False) -> None:
        self._start(self._open_session, use_cache=not fresh)

    def _renew(self, rejected: str | None = None) -> None:
        self._start(self._renew_session, rejected=rejected)

    def _start(
        self, begin: Callable[[], None], *, use_cache: bool = True, rejected: str | None = None
    ) -> None:
        """Start a session with ``begin`` (a login or a renewal), or take the cached one."""
        try:
            if self._token_cache is None:
                begin()
            else:
                self._start_cached(begin, use_cache, rejected)
        except (AuthenticationError, ConfigurationError) as exc:
            self._forget_session()
            self._login_failure = exc
            raise
        self._logged_in = True
        self._generation += 1

    def _start_cached(
        self, begin: Callable[[], None], use_cache: bool, rejected: str | None
    ) -> None:
        """Under the cache's cross-process lock: take the cached session when it is alive
        (and not the token the platform just ``rejected``), else ``begin`` and store the new
        one. A process that waited on the lock thus finds the session another one made."""
        entry = self._cached_entry()
        with entry.locked():
            state = entry.load() if use_cache else None
            if (
                state is not None
                and state.get("token") != rejected
                and self._restore_session_state(state)
            ):
                log.info(
                    "%s: %s: session taken from the token cache", self.broker, self._user_label
                )
                self._cache_saved_at, self._cache_token = self._clock(), state.get("token")
                return
            if state is not None:
                log.info("token cache: the session of %s is expired or unusable", self._user_label)
            if state is not None and rejected is not None:
                entry.discard()  # dead: gone even if the login below fails
            begin()
            state = self._session_state()
            if state is not None and entry.store(state, self._clock()):
                self._cache_saved_at, self._cache_token = self._clock(), state.get("token")

    def _cached_entry(self) -> CacheEntry:
        if self._cache_entry is None:
            assert self._token_cache is not None  # see the callers
            self._cache_entry = self._token_cache.entry(
                self.broker, self.base_url, self._user_label
            )
        return self._cache_entry

    def _save_session(self, wait: float) -> None:
        """Write the session (its last activity above all) back to the cache entry, if the
        entry still holds this client's session (as it was when taken or last written: a
        DXtrade ping may have changed the token since): another process's newer one is left
        alone, and a discarded one is not brought back. Skipped when the locks are busy."""
        if not self._lock.acquire(timeout=wait if wait > 0 else -1, blocking=wait > 0):
            return
        try:
            self._cache_saved_at = self._clock()
            state = self._session_state() if self._logged_in else None
            if state is None:
                return
            entry = self._cached_entry()
            with entry.locked(wait) as held:
                cached = entry.load() if held else None
                ours = (state.get("token"), self._cache_token)
                mine = cached is not None and cached.get("token") in ours
                if mine and entry.store(state, self._cache_saved_at):
                    self._cache_token = state.get("token")
        finally:
            self._lock.release()

    def _ensure_session(self) -> int:
        """Log in or renew as needed; return the session generation in use."""
        generation = self._generation  # read first: a renewal bumps it after its new token
        if self._logged_in and self._login_failure is None and not self._session_is_stale():
            # The warm path takes no lock: a thread that finds the session live uses it, as
            # a request already in flight does (a 401 from a renewal racing it is replayed).
            return generation
        attempts_seen = self._login_attempts
        with self._lock:
            if self._login_failure is not None:
                # Never repeat a refused login on our own: repeated bad logins lock accounts.
                failure = self._login_failure
                raise replace_error(
                    failure,
                    type(failure),
                    message=f"{failure.message} (refused earlier; not sent again)",
                    hint="fix the credentials or the configuration, then call login()",
                ) from failure
            stale = self._logged_in and self._session_is_stale()
            if not self._logged_in or stale:
                if self._login_attempts != attempts_seen and self._login_error is not None:
                    # Another thread tried while we waited for the lock, and failed: share its
                    # answer rather than queue one more full retry cycle each.
                    raise self._login_error
                self._login_attempts += 1
                try:
                    if stale:
                        log.info("%s: session about to expire, renewing", self.broker)
                        self._renew()
                    else:
                        self._open()
                except BrokerError as exc:
                    self._login_error = exc
                    raise
                self._login_error = None
            return self._generation

    def _renew_after_401(self, generation: int) -> None:
        with self._lock:
            if self._generation == generation:  # nobody renewed since our request left
                log.info("%s: session rejected (401), renewing once", self.broker)
                state = self._session_state() if self._token_cache is not None else None
                self._renew(rejected=state.get("token") if state else None)

    def _call(
        self,
        method: str,
        path: str,
        *,
        account: str | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        kind: str = "request",
    ) -> Reply:
        """An authenticated request. A 401 renews the session once and replays a read once;
        a write is never replayed. ``write`` marks what may not be retried whatever its HTTP
        method; ``kind`` names the throttle bucket it also counts against (e.g. history
        pages), besides the common one."""

        def send() -> Reply:
            all_headers = {**self._auth_headers(account), **(headers or {})}
            reply = self._send(
                method,
                path,
                json=json,
                params=params,
                headers=all_headers,
                idempotent=not write,
                kind=kind,
            )
            if (
                self._token_cache is not None
                and self._clock() - self._cache_saved_at >= CACHE_TOUCH_EVERY
            ):
                self._save_session(0.0)
            return reply

        generation = self._ensure_session()
        try:
            return send()
        except AuthenticationError as exc:
            if exc.status != 401:
                raise
            self._renew_after_401(generation)
            if write:  # never replayed: the caller decides, knowing it was not executed
                message = (
                    "the session had expired, so this change was not executed; a new session "
                    "is ready: send it again"
                )
                raise replace_error(exc, SessionExpiredError, message=message, hint="") from exc
        try:
            return send()
        except AuthenticationError as exc:
            if exc.status != 401:
                raise
            message = "the session was rejected again right after a new login"
            raise replace_error(exc, SessionExpiredError, message=message, hint=None) from exc

    def _parsing(self, method: str, path: str) -> _Parsing:
        """Attach this client's context to errors raised by the pure payload parsers."""
        return _Parsing(self.broker, method, path)

    # ---------------------------------------------------------------- transport

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        kind: str = "request",
    ) -> Reply:
        """Send one request (retried under the policy when ``idempotent``)."""

        def once() -> Reply:
            self.throttle.acquire("request")
            if kind != "request":
                self.throttle.acquire(kind)
            return self._send_once(method, path, json=json, params=params, headers=headers)

        return self.retry.call(once) if idempotent else once()

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> Reply:
        all_headers = {
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            **(headers or {}),
        }
        body = None
        if json is not None:
            if log.isEnabledFor(logging.DEBUG):  # redact() walks the body: only when logged
                log.debug("%s %s request body: %s", method, path, redact(json))
            try:
                body = encode_json(json)
            except TypeError as exc:  # a value of a type JSON cannot carry, from the caller
                raise ConfigurationError(f"cannot send {path}: {exc}") from None
            all_headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            response = self._http.request(
                method,
                self.base_url + path,
                data=body,
                params=params,
                headers=all_headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            self._read_body(response, method, path)
        except requests.exceptions.InvalidHeader:
            # `from None`: the cause's message quotes the header, token included.
            raise ResponseError(
                "a header value the platform gave us cannot be sent back",
                broker=self.broker,
                method=method,
                path=path,
            ) from None
        except requests.RequestException as exc:
            raise self._transport_error(exc, method, path) from exc
        except UnicodeError:  # a token with characters HTTP headers cannot carry
            raise ResponseError(
                "a token the platform gave us cannot be sent in a header",
                broker=self.broker,
                method=method,
                path=path,
            ) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._last_activity = self._clock()
        log.info(
            "%s %s %s -> %s in %.1f ms", self.broker, method, path, response.status_code, elapsed_ms
        )
        if log.isEnabledFor(logging.DEBUG) and response.content:
            log.debug("%s %s response body: %s", method, path, redact_text(response.text)[:2000])
        return self._reply(response, method, path)

    def _read_body(self, response: requests.Response, method: str, path: str) -> None:
        """Read the whole body now (the connection then goes back to the pool), within the
        read timeout in all: ``requests`` alone bounds each read, so an answer trickling in
        a byte at a time could otherwise take forever."""
        limit = self.timeout[-1] if isinstance(self.timeout, tuple) else self.timeout
        deadline = time.monotonic() + limit
        raw = response.raw
        if (
            not hasattr(raw, "read1")
            or type(getattr(raw, "_fp", None)) is not http.client.HTTPResponse
        ):
            # Not a live socket (a test recorder's stand-in, urllib3 1): read as requests does.
            response.content  # noqa: B018
            return
        # read1() hands back what has arrived instead of waiting to fill the chunk.
        read = raw.read1
        chunks = []
        kw: dict[str, Any] = {"broker": self.broker, "method": method, "path": path}
        try:
            while chunk := read(65536, decode_content=True):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    response.close()
                    raise RequestTimeoutError(
                        f"the answer took longer than the timeout {self.timeout!r} s to arrive",
                        **kw,
                    )
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise RequestTimeoutError(f"the answer stalled for {limit} s", **kw) from exc
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            message = f"the connection broke while the answer arrived: {_reason(exc)}"
            raise NetworkError(message, **kw) from exc
        response._content = b"".join(chunks)  # what Response.content would have done

    def _transport_error(
        self, exc: requests.RequestException, method: str, path: str
    ) -> BrokerError:
        kw: dict[str, Any] = {"broker": self.broker, "method": method, "path": path}
        if isinstance(exc, requests.Timeout):
            phase = "connect" if isinstance(exc, requests.ConnectTimeout) else "answer"
            return RequestTimeoutError(f"no {phase} within the timeout {self.timeout!r} s", **kw)
        if isinstance(exc, requests.exceptions.SSLError):
            error = NetworkError(
                "TLS verification of the broker's certificate failed",
                hint="check the host name in base_url; verification stays on",
                **kw,
            )
            error.retryable = False  # a certificate problem does not heal by retrying
            return error
        if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return ConfigurationError(f"invalid URL for {path!r}", **kw)
        return NetworkError(f"the connection to the broker failed: {_reason(exc)}", **kw)

    def _reply(self, response: requests.Response, method: str, path: str) -> Reply:
        data = None
        decode_failed = False
        if response.content.strip():
            try:
                data = decode_json(response.content)
            except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
                decode_failed = True
        status = response.status_code
        if 200 <= status < 300:
            if decode_failed or (data is None and _looks_like_html(response) and response.content):
                raise ResponseError(
                    "the answer is not JSON",
                    broker=self.broker,
                    status=status,
                    method=method,
                    path=path,
                    excerpt=_excerpt(response.text),
                    hint="the base URL may point at a web page instead of the API",
                )
            if "Set-Cookie" not in response.headers:  # the jar is slow to walk: only if set
                return Reply(status, response.headers, data)
            # Not dict(response.cookies): that raises when a name is set for two paths.
            cookies = {c.name: c.value for c in response.cookies if c.value is not None}
            return Reply(status, response.headers, data, cookies)
        raise self._refine_error(self._http_error(response, data, method, path), data)

    def _http_error(
        self, response: requests.Response, data: Any, method: str, path: str
    ) -> BrokerError:
        status = response.status_code
        code, text = self._error_details(data)
        kw: dict[str, Any] = {
            "broker": self.broker,
            "status": status,
            "code": code,
            "method": method,
            "path": path,
        }
        if data is None and response.content.strip():
            kw["excerpt"] = _excerpt(response.text)
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            return ResponseError(
                f"the broker redirected to {location!r} instead of answering",
                hint="the base URL is probably wrong (scheme, host or path); "
                "redirects are not followed",
                **kw,
            )
        if _is_bot_challenge(response) or (status == 403 and "excerpt" in kw):
            # A 403 that is not the API's JSON comes from a proxy in front of it (Cloudflare
            # blocks, WAF pages): it says nothing about the credentials.
            return BotProtectionError("a bot-protection page answered instead of the API", **kw)
        if status == 401:
            return AuthenticationError(
                text or "the platform refused the credentials or session", **kw
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock)
            return RateLimitError(
                text or "rate limited by the platform", retry_after=retry_after, **kw
            )
        if status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock)
            return ServerError(text or "the broker's server failed", retry_after=retry_after, **kw)
        if "excerpt" in kw and _looks_like_html(response):
            return ResponseError(
                "an HTML page answered instead of the API",
                hint="check the base URL; the path may not exist on this server",
                **kw,
            )
        return RequestRejectedError(text or "the platform refused the request", **kw)


def answer_lost(exc: BaseException) -> bool:
    """True when a write's answer was lost, so it may or may not have been executed: the
    connection failed or timed out, the server failed or throttled after receiving it, or a
    2xx answer could not be read (a ``ResponseError`` without a status comes from reading one)."""
    if isinstance(exc, (NetworkError, ServerError, RateLimitError)):
        return True
    return isinstance(exc, ResponseError) and (exc.status or 200) < 300


def replace_error(error: BrokerError, cls: type[BrokerError], **changes: Any) -> BrokerError:
    """A copy of ``error`` as another class (keeping status, code, method, path, excerpt)."""
    kw = {
        "broker": error.broker,
        "status": error.status,
        "code": error.code,
        "method": error.method,
        "path": error.path,
        "excerpt": error.excerpt,
        **changes,
    }
    message = kw.pop("message", error.message)
    return cls(message, **kw)

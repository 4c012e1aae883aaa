"""brokers: one clean, blocking client for DXtrade and Match-Trader accounts.

    >>> import brokers
    >>> with brokers.DXTrade.from_env() as client:
    ...     print(client.get_balance())

Every failure is a :class:`brokers.BrokerError`; money is :class:`decimal.Decimal`.
"""

__version__ = "0.1.0"

import logging

from . import capabilities
from .base import BrokerClient
from .dxtrade import DXTrade
from .exceptions import (
    AccessDeniedError,
    AccountLockedError,
    AuthenticationError,
    BotProtectionError,
    BrokerError,
    ConfigurationError,
    NetworkError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    RateLimitError,
    RequestRejectedError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    SessionExpiredError,
)
from .factory import Broker
from .fanout import FetchResult, FetchResults, fetch_balances
from .matchtrade import MatchTrade
from .models import (
    Account,
    Balance,
    Candle,
    Instrument,
    Order,
    OrderResult,
    Position,
    Quote,
    Records,
    Trade,
)
from .orders import UNSET
from .profiles import Profile, load_profiles
from .redaction import redact
from .retry import RetryPolicy
from .throttle import Rate, Throttle

logging.getLogger("brokers").addHandler(logging.NullHandler())

__all__ = [
    "UNSET",
    "AccessDeniedError",
    "Account",
    "AccountLockedError",
    "AuthenticationError",
    "Balance",
    "BotProtectionError",
    "Broker",
    "BrokerClient",
    "BrokerError",
    "Candle",
    "ConfigurationError",
    "DXTrade",
    "FetchResult",
    "FetchResults",
    "Instrument",
    "MatchTrade",
    "NetworkError",
    "Order",
    "OrderOutcomeUnknownError",
    "OrderRejectedError",
    "OrderResult",
    "Position",
    "Profile",
    "Quote",
    "Rate",
    "RateLimitError",
    "Records",
    "RequestRejectedError",
    "RequestTimeoutError",
    "ResponseError",
    "RetryPolicy",
    "ServerError",
    "SessionExpiredError",
    "Throttle",
    "Trade",
    "__version__",
    "capabilities",
    "fetch_balances",
    "load_profiles",
    "redact",
]

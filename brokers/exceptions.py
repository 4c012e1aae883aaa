"""The one error tree of the library.

Every failure reaches the caller as a :class:`BrokerError` subclass; no ``requests``,
``json`` or ``tenacity`` exception escapes (they are chained as ``__cause__``)::

    try:
        balance = client.get_balance()
    except brokers.AuthenticationError as exc:
        print("check the credentials:", exc)
    except brokers.BrokerError as exc:
        print(exc.broker, exc.status, exc.code, exc)

Each error carries ``broker``, ``status`` (HTTP status or ``None``), ``code`` (the platform's
own error code as a string, or ``None``), ``method``, ``path`` and a redacted ``excerpt`` of
the response body. Messages never contain passwords or tokens.
"""

from __future__ import annotations

from typing import Any

from .redaction import redact_text


class BrokerError(Exception):
    """Base class of every error raised by ``brokers``."""

    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        broker: str | None = None,
        status: int | None = None,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
        excerpt: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.broker = broker
        self.status = status
        self.code = None if code is None else str(code)
        self.method = method
        self.path = path
        self.excerpt = redact_text(excerpt) if excerpt else None
        self.hint = self.default_hint if hint is None else hint
        self.message = redact_text(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        # Rendered late so that the client can fill in broker, method and path after a
        # parser raised with the message alone.
        return self._render()

    def _render(self) -> str:
        text = f"{self.broker}: {self.message}" if self.broker else self.message
        where = " ".join(p for p in (self.method, self.path) if p)
        details = []
        if where:
            details.append(where)
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code is not None:
            details.append(f"code {self.code}")
        if details:
            text += f" [{', '.join(details)}]"
        if self.excerpt:
            text += f" body: {self.excerpt!r}"
        if self.hint:
            text += f". {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (used by the command line)."""
        return {
            "type": type(self).__name__,
            "message": str(self),
            "broker": self.broker,
            "status": self.status,
            "code": self.code,
        }


class ConfigurationError(BrokerError):
    """The client is configured wrongly: a missing variable, an unknown account or broker type."""


class AuthenticationError(BrokerError):
    """The platform refused the credentials (or the session)."""

    default_hint = "Check the username/e-mail, password, domain or broker id"


class AccountLockedError(AuthenticationError):
    """The platform says the account is locked, blocked or disabled."""

    default_hint = "Contact the broker: the account is locked or disabled"


class AccessDeniedError(AuthenticationError):
    """The credentials may be right but the platform denies API access (e.g. REST disabled)."""

    default_hint = "Ask the broker to enable API (REST) access for this account"


class SessionExpiredError(AuthenticationError):
    """The session was rejected again right after a fresh login."""

    default_hint = (
        "The session was rejected twice in a row; log in again later or check the account"
    )


class RateLimitError(BrokerError):
    """The platform (HTTP 429) or the client-side throttle refused the request for now."""

    default_hint = "Too many requests; wait and try again"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def _render(self) -> str:
        text = super()._render()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return text


class NetworkError(BrokerError):
    """The broker could not be reached or the connection broke."""

    default_hint = "Check the base URL and the network; the request may be retried later"
    retryable = True


class RequestTimeoutError(NetworkError):
    """No answer within the configured timeout."""

    default_hint = "The broker did not answer in time; raise `timeout=` or retry later"


class ServerError(BrokerError):
    """The platform answered with a 5xx status (``retry_after`` when it said when to retry)."""

    default_hint = "The broker's server failed; retry later"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ResponseError(BrokerError):
    """The answer is not what the platform documents: non-JSON, HTML, a missing field."""


class BotProtectionError(ResponseError):
    """A bot-protection page (Cloudflare challenge) answered instead of the API."""

    default_hint = (
        "This is the broker's bot protection (Cloudflare), not a credentials problem; "
        "try another `user_agent=`, or ask the broker to allow API access from this host"
    )


class RequestRejectedError(BrokerError):
    """The platform understood the request and refused it (4xx other than 401/429)."""


class OrderRejectedError(RequestRejectedError):
    """The platform rejected an order or a position change."""


class OrderOutcomeUnknownError(BrokerError):
    """A write was sent but its outcome is unknown (timeout, dropped connection, 5xx, 429).

    It was not resent blindly. ``sent`` holds what was sent (no secrets) and
    ``client_order_id`` the DXtrade ``orderCode``; ``client.reconcile(error)`` looks for the
    order or position before anything is tried again.
    """

    default_hint = "Do not resend blindly: call client.reconcile(error) or check positions first"

    def __init__(
        self,
        message: str,
        *,
        sent: dict[str, Any] | None = None,
        client_order_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.sent = dict(sent or {})
        self.client_order_id = client_order_id
        super().__init__(message, **kwargs)

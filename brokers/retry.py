"""The retry policy: which requests are repeated, how often and how long to wait.

Built once per client from a :class:`RetryPolicy`, so tests (and callers) replace it::

    client = brokers.DXTrade(..., retry=RetryPolicy(attempts=5, sleep=lambda s: None))
    client = brokers.DXTrade(..., retry=RetryPolicy.disabled())

Only requests that are safe to repeat go through it (reads, login, ping, refresh); they are
repeated on connection errors, timeouts, 502/503/504 and 429. Everything else, and every
write, is sent exactly once.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from .exceptions import NetworkError, RateLimitError, ServerError

T = TypeVar("T")

RETRY_STATUSES = frozenset({502, 503, 504})


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())


def is_retryable(exc: BaseException) -> bool:
    """Transient failures only: never a 4xx other than 429, never a TLS failure."""
    if isinstance(exc, RateLimitError):
        return exc.status == 429  # a client-side throttle refusal is not retried
    if isinstance(exc, ServerError):
        return exc.status in RETRY_STATUSES
    return isinstance(exc, NetworkError) and getattr(exc, "retryable", True)


@dataclass(frozen=True)
class RetryPolicy:
    """How a client repeats safe requests.

    ``attempts`` counts the first try. Waits grow ``backoff * 2**n`` up to ``max_backoff``
    with up to ``jitter`` (a fraction) added at random; a ``Retry-After`` is honoured up to
    ``retry_after_cap`` seconds, and a longer one is handed to the caller at once as
    :class:`~brokers.RateLimitError` (a cron job must not sleep for an hour). No more than
    ``max_wait`` seconds are spent waiting in all.
    """

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.25
    retry_after_cap: float = 30.0
    max_wait: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that sends every request once."""
        return cls(attempts=1)

    def wait_for(self, attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = getattr(exc, "retry_after", None)  # 429 and 5xx may say when
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return base * (1 + self.jitter * random.random())

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        # Never past max_wait in all, whatever the jitter drew.
        return max(
            0.0, min(self.wait_for(state.attempt_number, exc), self.max_wait - state.idle_for)
        )

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        if (getattr(exc, "retry_after", None) or 0) > self.retry_after_cap:
            return True  # hand a long Retry-After to the caller rather than sleep on it
        return state.idle_for + self.wait_for(state.attempt_number, exc) > self.max_wait

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` under this policy; the last typed error is re-raised as it was.

        The first attempt runs bare: building and driving a ``tenacity.Retrying`` costs tens
        of microseconds, the largest part of the client's own CPU on a warm read, and almost
        every call succeeds at once. Only a retryable failure enters tenacity, which then
        sees that failure as its attempt 1 (same waits, same stops; ``tests/test_retry.py``).
        """
        try:
            return fn()
        except Exception as exc:
            if self.attempts <= 1 or not is_retryable(exc):
                raise
            first: Exception | None = exc

        def attempt() -> T:
            nonlocal first
            if first is not None:  # tenacity's attempt 1 is the failure already seen
                failure, first = first, None
                raise failure
            return fn()

        retrying = tenacity.Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=tenacity.retry_if_exception(is_retryable),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(attempt)

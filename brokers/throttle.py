"""A client-side request limiter, so a busy script stays inside the platform's published limits.

A :class:`Throttle` holds one token bucket per *kind* of request (``"login"``,
``"request"``); a call that would exceed a bucket waits until a token is free::

    Throttle({"login": Rate(1, 1.0), "request": Rate(500, 60.0)})
    Throttle.disabled()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .exceptions import ConfigurationError


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``per`` seconds."""

    count: int
    per: float

    def __post_init__(self) -> None:
        if not (isinstance(self.count, int) and self.count > 0 and self.per > 0):
            raise ConfigurationError(f"a rate needs a positive count and period, not {self}")


class _Bucket:
    def __init__(self, rate: Rate, now: float) -> None:
        self.capacity = float(rate.count)
        self.refill = rate.count / rate.per
        self.tokens = self.capacity
        self.stamp = now

    def take(self, now: float) -> float:
        """Take a token; return how long the caller must wait first (0 when free)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.refill


class Throttle:
    """Token buckets per request kind; thread-safe. Unknown kinds are not limited."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = dict(rates)
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def disabled(cls) -> Throttle:
        return cls({})

    def set_rates(self, rates: Mapping[str, Rate]) -> None:
        """Add or change the rates of some kinds (limits a platform publishes at run time);
        a kind whose rate changed starts again with a full bucket."""
        with self._lock:
            for kind, rate in rates.items():
                if self.rates.get(kind) != rate:
                    self.rates[kind] = rate
                    self._buckets.pop(kind, None)

    def acquire(self, kind: str) -> float:
        """Wait until a request of ``kind`` may go; return the seconds waited."""
        rate = self.rates.get(kind)
        if rate is None:
            return 0.0
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(kind)  # not setdefault: a bucket built every call
            if bucket is None:
                bucket = self._buckets[kind] = _Bucket(rate, now)
            delay = bucket.take(now)
        if delay > 0:
            self._sleep(delay)
        return delay

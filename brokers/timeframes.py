"""Candle timeframes, named one way for every platform.

``"1m" "5m" "15m" "30m" "1h" "2h" "4h" "1d" "1w" "1M"``: a number and a unit (``m`` minutes,
``h`` hours, ``d`` days, ``w`` weeks, ``M`` months). Each platform maps the names it offers
to its own spelling; a name it lacks is a :class:`~brokers.ConfigurationError` that lists
those it has.
"""

from __future__ import annotations

from collections.abc import Mapping

from .exceptions import ConfigurationError

# name -> length in seconds (a month counts 30 days: only used to size ranges)
TIMEFRAMES: dict[str, int] = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "4h": 14400,
    "1d": 86400,
    "1w": 604800,
    "1M": 2592000,
}
_ALIASES = {"m1": "1m", "m5": "5m", "m15": "15m", "m30": "30m", "h1": "1h", "h2": "2h"}
_ALIASES |= {"h4": "4h", "d1": "1d", "w1": "1w", "mn1": "1M", "1mo": "1M", "1min": "1m"}


def timeframe(value: object, offered: Mapping[str, object], broker: str) -> str:
    """The canonical name of ``value`` if the platform offers it (``offered`` maps canonical
    names to the platform's spelling); else a ``ConfigurationError`` listing those it has."""
    name = str(value).strip() if isinstance(value, str) else None
    if name and name not in TIMEFRAMES:
        name = _ALIASES.get(name.lower(), name)
    if name in offered:
        return name
    have = ", ".join(t for t in TIMEFRAMES if t in offered)
    raise ConfigurationError(
        f"{broker} has no timeframe {value!r}; it offers {have}", broker=broker
    )


def seconds(name: str) -> int:
    """The length of a canonical timeframe in seconds."""
    return TIMEFRAMES[name]

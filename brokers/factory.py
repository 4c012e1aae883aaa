"""``Broker(...)``: pick a platform client by name, as the original script did."""

from __future__ import annotations

from typing import Any

from .base import BrokerClient
from .dxtrade import DXTrade
from .exceptions import ConfigurationError
from .matchtrade import MatchTrade

PLATFORMS: dict[str, type[BrokerClient]] = {
    "dxtrade": DXTrade,
    "dx": DXTrade,
    "matchtrade": MatchTrade,
    "matchtrader": MatchTrade,
    "match-trader": MatchTrade,
    "match-trade": MatchTrade,
    "mtr": MatchTrade,
}


def platform_classes() -> list[type[BrokerClient]]:
    """Each platform's client class once, in registry order."""
    return list(dict.fromkeys(PLATFORMS.values()))


def platform_class(broker_type: str) -> type[BrokerClient]:
    """The client class for a platform name (case-insensitive)."""
    cls = PLATFORMS.get(str(broker_type or "").strip().lower())
    if cls is None:
        raise ConfigurationError(
            f"unknown broker type {broker_type!r}; known: {', '.join(sorted(PLATFORMS))}"
        )
    return cls


def Broker(broker_type: str, username: str, password: str, **options: Any) -> BrokerClient:
    """A :class:`~brokers.DXTrade` or :class:`~brokers.MatchTrade` client.

    >>> client = Broker("dxtrade", "1210001", "secret", base_url="https://dx.example.com")
    >>> client = Broker("MatchTrade", "me@example.com", "secret",
    ...                 base_url="https://mtr.example.com", broker_id="2")

    For Match-Trader the username is the e-mail and ``broker_id`` is required.
    """
    cls = platform_class(broker_type)
    if not options.get("base_url"):
        raise ConfigurationError(f"Broker({broker_type!r}, ...) needs base_url=")
    base_url = options.pop("base_url")
    if cls is MatchTrade:
        if "broker_id" not in options:
            raise ConfigurationError("Match-Trader needs broker_id= (the broker's partnerId)")
        return MatchTrade(base_url, username, password, **options)
    return DXTrade(base_url, username, password, **options)

"""Named profiles: many broker logins kept in one env file.

::

    BROKERS_PROFILES=ftmo,e8
    FTMO_BROKER=dxtrade
    FTMO_BASE_URL=https://dxtrade.ftmo.com
    FTMO_USERNAME=1210001
    FTMO_PASSWORD=...
    E8_BROKER=matchtrade
    E8_BASE_URL=https://mtr.e8markets.com
    E8_EMAIL=me@example.com
    E8_PASSWORD=...
    E8_BROKER_ID=2

A profile's variables start with its name upper-cased, ``-`` replaced by ``_`` (profile
``my-dx`` reads ``MY_DX_*``): ``BROKER`` (the platform: dxtrade, matchtrade, ...), ``BASE_URL``,
``USERNAME`` (the DXtrade login; for Match-Trader the e-mail, also accepted as ``EMAIL``),
``PASSWORD``, and optionally ``DOMAIN`` (DXtrade, default ``default``), ``BROKER_ID``
(Match-Trader, required there), ``ACCOUNT`` and ``CURRENCY`` (DXtrade).

The single configurations ``DXTRADE_*`` and ``MATCHTRADE_*`` are profiles too, named
``dxtrade`` and ``matchtrade``, whenever their ``*_BASE_URL`` is set. Settings come from the
environment over the env file (:func:`brokers.config.load_settings`); secrets never come from
the command line.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from typing import Any

from .base import BrokerClient, check_base_url
from .config import Settings, load_settings, require, setting
from .dxtrade import DXTrade
from .exceptions import ConfigurationError
from .factory import platform_class
from .matchtrade import MatchTrade
from .redaction import Secret

PROFILES_VARIABLE = "BROKERS_PROFILES"
SINGLE_PROFILES = ("dxtrade", "matchtrade")  # DXTRADE_* and MATCHTRADE_*
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def variable_prefix(name: str) -> str:
    """The prefix of a profile's variables: ``my-dx`` -> ``MY_DX``."""
    return name.strip().upper().replace("-", "_")


@dataclass(frozen=True)
class Profile:
    """One broker login: the platform, where it is, and the credentials to use.

    ``broker`` is the platform (``"dxtrade"`` or ``"matchtrade"``; any name
    :func:`brokers.factory.platform_class` knows is accepted and normalised). ``username`` is
    the DXtrade login or the Match-Trader e-mail. ``password`` is held as a
    :class:`~brokers.redaction.Secret` (a plain string is wrapped), so ``repr()`` never shows it.
    """

    name: str
    broker: str
    base_url: str
    username: str
    password: Secret
    domain: str | None = None
    broker_id: str | None = None
    account: str | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.password, Secret):
            object.__setattr__(self, "password", Secret(self.password, password=True))
        object.__setattr__(self, "broker", platform_class(self.broker).broker)

    @property
    def platform(self) -> type[BrokerClient]:
        """The client class of this profile's platform."""
        return platform_class(self.broker)

    def client(self, **options: Any) -> BrokerClient:
        """A new (not yet logged-in) client for this profile.

        ``options`` go to the client (``timeout``, ``retry``, ``throttle``, ``user_agent``,
        ...); ``account=`` (and for DXtrade ``currency=``) replace the profile's own.
        """
        account = options.pop("account", self.account)
        password = self.password.reveal()
        if self.platform is MatchTrade:
            options.pop("currency", None)  # Match-Trader reports the currency itself
            return MatchTrade(
                self.base_url, self.username, password, self.broker_id or "", account, **options
            )
        options.setdefault("currency", self.currency)
        return DXTrade(
            self.base_url, self.username, password, self.domain or "default", account, **options
        )


def _profile_names(settings: Settings) -> list[str]:
    raw = setting(settings, PROFILES_VARIABLE) or ""
    names: list[str] = []
    for name in re.split(r"[,\s]+", raw):
        if not name:
            continue
        if not _NAME.fullmatch(name):
            raise ConfigurationError(
                f"{PROFILES_VARIABLE}: {name!r} is not a usable profile name",
                hint="Use letters, digits, '-' and '_', separated by commas",
            )
        if variable_prefix(name) not in {variable_prefix(n) for n in names}:
            names.append(name)
    return names


def read_profile(settings: Settings, name: str, *, default_broker: str | None = None) -> Profile:
    """The profile ``name`` from ``settings``; a missing variable raises, naming itself."""
    prefix = variable_prefix(name)

    def get(key: str) -> str | None:
        return setting(settings, f"{prefix}_{key}")

    def need(*keys: str) -> str:
        return require(settings, *(f"{prefix}_{key}" for key in keys))

    broker_name = default_broker if default_broker and not get("BROKER") else need("BROKER")
    try:
        cls = platform_class(broker_name)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{prefix}_BROKER: {exc.message}") from None
    base_url = need("BASE_URL")
    try:
        check_base_url(base_url)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{prefix}_BASE_URL: {exc.message}", hint=exc.hint) from None
    if cls is MatchTrade:
        username = need("EMAIL", "USERNAME")
        broker_id: str | None = need("BROKER_ID")
    else:
        username = need("USERNAME")
        broker_id = None
    password = need("PASSWORD")
    return Profile(
        name=name,
        broker=broker_name,
        base_url=base_url,
        username=username,
        password=Secret(password, password=True),
        domain=get("DOMAIN") if cls is not MatchTrade else None,
        broker_id=broker_id,
        account=get("ACCOUNT"),
        currency=get("CURRENCY") if cls is not MatchTrade else None,
    )


class Profiles(dict[str, Profile]):
    """The configured profiles by name. ``profiles["ftmo"]`` also finds ``FTMO`` and
    ``ft-mo``; a name that is not configured is a :class:`~brokers.ConfigurationError` that
    lists those that are, as the command line says it (not a bare ``KeyError``)."""

    def __missing__(self, name: str) -> Profile:
        return find_profile(dict(self), name)

    def _repr_html_(self) -> str:
        """A table in Jupyter: where each profile logs in, never its secrets."""
        columns = ("name", "broker", "base_url", "username", "account")
        head = "".join(f"<th>{c}</th>" for c in columns)
        rows = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(str(getattr(p, c) or ''))}</td>" for c in columns)
            + "</tr>"
            for p in self.values()
        )
        return f"<table><caption>{len(self)} profiles</caption><tr>{head}</tr>{rows}</table>"


def load_profiles(env_file: str | os.PathLike[str] | None = None) -> Profiles:
    """Every configured profile, by name, in the order of ``BROKERS_PROFILES``, then the
    single ``dxtrade`` / ``matchtrade`` configurations (when their ``*_BASE_URL`` is set).

    The env file is ``env_file``, else ``BROKERS_ENV_FILE``, else ``./.env``; the process
    environment wins over it. An incomplete profile raises
    :class:`~brokers.ConfigurationError` naming the missing variable. Nothing configured
    gives an empty dict.
    """
    settings = load_settings(env_file)
    profiles = Profiles()
    for name in _profile_names(settings):
        default = name.lower() if name.lower() in SINGLE_PROFILES else None
        profiles[name] = read_profile(settings, name, default_broker=default)
    taken = {variable_prefix(n) for n in profiles}
    for name in SINGLE_PROFILES:
        prefix = variable_prefix(name)
        if prefix not in taken and setting(settings, f"{prefix}_BASE_URL"):
            profiles[name] = read_profile(settings, name, default_broker=name)
    return profiles


def find_profile(profiles: dict[str, Profile], name: str) -> Profile:
    """The profile called ``name`` (case and ``-``/``_`` do not matter), else a
    :class:`~brokers.ConfigurationError` listing the configured ones."""
    if name in profiles:
        return profiles[name]
    wanted = variable_prefix(name)
    for key, profile in profiles.items():
        if variable_prefix(key) == wanted:
            return profile
    known = ", ".join(profiles) or "none"
    raise ConfigurationError(
        f"unknown profile {name!r} (configured: {known})",
        hint=f"List it in {PROFILES_VARIABLE} and set its variables, e.g. "
        f"{wanted}_BROKER, {wanted}_BASE_URL, {wanted}_USERNAME, {wanted}_PASSWORD",
    )

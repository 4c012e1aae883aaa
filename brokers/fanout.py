"""Many accounts at once: :func:`fetch_balances` over clients, profiles or profile names.

::

    >>> results = brokers.fetch_balances()                # every configured profile
    >>> results = brokers.fetch_balances(["ftmo", "e8"], workers=4, timeout=10)
    >>> results.ok, [r.name for r in results if not r.ok]
    >>> results                                           # an HTML table in Jupyter

One client per target, run on a thread pool. A target that fails holds its
:class:`~brokers.BrokerError` instead of balances; one bad account never raises. What does
raise, before any request is sent, is a configuration error: an unknown profile name, an
incomplete profile, no profile configured at all.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

from .base import BrokerClient
from .exceptions import BrokerError, ConfigurationError
from .models import Balance
from .profiles import PROFILES_VARIABLE, Profile, find_profile, load_profiles
from .redaction import redact_text

log = logging.getLogger("brokers")

Target: TypeAlias = BrokerClient | Profile | str
T = TypeVar("T")

DEFAULT_WORKERS = 8
BALANCE_FIELDS = ("account", "currency", "balance", "equity", "available", "margin", "profit")
ROW_FIELDS = ("profile", "broker", *BALANCE_FIELDS, "credit", "error_type", "error")


def client_name(client: BrokerClient) -> str:
    """How a client passed in is named in results: ``dxtrade:1210001@default``."""
    return f"{client.broker}:{client._user_label}"


def error_dict(error: BrokerError) -> dict[str, Any]:
    """The JSON-safe form of an error, redacted once more."""
    data = error.to_dict()
    data["message"] = redact_text(data["message"])
    return data


@dataclass(frozen=True)
class Outcome:
    """What one call on one target gave: a value or a :class:`~brokers.BrokerError`."""

    name: str
    broker: str
    value: Any = None
    error: BrokerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class FetchResult:
    """The balances of one target, or the error that stopped it."""

    name: str
    broker: str
    balances: list[Balance] = field(default_factory=list)
    error: BrokerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "broker", "ok", "balances": [...], "error": None | {"type", ...}}``
        (decimals as strings)."""
        return {
            "name": self.name,
            "broker": self.broker,
            "ok": self.ok,
            "balances": [b.to_dict() for b in self.balances],
            "error": None if self.error is None else error_dict(self.error),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per balance, or one row holding the error (see ``ROW_FIELDS``)."""
        if self.error is not None:
            row = dict.fromkeys(ROW_FIELDS)
            row.update(
                profile=self.name,
                broker=self.broker,
                error_type=type(self.error).__name__,
                error=redact_text(str(self.error)),
            )
            return [row]
        return [
            {"profile": self.name, **b.to_dict(), "error_type": None, "error": None}
            for b in self.balances
        ]

    def _repr_html_(self) -> str:
        return FetchResults([self])._repr_html_()


class FetchResults(list[FetchResult]):
    """The results of :func:`fetch_balances`, in the order of the targets."""

    @property
    def ok(self) -> bool:
        """True when every target gave its balances."""
        return all(r.ok for r in self)

    @property
    def balances(self) -> list[Balance]:
        """Every balance fetched, target after target."""
        return [b for r in self for b in r.balances]

    @property
    def errors(self) -> dict[str, BrokerError]:
        """The failed targets' errors, by target name."""
        return {r.name: r.error for r in self if r.error is not None}

    def to_dict(self) -> dict[str, Any]:
        """``{"ok": bool, "results": [FetchResult.to_dict(), ...]}``, JSON-safe."""
        return {"ok": self.ok, "results": [r.to_dict() for r in self]}

    def rows(self) -> list[dict[str, Any]]:
        """Flat rows, one per balance or error: ready for ``csv`` or ``pandas.DataFrame``."""
        return [row for r in self for row in r.rows()]

    def _repr_html_(self) -> str:
        columns = ("profile", "broker", *BALANCE_FIELDS, "credit")
        head = "".join(f"<th>{c}</th>" for c in columns)
        body = []
        for result in self:
            name = html.escape(result.name)
            broker = html.escape(result.broker)
            if result.error is not None:
                message = html.escape(f"{type(result.error).__name__}: {result.error}")
                body.append(
                    f"<tr><td>{name}</td><td>{broker}</td>"
                    f'<td colspan="{len(columns) - 2}" style="color:#b00020">{message}</td></tr>'
                )
                continue
            for balance in result.balances:
                values = balance.to_dict()
                cells = "".join(
                    f"<td>{html.escape('' if values[c] is None else str(values[c]))}</td>"
                    for c in columns[2:]
                )
                body.append(f"<tr><td>{name}</td><td>{broker}</td>{cells}</tr>")
        failed = sum(not r.ok for r in self)
        caption = f"{len(self)} targets, {failed} failed" if failed else f"{len(self)} targets"
        return (
            f"<table><caption>Balances ({caption})</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )


def resolve_targets(
    targets: Target | Iterable[Target] | None,
    env_file: str | os.PathLike[str] | None = None,
) -> list[tuple[str, Profile | BrokerClient]]:
    """``(name, profile or client)`` for each target; profile names are looked up in the
    configuration (``None``: every configured profile). Raises
    :class:`~brokers.ConfigurationError` for an unknown name or when nothing is configured."""
    if isinstance(targets, (str, Profile, BrokerClient)):
        targets = [targets]
    elif targets is not None and not isinstance(targets, Iterable):
        raise ConfigurationError(f"targets must be clients, profiles or names, not {targets!r}")
    targets = None if targets is None else list(targets)
    profiles: dict[str, Profile] | None = None
    if targets is None or any(isinstance(t, str) for t in targets):
        profiles = load_profiles(env_file)
    if targets is None:
        if not profiles:
            raise ConfigurationError(
                "no broker is configured",
                hint=f"Set {PROFILES_VARIABLE} and the profiles' variables, or DXTRADE_BASE_URL "
                "/ MATCHTRADE_BASE_URL / TRADELOCKER_BASE_URL / PROJECTX_BASE_URL and their "
                "credentials (environment or env file)",
            )
        return list(profiles.items())
    resolved: list[tuple[str, Profile | BrokerClient]] = []
    for target in targets:
        if isinstance(target, (str, Profile)):
            profile = find_profile(profiles or {}, target) if isinstance(target, str) else target
            if any(source is profile for _, source in resolved):
                continue  # named twice (`--profile ftmo --profile FTMO`): fetched once
            resolved.append((profile.name, profile))
        elif isinstance(target, BrokerClient):
            resolved.append((client_name(target), target))
        else:
            raise ConfigurationError(
                f"a target must be a client, a Profile or a profile name, not {type(target)!r}"
            )
    return resolved


def run_each(
    targets: Target | Iterable[Target] | None,
    call: Callable[[BrokerClient], T],
    *,
    workers: int = DEFAULT_WORKERS,
    env_file: str | os.PathLike[str] | None = None,
    **client_options: Any,
) -> list[Outcome]:
    """Run ``call(client)`` for each target on a pool of ``workers`` threads.

    Clients are made from profiles (with ``client_options``) before any request is sent and
    closed when their call is done; clients passed in are used as they are and left open.
    Each outcome holds the call's value or its :class:`~brokers.BrokerError` (any other
    exception is wrapped in a plain ``BrokerError``), in the order of the targets.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be a whole number >= 1, not {workers!r}")
    resolved = resolve_targets(targets, env_file)
    jobs: list[tuple[str, BrokerClient, bool]] = []
    try:
        for name, source in resolved:
            if isinstance(source, Profile):
                jobs.append((name, source.client(**client_options), True))
            else:
                jobs.append((name, source, False))
    except BaseException:
        for _, client, owned in jobs:
            if owned:
                client.close()
        raise
    if not jobs:
        return []

    def run(job: tuple[str, BrokerClient, bool]) -> Outcome:
        name, client, owned = job
        try:
            return Outcome(name, client.broker, value=call(client))
        except BrokerError as exc:
            error = exc
        except Exception as exc:
            log.debug("%s: unexpected failure", name, exc_info=True)
            error = BrokerError(f"unexpected {type(exc).__name__}: {exc}", broker=client.broker)
            error.__cause__ = exc
        finally:
            if owned:
                client.close()
        log.debug("%s: %s: %s", name, type(error).__name__, error)
        return Outcome(name, client.broker, error=error)

    pool = ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="brokers")
    futures: list[Future[Outcome]] = [pool.submit(run, job) for job in jobs]
    try:
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for future, (_, client, owned) in zip(futures, jobs, strict=True):
            if owned and future.cancelled():
                client.close()


def balances_of(client: BrokerClient) -> list[Balance]:
    """A client's balances: its pinned account's, else every account of the login."""
    return client.get_balances([client.account] if client.account else None)


def fetch_balances(
    targets: Target | Iterable[Target] | None = None,
    *,
    workers: int = DEFAULT_WORKERS,
    env_file: str | os.PathLike[str] | None = None,
    **client_options: Any,
) -> FetchResults:
    """The balances of many targets at once.

    ``targets``: clients, :class:`~brokers.Profile` objects or profile names (see
    :func:`brokers.load_profiles`), mixed freely; ``None`` means every configured profile.
    Each target's ``get_balances()`` runs on a pool of ``workers`` threads: a DXtrade login
    gives all its accounts from one request (or only its pinned ``account``). ``env_file``
    is where profile names are looked up; ``client_options`` (``timeout``, ``retry``, ...)
    configure the clients made from profiles, which are closed afterwards. Clients passed in
    are left open.

    Returns :class:`FetchResults` in the order of the targets; a failed target holds its
    error. Raises only :class:`~brokers.ConfigurationError`, before any request, for an
    unknown or incomplete profile or when nothing is configured.
    """
    outcomes = run_each(targets, balances_of, workers=workers, env_file=env_file, **client_options)
    return FetchResults(
        FetchResult(o.name, o.broker, list(o.value or []), o.error) for o in outcomes
    )

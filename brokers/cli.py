"""The ``brokers`` command (also ``python -m brokers``): balances, accounts, positions, orders
and login checks for many profiles at once, with output and exit statuses made for cron and
scripts. It only reads: no trading from the command line.

::

    brokers                                # = brokers balance --all: a table
    brokers balance --profile ftmo --json  # one JSON document on stdout
    brokers accounts --csv --env-file ~/.config/brokers.env
    brokers positions --profile ftmo       # open positions; `brokers orders` pending orders
    brokers check -q || notify "broker login failed: $?"
    brokers history --since 2026-11-01 --csv > journal.csv   # closed trades
    brokers quote EURUSD GBPUSD            # bid, ask and spread per profile
    brokers capabilities                   # what each platform supports
    brokers sandbox --port 8700            # the loopback emulator

Credentials come only from the environment and the env file (never from the command line).
Logs go to stderr, redacted; stdout carries only the requested output. A live session is
kept in the user's cache directory for the next run (see :mod:`brokers.token_cache`;
``--no-token-cache`` or ``BROKERS_TOKEN_CACHE=off`` switch that off); ``check`` always logs in.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from . import __version__, capabilities
from .base import MAX_TIMEOUT, BrokerClient
from .exceptions import (
    AuthenticationError,
    BrokerError,
    ConfigurationError,
    NetworkError,
    RateLimitError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
)
from .fanout import DEFAULT_WORKERS, Outcome, balances_of, error_dict, run_each
from .models import Account, Trade
from .orders import utc_time
from .redaction import redact_text
from .retry import RetryPolicy

log = logging.getLogger("brokers.cli")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNAVAILABLE = 4
EXIT_RATE_LIMITED = 5
EXIT_BAD_RESPONSE = 6
EXIT_PARTIAL = 7
EXIT_CONFIG = 78  # sysexits EX_CONFIG
EXIT_INTERRUPTED = 130
TOKEN_CACHE_VARIABLE = "BROKERS_TOKEN_CACHE"

EXIT_STATUS_HELP = """\
exit status:
  0    every profile succeeded
  1    any other error
  2    usage error (bad option or argument)
  3    authentication failed (credentials, locked account, API access denied)
  4    network failure, timeout or server error (after the retries)
  5    rate limited
  6    unexpected answer (not JSON, HTML page, bot protection)
  7    partial failure: some profiles failed, the others were printed
  78   configuration error (missing variable, unknown profile, bad env file)
  130  interrupted
When every profile failed, the status is that of the first profile's error."""

# Options that take a value: the word after them is not the command.
_VALUE_OPTIONS = {"--profile", "--env-file", "--workers", "--timeout", "--retries"}
_VALUE_OPTIONS |= {"--since", "--until"}
_HELP_OPTIONS = {"-h", "--help", "--version"}


def exit_status(error: BaseException) -> int:
    """The exit status for one error (see ``EXIT_STATUS_HELP``)."""
    if isinstance(error, ConfigurationError):
        return EXIT_CONFIG
    if isinstance(error, AuthenticationError):
        return EXIT_AUTH
    if isinstance(error, RateLimitError):
        return EXIT_RATE_LIMITED
    if isinstance(error, NetworkError | ServerError):
        return EXIT_UNAVAILABLE
    if isinstance(error, ResponseError):
        return EXIT_BAD_RESPONSE
    return EXIT_ERROR


def overall_status(outcomes: Sequence[Outcome]) -> int:
    """0 when all succeeded, 7 when some failed, else the first failure's own status."""
    failed = [o.error for o in outcomes if o.error is not None]
    if not failed:
        return EXIT_OK
    if len(failed) < len(outcomes):
        return EXIT_PARTIAL
    return exit_status(failed[0])


# ----------------------------------------------------------------- commands


def _login(client: BrokerClient, args: argparse.Namespace) -> None:
    """Log in, and prove a configured account exists (a check must catch a typo there too)."""
    client.login()
    if client.account:
        known = [account.id for account in client.accounts()]
        if client.account not in known:
            raise ConfigurationError(
                f"account {client.account!r} is not one of this login's accounts: "
                + (", ".join(known) or "(none)"),
                broker=client.broker,
            )


def _accounts(client: BrokerClient, args: argparse.Namespace) -> list[Any]:
    return client.accounts()


def _balances(client: BrokerClient, args: argparse.Namespace) -> list[Any]:
    return balances_of(client)


def _each_account(
    read: Callable[[BrokerClient, str, argparse.Namespace], list[Any]],
) -> Callable[..., list[Any]]:
    """Read something of the pinned account, else of every account of the login."""

    def call(client: BrokerClient, args: argparse.Namespace) -> list[Any]:
        ids = [client.account] if client.account else [a.id for a in client.accounts()]
        return [item for account in ids for item in read(client, account, args)]

    return call


def _quotes(client: BrokerClient, args: argparse.Namespace) -> list[Any]:
    return client.quotes(args.symbols)


BALANCE_COLUMNS = (
    "profile",
    "broker",
    "account",
    "currency",
    "balance",
    "equity",
    "available",
    "margin",
    "profit",
    "credit",
)
ACCOUNT_COLUMNS = ("profile", "broker", "account", "currency", "status")
CHECK_COLUMNS = ("profile", "broker", "status")
POSITION_COLUMNS = (
    "profile",
    "broker",
    "account",
    "id",
    "symbol",
    "side",
    "quantity",
    "open_price",
    "profit",
    "stop_loss",
    "take_profit",
    "open_time",
)
ORDER_COLUMNS = (
    "profile",
    "broker",
    "account",
    "id",
    "symbol",
    "side",
    "type",
    "quantity",
    "price",
    "status",
)
HISTORY_COLUMNS = (
    "profile",
    "broker",
    "account",
    "id",
    "symbol",
    "side",
    "quantity",
    "open_time",
    "open_price",
    "close_time",
    "close_price",
    "profit",
    "commission",
    "swap",
    "net_profit",
    "currency",
)
QUOTE_COLUMNS = ("profile", "broker", "symbol", "bid", "ask", "spread", "time")
# Money: shown with the account currency's usual places in the table and CSV (JSON: exact).
MONEY = frozenset({"balance", "equity", "available", "margin", "profit", "credit"})
MONEY |= {"commission", "swap", "net_profit"}
NUMERIC = MONEY | {"quantity", "price", "open_price", "close_price", "stop_loss", "take_profit"}
NUMERIC |= {"bid", "ask", "spread"}
MONEY_PLACES = 2
TIMES = frozenset({"open_time", "close_time", "time"})


class Command:
    """One subcommand: what to call on each client and how its values become output."""

    def __init__(
        self,
        name: str,
        call: Callable[[BrokerClient], Any],
        key: str | None,
        columns: tuple[str, ...],
        help: str,
        arguments: Callable[[argparse.ArgumentParser], None] | None = None,
        totals: bool = False,
    ) -> None:
        self.name, self.call, self.key, self.columns, self.help = name, call, key, columns, help
        self.arguments = arguments
        self.totals = totals  # the table adds a total line per account

    def entry(self, outcome: Outcome) -> dict[str, Any]:
        """The JSON entry of one profile."""
        entry: dict[str, Any] = {"name": outcome.name, "broker": outcome.broker, "ok": outcome.ok}
        if self.key is not None:
            entry[self.key] = [item.to_dict() for item in outcome.value or []]
        entry["error"] = None if outcome.error is None else error_dict(outcome.error)
        return entry

    def rows(self, outcome: Outcome) -> list[dict[str, Any]]:
        """Flat rows (column -> text) of one profile's values; none for an error."""
        if self.key is None:
            return [{"profile": outcome.name, "broker": outcome.broker, "status": "ok"}]
        rows = []
        for item in outcome.value or []:
            data = item.to_dict()
            if isinstance(item, Account):
                data["account"] = data.pop("id")
            rows.append({**data, "profile": outcome.name, "broker": outcome.broker})
        return rows

    def total_rows(self, outcome: Outcome) -> list[dict[str, Any]]:
        """One line per account summing its trades' money (the table form of ``history``)."""
        if not self.totals:
            return []
        sums: dict[str, dict[str, Any]] = {}
        for trade in outcome.value or []:
            if not isinstance(trade, Trade):
                continue
            row = sums.setdefault(
                trade.account,
                {
                    "profile": outcome.name,
                    "broker": outcome.broker,
                    "account": trade.account,
                    "id": "TOTAL",
                    "quantity": None,
                    "currency": trade.currency,
                    "count": 0,
                },
            )
            row["count"] += 1
            row["symbol"] = f"{row['count']} trade{'s' if row['count'] > 1 else ''}"
            for name in ("profit", "commission", "swap", "net_profit"):
                value = getattr(trade, name)
                if value is not None:
                    row[name] = str(Decimal(row.get(name) or 0) + value)
        return list(sums.values())


def _history_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("range")
    group.add_argument(
        "--since",
        required=True,
        type=_time,
        metavar="WHEN",
        help="from this date or time (ISO 8601, UTC when no offset: 2026-11-01)",
    )
    group.add_argument(
        "--until", type=_time, metavar="WHEN", help="up to this date or time (default: now)"
    )


def _quote_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "symbols", nargs="+", metavar="SYMBOL", help="symbols as the platform spells them"
    )


def _time(text: str) -> Any:
    """An argparse type: a date or time; one without an offset is UTC on the command line."""
    try:
        return utc_time(text if "T" not in text or _has_offset(text) else text + "Z", "time")
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _has_offset(text: str) -> bool:
    return text.endswith("Z") or "+" in text[10:] or "-" in text[10:]


COMMANDS = {
    c.name: c
    for c in (
        Command(
            "balance",
            _balances,
            "balances",
            BALANCE_COLUMNS,
            "balances of every account (the default command)",
        ),
        Command("accounts", _accounts, "accounts", ACCOUNT_COLUMNS, "the accounts of each login"),
        Command("check", _login, None, CHECK_COLUMNS, "log in only: proves the configuration"),
        Command(
            "positions",
            _each_account(lambda c, a, _: c.positions(a)),
            "positions",
            POSITION_COLUMNS,
            "open positions (read only: the command line never trades)",
        ),
        Command(
            "orders",
            _each_account(lambda c, a, _: c.orders(a)),
            "orders",
            ORDER_COLUMNS,
            "open (pending) orders (read only)",
        ),
        Command(
            "history",
            _each_account(
                lambda c, a, args: c.history(since=args.since, until=args.until, account=a)
            ),
            "trades",
            HISTORY_COLUMNS,
            "closed trades in a range, one row per trade (a journal export)",
            _history_arguments,
            totals=True,
        ),
        Command(
            "quote",
            _quotes,
            "quotes",
            QUOTE_COLUMNS,
            "bid, ask and spread of symbols, per profile",
            _quote_arguments,
        ),
    )
}


# ------------------------------------------------------------------- output


def _text(value: Any) -> str:
    return "" if value is None else redact_text(str(value))


def _cell(column: str, value: Any) -> str:
    # Figures come from Decimals, never from free text; money with the currency's places.
    if column in MONEY and value not in (None, ""):
        return f"{Decimal(str(value)):.{MONEY_PLACES}f}"
    if column in NUMERIC:
        return "" if value is None else str(value)
    return _text(value)


def _table_cell(column: str, value: Any) -> str:
    """As :func:`_cell`, with times to the second (``2026-11-03 10:14:02Z``): a table is read
    by people; CSV and JSON keep the full ISO 8601 time."""
    text = _cell(column, value)
    if column in TIMES and len(text) > 19 and text[10] == "T":
        return f"{text[:10]} {text[11:19]}Z" if text.endswith("+00:00") else text
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_json(command: Command, outcomes: Sequence[Outcome], status: int) -> str:
    document = {
        "command": command.name,
        "ok": status == EXIT_OK,
        "exit_status": status,
        "results": [command.entry(o) for o in outcomes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_csv(command: Command, outcomes: Sequence[Outcome]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*command.columns, "error_type", "error"])
    for outcome in outcomes:
        if outcome.error is not None:
            row = dict.fromkeys(command.columns, "")
            row.update(profile=outcome.name, broker=outcome.broker)
            if "status" in row:
                row["status"] = "failed" if command.key is None else ""
            error = [type(outcome.error).__name__, _one_line(_text(outcome.error))]
            writer.writerow([_text(row[c]) for c in command.columns] + error)
            continue
        for row in command.rows(outcome):
            writer.writerow([_cell(c, row.get(c)) for c in command.columns] + ["", ""])
    return out.getvalue()


def render_table(command: Command, outcomes: Sequence[Outcome]) -> str:
    header = [c.upper() for c in command.columns]
    lines: list[list[str] | tuple[list[str], str]] = []
    for outcome in outcomes:
        if outcome.error is not None:
            message = f"{type(outcome.error).__name__}: {_one_line(_text(outcome.error))}"
            lines.append(([_text(outcome.name), _text(outcome.broker)], "FAILED " + message))
            continue
        rows = command.rows(outcome)
        if not rows:
            lines.append(([_text(outcome.name), _text(outcome.broker)], f"(no {command.key})"))
        for row in [*rows, *command.total_rows(outcome)]:
            lines.append([_table_cell(c, row.get(c)) or "-" for c in command.columns])
    widths = [len(h) for h in header]
    for line in lines:
        cells = line[0] if isinstance(line, tuple) else line
        for i, cell in enumerate(cells):
            widths[i] = max(widths[i], len(cell))

    def fmt(cells: list[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if command.columns[i] in NUMERIC else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    out = [fmt(header)]
    for line in lines:
        if isinstance(line, tuple):
            cells, message = line
            out.append(f"{fmt(cells).ljust(widths[0] + widths[1] + 2)}  {message}")
        else:
            out.append(fmt(line))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------- arguments


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds")
    return value


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_argument_group("targets")
    which = targets.add_mutually_exclusive_group()
    which.add_argument(
        "--profile",
        action="append",
        dest="profiles",
        metavar="NAME",
        help="a profile from BROKERS_PROFILES, or dxtrade / matchtrade / tradelocker / projectx "
        "(repeatable)",
    )
    which.add_argument("--all", action="store_true", help="every configured profile (the default)")
    targets.add_argument(
        "--env-file",
        metavar="PATH",
        help="the env file to read (default: $BROKERS_ENV_FILE, else ./.env)",
    )
    output = parser.add_argument_group("output")
    formats = output.add_mutually_exclusive_group()
    formats.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="one JSON document (decimals as strings)",
    )
    formats.add_argument(
        "--csv", dest="format", action="store_const", const="csv", help="CSV with a header"
    )
    output.add_argument(
        "-q", "--quiet", action="count", default=0, help="fewer logs on stderr (-qq: none)"
    )
    output.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logs on stderr (-vv: debug)"
    )
    network = parser.add_argument_group("network")
    network.add_argument(
        "--workers",
        type=_whole(1),
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"profiles fetched at once (default {DEFAULT_WORKERS})",
    )
    network.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS", help="per-request timeout (default 5/30)"
    )
    network.add_argument(
        "--retries",
        type=_whole(0),
        metavar="N",
        help="retries after the first attempt of a read (default 2; 0: send once)",
    )
    network.add_argument(
        "--no-token-cache",
        dest="token_cache",
        action="store_false",
        help="log in afresh and keep no session for the next run "
        f"(also {TOKEN_CACHE_VARIABLE}=off); by default a live session is reused across runs",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser. The common options belong to each subcommand; they are listed on
    the top level too, since they may stand before or after the command."""
    parser = argparse.ArgumentParser(
        prog="brokers",
        description="Balances, accounts, positions, orders, closed trades and quotes of\n"
        "many broker logins at once. Credentials come from the environment or the env\n"
        "file, never from the command line. The options below work before or after the\n"
        "command: `brokers --json history --since 2026-11-01` = `brokers history --json ...`.",
        epilog=EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"brokers {__version__}")
    _add_common_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS.values():
        child = sub.add_parser(
            command.name,
            help=command.help,
            description=command.help[0].upper() + command.help[1:] + ".",
            epilog=EXIT_STATUS_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        if command.arguments is not None:
            command.arguments(child)
        _add_common_options(child)
    sub.add_parser("capabilities", help="what each platform supports (a Markdown table)")
    sub.add_parser(
        "sandbox",
        add_help=False,
        help="serve the loopback emulator (options: brokers sandbox --help)",
    )
    return parser


def normalise_argv(argv: Sequence[str]) -> list[str]:
    """Put the command first (``balance`` when none is given), so that options may come
    before or after it: ``brokers --json``, ``brokers --json balance`` and
    ``brokers balance --json`` are the same."""
    argv = list(argv)
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            break
        if token.startswith("-") and token != "-":
            index += 2 if token in _VALUE_OPTIONS else 1
            continue
        if token in COMMANDS or token in ("sandbox", "capabilities"):
            return [token, *argv[:index], *argv[index + 1 :]]
        return argv  # not a command: argparse will say so
    if any(token in _HELP_OPTIONS for token in argv):
        return argv
    return ["balance", *argv]


# ------------------------------------------------------------------ logging


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets in the whole line (tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def install_logging(verbosity: int) -> Callable[[], None]:
    """A stderr handler on the ``brokers`` logger; returns the function that removes it."""
    if verbosity <= -2:
        level = logging.CRITICAL + 1
    elif verbosity >= 2:
        level = logging.DEBUG
    else:
        level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}[verbosity]
    if verbosity > 0:
        fmt = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
    else:
        fmt = "brokers: %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(fmt))
    handler.setLevel(level)
    logger = logging.getLogger("brokers")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level, logging.CRITICAL))

    def remove() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.flush()

    return remove


# --------------------------------------------------------------------- main


def token_cache_wanted(args: argparse.Namespace) -> bool:
    """On unless ``--no-token-cache`` or ``BROKERS_TOKEN_CACHE=off`` (or 0, false, no)."""
    setting = os.environ.get(TOKEN_CACHE_VARIABLE, "").strip().lower()
    return args.token_cache and setting not in ("off", "0", "false", "no")


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"token_cache": token_cache_wanted(args)}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.retries is not None:
        options["retry"] = RetryPolicy(attempts=args.retries + 1)
    return options


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Run a parsed command other than ``sandbox``; returns the exit status."""
    command = COMMANDS[args.command]
    try:
        outcomes = run_each(
            args.profiles or None,
            partial(command.call, args=args),
            workers=args.workers,
            env_file=args.env_file or None,
            **_client_options(args),
        )
    except ConfigurationError as exc:
        log.error("configuration error: %s", exc)
        if args.format == "json":
            document = {
                "command": command.name,
                "ok": False,
                "exit_status": EXIT_CONFIG,
                "error": error_dict(exc),
                "results": [],
            }
            _write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return EXIT_CONFIG
    status = overall_status(outcomes)
    for outcome in outcomes:
        if isinstance(outcome.error, RequestTimeoutError) and outcome.error.hint == (
            RequestTimeoutError.default_hint
        ):
            outcome.error.hint = "The broker did not answer in time; raise --timeout or retry later"
        if outcome.error is not None:
            log.error("%s: %s: %s", outcome.name, type(outcome.error).__name__, outcome.error)
    if args.format == "json":
        _write(render_json(command, outcomes, status))
    elif args.format == "csv":
        _write(render_csv(command, outcomes))
    else:
        _write(render_table(command, outcomes))
    if status == EXIT_PARTIAL:
        failed = sum(not o.ok for o in outcomes)
        log.warning("%d of %d profiles failed", failed, len(outcomes))
    return status


def _sandbox(argv: Sequence[str]) -> int:
    from .sandbox.__main__ import main as sandbox_main

    return sandbox_main(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """The ``brokers`` command; returns the exit status (see ``EXIT_STATUS_HELP``)."""
    argv = normalise_argv(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "capabilities":
        if argv[1:]:
            parser.error("capabilities takes no options")
        _write(capabilities.table() + "\n")
        return EXIT_OK
    if argv and argv[0] == "sandbox":
        try:
            return _sandbox(argv[1:])
        except SystemExit as exc:  # its own argparse: --help or a usage error
            return exc.code if isinstance(exc.code, int) else EXIT_ERROR
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    remove_logging = install_logging(args.verbose - args.quiet)
    try:
        return run(args)
    except KeyboardInterrupt:
        log.error("interrupted")
        # Requests still in flight on the pool's threads would hold the exit until they time
        # out: leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    except BrokenPipeError:  # `brokers | head -1`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except BrokerError as exc:  # pragma: no cover - run() turns target errors into results
        log.error("%s: %s", type(exc).__name__, exc)
        return exit_status(exc)
    except Exception as exc:
        log.error("internal error: %s: %s", type(exc).__name__, exc, exc_info=args.verbose > 1)
        return EXIT_ERROR
    finally:
        remove_logging()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

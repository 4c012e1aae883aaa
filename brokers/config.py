"""Configuration from the environment and ``.env`` files.

Precedence: explicit arguments > process environment > the env file. The file is read
with ``dotenv_values`` (``os.environ`` is never modified) from, in order: the
``env_file`` argument, the ``BROKERS_ENV_FILE`` variable, ``./.env`` when it exists.
"""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from .exceptions import ConfigurationError

ENV_FILE_VARIABLE = "BROKERS_ENV_FILE"
Settings = Mapping[str, str]


def env_file_path(env_file: str | os.PathLike[str] | None = None) -> Path | None:
    """The env file to read, or ``None``; an explicitly named file must exist."""
    named = env_file or os.environ.get(ENV_FILE_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"the env file {str(path)!r} does not exist")
        return path
    default = Path.cwd() / ".env"
    return default if default.is_file() else None


def load_settings(env_file: str | os.PathLike[str] | None = None) -> Settings:
    """The process environment layered over the env file's values."""
    path = env_file_path(env_file)
    try:
        values = {k: v for k, v in dotenv_values(path).items() if v is not None} if path else {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"the env file {str(path)!r} cannot be read ({exc})") from None
    # A variable set but empty in the environment does not hide the file's value.
    environment = {k: v for k, v in os.environ.items() if v.strip()}
    return ChainMap(environment, values)


def setting(settings: Settings, *names: str, required: bool = False) -> str | None:
    """The value of the first of ``names`` that is set; empty counts as unset. A missing
    required one is named (the first name; the others are accepted aliases)."""
    for name in names:
        value = (settings.get(name) or "").strip()
        if value:
            return value
    if required:
        raise ConfigurationError(
            f"{names[0]} is not set",
            hint="Set it in the environment or in the env file (see .env.example)",
        )
    return None


def require(settings: Settings, *names: str) -> str:
    """Like :func:`setting`, for a value that must be there."""
    value = setting(settings, *names, required=True)
    assert value is not None  # setting() raised otherwise
    return value


def pick(explicit: object, settings: Settings, *names: str, required: bool = False) -> object:
    """An explicit argument when given, else the first setting of ``names``."""
    if explicit is not None and explicit != "":
        return explicit
    return setting(settings, *names, required=required)

"""Configuration: from_env precedence, Broker(...) dispatch, base URL checks."""

from __future__ import annotations

import pytest

import brokers

DX_VARS = ("DXTRADE_BASE_URL", "DXTRADE_USERNAME", "DXTRADE_PASSWORD", "DXTRADE_DOMAIN")
MT_VARS = ("MATCHTRADE_BASE_URL", "MATCHTRADE_EMAIL", "MATCHTRADE_PASSWORD", "MATCHTRADE_BROKER_ID")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in (*DX_VARS, *MT_VARS, "DXTRADE_ACCOUNT", "MATCHTRADE_ACCOUNT", "BROKERS_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./.env


def write_env(path, **values):
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def test_explicit_beats_environment_beats_file(tmp_path, monkeypatch):
    env_file = write_env(
        tmp_path / "broker.env",
        DXTRADE_BASE_URL="https://file.example.com",
        DXTRADE_USERNAME="file-user",
        DXTRADE_PASSWORD="file-pass",
        DXTRADE_DOMAIN="filedomain",
    )
    monkeypatch.setenv("DXTRADE_USERNAME", "env-user")
    client = brokers.DXTrade.from_env(env_file, domain="argdomain")
    assert client.base_url == "https://file.example.com"
    assert client.username == "env-user"
    assert client.domain == "argdomain"
    assert client._password.reveal() == "file-pass"


def test_from_env_does_not_touch_os_environ(tmp_path):
    import os

    env_file = write_env(
        tmp_path / "x.env",
        MATCHTRADE_BASE_URL="https://mtr.example.com",
        MATCHTRADE_EMAIL="me@example.com",
        MATCHTRADE_PASSWORD="pw-123456",
        MATCHTRADE_BROKER_ID="2",
    )
    client = brokers.MatchTrade.from_env(env_file)
    assert (client.email, client.broker_id) == ("me@example.com", "2")
    assert "MATCHTRADE_EMAIL" not in os.environ


def test_dot_env_in_the_working_directory_and_brokers_env_file(tmp_path, monkeypatch):
    write_env(
        tmp_path / ".env",
        DXTRADE_BASE_URL="https://cwd.example.com",
        DXTRADE_USERNAME="u",
        DXTRADE_PASSWORD="p",
    )
    assert brokers.DXTrade.from_env().base_url == "https://cwd.example.com"
    other = write_env(
        tmp_path / "other.env",
        DXTRADE_BASE_URL="https://other.example.com",
        DXTRADE_USERNAME="u",
        DXTRADE_PASSWORD="p",
    )
    monkeypatch.setenv("BROKERS_ENV_FILE", str(other))
    assert brokers.DXTrade.from_env().base_url == "https://other.example.com"


@pytest.mark.parametrize(
    "cls, missing, values",
    [
        (
            brokers.DXTrade,
            "DXTRADE_PASSWORD",
            {"DXTRADE_BASE_URL": "https://x.io", "DXTRADE_USERNAME": "u"},
        ),
        (
            brokers.MatchTrade,
            "MATCHTRADE_BROKER_ID",
            {
                "MATCHTRADE_BASE_URL": "https://x.io",
                "MATCHTRADE_EMAIL": "e@x.io",
                "MATCHTRADE_PASSWORD": "p",
            },
        ),
    ],
)
def test_missing_variable_is_named(tmp_path, cls, missing, values):
    env_file = write_env(tmp_path / "e.env", **values)
    with pytest.raises(brokers.ConfigurationError, match=missing):
        cls.from_env(env_file)


def test_named_env_file_must_exist(tmp_path):
    with pytest.raises(brokers.ConfigurationError, match="does not exist"):
        brokers.DXTrade.from_env(tmp_path / "nope.env")


def test_broker_dispatch_is_case_insensitive():
    dx = brokers.Broker("DXTrade", "1210001", "pw", base_url="https://dx.example.com")
    assert isinstance(dx, brokers.DXTrade)
    mt = brokers.Broker(
        "matchtrade", "me@example.com", "pw", base_url="https://mt.example.com", broker_id="2"
    )
    assert isinstance(mt, brokers.MatchTrade) and mt.email == "me@example.com"


def test_unknown_broker_type_lists_the_known_ones():
    with pytest.raises(brokers.ConfigurationError) as info:
        brokers.Broker("metatrader", "u", "p", base_url="https://x.example.com")
    assert "dxtrade" in str(info.value) and "matchtrade" in str(info.value)


@pytest.mark.parametrize("url", ["http://broker.example.com", "ftp://x.example.com", "", "nohost"])
def test_unsafe_or_invalid_base_urls_are_refused(url):
    with pytest.raises(brokers.ConfigurationError):
        brokers.DXTrade(url, "u", "p")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8700", "http://localhost:1", "http://[::1]:2"])
def test_plain_http_is_allowed_on_loopback(url):
    assert brokers.DXTrade(url, "u", "p").base_url == url


def test_default_user_agent_names_library_and_version():
    client = brokers.DXTrade("https://dx.example.com", "u", "p")
    assert client.user_agent.startswith(f"brokers-python/{brokers.__version__}")
    assert (
        brokers.DXTrade("https://dx.example.com", "u", "p", user_agent="me/1").user_agent == "me/1"
    )


@pytest.mark.parametrize("timeout", [0, -1, "5", (1, 2, 3), (1, None), float("inf"), True])
def test_invalid_timeouts_are_configuration_errors(timeout):
    with pytest.raises(brokers.ConfigurationError, match="timeout"):
        brokers.DXTrade("https://dx.example.com", "u", "p", timeout=timeout)


def test_context_manager_returns_the_client_itself():
    client = brokers.MatchTrade("https://mt.example.com", "e@x.io", "p", "2")
    with client as entered:
        assert entered is client


def test_an_empty_environment_variable_does_not_hide_the_file(tmp_path, monkeypatch):
    env_file = write_env(
        tmp_path / "f.env",
        DXTRADE_BASE_URL="https://file.example.com",
        DXTRADE_USERNAME="u",
        DXTRADE_PASSWORD="from-the-file",
    )
    monkeypatch.setenv("DXTRADE_PASSWORD", "")
    assert brokers.DXTrade.from_env(env_file)._password.reveal() == "from-the-file"


def test_aliases_and_optional_variables(tmp_path):
    env_file = write_env(
        tmp_path / "a.env",
        MATCHTRADE_BASE_URL="https://mt.example.com",
        MATCHTRADE_USERNAME="me@example.com",
        MATCHTRADE_PASSWORD="p",
        MATCHTRADE_BROKER_ID="2",
        DXTRADE_BASE_URL="https://dx.example.com",
        DXTRADE_USERNAME="u",
        DXTRADE_PASSWORD="p",
        DXTRADE_CURRENCY="EUR",
    )
    assert brokers.MatchTrade.from_env(env_file).email == "me@example.com"
    assert brokers.DXTrade.from_env(env_file).currency == "EUR"


def test_an_unreadable_env_file_is_a_configuration_error(tmp_path):
    bad = tmp_path / "latin1.env"
    bad.write_bytes(b"DXTRADE_PASSWORD=caf\xe9\n")
    with pytest.raises(brokers.ConfigurationError, match="cannot be read"):
        brokers.DXTrade.from_env(bad)


@pytest.mark.parametrize("url", ["https://[::1", "http://127.0.0.1:99999"])
def test_malformed_base_urls_are_configuration_errors(url):
    with pytest.raises(brokers.ConfigurationError, match="not a valid URL"):
        brokers.DXTrade(url, "u", "p")

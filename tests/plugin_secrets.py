"""Session-wide secret-leak check: the whole suite's logs must hold no API key and no webhook id.

Registered from tests/conftest.py with `pytest_plugins = ["tests.plugin_secrets"]`. It sets
the integration's loggers to DEBUG for every test, keeps each log record that could hold a
secret, learns the secrets the suite uses (API keys given to the client or the emulator,
webhook ids generated or registered for the integration), and fails the session at the end
when any of them appears in a log record.

The API key may appear in no log record at all. Webhook ids are allowed only in the records
of Home Assistant's own HTTP and webhook plumbing and of the test server's access log (they
log request paths by design) and of the emulator (SMSPilot is given the webhook address).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
import functools
import logging
import re
import traceback
from typing import Any

import pytest

# Shorter strings are test placeholders ("SECONDKEY") that would match by accident.
SECRET_MIN_LENGTH = 16
INTEGRATION_LOGGERS = ("custom_components.smspilot",)
WEBHOOK_ID_LOGGERS = (
    "aiohttp.access",
    "homeassistant.components.http",
    "homeassistant.components.webhook",
    "homeassistant.helpers.http",
    "smspilot_emulator",
)
# A record without such a run of letters and digits cannot hold a secret: not kept.
_TOKEN = re.compile(r"[0-9A-Za-z]{16,}")


@dataclass(frozen=True, slots=True)
class Leak:
    """A log record that showed a secret."""

    test: str
    logger: str
    level: str
    what: str
    excerpt: str


@dataclass(slots=True)
class SecretLog:
    """The secrets seen in this session and the log records that might show them."""

    api_keys: set[str] = field(default_factory=set)
    webhook_ids: set[str] = field(default_factory=set)
    records: list[tuple[str, str, str, str]] = field(default_factory=list)
    test: str = "(collection)"

    def add_api_key(self, value: object) -> None:
        """Remember an API key the suite uses."""
        if isinstance(value, str) and len(value) >= SECRET_MIN_LENGTH:
            self.api_keys.add(value)

    def add_webhook_id(self, value: object) -> None:
        """Remember a webhook id the suite uses."""
        if isinstance(value, str) and len(value) >= SECRET_MIN_LENGTH:
            self.webhook_ids.add(value)

    def leaks(self) -> list[Leak]:
        """Return every kept record that shows a secret."""
        found: list[Leak] = []
        for test, logger, level, text in self.records:
            secrets = [("API key", secret) for secret in self.api_keys]
            if not logger.startswith(WEBHOOK_ID_LOGGERS):
                secrets.extend(("webhook id", secret) for secret in self.webhook_ids)
            found.extend(
                Leak(test, logger, level, what, _excerpt(text, secret))
                for what, secret in secrets
                if secret in text
            )
        return found


def _excerpt(text: str, secret: str) -> str:
    """Return the text around a secret, with the secret itself masked."""
    start = max(text.index(secret) - 80, 0)
    return text[start : text.index(secret) + len(secret) + 80].replace(secret, "<SECRET>")


class _Collector(logging.Handler):
    """Keep the text of every record that holds a long token."""

    def __init__(self, log: SecretLog) -> None:
        """Collect into `log`."""
        super().__init__(level=logging.DEBUG)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's message and exception text if it could hold a secret."""
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record must not break the suite
            text = f"{record.msg} {record.args}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(record.exc_info[1]))
        if _TOKEN.search(text):
            self.log.records.append((self.log.test, record.name, record.levelname, text))


SECRETS = SecretLog()
_COLLECTOR = _Collector(SECRETS)
_UNDO: list[Callable[[], None]] = []


def _wrap(owner: Any, name: str, learn: Callable[..., None]) -> None:
    """Let `learn` see the arguments (and result) of owner.name, for the whole session."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        learn(args, kwargs, result)
        return result

    setattr(owner, name, wrapper)
    _UNDO.append(lambda: setattr(owner, name, original))


def _learn_client(args: tuple[Any, ...], kwargs: dict[str, Any], _result: object) -> None:
    """SmsPilotClient(self, session, api_key, ...)."""
    SECRETS.add_api_key(kwargs.get("api_key", args[2] if len(args) > 2 else None))


def _learn_account(args: tuple[Any, ...], kwargs: dict[str, Any], _result: object) -> None:
    """Emulator.add_account(self, api_key, ...)."""
    SECRETS.add_api_key(kwargs.get("api_key", args[1] if len(args) > 1 else None))


def _learn_registered(args: tuple[Any, ...], kwargs: dict[str, Any], _result: object) -> None:
    """webhook.async_register(hass, domain, name, webhook_id, handler, ...)."""
    if len(args) > 3 and args[1] == "smspilot":
        SECRETS.add_webhook_id(args[3])


def _learn_generated(_args: tuple[Any, ...], _kwargs: dict[str, Any], result: object) -> None:
    """webhook.async_generate_id() -> webhook_id."""
    SECRETS.add_webhook_id(result)


def pytest_configure(config: pytest.Config) -> None:
    """Start collecting: wrap the places secrets come from, listen to every logger."""
    from homeassistant.components import webhook

    from custom_components.smspilot.api import client
    from smspilot_emulator import DEMO_API_KEY, server

    SECRETS.add_api_key(DEMO_API_KEY)
    _wrap(client.SmsPilotClient, "__init__", _learn_client)
    _wrap(server.Emulator, "add_account", _learn_account)
    _wrap(webhook, "async_register", _learn_registered)
    _wrap(webhook, "async_generate_id", _learn_generated)
    logging.getLogger().addHandler(_COLLECTOR)
    _UNDO.append(lambda: logging.getLogger().removeHandler(_COLLECTOR))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put everything back."""
    while _UNDO:
        _UNDO.pop()()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Name the running test in kept records, with the integration logging at DEBUG."""
    SECRETS.test = item.nodeid
    for name in INTEGRATION_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        return (yield)
    finally:
        SECRETS.test = "(between tests)"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when a secret was logged."""
    leaks = SECRETS.leaks()
    session.config.stash[_LEAKS] = leaks
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report the leaks, or how much was checked."""
    leaks = terminalreporter.config.stash.get(_LEAKS, [])
    if not leaks:
        terminalreporter.write_line(
            f"secret-leak check: {len(SECRETS.records)} log records with long tokens checked "
            f"against {len(SECRETS.api_keys)} API keys and {len(SECRETS.webhook_ids)} webhook "
            "ids: none leaked"
        )
        return
    terminalreporter.section("secret leaks in logs", sep="=", red=True, bold=True)
    for leak in leaks[:50]:
        terminalreporter.write_line(
            f"{leak.what} in {leak.logger} ({leak.level}) during {leak.test}: {leak.excerpt!r}"
        )
    terminalreporter.write_line(f"{len(leaks)} leak(s); the session fails")


_LEAKS = pytest.StashKey[list[Leak]]()

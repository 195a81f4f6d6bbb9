"""Tiny typed readers for environment variables.

Each refuses a malformed value with ImproperlyConfigured naming the variable, so a
bad deployment stops at start-up instead of misbehaving later.
"""

import os
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, *, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false), not {raw!r}.")


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if "*" in items:
        raise ImproperlyConfigured(
            f"{name} must list hosts explicitly; '*' would switch off the websocket Origin check."
        )
    return items


def env_database(name: str, *, default: str) -> dict:
    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=0)
    except Exception as error:  # dj-database-url raises several types for bad URLs
        raise ImproperlyConfigured(f"{name} is not a valid database URL ({error}).") from error
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names no supported database engine: {raw!r}.")
    if config["ENGINE"] == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database: {raw!r}.")
    return config


def env_redis_url(name: str) -> str | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"redis", "rediss", "unix"} or not (parsed.hostname or parsed.path):
        raise ImproperlyConfigured(f"{name} must be a redis:// URL, not {raw!r}.")
    try:
        parsed.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} has a bad port: {raw!r}.") from error
    return raw


def env_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from error
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative.")
    return value


EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def env_email_backend(name: str, *, default: str) -> str:
    """Django's email backend: one of console, smtp, file, locmem, dummy, or a dotted path to a backend class."""
    raw = (os.environ.get(name) or default).strip()
    if raw.lower() in EMAIL_BACKENDS:
        return EMAIL_BACKENDS[raw.lower()]
    if "." in raw and all(part.isidentifier() for part in raw.split(".")):
        return raw
    raise ImproperlyConfigured(
        f"{name} must be one of {', '.join(EMAIL_BACKENDS)} or a dotted path to an email backend, not {raw!r}."
    )

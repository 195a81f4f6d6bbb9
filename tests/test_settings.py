"""Settings come from the environment; a malformed value stops start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env):
    unset = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_DEBUG"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], "
            "settings.CHANNEL_LAYERS['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_are_sqlite_and_the_in_memory_layer_with_debug_off():
    result = start_django(SECRET_KEY="x")
    assert result.returncode == 0, result.stderr
    layer = "config.channel_layers.EmbeddedChannelLayer"
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3", layer]


def test_database_and_redis_urls_select_postgresql_and_the_redis_layer():
    result = start_django(
        SECRET_KEY="x", DATABASE_URL="postgres://u@127.0.0.1:5432/db", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql", "channels_redis.core.RedisChannelLayer"]


def test_secret_key_is_required_when_debug_is_off():
    result = start_django()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_only_with_django_debug_1():
    assert start_django(DJANGO_DEBUG="1").stdout.split()[0] == "True"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DATABASE_URL", "nosuchdb://what"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("REDIS_URL", "redis://127.0.0.1:notaport"),
        ("DJANGO_DEBUG", "maybe"),
        ("ALLOWED_HOSTS", "*"),
        ("DATABASE_POOL_MAX", "many"),
        ("SECURE_HSTS_SECONDS", "-1"),
        ("EMAIL_BACKEND", "carrier pigeon"),
        ("INVITATION_DAYS", "a week"),
        ("INVITATION_DAYS", "0"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(variable, value):
    result = start_django(SECRET_KEY="x", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]

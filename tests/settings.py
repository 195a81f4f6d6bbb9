"""Test settings: production settings with a test secret and uncompressed static files."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault(
    "CLOCK_IN_PROCESS", "0"
)  # tests start clocks explicitly (tests/live.py)  # the live daphne in browser tests speaks plain http

from config.settings import *  # noqa: E402, F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
SECURE_SSL_REDIRECT = False  # the test servers speak plain http
SECURE_HSTS_SECONDS = 0

"""Scale-out: two real daphne processes share the test database and the Redis channel layer.

A player connected to daphne B receives an inject that the facilitator released through daphne A's
HTTP endpoint, after logging in through A's real login form. Only a shared channel layer (Redis)
can do that; the in-memory layer lives inside one process, so there the test is skipped, except in
CI, which runs on Redis and must never skip it.
"""

import os
import re
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPErrorProcessor, Request, build_opener

import pytest
from django.conf import settings
from django.test import Client
from websockets.sync.client import connect

from tests.conftest import PASSWORD
from tests.live import Daphne

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_LAYER = "channels_redis.core.RedisChannelLayer"


@pytest.fixture
def shared_layer():
    """The Redis channel layer, or a skip (an error in CI) with the reason."""
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] != REDIS_LAYER:
        reason = (
            "cross-process delivery needs the Redis channel layer (set REDIS_URL); "
            "the in-memory layer cannot reach another process"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run on Redis: {reason}")
        pytest.skip(reason)


class NoRedirects(HTTPErrorProcessor):
    """Hand 3xx answers back as they are (a login answers 302)."""

    def http_response(self, request, response):
        return response

    https_response = http_response


class Browser:
    """A cookie-keeping HTTP client on one daphne, posting as the pages do (CSRF token, htmx header)."""

    def __init__(self, server: Daphne):
        self.server = server
        self.cookies = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.cookies), NoRedirects())

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == name)

    def get(self, path: str):
        with self.opener.open(f"{self.server.url}{path}", timeout=10) as response:
            return response.status, response.read().decode()

    def post(self, path: str, data: dict, headers: dict | None = None):
        request = Request(
            f"{self.server.url}{path}",
            data=urlencode(data).encode(),
            headers={"Origin": self.server.url, "Referer": f"{self.server.url}{path}", **(headers or {})},
            method="POST",
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()

    def log_in(self, user) -> None:
        status, page = self.get("/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.post(
            "/login/", {"username": user.get_username(), "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
        assert status == 302, "the facilitator could not log in through the login form"

    def htmx_post(self, path: str) -> int:
        status, _ = self.post(path, {}, headers={"X-CSRFToken": self.cookie("csrftoken"), "HX-Request": "true"})
        return status


def team_socket(server: Daphne, exercise_id: int, user):
    """A player's team socket on `server`, authenticated by a session cookie (sessions live in the shared DB)."""
    client = Client()
    client.force_login(user)
    return connect(
        f"ws://127.0.0.1:{server.port}/ws/exercises/{exercise_id}/team/",
        origin=server.url,
        additional_headers={"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
        open_timeout=10,
    )


def receive_containing(socket, text: str, timeout: float = 10) -> str:
    """The next frame holding `text`, skipping others; fails after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no frame containing {text!r} within {timeout} s"
        try:
            frame = socket.recv(timeout=remaining)
        except TimeoutError:
            continue
        if text in frame:
            return frame


def test_a_release_through_one_daphne_reaches_a_player_on_another(running, shared_layer):
    exercise, to_all = running.exercise, running.to_all
    with Daphne() as a, Daphne() as b:
        assert a.port != b.port
        with (
            team_socket(b, exercise.pk, running.usa_player) as on_b,
            team_socket(a, exercise.pk, running.gbr_player) as on_a,
        ):
            assert 'id="inject-feed"' in on_b.recv(timeout=10)  # the state on connect, from B
            assert 'id="inject-feed"' in on_a.recv(timeout=10)

            control = Browser(a)
            control.log_in(running.facilitator)
            status = control.htmx_post(f"/exercises/{exercise.pk}/injects/{to_all.pk}/release/")
            assert status == 204

            assert "Direct-ascent ASAT test detected" in receive_containing(on_b, to_all.title)
            assert "Direct-ascent ASAT test detected" in receive_containing(on_a, to_all.title)

    to_all.refresh_from_db()
    assert to_all.released_at is not None

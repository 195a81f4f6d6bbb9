"""Hostile input: scripts come out escaped everywhere, formulas are neutralised, oversize is refused,
floods and garbage on sockets are contained, logins are rate limited, headers are strict."""

import csv
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.urls import reverse

from exercises import realtime
from exercises.models import Message, ProtocolStep, Response
from exercises.reports.exports import export
from exercises.services.messages import send_message
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from tests.test_sockets import ORIGIN, Sockets, receive_containing, run

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def poisoned(running, django_capture_on_commit_callbacks):
    """Hostile text in an inject, a response, a message and a user's name."""
    inject = running.usa_only
    type(inject).objects.filter(pk=inject.pk).update(title=f"Title {XSS}", text=f"Text {XSS}")
    running.usa_player.first_name = f"Name {XSS}"
    running.usa_player.save()
    release_inject(inject=inject, by=running.facilitator)
    usa = running.exercise.participants.select_related("exercise", "team").get(team_id="USA")
    submit_response(
        participant=usa,
        inject=type(inject).objects.get(pk=inject.pk),
        kind="action",
        text=f"Response {XSS}",
        protocol_steps=ProtocolStep.objects.filter(code="CONJ-1"),
    )
    send_message(participant=usa, text=f"Message {XSS}")
    return running


def assert_escaped(html: str):
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


@pytest.mark.parametrize(
    "who, page",
    [("usa_player", "team"), ("facilitator", "console"), ("facilitator", "report"), ("evaluator", "evaluation")],
)
def test_pages_escape_hostile_text(poisoned, client, who, page):
    client.force_login(poisoned.all()[who])
    assert_escaped(client.get(reverse(page, args=[poisoned.exercise.pk])).content.decode())


def test_websocket_fragments_escape_hostile_text(poisoned, listen, django_capture_on_commit_callbacks):
    from exercises import fragments

    usa = poisoned.exercise.participants.select_related("exercise", "team", "user").get(team_id="USA")
    facilitator = poisoned.exercise.participants.select_related("exercise").get(user=poisoned.facilitator)
    assert_escaped(fragments.team_state(usa))
    assert_escaped(fragments.control_state(facilitator))
    group = listen(realtime.team_group(poisoned.exercise.pk, "USA"))
    with django_capture_on_commit_callbacks(execute=True):
        send_message(participant=usa, text=f"Again {XSS}")
    assert_escaped(group.messages()[0]["html"])


def test_pdf_and_docx_carry_hostile_text_as_text(poisoned):
    from docx import Document
    from pypdf import PdfReader

    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(export(poisoned.exercise, "pdf"))).pages)
    # Responses are in the CSV and the archive, not the document; the inject's title is in both documents.
    assert "Title <script>alert" in pdf_text.replace("\n", " "), "the PDF prints the text, it does not run it"
    document = Document(io.BytesIO(export(poisoned.exercise, "docx")))
    cells = " ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert f"Title {XSS}" in cells, "Word shows the text as typed, never as markup"


def test_csv_cells_that_start_a_formula_are_neutralised(poisoned):
    usa = poisoned.exercise.participants.select_related("exercise", "team").get(team_id="USA")
    for text in ("=1+2", "+SUM(A1)", "-2+3", "@cmd"):
        submit_response(participant=usa, inject=poisoned.usa_only, kind="action", text=text, protocol_steps=[])
    with zipfile.ZipFile(io.BytesIO(export(poisoned.exercise, "csv"))) as archive:
        texts = [row["text"] for row in csv.DictReader(io.StringIO(archive.read("responses.csv").decode()))]
    for text in ("=1+2", "+SUM(A1)", "-2+3", "@cmd"):
        assert "'" + text in texts and text not in texts


def test_oversized_fields_and_bodies_are_refused_with_a_message(running, client):
    release_inject(inject=running.usa_only, by=running.facilitator)
    client.force_login(running.usa_player)
    url = reverse("respond", args=[running.exercise.pk, running.usa_only.pk])
    reply = client.post(url, {"kind": "action", "text": "x" * (settings.CONJUNCTION_MAX_TEXT + 1)})
    assert reply.status_code == 400 and "under 4000 characters" in reply.content.decode()
    reply = client.post(url, {"kind": "action", "text": "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    assert reply.status_code == 400 and "too large" in reply.content.decode()
    client.force_login(running.facilitator)
    reply = client.post(
        reverse("send-message", args=[running.exercise.pk]), {"text": "z" * 5000}, headers={"HX-Request": "true"}
    )
    assert reply.status_code == 400 and "under 4000 characters" in reply.content.decode()
    assert not Response.objects.exists() and not Message.objects.exists()


def test_imported_msel_cells_come_out_escaped(personas, client):
    from exercises.services.scenarios import import_scenario

    scenario = import_scenario(
        {
            "format": "conjunction-scenario",
            "version": 1,
            "name": f"Hostile {XSS}",
            "objectives": [],
            "injects": [
                {
                    "sequence": 1,
                    "offset": "T+00:01",
                    "kind": "press",
                    "title": f"T {XSS}",
                    "text": f"B {XSS}",
                    "to": "all",
                }
            ],
        }
    )
    client.force_login(personas.facilitator)
    assert_escaped(client.get(reverse("scenario-detail", args=[scenario.pk])).content.decode())
    assert_escaped(client.get(reverse("scenario-list")).content.decode())


def test_security_headers_and_a_csp_without_inline_script(running, client):
    client.force_login(running.facilitator)
    reply = client.get(reverse("console", args=[running.exercise.pk]))
    policy = reply["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert reply["X-Frame-Options"] == "DENY" and reply["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in reply.content.decode().replace("<script src=", ""), "no inline script"


def test_logins_are_locked_after_repeated_failures(personas, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "usa_player", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    reply = client.post(
        reverse("login"), {"username": "usa_player", "password": "correct-horse-battery"}, REMOTE_ADDR="10.9.9.9"
    )
    assert reply.status_code == 429 and "Too many failed logins" in reply.content.decode()
    other = client.post(
        reverse("login"), {"username": "gbr_player", "password": "correct-horse-battery"}, REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 302, "another user from the same address is not locked out"


def test_submissions_are_throttled_per_user(running, client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SUBMISSION_RATE = "3/m"
    client.force_login(running.facilitator)
    url = reverse("send-message", args=[running.exercise.pk])
    statuses = [client.post(url, {"text": f"m{n}"}, headers={"HX-Request": "true"}).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert "sending too fast" in client.post(url, {"text": "x"}, headers={"HX-Request": "true"}).content.decode()
    assert Message.objects.count() == 3
    client.force_login(running.usa_player)
    assert client.post(url, {"text": "USA"}, headers={"HX-Request": "true"}).status_code == 200, "limits are per user"
    cache.clear()


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "SECURE_COOKIES", "CLOCK_IN_PROCESS"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="x7!Qp2#vL9@mZ4$kR8^tW1&yB6*nC3(hD5)fG0_jS-a9Kd02LmQz7Vb44Rw8",
        ALLOWED_HOSTS="conjunction.example.org",
        CSRF_TRUSTED_ORIGINS="https://conjunction.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# Websockets ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_garbage_frames_are_ignored_and_a_flood_closes_only_the_flooding_socket(running):
    sockets = Sockets(running)
    gbr_only = running.gbr_only

    async def scenario():
        flooder = sockets.open(f"/ws/exercises/{running.exercise.pk}/team/", "usa_player")
        bystander = sockets.open(f"/ws/exercises/{running.exercise.pk}/team/", "gbr_player")
        for socket in (flooder, bystander):
            await socket.connect()
            await socket.receive_from(timeout=5)
        await flooder.send_to(text_data="{not json")
        await flooder.send_to(bytes_data=b"\x00\xff binary")
        await flooder.send_to(text_data='{"HEADERS": {"HX-Request": "true"}, "inject": 999999}')
        assert await flooder.receive_nothing(timeout=0.2), "garbage is ignored, the socket stays open"
        for n in range(60):
            await flooder.send_to(text_data=f"flood {n}")
        closed = await flooder.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4429}
        await sync_to_async(release_inject)(inject=gbr_only, by=running.facilitator)
        assert "UK-only intelligence" in await bystander.receive_from(timeout=5)
        await bystander.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_after_logout_that_users_sockets_stop_receiving(running):
    sockets = Sockets(running)
    session_client = __import__("django.test", fromlist=["Client"]).Client()
    session_client.force_login(running.usa_player)
    cookie = session_client.cookies["sessionid"].value
    headers = [ORIGIN, (b"host", b"127.0.0.1:8000"), (b"cookie", f"sessionid={cookie}".encode())]
    usa_only = running.usa_only

    async def scenario():
        from channels.testing import WebsocketCommunicator

        from config.asgi import application

        usa = WebsocketCommunicator(application, f"/ws/exercises/{running.exercise.pk}/team/", headers=headers)
        control = sockets.open(f"/ws/exercises/{running.exercise.pk}/control/", "facilitator")
        for socket in (usa, control):
            await socket.connect()
            await socket.receive_from(timeout=5)
        await sync_to_async(session_client.post)(reverse("logout"))
        assert await usa.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
        await sync_to_async(release_inject)(inject=usa_only, by=running.facilitator)
        assert "Conjunction warning" in await receive_containing(control, "Conjunction warning")
        await control.disconnect()

    run(scenario)


def fail_queries_touching(monkeypatch, table: str):
    """Fault injection at the database driver boundary, in every thread: queries on `table` fail."""
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    real_execute = CursorWrapper.execute

    def execute(self, sql, params=None):
        if table in sql:
            raise OperationalError("simulated database outage")
        return real_execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", execute)


@pytest.mark.django_db(transaction=True)
def test_an_error_while_sending_state_closes_with_a_code_htmx_reconnects_on(running, monkeypatch):
    """A database failure during connect must not leave the page silently stale."""
    sockets = Sockets(running)
    fail_queries_touching(monkeypatch, "exercises_release")

    async def scenario():
        usa = sockets.open(f"/ws/exercises/{running.exercise.pk}/team/", "usa_player")
        await usa.connect()
        return await usa.receive_output(timeout=5)

    assert run(scenario) == {"type": "websocket.close", "code": 4013}


def test_a_database_outage_refuses_the_response_clearly_and_keeps_the_text(running, client, monkeypatch):
    release_inject(inject=running.usa_only, by=running.facilitator)
    client.force_login(running.usa_player)
    fail_queries_touching(monkeypatch, 'INSERT INTO "exercises_response"')
    reply = client.post(
        reverse("respond", args=[running.exercise.pk, running.usa_only.pk]),
        {"kind": "action", "text": "Manoeuvre ALLIED-SAT 7 at T+00:40"},
        headers={"HX-Request": "true"},
    )
    monkeypatch.undo()
    body = reply.content.decode()
    assert reply.status_code == 503
    assert "did not answer" in body and "Manoeuvre ALLIED-SAT 7 at T+00:40" in body
    assert not Response.objects.exists()

"""English and French (issue #17): every template marked, the French catalogue complete, compiled and up to
date, each user's language (picked and remembered; FRA plays in French), and live fragments in each language."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from exercises import realtime, selectors
from exercises.invitations import email_invitations
from exercises.models import AuditEvent, LanguagePreference, Participant
from exercises.services.exercises import add_participant
from exercises.services.languages import choose_language
from tests import untranslated
from tests.conftest import PASSWORD, prefer_english

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MSGFMT = shutil.which("msgfmt")
needs_gettext = pytest.mark.skipif(MSGFMT is None, reason="gettext (msgfmt) is missing: `make messages` installs it")


# --- The templates and the catalogue ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template", untranslated.all_templates(), ids=lambda path: str(path.relative_to(untranslated.TEMPLATES))
)
def test_the_template_holds_no_text_outside_the_translation_machinery(template):
    left = untranslated.untranslated_in_file(template)
    assert not left, "\n".join(f"{template.name}:{line}: {text}" for line, text in left)


@needs_gettext
def test_the_french_catalogue_is_complete():
    """No fuzzy entry (gettext does not use them) and no untranslated one; and it compiles."""
    checked = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", "/dev/null", str(PO)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    statistics = checked.stderr.strip().splitlines()[-1]
    assert re.match(r"^\d+ translated messages?\.$", statistics), statistics
    assert int(statistics.split()[0]) > 50


@needs_gettext
def test_the_french_catalogue_holds_every_marked_string(tmp_path):
    """makemessages run afresh on a copy of the sources finds no string the committed catalogue lacks."""
    for name in ("config", "exercises", "templates", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    made = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-location", "-v", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    fresh = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    compared = subprocess.run([shutil.which("msgcmp"), str(PO), str(fresh)], capture_output=True, text=True)
    assert compared.returncode == 0, f"strings marked but missing from {PO.relative_to(ROOT)}:\n{compared.stderr}"


def test_the_catalogue_is_compiled_and_used(rf_request):
    with translation.override("fr"):
        page = render_to_string("base.html", request=rf_request)
        assert '<html lang="fr">' in page
        assert "Aller au contenu" in page and "Exercices alliés de crise spatiale" in page
        assert 'data-label-connecting="Connexion…"' in page and 'data-label-due-in="dans {time}"' in page
    with translation.override("en-gb"):
        page = render_to_string("base.html", request=rf_request)
        assert '<html lang="en-gb">' in page and "Skip to the content" in page


def test_a_models_choice_label_reads_in_french(db):
    with translation.override("fr"):
        assert str(Participant.Role.PLAYER.label) == "Joueur"
        assert str(Participant.Role.FACILITATOR.label) == "Animateur"


def test_a_refusal_reads_in_french(personas):
    client = Client(headers={"accept-language": "fr"})
    client.force_login(personas.gbr_player)
    answer = client.post(reverse("choose-language"), {"language": "tlh"})
    assert answer.status_code == 400
    assert answer.content.decode() == "Choisissez l’une des langues proposées."
    with translation.override("fr"), pytest.raises(Exception, match="language: Choisissez"):
        choose_language(user=personas.gbr_player, language="tlh")


def test_a_form_error_reads_in_french(personas):
    """The login form's own error, from Django's French catalogue, in our login page in French."""
    client = Client(headers={"accept-language": "fr"})
    answer = client.post(reverse("login"), {"username": personas.gbr_player.username, "password": "wrong"})
    body = answer.content.decode()
    assert answer.status_code == 200 and '<html lang="fr">' in body
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in body
    assert "Connexion à Conjunction" in body


def test_numbers_that_javascript_reads_are_not_localized(running):
    """French writes 1,5: the clock's data-elapsed and data-speed stay in the dot notation parseFloat reads."""
    from exercises import fragments

    running.exercise.speed = 1.5
    with translation.override("fr"):
        html = fragments.clock(running.exercise)
    assert 'data-speed="1.5"' in html
    assert re.search(r'data-elapsed="\d+\.\d{3}"', html), html


@pytest.fixture
def rf_request(db):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return request


# --- Each user's language ----------------------------------------------------------------------------------------


def page(client, name="home"):
    """The page (a player of one exercise is sent on to their team's page)."""
    answer = client.get(reverse(name), follow=True)
    assert answer.status_code == 200
    return answer


def log_in(client, user):
    """Through the login form, as a person does."""
    answer = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302, answer.content.decode()[:500]


def signed_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def test_a_player_of_fra_reads_french_by_default(fra_player):
    assert selectors.user_language(fra_player) == "fr"
    answer = page(signed_in(fra_player))
    body = answer.content.decode()
    assert '<html lang="fr">' in body and "Aller au contenu" in body and "Se déconnecter" in body
    assert answer["Content-Language"] == "fr"


def test_a_player_of_gbr_reads_english_and_the_browser_decides_for_others(personas):
    assert selectors.user_language(personas.gbr_player) is None
    body = page(signed_in(personas.gbr_player)).content.decode()
    assert '<html lang="en-gb">' in body and "Skip to the content" in body
    body = page(signed_in(personas.gbr_player, accept_language="fr-FR,fr;q=0.9")).content.decode()
    assert '<html lang="fr">' in body, "no choice and no French team: the browser's language stands"


def test_a_picked_language_is_stored_and_survives_logout_and_login(personas):
    gbr = personas.gbr_player
    client = signed_in(gbr)
    answer = client.post(reverse("choose-language"), {"language": "fr", "next": reverse("home")})
    assert answer.status_code == 302 and answer["Location"] == reverse("home")
    assert answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert LanguagePreference.objects.get(user=gbr).language == "fr"
    event = AuditEvent.objects.get(kind="language.chosen")
    assert event.exercise is None and event.actor == gbr and event.payload == {"language": "fr"}
    assert "Aller au contenu" in page(client).content.decode()

    client.post(reverse("logout"))
    log_in(client, gbr)
    assert "Aller au contenu" in page(client).content.decode()
    fresh = Client()  # no language cookie: the stored preference alone
    log_in(fresh, gbr)
    assert '<html lang="fr">' in page(fresh).content.decode()


def test_a_player_of_fra_may_pick_english(fra_player):
    client = signed_in(fra_player)
    client.post(reverse("choose-language"), {"language": "en-gb", "next": "/"})
    assert "Skip to the content" in page(client).content.decode()
    assert "Skip to the content" in page(signed_in(fra_player)).content.decode(), "a new session remembers it"


def test_next_to_another_host_is_refused(personas):
    client = signed_in(personas.gbr_player)
    for evil in ("https://evil.example/", "//evil.example/home", "javascript:alert(1)"):
        answer = client.post(reverse("choose-language"), {"language": "fr", "next": evil})
        assert answer.status_code == 302 and answer["Location"] == reverse("home"), evil


def test_an_anonymous_visitor_gets_the_cookie_only(db):
    client = Client()
    answer = client.post(reverse("choose-language"), {"language": "fr", "next": reverse("login")})
    assert answer.status_code == 302 and answer["Location"] == reverse("login")
    assert not LanguagePreference.objects.exists() and not AuditEvent.objects.filter(kind="language.chosen")
    body = page(client, "login").content.decode()
    assert "Connexion à Conjunction" in body and "Mot de passe oublié ?" in body
    assert 'action="/language/"' in body and '<option value="fr" lang="fr" selected>Français</option>' in body


def test_the_picker_is_a_labelled_select_with_each_language_in_its_own_words(personas):
    body = page(signed_in(personas.gbr_player)).content.decode()
    assert '<label for="language-picker">Language</label>' in body
    assert '<option value="en-gb" lang="en-gb" selected>English</option>' in body
    assert '<option value="fr" lang="fr">Français</option>' in body
    assert re.search(r'<input type="hidden" name="next" value="/exercises/\d+/team/">', body), "back to this page"


def test_the_picker_needs_a_post_and_a_csrf_token(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.gbr_player)
    assert client.get(reverse("choose-language")).status_code == 405
    assert client.post(reverse("choose-language"), {"language": "fr"}).status_code == 403
    assert not LanguagePreference.objects.exists()


# --- Emails in the recipient's language --------------------------------------------------------------------------


def test_an_invitation_goes_out_in_the_recipients_language(personas):
    fra = get_user_model().objects.create_user(username="new_fra", email="fra@example.org", password=None)
    gbr = get_user_model().objects.create_user(username="new_gbr", email="gbr@example.org", password=None)
    bravo = personas.other_exercise
    add_participant(exercise=bravo, user=fra, role=Participant.Role.PLAYER, team=bravo.teams.get(code="FRA"))
    add_participant(exercise=bravo, user=gbr, role=Participant.Role.PLAYER, team=bravo.teams.get(code="USA"))
    with translation.override("en-gb"):  # the facilitator sending them reads English
        sent = email_invitations([fra, gbr], exercise=bravo, build_absolute_uri=lambda path: "http://x" + path)
    assert sent.emailed == 2
    french, english = mail.outbox
    assert french.to == ["fra@example.org"] and french.subject == "Conjunction : votre compte pour Exercise Bravo"
    assert "La direction de l’exercice vous a ajouté à l’exercice Conjunction « Exercise Bravo »." in french.body
    assert english.subject == "Conjunction: your account for Exercise Bravo"
    assert 'Exercise control has added you to the Conjunction exercise "Exercise Bravo".' in english.body


def test_a_password_reset_goes_out_in_the_recipients_language(fra_player, personas):
    fra_player.email = "fra@example.org"
    fra_player.save()
    Client().post(reverse("password-reset"), {"email": "fra@example.org"})
    (sent,) = mail.outbox
    assert sent.subject == "Conjunction : choisissez un nouveau mot de passe"
    assert "Si vous n’avez rien demandé, ignorez ce message" in sent.body
    prefer_english(fra_player)
    Client().post(reverse("password-reset"), {"email": "fra@example.org"})
    assert mail.outbox[1].subject == "Conjunction: choose a new password"


# --- Live fragments in each language -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_fragment_is_rendered_in_each_language_for_its_groups(personas, listen):
    exercise = personas.exercise.pk
    english = listen(realtime.team_group(exercise, "USA"))
    french = listen(realtime.team_group(exercise, "USA") + ".fr")
    with transaction.atomic():
        realtime.send_after_commit(
            [realtime.team_group(exercise, "USA")], lambda: f"<p>{translation.gettext('Log out')}</p>"
        )
        assert not english.messages(timeout=0.2), "nothing before the commit"
    assert [m["html"] for m in english.messages()] == ["<p>Log out</p>"]
    assert [m["html"] for m in french.messages()] == ["<p>Se déconnecter</p>"]

    with transaction.atomic():
        realtime.render_and_send_after_commit(
            lambda: [([realtime.team_group(exercise, "USA")], translation.get_language())]
        )
        realtime.render_and_send_once_after_commit(
            "test", [realtime.team_group(exercise, "USA")], lambda: translation.gettext("Language")
        )
    assert [m["html"] for m in english.messages()] == ["en-gb", "Language"]
    assert [m["html"] for m in french.messages()] == ["fr", "Langue"]


@pytest.mark.django_db(transaction=True)
def test_a_french_players_socket_joins_the_french_groups_only(personas, fra_player):
    from config.asgi import application
    from exercises.services.clock import change_status

    bravo = change_status(exercise=personas.other_exercise, action="start", by=personas.other_facilitator)
    client = Client()
    client.force_login(fra_player)
    headers = [
        (b"origin", b"http://127.0.0.1:8000"),
        (b"host", b"127.0.0.1:8000"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/exercises/{bravo.pk}/team/", headers=headers)
        connected, _ = await socket.connect()
        assert connected
        await socket.receive_from(timeout=5)  # the state on connect
        layer = get_channel_layer()
        await layer.group_send(
            realtime.team_group(bravo.pk, "FRA") + ".fr", {"type": "fragment", "html": "<p id='fr'></p>"}
        )
        await layer.group_send(realtime.team_group(bravo.pk, "FRA"), {"type": "fragment", "html": "<p id='en'></p>"})
        assert await socket.receive_from(timeout=5) == "<p id='fr'></p>"
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_the_default_language_keeps_todays_group_names():
    assert realtime.language_group("exercise.3.team.FRA", "en-gb") == "exercise.3.team.FRA"
    assert realtime.language_group("exercise.3.team.FRA", "fr") == "exercise.3.team.FRA.fr"


def test_a_teams_cached_state_is_kept_per_language(running):
    """Every socket of a team shares its state through the cache: a French socket must not be sent the English."""
    from exercises import fragments

    participant = selectors.participation(running.usa_player, running.exercise.pk)
    keys = {}
    for language in ("en-gb", "fr"):
        with translation.override(language):
            keys[language] = fragments.team_state_key(participant)
            fragments.team_state(participant)
    from django.core.cache import cache

    assert keys["en-gb"] != keys["fr"]
    assert cache.get(keys["en-gb"]) is not None and cache.get(keys["fr"]) is not None, "one entry per language"

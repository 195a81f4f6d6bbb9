"""Who may open which page or post which action: every URL, every persona."""

import pytest
from django.urls import reverse

from exercises.models import Release

# persona -> expected status for each route. "login" means a redirect to the login page.
GET_PAGES = {
    "console": {
        "facilitator": 200,
        "evaluator": 200,
        "usa_player": 403,
        "gbr_player": 403,
        "other_facilitator": 404,
        "other_player": 404,
        "no_role": 404,
        "anonymous": "login",
    },
    "team": {
        "facilitator": 403,
        "evaluator": 403,
        "usa_player": 200,
        "gbr_player": 200,
        "other_facilitator": 404,
        "other_player": 404,
        "no_role": 404,
        "anonymous": "login",
    },
}
HOME = {
    "facilitator": 302,
    "evaluator": 302,
    "usa_player": 302,
    "gbr_player": 302,
    "other_facilitator": 302,
    "other_player": 302,
    "no_role": 403,
    "anonymous": "login",
}
RELEASE = {
    "facilitator": 302,
    "evaluator": 403,
    "usa_player": 403,
    "gbr_player": 403,
    "other_facilitator": 404,
    "other_player": 404,
    "no_role": 404,
    "anonymous": "login",
}
CLOCK = RELEASE
RESPOND_USA_INJECT = {
    "facilitator": 403,
    "evaluator": 403,
    "usa_player": 302,
    "gbr_player": 404,
    "other_facilitator": 404,
    "other_player": 404,
    "no_role": 404,
    "anonymous": "login",
}
PERSONAS = list(HOME)


def login_as(client, personas, who):
    if who != "anonymous":
        client.force_login(personas.all()[who])


def check(reply, expected):
    if expected == "login":
        assert reply.status_code == 302 and reply["Location"].startswith(reverse("login"))
    else:
        assert reply.status_code == expected, reply.content[:300]


@pytest.mark.parametrize("who", PERSONAS)
def test_home_sends_each_role_to_its_page(client, personas, who):
    login_as(client, personas, who)
    reply = client.get(reverse("home"))
    check(reply, HOME[who])
    if who in ("facilitator", "evaluator"):
        assert reply["Location"] == reverse("console", args=[personas.exercise.pk])
    if who in ("usa_player", "gbr_player"):
        assert reply["Location"] == reverse("team", args=[personas.exercise.pk])


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("page", list(GET_PAGES))
def test_pages_by_persona(client, personas, page, who):
    login_as(client, personas, who)
    check(client.get(reverse(page, args=[personas.exercise.pk])), GET_PAGES[page][who])


@pytest.mark.parametrize("who", PERSONAS)
def test_release_by_persona(client, running, who):
    login_as(client, running, who)
    reply = client.post(reverse("release-inject", args=[running.exercise.pk, running.usa_only.pk]))
    check(reply, RELEASE[who])
    assert Release.objects.exists() == (who == "facilitator")


@pytest.mark.parametrize("who", PERSONAS)
def test_clock_by_persona(client, personas, who):
    login_as(client, personas, who)
    check(client.post(reverse("change-clock", args=[personas.exercise.pk, "start"])), CLOCK[who])
    personas.exercise.refresh_from_db()
    assert (personas.exercise.status == "running") == (who == "facilitator")


@pytest.mark.parametrize("who", PERSONAS)
def test_respond_by_persona(client, running, who, django_capture_on_commit_callbacks):
    from exercises.services.releases import release_inject

    release_inject(inject=running.usa_only, by=running.facilitator)
    login_as(client, running, who)
    reply = client.post(
        reverse("respond", args=[running.exercise.pk, running.usa_only.pk]), {"kind": "action", "text": "Acknowledged."}
    )
    check(reply, RESPOND_USA_INJECT[who])


@pytest.mark.parametrize("url_name", ["release-inject", "change-clock"])
def test_actions_refuse_get(client, running, url_name):
    """(A GET of the respond URL is the response form: tests/test_respond.py.)"""
    client.force_login(running.facilitator)
    args = {
        "release-inject": [running.exercise.pk, running.usa_only.pk],
        "change-clock": [running.exercise.pk, "pause"],
    }[url_name]
    assert client.get(reverse(url_name, args=args)).status_code == 405


def test_a_gbr_player_never_sees_a_usa_inject_on_their_page(client, running):
    from exercises.services.releases import release_inject

    release_inject(inject=running.usa_only, by=running.facilitator)
    client.force_login(running.gbr_player)
    assert "USA-SAT 12" not in client.get(reverse("team", args=[running.exercise.pk])).content.decode()
    client.force_login(running.usa_player)
    assert "USA-SAT 12" in client.get(reverse("team", args=[running.exercise.pk])).content.decode()


def test_releasing_twice_through_the_console_says_so(client, running):
    client.force_login(running.facilitator)
    url = reverse("release-inject", args=[running.exercise.pk, running.usa_only.pk])
    client.post(url)
    reply = client.post(url, headers={"HX-Request": "true"})
    assert reply.status_code == 409
    assert "already released" in reply.content.decode()


def test_an_unknown_clock_action_is_404(client, personas):
    client.force_login(personas.facilitator)
    assert client.post(reverse("change-clock", args=[personas.exercise.pk, "rewind"])).status_code == 404


def test_the_login_page_logs_in_and_lands_on_the_role_page(client, personas):
    from tests.conftest import PASSWORD

    page = client.get(reverse("login"))
    assert 'name="username"' in page.content.decode()
    reply = client.post(reverse("login"), {"username": "usa_player", "password": PASSWORD}, follow=True)
    assert reply.redirect_chain[-1][0] == reverse("team", args=[personas.exercise.pk])
    client.logout()
    reply = client.post(reverse("login"), {"username": "usa_player", "password": "wrong"})
    assert reply.status_code == 200
    assert "Please enter a correct" in reply.content.decode()

"""Staffing an exercise without /admin/: one person or a CSV roster, invitations, password resets, login cards."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from exercises.invitations import invitation_path, invitation_token_generator
from exercises.models import AuditEvent, Participant
from exercises.realtime import user_group
from exercises.services import staffing
from tests.conftest import PASSWORD

User = get_user_model()
NEW_PASSWORD = "orbital-debris-7731"

GOOD = """name,email,role,team
Ada Byrne,ada.byrne@example.org,player,USA
Ben Okafor,ben@example.org,Player,gbr
Chloé Martin,chloe@example.org,evaluator,
No Role Yet,NO_ROLE@Example.org,player,CAN
"""


@pytest.fixture
def staffed(personas):
    personas.no_role.email = "no_role@example.org"
    personas.no_role.save()
    return personas


def url(name, exercise, *args):
    return reverse(name, args=[exercise.pk, *args])


def facilitator_client(personas) -> Client:
    client = Client()
    client.force_login(personas.facilitator)
    return client


def preview(client, exercise, text=None, **headers):
    headers = {name.replace("_", "-"): value for name, value in headers.items()}
    data = {"rows": text} if text is not None else {}
    return client.post(url("participants-import", exercise), data, headers=headers)


def confirm(client, exercise, text, email=False):
    data = {"roster": text, **({"email_invitations": "on"} if email else {})}
    return client.post(url("participants-import", exercise), data)


def counts():
    return User.objects.count(), Participant.objects.count()


# --- A good roster -------------------------------------------------------------------------------


def test_a_good_roster_is_previewed_without_writing_then_confirmed_all_at_once(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    before = counts()
    reply = preview(client, exercise, GOOD)
    page = reply.content.decode()
    assert reply.status_code == 200
    assert counts() == before, "a preview writes nothing"
    assert "Preview: 4 people" in page and "Add these 4 people" in page
    assert "new: <code>ada.byrne</code>" in page
    assert "existing: <code>no_role</code> (by email)" in page, "matched whatever the email's case"

    reply = confirm(client, exercise, GOOD)
    assert reply.status_code == 302 and reply["Location"] == url("participants", exercise)
    people = {p.user.username: (p.role, p.team_id) for p in exercise.participants.select_related("user")}
    assert people["ada.byrne"] == ("player", "USA")
    assert people["ben"] == ("player", "GBR")
    assert people["chloe"] == ("evaluator", None)
    assert people["no_role"] == ("player", "CAN")
    assert counts() == (before[0] + 3, before[1] + 4), "three new accounts; the existing one linked, not duplicated"
    ada = User.objects.get(username="ada.byrne")
    assert (ada.get_full_name(), ada.email, ada.has_usable_password()) == ("Ada Byrne", "ada.byrne@example.org", False)
    assert User.objects.get(username="chloe").first_name == "Chloé"
    journal = AuditEvent.objects.filter(exercise=exercise)
    assert journal.filter(kind="participant.assigned", payload__user="ada.byrne").count() == 1
    assert journal.filter(kind="account.invited").count() == 3

    page = client.get(url("participants", exercise)).content.decode()
    assert "Added 4 people. 3 new accounts" in page
    assert page.count("Awaiting: invitation link") == 3
    assert re.search(r'value="http://testserver/invitation/[\w-]+/[\w-]+/"', page)


def test_an_uploaded_file_with_a_byte_order_mark_and_semicolons_is_read(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    data = "\ufeffName;Email;Role;Team\r\nDana Weiss;dana@example.org;player;USA\r\n".encode()
    upload = SimpleUploadedFile("roster.csv", data, content_type="text/csv")
    reply = client.post(url("participants-import", exercise), {"file": upload})
    page = reply.content.decode()
    assert reply.status_code == 200 and "Preview: 1 person" in page and "dana@example.org" in page
    assert "Add this person" in page
    pasted_from_a_spreadsheet = "name\temail\trole\tteam\nEli Park\teli@example.org\tfacilitator\t\n"
    assert "Add this person" in preview(client, exercise, pasted_from_a_spreadsheet).content.decode()


def test_the_roster_partial_is_all_htmx_gets_back(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    reply = preview(client, exercise, GOOD, HX_Request="true")
    page = reply.content.decode()
    assert page.lstrip().startswith('<div id="roster">') and "<html" not in page
    reply = client.post(url("participants-import", exercise), {"roster": GOOD}, headers={"HX-Request": "true"})
    assert reply.status_code == 200 and reply["HX-Redirect"] == url("participants", exercise)


# --- A bad roster --------------------------------------------------------------------------------

BAD = """name,email,role,team
Ada Byrne,not-an-email,player,USA
Ben Okafor,ben@example.org,captain,USA
Cara Lind,cara@example.org,player,
Dev Rao,dev@example.org,player,FRA
Eve Stone,eve@example.org,player,XYZ
Fay Wong,fay@example.org,evaluator,USA
Gus Hale,gus@example.org,player,CAN
Gus Hale,GUS@example.org,player,CAN
Usa Player,usa_player@example.org,player,USA
,hal@example.org,player,USA
"""


def test_every_kind_of_row_error_is_named_by_row_and_column_and_nothing_is_written(staffed):
    staffed.usa_player.email = "usa_player@example.org"
    staffed.usa_player.save()
    client, exercise = facilitator_client(staffed), staffed.exercise
    before = counts()
    roster = staffing.read_roster(BAD, exercise=exercise)
    problems = {(p.where, p.field): p.reason for p in roster.problems}
    assert "is not an email address" in problems["row 2", "email"]
    assert "“captain” is not a role" in problems["row 3", "role"]
    assert "A player plays for exactly one team" in problems["row 4", "team"]
    assert "FRA does not take part in this exercise; its teams are USA, GBR, CAN" in problems["row 5", "team"]
    assert "XYZ is not a team code" in problems["row 6", "team"]
    assert "Only players have a team" in problems["row 7", "team"]
    assert ("row 8", "email") not in problems, "the first of two identical rows is fine"
    assert problems["row 9", "email"] == "The same person as row 8."
    assert "usa_player already takes part in this exercise (player)" in problems["row 10", "email"]
    assert "Give the person's name" in problems["row 11", "name"]
    assert len(roster.people) == 10 and not roster.ok

    reply = preview(client, exercise, BAD)
    page = reply.content.decode()
    assert reply.status_code == 200 and "Nobody will be added." in page
    assert "<td>Row 5</td><td>team</td>" in page
    assert 'id="roster-confirm"' not in page, "no confirmation for a roster with problems"
    reply = confirm(client, exercise, BAD)
    assert reply.status_code == 400 and "Nothing was written." in reply.content.decode()
    assert counts() == before


def test_a_roster_with_a_bad_header_is_refused_before_its_rows_are_read(staffed):
    roster = staffing.read_roster("name,mail,role,team,phone\nA,a@example.org,player,USA\n", exercise=staffed.exercise)
    found = {(p.where, p.field, p.reason.split(";")[0]) for p in roster.problems}
    assert ("row 1", "email", "Missing column.") in found
    assert ("row 1", "mail", "Unknown column") in found and ("row 1", "phone", "Unknown column") in found
    assert staffing.read_roster("", exercise=staffed.exercise).problems[0].reason.startswith("It is empty")
    only_header = staffing.read_roster("name,email,role,team\n", exercise=staffed.exercise)
    assert "only a header row" in only_header.problems[0].reason
    ragged = staffing.read_roster("name,email,role,team\nA,a@example.org,player,USA,extra\n", exercise=staffed.exercise)
    assert ragged.problems[0].reason == "5 cells for 4 columns."


def test_the_service_writes_nothing_when_one_row_is_bad(staffed):
    before = counts()
    text = GOOD + "Zed,zed@example.org,player,FRA\n"
    with pytest.raises(staffing.InvalidRoster) as refused:
        staffing.add_people(exercise=staffed.exercise, text=text, by=staffed.facilitator)
    assert [p.where for p in refused.value.roster.problems] == ["row 6"]
    assert counts() == before
    assert not AuditEvent.objects.filter(kind="account.invited").exists()


def test_a_roster_confirmed_twice_is_refused_the_second_time(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    assert confirm(client, exercise, GOOD).status_code == 302
    before = counts()
    reply = confirm(client, exercise, GOOD)
    assert reply.status_code == 400 and "already takes part in this exercise" in reply.content.decode()
    assert counts() == before


def test_preview_asks_for_rows_and_a_file_chosen_replaces_the_rows_in_the_box(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    reply = preview(client, exercise)
    assert reply.status_code == 400 and "Paste the rows, or choose a CSV file." in reply.content.decode()
    upload = SimpleUploadedFile("r.csv", GOOD.encode())
    reply = client.post(url("participants-import", exercise), {"rows": BAD, "file": upload})
    assert reply.status_code == 200 and "Add these 4 people" in reply.content.decode()
    empty = SimpleUploadedFile("empty.csv", b"\xef\xbb\xbf \n")
    assert "The file is empty." in client.post(url("participants-import", exercise), {"file": empty}).content.decode()


# --- Existing accounts ---------------------------------------------------------------------------


def test_an_existing_account_is_linked_by_user_name_and_a_new_account_gets_a_free_user_name(staffed):
    User.objects.create_user("ada", email="someone.else@example.org")
    text = "name,email,role,team,username\nNo Role,,evaluator,,no_role\nAda Byrne,ada@example.org,player,USA,\n"
    before = counts()
    added = staffing.add_people(exercise=staffed.exercise, text=text, by=staffed.facilitator)
    assert [(s.participant.user.username, s.created) for s in added] == [("no_role", False), ("ada2", True)]
    assert counts() == (before[0] + 1, before[1] + 2)


def test_an_email_shared_by_two_accounts_needs_the_user_name(staffed):
    User.objects.create_user("twin1", email="twin@example.org")
    User.objects.create_user("twin2", email="TWIN@example.org")
    roster = staffing.read_roster("name,email,role,team\nTwin,twin@example.org,evaluator,\n", exercise=staffed.exercise)
    assert "Several accounts have this email" in roster.problems[0].reason
    text = "name,email,role,team,username\nTwin,twin@example.org,evaluator,,twin2\n"
    assert staffing.read_roster(text, exercise=staffed.exercise).people[0].user.username == "twin2"


def test_one_person_is_added_with_a_new_account_and_an_emailed_invitation(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    reply = client.post(
        url("participants", exercise),
        {"name": "Ines Roy", "email": "ines@example.org", "role": "player", "team": "GBR", "email_invitation": "on"},
    )
    assert reply.status_code == 302
    ines = User.objects.get(email="ines@example.org")
    assert Participant.objects.get(exercise=exercise, user=ines).team_id == "GBR"
    (message,) = mail.outbox
    assert message.to == ["ines@example.org"] and "Exercise Alpha" in message.subject
    assert "Your user name is: ines" in message.body
    assert re.search(r"http://testserver/invitation/\w+/[\w-]+/", message.body)
    page = client.get(url("participants", exercise)).content.decode()
    assert "Ines Roy (ines) takes part as player of United Kingdom." in page and "1 invitation emailed." in page


def test_moving_a_participant_to_another_team_closes_their_pages(staffed, listen, django_capture_on_commit_callbacks):
    client, exercise = facilitator_client(staffed), staffed.exercise
    listener = listen(user_group(staffed.usa_player.pk))
    form = client.get(url("participants", exercise) + "?change=usa_player").content.decode()
    assert 'value="usa_player"' in form, "Change fills the form with the participant"
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(url("participants", exercise), {"username": "usa_player", "role": "player", "team": "CAN"})
    assert reply.status_code == 302
    assert Participant.objects.get(exercise=exercise, user=staffed.usa_player).team_id == "CAN"
    assert [m["type"] for m in listener.messages()] == ["access.changed"]


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_a_failing_mail_server_fails_only_the_emails(staffed, settings):
    settings.EMAIL_BACKEND = "tests.test_staffing.FailingBackend"
    client, exercise = facilitator_client(staffed), staffed.exercise
    reply = confirm(client, exercise, GOOD, email=True)
    assert reply.status_code == 302 and exercise.participants.count() == 8
    page = client.get(url("participants", exercise)).content.decode()
    assert "Could not email ada.byrne, ben, chloe" in page


def test_invitations_are_emailed_on_confirmation_when_asked(staffed):
    confirm(facilitator_client(staffed), staffed.exercise, GOOD, email=True)
    assert sorted(m.to[0] for m in mail.outbox) == ["ada.byrne@example.org", "ben@example.org", "chloe@example.org"]


# --- Invitation links ------------------------------------------------------------------------------


def invited(personas, username="ada.byrne"):
    staffing.add_people(exercise=personas.exercise, text=GOOD, by=personas.facilitator)
    return User.objects.get(username=username)


def set_password_through(client, link, password=NEW_PASSWORD):
    """Follow a one-time link as a browser would: its page, then the form it redirects to."""
    reply = client.get(link)
    if reply.status_code != 302:
        return reply
    form_url = reply["Location"]
    assert form_url.endswith("/set-password/"), "the token leaves the address bar"
    page = client.get(form_url).content.decode()
    assert "Set my password" in page or "Save the new password" in page
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def logs_in(username, password=NEW_PASSWORD) -> bool:
    reply = Client().post(reverse("login"), {"username": username, "password": password})
    return reply.status_code == 302 and reply["Location"] != reverse("login")


def test_an_invitation_sets_the_password_once_then_the_person_logs_in(staffed):
    ada = invited(staffed)
    link = invitation_path(ada)
    assert not logs_in("ada.byrne")
    reply = set_password_through(Client(), link)
    assert reply.status_code == 302 and reply["Location"] == reverse("invitation-complete")
    assert logs_in("ada.byrne")
    again = Client().get(link)
    assert again.status_code == 200 and "This invitation link does not work" in again.content.decode()
    assert set_password_through(Client(), link, "another-pass-9981").status_code == 200
    assert logs_in("ada.byrne") and not logs_in("ada.byrne", "another-pass-9981")


def test_an_expired_invitation_is_refused(staffed, settings):
    ada = invited(staffed)
    generator = invitation_token_generator
    made = generator._num_seconds(generator._now()) - settings.INVITATION_TIMEOUT - 60
    old = generator._make_token_with_timestamp(ada, made, generator.secret)
    link = reverse("invitation", args=[urlsafe_base64_encode(force_bytes(ada.pk)), old])
    assert "This invitation link does not work" in Client().get(link).content.decode()
    recent = generator._make_token_with_timestamp(ada, made + 120, generator.secret)
    assert generator.check_token(ada, recent), "a minute inside the limit it still works"
    ada.refresh_from_db()
    assert not ada.has_usable_password()


def test_an_invitation_never_works_for_an_account_with_a_password_nor_as_a_reset_link(staffed):
    token = invitation_token_generator.make_token(staffed.usa_player)
    assert not invitation_token_generator.check_token(staffed.usa_player, token)
    from django.contrib.auth.tokens import default_token_generator

    ada = invited(staffed)
    assert not default_token_generator.check_token(ada, invitation_token_generator.make_token(ada))
    assert not invitation_token_generator.check_token(ada, default_token_generator.make_token(ada))


def test_an_invitation_link_stops_working_once_the_person_logs_in(staffed):
    ada = invited(staffed)
    token = invitation_token_generator.make_token(ada)
    ada.set_password(NEW_PASSWORD)  # e.g. by a password reset
    ada.save()
    assert not invitation_token_generator.check_token(ada, token)


# --- Password reset ----------------------------------------------------------------------------------


def test_anyone_resets_a_forgotten_password_by_email(staffed):
    assert "Forgot your password?" in Client().get(reverse("login")).content.decode()
    staffed.usa_player.email = "usa@example.org"
    staffed.usa_player.save()
    reply = Client().post(reverse("password-reset"), {"email": "USA@example.org"})
    assert reply["Location"] == reverse("password-reset-sent")
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/password-reset/\S+/)", message.body).group(1)
    assert "usa_player" in message.body
    reply = set_password_through(Client(), link)
    assert reply["Location"] == reverse("password-reset-complete")
    assert logs_in("usa_player") and not logs_in("usa_player", PASSWORD)
    assert "This link does not work" in Client().get(link).content.decode(), "once only"


def test_an_invited_account_that_lost_its_invitation_gets_a_reset_link_and_nobody_else_does(staffed):
    invited(staffed)
    Client().post(reverse("password-reset"), {"email": "ada.byrne@example.org"})
    Client().post(reverse("password-reset"), {"email": "nobody@example.org"})
    assert [m.to for m in mail.outbox] == [["ada.byrne@example.org"]]


def test_password_reset_requests_are_rate_limited(staffed, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PASSWORD_RESET_RATE = "2/m"
    client = Client()
    replies = [client.post(reverse("password-reset"), {"email": "x@example.org"}).status_code for _ in range(3)]
    assert replies == [302, 302, 429]
    cache.clear()


# --- The participants page, login cards, authorization -----------------------------------------------------


def test_the_participants_page_lists_who_never_logged_in(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    Client().post(reverse("login"), {"username": "gbr_player", "password": PASSWORD})
    page = client.get(url("participants", exercise)).content.decode()
    never = re.search(r'<p id="never-logged-in">(.*?)</p>', page, re.S).group(1)
    assert "Never logged in (2 of 4)" in never
    assert "Usa_Player" in never and "Evaluator" in never and "Gbr_Player" not in never
    assert page.count('<span class="badge never">Never</span>') == 2


def test_login_cards_carry_each_new_accounts_invitation_link_by_team(staffed):
    client, exercise = facilitator_client(staffed), staffed.exercise
    invited(staffed)
    page = client.get(url("login-cards", exercise)).content.decode()
    assert page.count('<article class="login-card"') == 8
    assert "staffing.css" in page and "http://testserver/login/" in page
    usa = client.get(url("login-cards", exercise) + "?team=usa").content.decode()
    assert usa.count('<article class="login-card"') == 2  # usa_player and Ada
    link = re.search(r'<code class="link">http://testserver(/invitation/[^<]+)</code>', usa).group(1)
    assert "Ada Byrne" in usa and "Ben Okafor" not in usa
    assert "Your existing one" in usa, "usa_player has a password: no link on their card"
    assert set_password_through(Client(), link)["Location"] == reverse("invitation-complete")
    control = client.get(url("login-cards", exercise) + "?team=control").content.decode()
    assert "Chloé Martin" in control and "Ada Byrne" not in control
    assert client.get(url("login-cards", exercise) + "?team=FRA").status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("facilitator", 200),
        ("evaluator", 403),
        ("usa_player", 403),
        ("other_facilitator", 404),
        ("no_role", 404),
        ("anonymous", 302),
    ],
)
def test_only_the_exercises_facilitators_staff_it(staffed, who, expected):
    client = Client()
    if who != "anonymous":
        client.force_login(staffed.all()[who])
    before = counts()
    exercise = staffed.exercise
    assert client.get(url("login-cards", exercise)).status_code == expected
    assert preview(client, exercise, GOOD).status_code == expected
    assert confirm(client, exercise, GOOD).status_code == (302 if expected == 200 else expected)
    if expected != 200:
        assert counts() == before


def test_the_email_backend_comes_from_the_environment(monkeypatch):
    from config.env import env_email_backend

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    assert env_email_backend("EMAIL_BACKEND", default="console").endswith("console.EmailBackend")
    monkeypatch.setenv("EMAIL_BACKEND", "smtp")
    assert env_email_backend("EMAIL_BACKEND", default="console") == "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.setenv("EMAIL_BACKEND", "myapp.mail.Backend")
    assert env_email_backend("EMAIL_BACKEND", default="console") == "myapp.mail.Backend"
    monkeypatch.setenv("EMAIL_BACKEND", "carrier pigeon")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_BACKEND"):
        env_email_backend("EMAIL_BACKEND", default="console")


def test_an_account_invited_by_another_exercise_shows_no_invitation_link_here(staffed):
    """Linking an account must not hand its first password to another exercise's facilitator."""
    staffing.add_people(
        exercise=staffed.other_exercise,
        text="name,email,role,team\nBea Chef,bea@example.org,facilitator,\n",
        by=staffed.other_facilitator,
    )
    client, exercise = facilitator_client(staffed), staffed.exercise
    confirm(client, exercise, "name,email,role,team\nBea Chef,BEA@example.org,player,USA\n")
    bea = Participant.objects.get(exercise=exercise, user__username="bea")
    page = client.get(url("participants", exercise)).content.decode()
    row = re.search(rf'<tr id="participant-{bea.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "/invitation/" not in row and "invited by another exercise" in row
    cards = client.get(url("login-cards", exercise) + "?team=USA").content.decode()
    assert "/invitation/" not in cards and "Not set yet" in cards
    other = Client()
    other.force_login(staffed.other_facilitator)
    assert "/invitation/" in other.get(url("login-cards", staffed.other_exercise)).content.decode()


def test_a_user_name_is_matched_whatever_its_case(staffed):
    text = "name,email,role,team,username\n,,evaluator,,NO_ROLE\n"
    (person,) = staffing.read_roster(text, exercise=staffed.exercise).people
    assert (person.user, person.matched_by, person.problems) == (staffed.no_role, "username", [])

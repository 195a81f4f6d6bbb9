"""French for what Python builds (choice labels, form and service errors, view refusals), and English, whatever
the user's language, for what programs read (STIX, the MSEL spreadsheet, TAXII bodies)."""

import io
import json

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from exercises import cdm, omm, stix
from exercises.forms import FeedbackForm, ResponseForm
from exercises.forms_staffing import PersonForm
from exercises.models import Exercise, Inject, InjectKind, Participant, Rating, Releasability, SpaceObject
from exercises.services import Conflict, ServiceError, msel_spreadsheet
from exercises.services.clock import change_status
from exercises.services.sharing import share_assessment
from exercises.views.taxii import TAXII, collection_id
from tests import test_sharing
from tests.conjunctions import plant_conjunction
from tests.test_msel_spreadsheet import default_scenario  # noqa: F401 (fixture)
from tests.test_stix import assessment_bundle
from tests.test_taxii import token

allies_draft, allies = test_sharing.allies_draft, test_sharing.allies  # fixtures: four allies, an inject per marking


def test_model_choice_labels_follow_the_language_and_markings_do_not():
    with translation.override("fr"):
        assert InjectKind.ASAT.label == "Essai de missile antisatellite (ASAT)"
        assert Exercise.Status.RUNNING.label == "En cours"
        assert Participant.Role.FACILITATOR.label == "Animateur"
        assert Rating.Scale.S.label == "S — réalisé avec quelques difficultés"
        assert dict(Releasability.choices)["fvey"] == "REL TO FVEY"  # a marking: never translated
    with translation.override("en-gb"):
        assert InjectKind.ASAT.label == "ASAT missile test"
        assert Exercise.Status.RUNNING.label == "Running"


def test_a_lazy_label_is_a_plain_string_once_str_is_called_on_it():
    with translation.override("fr"):
        assert json.dumps([str(label) for _, label in InjectKind.choices[:2]], ensure_ascii=False) == (
            '["Alerte de conjonction", "Collision"]'
        )


def test_form_labels_and_errors_are_french_and_keep_their_numbers():
    with translation.override("fr"):
        form = ResponseForm(data={"kind": "action", "text": "x" * 5000})
        assert not form.is_valid()
        assert form.errors["text"] == [
            "Une réponse doit compter moins de 4000 caractères (elle en compte 5000)\u00a0; scindez-la en plusieurs."
        ]
        assert FeedbackForm().fields["priority_2"].label == "Priorité de l’action 2"
    with translation.override("en-gb"):
        form = ResponseForm(data={"kind": "action", "text": "x" * 5000})
        form.is_valid()
        assert form.errors["text"] == ["Keep a response under 4000 characters (it has 5000); split it into several."]


def test_a_roster_row_error_names_the_team_codes_in_french(library):
    from exercises.models import Team

    teams = {team.code: team for team in Team.objects.filter(code__in=["USA", "FRA"])}
    with translation.override("fr"):
        form = PersonForm(
            {"name": "Ada Byrne", "email": "ada@example.org", "role": "player", "team": "XYZ"}, teams=teams
        )
        assert not form.is_valid()
        assert form.errors["team"] == ["XYZ n’est pas un code d’équipe\u00a0; les équipes de l’exercice sont USA, FRA."]


def test_a_service_refusal_is_french_under_french_and_english_otherwise(running):
    with translation.override("fr"), pytest.raises(Conflict) as refused:
        change_status(exercise=running.exercise, action="start", by=running.facilitator)
    assert refused.value.message == "L’exercice a déjà commencé."
    with pytest.raises(Conflict) as refused:
        change_status(exercise=running.exercise, action="start", by=running.facilitator)
    assert refused.value.message == "The exercise has already started."


def test_a_refusal_with_placeholders_is_one_french_sentence(allies):
    test_sharing.release_all(allies)
    from exercises.models import Team

    with translation.override("fr"), pytest.raises(ServiceError) as refused:
        share_assessment(
            participant=allies.participant("DEU"),
            source=allies.injects["national"],
            title="DEU to USA",
            text="Assessment text.",
            recipients=Team.objects.filter(code__in=["USA"]),
            classification="secret",
            releasability="all",
            releasable_to=Team.objects.none(),
        )
    assert refused.value.message == (
        "Déclassement nécessaire\u00a0: le partage avec USA va au-delà du marquage de la source "
        "(EXERCISE SECRET // DEU ONLY). Indiquez le motif du déclassement et ce que vous avez retiré ou expurgé."
    )


def test_the_refused_page_speaks_the_users_language(running, client):
    client.force_login(running.facilitator)
    path = reverse("change-clock", args=[running.exercise.pk, "start"])
    client.cookies["django_language"] = "fr"
    french = client.post(path)
    assert french.status_code == 409
    assert "L’exercice a déjà commencé." in french.content.decode()
    client.cookies["django_language"] = "en-gb"
    english = client.post(path)
    assert "The exercise has already started." in english.content.decode()


def test_the_stix_export_is_byte_identical_in_french(allies):
    test_sharing.release_all(allies)
    english = stix.bundle_for(allies.exercise, "FRA").serialize(pretty=True)
    with translation.override("fr"):
        french = stix.bundle_for(allies.exercise, "FRA").serialize(pretty=True)
        staff_french = stix.bundle_for(allies.exercise).serialize()
    assert french == english
    assert staff_french == stix.bundle_for(allies.exercise).serialize()


def test_the_msel_spreadsheet_is_byte_identical_in_french(default_scenario):  # noqa: F811 (fixture)
    english_csv = msel_spreadsheet.export_csv(default_scenario)
    with translation.override("fr"):
        french_csv = msel_spreadsheet.export_csv(default_scenario)
        french_xlsx = msel_spreadsheet.export_xlsx(default_scenario)
    assert french_csv == english_csv
    assert "Conjunction warning" in english_csv.decode("utf-8-sig")  # the English choice labels, not codes
    english_rows = [
        list(row) for row in load_workbook(io.BytesIO(msel_spreadsheet.export_xlsx(default_scenario))).active.values
    ]
    french_rows = [list(row) for row in load_workbook(io.BytesIO(french_xlsx)).active.values]
    assert french_rows == english_rows


def test_a_taxii_error_is_english_for_a_client_asking_for_french(allies, client):
    test_sharing.release_all(allies)
    _, secret = token(allies, "DEU")
    wider = json.loads(assessment_bundle(allies.injects["national"], banner="EXERCISE SECRET // REL TO ALL ALLIES"))
    path = reverse("taxii-objects", args=[allies.exercise.pk, collection_id(allies.exercise.pk, "DEU")])
    reply = client.post(
        path,
        data=json.dumps({"objects": wider["objects"]}),
        content_type=TAXII,
        headers={"Accept": TAXII, "Authorization": f"Bearer {secret}", "Accept-Language": "fr"},
    )
    assert reply.status_code == 400
    assert reply.json()["description"].startswith("Downgrade needed"), reply.json()


@pytest.fixture
def bound(running):
    """Exercise Alpha paused (its clock still, so that a CDM or OMM is the same twice), its USA-only conjunction
    inject bound to a screened conjunction."""
    plant_conjunction(running.exercise, running.usa_only)
    running.exercise = change_status(exercise=running.exercise, action="pause", by=running.facilitator)
    return running


@pytest.mark.parametrize("fmt", ["kvn", "xml"])
def test_the_cdm_and_omm_are_byte_identical_in_french(bound, fmt):
    inject = Inject.objects.get(pk=bound.usa_only.pk)
    satellite = SpaceObject.objects.get(exercise=bound.exercise, name="ALLIED-SAT 7")
    english = cdm.inject_cdm(inject, fmt), omm.object_omm(bound.exercise, satellite, fmt)
    with translation.override("fr"):
        french = cdm.inject_cdm(inject, fmt), omm.object_omm(bound.exercise, satellite, fmt)
    assert french == english
    assert "ALLIED-SAT 7" in english[0] and "ALLIED-SAT 7" in english[1]

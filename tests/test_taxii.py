"""The TAXII 2.1 server against a real client (taxii2-client) and a live daphne.

A GBR client pulls its collection and finds what GBR may see and nothing else; a bundle DEU posts
marked REL TO DEU, FRA appears live on FRA's page and never on USA's; a revoked token is refused at
once; a malformed or oversized bundle gets a 4xx with a reason and stores nothing; the media types.
"""

import base64
import json
import re
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect
from taxii2client.v21 import Server, as_pages

from exercises import stix
from exercises.models import ApiToken, AuditEvent, Participant, SharedAssessment
from exercises.services.api_tokens import create_token, revoke_token
from exercises.services.sharing import share_assessment
from exercises.views.taxii import STIX, TAXII
from tests import test_sharing
from tests.test_live_exercise_browser import wait_for_socket
from tests.test_stix import assessment_bundle

allies_draft, allies = test_sharing.allies_draft, test_sharing.allies  # fixtures: four allies, an inject per marking


def token(allies, code, name="taxii2-client"):
    participant = Participant.objects.select_related("exercise", "user").get(exercise=allies.exercise, team_id=code)
    return create_token(participant=participant, name=name)


def collection_of(server_url, secret):
    server = Server(f"{server_url}/taxii2/", user="analyst", password=secret)
    (api_root,) = server.api_roots
    (collection,) = api_root.collections
    return collection


def shared(allies):
    """What the allies shared: DEU with FRA (REL TO DEU, FRA) and USA with GBR (REL TO FVEY)."""
    test_sharing.release_all(allies)
    for code, inject, to, releasability, rel_to in (
        ("DEU", "rel_to", "FRA", "rel_to", ["DEU", "FRA"]),
        ("USA", "fvey", "GBR", "fvey", []),
    ):
        share_assessment(
            participant=allies.participant(code),
            source=allies.injects[inject],
            title=f"{code} assessment for {to}",
            text="Assessment.",
            recipients=allies.exercise.teams.filter(code=to),
            classification="secret",
            releasability=releasability,
            releasable_to=allies.exercise.teams.filter(code__in=rel_to),
        )


def test_a_gbr_client_pulls_its_collection_and_finds_what_gbr_may_see_and_nothing_else(allies, live_daphne):
    shared(allies)
    _, secret = token(allies, "GBR")
    collection = collection_of(live_daphne.url, secret)
    assert collection.can_read and collection.can_write
    pages = list(as_pages(collection.get_objects, per_request=5))
    assert len(pages) > 1  # the pages follow `next` until `more` is false
    pulled = [obj for page in pages for obj in page.get("objects", [])]
    expected = [json.loads(entry.object.serialize()) for entry in stix.entries_for(allies.exercise, "GBR")]
    assert sorted(obj["id"] for obj in pulled) == sorted(obj["id"] for obj in expected)
    names = {obj["name"] for obj in pulled if obj["type"] == "report"}
    assert names == {"all intelligence", "fvey intelligence", "USA assessment for GBR"}
    staff = {entry.id for entry in stix.entries_for(allies.exercise)}
    others = {entry.id for code in ("USA", "DEU", "FRA") for entry in stix.entries_for(allies.exercise, code)}
    assert {obj["id"] for obj in pulled} <= staff
    assert not {obj["id"] for obj in pulled} & (
        others - {entry.id for entry in stix.entries_for(allies.exercise, "GBR")}
    )
    for obj in pulled:
        stix.stix2.parse(obj, allow_custom=False)

    manifest = collection.get_manifest()
    assert {record["id"] for record in manifest["objects"]} == {obj["id"] for obj in pulled} or manifest["more"]
    assert all(record["media_type"] == STIX for record in manifest["objects"])
    report = next(obj for obj in pulled if obj.get("name") == "fvey intelligence")
    assert collection.get_object(report["id"])["objects"][0]["id"] == report["id"]

    # added_after: only what was added later (the assessment, shared after the injects' release)
    released = next(entry.added for entry in stix.entries_for(allies.exercise, "GBR") if entry.id == report["id"])
    later = collection.get_objects(added_after=released.isoformat().replace("+00:00", "Z"))
    assert "fvey intelligence" not in {obj.get("name") for obj in later["objects"]}
    assert "USA assessment for GBR" in {obj.get("name") for obj in later["objects"]}


def test_responses_carry_the_taxii_media_type_and_date_added_headers_and_refuse_other_accepts(allies, live_daphne):
    shared(allies)
    _, secret = token(allies, "GBR")
    collection = collection_of(live_daphne.url, secret)
    reply = requests.get(collection.url + "objects/", headers={"Accept": TAXII}, auth=("x", secret), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == TAXII
    first, last = reply.headers["X-TAXII-Date-Added-First"], reply.headers["X-TAXII-Date-Added-Last"]
    assert first <= last and last.endswith("Z")
    bearer = requests.get(collection.url, headers={"Accept": TAXII, "Authorization": f"Bearer {secret}"}, timeout=10)
    assert bearer.status_code == 200 and bearer.json()["id"] == collection.id
    refused = requests.get(collection.url, headers={"Accept": "text/html"}, auth=("x", secret), timeout=10)
    assert refused.status_code == 406 and refused.headers["Content-Type"] == TAXII
    assert TAXII in refused.json()["description"]
    wrong_type = requests.post(
        collection.url + "objects/",
        data=assessment_bundle(allies.injects["fvey"]),
        headers={"Accept": TAXII, "Content-Type": "text/plain"},
        auth=("x", secret),
        timeout=10,
    )
    assert wrong_type.status_code == 415
    download = requests.get(collection.url + "objects/", headers={"Accept": TAXII}, timeout=10)
    assert download.status_code == 401 and "Basic" in download.headers["WWW-Authenticate"]


@pytest.mark.browser
def test_a_post_from_deu_marked_rel_to_deu_fra_reaches_fra_live_and_never_usa(allies, log_in, live_daphne):
    test_sharing.release_all(allies)
    pages = {code: log_in(allies.players[code]) for code in ("FRA", "USA")}
    for page in pages.values():
        wait_for_socket(page)
    _, secret = token(allies, "DEU")
    collection = collection_of(live_daphne.url, secret)
    bundle = json.loads(assessment_bundle(allies.injects["rel_to"], banner="EXERCISE SECRET // REL TO DEU, FRA"))
    status = collection.add_objects({"objects": bundle["objects"]})
    assert status.status == "complete" and status.success_count == 2
    report_id = bundle["objects"][1]["id"]
    assert report_id in {success["id"] for success in status.successes}
    versions = [success["version"] for success in status.successes if "version" in success]
    assert versions and all(version.endswith("Z") for version in versions)  # TAXII's timestamp form

    expect(pages["FRA"].locator("#combined-picture")).to_contain_text("Debris threatens MISTRAL-2", timeout=3000)
    expect(pages["FRA"].locator("#combined-picture")).to_contain_text("EXERCISE SECRET // REL TO DEU, FRA")
    usa = pages["USA"]
    assert "Debris threatens MISTRAL-2" not in usa.content()
    usa.reload()
    wait_for_socket(usa)
    assert "Debris threatens MISTRAL-2" not in usa.content()

    _, fra_secret = token(allies, "FRA")
    fra = collection_of(live_daphne.url, fra_secret)
    assert fra.get_object(report_id)["objects"][0]["name"] == "Debris threatens MISTRAL-2"
    _, usa_secret = token(allies, "USA")
    with pytest.raises(requests.HTTPError) as missing:
        collection_of(live_daphne.url, usa_secret).get_object(report_id)
    assert missing.value.response.status_code == 404
    assessment = SharedAssessment.objects.get(title="Debris threatens MISTRAL-2")
    assert assessment.from_team_id == "DEU" and set(assessment.recipients.values_list("code", flat=True)) == {"FRA"}
    assert collection_of(live_daphne.url, secret).get_object(report_id)["objects"][0]["id"] == report_id


def test_a_revoked_token_is_refused_at_once(allies, live_daphne):
    test_sharing.release_all(allies)
    made, secret = token(allies, "GBR")
    collection = collection_of(live_daphne.url, secret)
    assert collection.get_objects()["objects"]
    revoke_token(token=made, by=allies.players["GBR"])
    with pytest.raises(requests.HTTPError) as refused:
        collection.get_objects()
    assert refused.value.response.status_code == 401
    journal = list(AuditEvent.objects.filter(kind="taxii.request").order_by("id"))
    assert journal[-1].payload["token"] == made.pk and journal[-1].payload["status"] == 401
    assert journal[-1].payload["revoked"] is True


def test_a_bad_or_oversized_bundle_gets_a_4xx_with_a_reason_and_stores_nothing(allies, live_daphne):
    test_sharing.release_all(allies)
    made, secret = token(allies, "DEU")
    collection = collection_of(live_daphne.url, secret)
    good = json.loads(assessment_bundle(allies.injects["rel_to"]))
    unknown = json.loads(json.dumps(good))
    unknown["objects"][1]["object_refs"] = ["not-an-id"]
    oversized = json.loads(json.dumps(good))
    oversized["objects"][1]["description"] = "x" * (1024 * 1024)
    wider_report = json.loads(
        assessment_bundle(allies.injects["national"], banner="EXERCISE SECRET // REL TO ALL ALLIES")
    )
    cases = [
        (b"{not json", 400, "not JSON"),
        (json.dumps({"objects": unknown["objects"]}).encode(), 400, f"{good['objects'][1]['id']}: object_refs"),
        (json.dumps({"objects": oversized["objects"]}).encode(), 413, "larger than"),
        (json.dumps({"objects": good["objects"][:1]}).encode(), 400, "exactly one report"),
        (json.dumps({"objects": wider_report["objects"]}).encode(), 400, "Downgrade needed"),
    ]
    for body, status, reason in cases:
        reply = requests.post(
            collection.url + "objects/",
            data=body,
            headers={"Accept": TAXII, "Content-Type": TAXII},
            auth=("x", secret),
            timeout=10,
        )
        assert reply.status_code == status, (reason, reply.status_code, reply.text[:300])
        assert reply.headers["Content-Type"] == TAXII
        assert reason in reply.json().get("description", ""), reply.json()
    assert not SharedAssessment.objects.exists()
    assert not AuditEvent.objects.filter(kind="assessment.shared").exists()
    requests_journaled = AuditEvent.objects.filter(kind="taxii.request", object_id=str(made.pk))
    assert requests_journaled.count() >= len(cases)
    assert ApiToken.objects.get(pk=made.pk).last_used_at is not None
    # The secret is in no journal event and in no line daphne logged.
    assert not [event.pk for event in AuditEvent.objects.all() if secret in json.dumps(event.payload)]
    live_daphne.log.flush()
    assert secret not in open(live_daphne.log.name).read()


def test_a_client_sending_too_fast_is_told_to_wait_as_on_the_pages(allies, client, settings):
    from django.core.cache import cache
    from django.urls import reverse

    cache.clear()
    settings.TAXII_READ_RATE = "3/m"
    _, secret = token(allies, "GBR")
    path = reverse("taxii-collections", args=[allies.exercise.pk])
    headers = {"Accept": TAXII, "Authorization": f"Bearer {secret}"}
    codes = [client.get(path, headers=headers).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert "Wait a moment" in client.get(path, headers=headers).json()["description"]
    cache.clear()


def test_a_tokens_last_use_is_noted_once_a_minute_and_every_request_journaled(allies, client):
    from django.urls import reverse

    made, secret = token(allies, "GBR")
    path = reverse("taxii-collections", args=[allies.exercise.pk])
    headers = {"Accept": TAXII, "Authorization": f"Bearer {secret}"}
    assert client.get(path, headers=headers).status_code == 200
    first = ApiToken.objects.get(pk=made.pk).last_used_at
    assert first is not None
    assert client.get(path, headers=headers).status_code == 200
    assert ApiToken.objects.get(pk=made.pk).last_used_at == first  # within the minute: the row is not written again
    ApiToken.objects.filter(pk=made.pk).update(last_used_at=first - timedelta(seconds=61))
    assert client.get(path, headers=headers).status_code == 200
    noted = ApiToken.objects.get(pk=made.pk).last_used_at
    assert noted > first
    journaled = AuditEvent.objects.filter(kind="taxii.request", object_id=str(made.pk)).order_by("occurred_at")
    assert [event.payload["status"] for event in journaled] == [200, 200, 200]
    assert journaled.last().occurred_at == noted
    client.force_login(allies.players["GBR"])
    listed = client.get(reverse("api-tokens", args=[allies.exercise.pk])).content.decode()
    assert f"<td>{timezone.localtime(noted):%Y-%m-%d %H:%M}</td>" in listed  # shown to the minute


# The API tokens page ------------------------------------------------------------------------------


def test_a_participant_creates_a_token_seen_once_and_revokes_it_on_their_page(allies, client):
    from django.urls import reverse

    client.force_login(allies.players["GBR"])
    page = reverse("api-tokens", args=[allies.exercise.pk])
    made = client.post(page, {"name": "ops laptop"})
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    made_token = ApiToken.objects.get(participant__user=allies.players["GBR"])
    secret = re.search(r'class="secret">(cjt_[^<]+)<', made.content.decode())[1]
    assert made_token.token_hash != secret and len(made_token.token_hash) == 64
    assert secret not in client.get(page).content.decode()  # shown once
    event = AuditEvent.objects.get(kind="taxii.token_created")
    assert event.payload["token"] == made_token.pk and secret not in json.dumps(event.payload)
    assert client.post(reverse("api-token-revoke", args=[allies.exercise.pk, made_token.pk])).status_code == 302
    assert ApiToken.objects.get(pk=made_token.pk).revoked_at is not None
    assert "Revoked" in client.get(page).content.decode()
    refused = client.get(
        reverse("taxii-collections", args=[allies.exercise.pk]),
        headers={"Accept": TAXII, "Authorization": f"Bearer {secret}"},
    )
    assert refused.status_code == 401


def test_staff_revoke_any_token_of_their_exercise_and_players_only_their_own(allies, client):
    from django.urls import reverse

    deu, _ = token(allies, "DEU")
    client.force_login(allies.players["FRA"])
    revoke = reverse("api-token-revoke", args=[allies.exercise.pk, deu.pk])
    assert client.post(revoke).status_code == 404
    client.force_login(allies.facilitator)
    listed = client.get(reverse("api-tokens", args=[allies.exercise.pk])).content.decode()
    assert "taxii2-client" in listed and "deu_a (DEU)" in listed
    assert client.post(revoke).status_code == 302
    revoked = AuditEvent.objects.get(kind="taxii.token_revoked")
    assert revoked.actor == allies.facilitator and revoked.payload["token"] == deu.pk


# Secrets and refusals, without a live server ------------------------------------------------------------


def test_no_token_reaches_a_log_line_or_the_journal_whatever_the_outcome(allies, client, caplog):
    import logging

    from django.urls import reverse

    from exercises.views.taxii import collection_id

    test_sharing.release_all(allies)
    caplog.set_level(logging.DEBUG)
    made, secret = token(allies, "DEU")
    revoked, revoked_secret = token(allies, "DEU", name="old laptop")
    revoke_token(token=revoked, by=allies.players["DEU"])
    objects = reverse("taxii-objects", args=[allies.exercise.pk, collection_id(allies.exercise.pk, "DEU")])
    good = json.loads(assessment_bundle(allies.injects["rel_to"]))
    replies = []
    for credential, body in (
        (secret, {"objects": good["objects"]}),  # added
        (secret, {"objects": good["objects"][:1]}),  # refused: no report
        (revoked_secret, {"objects": good["objects"]}),  # refused at once: revoked
        ("cjt_made-up", {"objects": []}),
    ):
        for auth in (f"Bearer {credential}", "Basic " + base64.b64encode(f"x:{credential}".encode()).decode()):
            replies.append(
                client.post(objects, body, content_type=TAXII, headers={"Accept": TAXII, "Authorization": auth})
            )
    assert [reply.status_code for reply in replies] == [202, 409, 400, 400, 401, 401, 401, 401]
    assert SharedAssessment.objects.count() == 1
    journal = AuditEvent.objects.filter(kind="taxii.request")
    assert journal.count() >= 6  # every request by a known token, refused or not
    for event in AuditEvent.objects.all():
        payload = json.dumps(event.payload)
        assert secret not in payload and revoked_secret not in payload, event.kind
    assert caplog.records, "the refusals are logged"
    for record in caplog.records:
        line = record.getMessage() + repr(getattr(record, "request", ""))
        assert secret not in line and revoked_secret not in line, record.name


def test_a_malformed_or_oversized_bundle_on_the_import_page_gets_a_400_with_a_reason_and_stores_nothing(allies, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    test_sharing.release_all(allies)
    client.force_login(allies.players["DEU"])
    page = reverse("stix-import", args=[allies.exercise.pk])
    form = {
        "recipients": ["FRA"],
        "classification": "secret",
        "releasability": "rel_to",
        "releasable_to": ["DEU", "FRA"],
    }
    good = json.loads(assessment_bundle(allies.injects["rel_to"]))
    unparsed = {**good, "objects": [good["objects"][0], {**good["objects"][1], "published": "yesterday"}]}
    before = (SharedAssessment.objects.count(), AuditEvent.objects.filter(kind="assessment.shared").count())
    for extra, reason in (
        ({"bundle_text": "{not json"}, "not JSON"),
        ({"bundle_text": json.dumps(unparsed)}, f"{good['objects'][1]['id']}: published"),
        ({"bundle_file": SimpleUploadedFile("big.json", b" " * (1024 * 1024 + 1))}, "larger than 1 MB"),
        ({}, "Choose a STIX bundle file, or paste the bundle."),
    ):
        reply = client.post(page, {**form, **extra})
        assert reply.status_code == 400, reason
        assert reason in reply.content.decode(), reason
    assert (SharedAssessment.objects.count(), AuditEvent.objects.filter(kind="assessment.shared").count()) == before

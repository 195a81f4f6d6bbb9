"""The Combined Picture as STIX 2.1: bundles that validate, markings, stable ids, versions, visibility, import."""

import json
import uuid
from datetime import timedelta

import pytest
import stix2
from django.urls import reverse

from exercises import realtime, stix
from exercises.models import AuditEvent, Inject, SharedAssessment, Team
from exercises.services import ServiceError
from exercises.services.releases import release_inject
from exercises.services.sharing import acknowledge_assessment, comment_on_assessment, share_assessment
from exercises.services.stix_import import BundleError, import_bundle
from tests import test_sharing
from tests.test_sharing import MARKINGS, release_all

allies_draft, allies = test_sharing.allies_draft, test_sharing.allies  # fixtures: four allies, an inject per marking


def parsed(bundle) -> list:
    """The bundle as a consumer reads it: parsed by stix2 with no custom content allowed."""
    return stix2.parse(bundle.serialize(), allow_custom=False).objects


def reports(objects) -> dict:
    return {obj.name: obj for obj in objects if obj.type == "report"}


def share(allies, code, inject, to, releasability="rel_to", rel_to=(), classification="secret", **downgrade):
    return share_assessment(
        participant=allies.participant(code),
        source=inject,
        title=f"{code} on {inject.title} for {'+'.join(to)}",
        text="Assessment text.",
        recipients=Team.objects.filter(code__in=to),
        classification=classification,
        releasability=releasability,
        releasable_to=Team.objects.filter(code__in=rel_to),
        **downgrade,
    )


def test_a_team_bundle_validates_and_every_object_carries_its_exact_banner_and_tlp(allies):
    release_all(allies)
    share(allies, "DEU", allies.injects["rel_to"], ["FRA"], rel_to=["DEU", "FRA"])
    objects = parsed(stix.bundle_for(allies.exercise, "FRA"))
    definitions = {obj.id: obj for obj in objects if obj.type == "marking-definition"}
    for obj in objects:
        if obj.type == "marking-definition":
            continue
        assert obj.object_marking_refs, obj.id
        assert set(obj.object_marking_refs) <= set(definitions), obj.id
    statements = {
        definitions[ref].definition.statement
        for ref in reports(objects)["rel_to intelligence"].object_marking_refs
        if definitions[ref].get("definition_type") == "statement"
    }
    assert statements == {"EXERCISE SECRET // REL TO DEU, FRA"}
    tlp = {definitions[ref].get("name") for ref in reports(objects)["rel_to intelligence"].object_marking_refs}
    assert tlp == {"TLP:AMBER", None}
    green = reports(objects)["all intelligence"].object_marking_refs
    assert stix.TLP2_IDS["green"] in green
    assessment = reports(objects)["DEU on rel_to intelligence for FRA"]
    assert assessment.created_by_ref == stix.team_identity_id(allies.exercise.pk, "DEU")
    assert {obj.name for obj in objects if obj.type == "identity"} >= {"Germany", "France", "United States"}


def test_a_reexport_gives_the_same_ids_and_the_same_bundle(allies):
    release_all(allies)
    share(allies, "DEU", allies.injects["rel_to"], ["FRA"], rel_to=["DEU", "FRA"])
    first = stix.bundle_for(allies.exercise, "DEU").serialize()
    again = stix.bundle_for(allies.exercise, "DEU").serialize()
    assert first == again
    ids = {obj["id"] for obj in json.loads(first)["objects"]}
    inject = allies.injects["rel_to"]
    assert stix.inject_report_id(inject) in ids
    assert f"report--{stix.uuid.uuid5(stix.NAMESPACE, f'report:inject:{inject.pk}')}" in ids


@pytest.mark.parametrize("code", ["USA", "GBR", "DEU", "FRA"])
def test_a_team_bundle_holds_only_what_the_team_may_see(allies, code):
    release_all(allies)
    share(allies, "DEU", allies.injects["rel_to"], ["FRA"], rel_to=["DEU", "FRA"])
    share(allies, "USA", allies.injects["fvey"], ["GBR"], releasability="fvey")
    objects = parsed(stix.bundle_for(allies.exercise, code))
    names = set(reports(objects))
    for marking, (_, _, _, receivers) in MARKINGS.items():
        assert (f"{marking} intelligence" in names) == (code in receivers), (marking, code)
    assert ("DEU on rel_to intelligence for FRA" in names) == (code in {"DEU", "FRA"})
    assert ("USA on fvey intelligence for GBR" in names) == (code in {"USA", "GBR"})
    staff = set(reports(parsed(stix.bundle_for(allies.exercise))))
    assert names <= staff
    assert {f"{marking} intelligence" for marking in MARKINGS} <= staff


def test_comments_become_notes_and_acknowledgements_opinions_with_their_times(allies):
    release_all(allies)
    shared = share(allies, "DEU", allies.injects["rel_to"], ["FRA"], rel_to=["DEU", "FRA"])
    comment = comment_on_assessment(participant=allies.participant("FRA"), assessment=shared, text="Seen it too.")
    ack = acknowledge_assessment(participant=allies.participant("FRA"), assessment=shared)
    objects = parsed(stix.bundle_for(allies.exercise, "DEU"))
    report = reports(objects)[shared.title]
    notes = [obj for obj in objects if obj.type == "note"]
    opinions = [obj for obj in objects if obj.type == "opinion"]
    assert [(note.content, note.object_refs, note.created) for note in notes] == [
        ("Seen it too.", [report.id], comment.written_at)
    ]
    assert [(opinion.object_refs, opinion.created) for opinion in opinions] == [([report.id], ack.acknowledged_at)]
    assert report.created == shared.shared_at
    assert notes[0].object_marking_refs == report.object_marking_refs


def test_a_downgrade_is_a_new_version_of_the_same_report_not_an_edit(allies):
    release_all(allies)
    source = allies.injects["rel_to"]
    first = share(allies, "DEU", source, ["FRA"], rel_to=["DEU", "FRA"])
    second = share(
        allies,
        "DEU",
        source,
        ["GBR"],
        rel_to=["DEU", "FRA", "GBR"],
        classification="confidential",
        downgrade_reason="GBR must manoeuvre",
        downgrade_removed="Source names",
    )
    assert second.downgraded
    fra = reports(parsed(stix.bundle_for(allies.exercise, "FRA")))[first.title]
    gbr = reports(parsed(stix.bundle_for(allies.exercise, "GBR")))[second.title]
    assert gbr.id == fra.id
    assert gbr.created == fra.created == first.shared_at
    assert gbr.modified == second.shared_at > fra.modified
    assert gbr.object_marking_refs != fra.object_marking_refs
    assert (
        stix.stix_id("marking-definition", "EXERCISE CONFIDENTIAL // REL TO DEU, FRA, GBR") in gbr.object_marking_refs
    )
    assert first.title not in reports(parsed(stix.bundle_for(allies.exercise, "GBR")))
    staff = [obj for obj in parsed(stix.bundle_for(allies.exercise)) if obj.id == fra.id]
    assert sorted(obj.modified for obj in staff) == [first.shared_at, second.shared_at]
    assert SharedAssessment.objects.get(pk=first.pk).title == first.title  # the first version is untouched


def _inject(allies, kind, title, text, originator=""):
    sequence = allies.exercise.injects.count() + 1
    inject = Inject.objects.create(
        exercise=allies.exercise,
        sequence=sequence,
        offset=timedelta(minutes=sequence),
        kind=kind,
        title=title,
        text=text,
        originator=originator,
    )
    release_inject(inject=inject, by=allies.facilitator)
    return inject


def test_an_asat_test_names_its_threat_actor_who_uses_the_attack_pattern(allies):
    inject = _inject(allies, "asat", "ASAT test", "A launch from the Teshkur range, KARSLAND. KRS-METEO 2 broke up.")
    objects = parsed(stix.bundle_for(allies.exercise, "GBR"))
    actor = next(obj for obj in objects if obj.type == "threat-actor")
    pattern = next(obj for obj in objects if obj.type == "attack-pattern")
    uses = next(obj for obj in objects if obj.type == "relationship")
    assert actor.name == "KARSLAND"
    assert pattern.name == "Direct-ascent anti-satellite test"
    assert (uses.source_ref, uses.relationship_type, uses.target_ref) == (actor.id, "uses", pattern.id)
    report = reports(objects)["ASAT test"]
    assert {actor.id, pattern.id, uses.id} <= set(report.object_refs)
    assert any(obj.type == "sighting" and obj.sighting_of_ref == pattern.id for obj in objects)
    assert report.created == Inject.objects.get(pk=inject.pk).released_at


def test_a_cyber_inject_has_an_indicator_only_when_its_text_gives_one(allies):
    _inject(allies, "cyber", "Intrusion", "A malware sample (SHA-256 ending 9f3a) and two C2 addresses.")
    assert not [obj for obj in parsed(stix.bundle_for(allies.exercise, "USA")) if obj.type == "indicator"]
    _inject(allies, "cyber", "Forensics", "Beacons to 203.0.113.17 every 60 s from the mission network.")
    objects = parsed(stix.bundle_for(allies.exercise, "USA"))
    indicator = next(obj for obj in objects if obj.type == "indicator")
    assert indicator.pattern == "[ipv4-addr:value = '203.0.113.17']"
    observed = next(obj for obj in objects if obj.type == "observed-data")
    assert any(obj.type == "ipv4-addr" and obj.value == "203.0.113.17" for obj in objects)
    assert any(obj.type == "sighting" and obj.get("observed_data_refs") == [observed.id] for obj in objects)


# Import -------------------------------------------------------------------------------------------


def assessment_bundle(source_inject, banner="EXERCISE SECRET // REL TO DEU, FRA", **report_fields):
    statement = stix2.MarkingDefinition(
        definition_type="statement", definition=stix2.StatementMarking(statement=banner)
    )
    report = stix2.Report(
        **{
            "name": "Debris threatens MISTRAL-2",
            "description": "Fragments cross 495-780 km.",
            "published": "2031-03-14T07:00:00Z",
            "object_refs": [stix.inject_report_id(source_inject)],
            "object_marking_refs": [statement.id],
            **report_fields,
        }
    )
    return stix2.Bundle(statement, report).serialize()


def test_an_imported_bundle_is_shared_like_one_from_the_browser_and_pushed_to_its_recipients(
    allies, listen, django_capture_on_commit_callbacks
):
    release_all(allies)
    source = allies.injects["rel_to"]
    sockets = {code: listen(realtime.team_group(allies.exercise.pk, code)) for code in ("FRA", "USA")}
    text = assessment_bundle(source)
    with django_capture_on_commit_callbacks(execute=True):
        imported = import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=text)
    assessment = imported.assessment
    assert assessment.banner == "EXERCISE SECRET // REL TO DEU, FRA"
    assert set(assessment.recipients.values_list("code", flat=True)) == {"FRA"}
    assert assessment.source_inject_id == source.pk
    assert any("Debris threatens MISTRAL-2" in m["html"] for m in sockets["FRA"].messages(timeout=0.2))
    assert not any("Debris threatens MISTRAL-2" in m["html"] for m in sockets["USA"].messages(timeout=0.2))
    event = AuditEvent.objects.get(kind="assessment.shared", object_id=str(assessment.pk))
    assert event.payload["stix"]["report"] == imported.report_id
    fra = reports(parsed(stix.bundle_for(allies.exercise, "FRA")))["Debris threatens MISTRAL-2"]
    assert fra.id == imported.report_id


def test_an_import_marked_wider_than_its_objects_is_refused_naming_the_object(allies):
    release_all(allies)
    text = assessment_bundle(allies.injects["rel_to"])
    report_id = json.loads(text)["objects"][1]["id"]
    wider = stix.Marking("secret", "all")
    with pytest.raises(ServiceError) as refused:
        import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=text, marking=wider)
    assert report_id in refused.value.message and "object_marking_refs" in refused.value.message
    assert "USA" in refused.value.message
    lower = stix.Marking("confidential", "rel_to", rel_to=frozenset({"DEU", "FRA"}))
    with pytest.raises(ServiceError, match="is lower"):
        import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=text, marking=lower)
    assert not SharedAssessment.objects.exists()


@pytest.mark.parametrize(
    "mutate, names",
    [
        (lambda objects: objects[1].update(object_refs=["nonsense"]), ["report--", "object_refs"]),
        (lambda objects: objects[1].pop("name"), ["report--", "name"]),
        (lambda objects: objects[1].update(x_secret_source="BND"), ["report--", "x_secret_source"]),
        (lambda objects: objects.append({"type": "wibble", "id": "wibble--1", "spec_version": "2.1"}), ["wibble--1"]),
        (lambda objects: objects.pop(1), ["exactly one report"]),
    ],
)
def test_a_malformed_bundle_is_refused_naming_the_object_and_field_and_stores_nothing(allies, mutate, names):
    release_all(allies)
    data = json.loads(assessment_bundle(allies.injects["rel_to"]))
    mutate(data["objects"])
    with pytest.raises(BundleError) as refused:
        import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=json.dumps(data))
    for name in names:
        assert name in refused.value.message
    assert not SharedAssessment.objects.exists()


def test_an_oversized_bundle_is_refused(allies):
    release_all(allies)
    text = assessment_bundle(allies.injects["rel_to"], description="x" * (1024 * 1024))
    with pytest.raises(BundleError, match="larger than the limit"):
        import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=text)
    assert not SharedAssessment.objects.exists()


def test_a_new_version_of_an_imported_report_must_be_later_and_the_teams_own(allies):
    release_all(allies)
    source = allies.injects["rel_to"]
    first = import_bundle(
        exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=assessment_bundle(source)
    )
    again = assessment_bundle(
        source, id=first.report_id, created="2020-01-01T00:00:00Z", modified="2020-01-01T00:00:00Z"
    )
    with pytest.raises(ServiceError, match="modified"):
        import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=again)
    later = assessment_bundle(
        source,
        banner="EXERCISE SECRET // REL TO DEU, FRA",
        id=first.report_id,
        created="2031-03-14T07:00:00Z",
        modified="2099-03-14T08:00:00Z",
    )
    with pytest.raises(ServiceError, match="another team"):
        import_bundle(exercise=allies.exercise, participant=allies.participant("FRA"), bundle_text=later)
    import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=later)
    versions = [obj for obj in parsed(stix.bundle_for(allies.exercise)) if obj.id == first.report_id]
    assert len(versions) == 2


def test_the_team_page_and_the_console_download_their_bundles(allies, client):
    release_all(allies)
    client.force_login(allies.players["GBR"])
    reply = client.get(reverse("stix-export", args=[allies.exercise.pk]))
    assert reply["Content-Type"].startswith("application/stix+json")
    names = set(reports(stix2.parse(reply.content.decode(), allow_custom=False).objects))
    assert names == {"all intelligence", "fvey intelligence"}
    client.force_login(allies.facilitator)
    reply = client.get(reverse("stix-export", args=[allies.exercise.pk]))
    names = set(reports(stix2.parse(reply.content.decode(), allow_custom=False).objects))
    assert names == {f"{marking} intelligence" for marking in MARKINGS}


def test_a_bundle_imported_on_the_share_page_becomes_the_teams_assessment(allies, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    release_all(allies)
    client.force_login(allies.players["DEU"])
    page = reverse("stix-import", args=[allies.exercise.pk])
    assert client.get(page).status_code == 200
    bundle = assessment_bundle(allies.injects["rel_to"])
    form = {
        "recipients": ["FRA", "GBR"],
        "classification": "secret",
        "releasability": "rel_to",
        "releasable_to": ["DEU", "FRA", "GBR"],
    }
    refused = client.post(page, {**form, "bundle_file": SimpleUploadedFile("b.json", bundle.encode())})
    assert refused.status_code == 400
    report_id = json.loads(bundle)["objects"][1]["id"]
    assert f"{report_id}: object_marking_refs" in refused.content.decode()
    assert "GBR" in refused.content.decode()
    assert not SharedAssessment.objects.exists()
    done = client.post(page, {**form, "recipients": ["FRA"], "releasable_to": ["DEU", "FRA"], "bundle_text": bundle})
    assert done.status_code == 302
    assessment = SharedAssessment.objects.get()
    assert (assessment.title, assessment.banner) == ("Debris threatens MISTRAL-2", "EXERCISE SECRET // REL TO DEU, FRA")
    assert client.post(page, form).status_code == 400  # no bundle: the field says so


# New versions, downgrades and the Conjunction extension ----------------------------------------------


def extension(**values) -> dict:
    """The Report's Conjunction property extension (stix.EXTENSION_ID) carrying `values`."""
    return {"extensions": {stix.EXTENSION_ID: {"extension_type": "property-extension", **values}}}


def deu_imports(allies, text, **kwargs):
    return import_bundle(exercise=allies.exercise, participant=allies.participant("DEU"), bundle_text=text, **kwargs)


def test_a_later_version_under_a_less_restrictive_marking_is_a_downgrade_needing_its_reason_never_an_edit(allies):
    release_all(allies)
    source = allies.injects["all"]  # EXERCISE SECRET // REL TO ALL ALLIES: only the earlier version is narrower
    first = deu_imports(allies, assessment_bundle(source, banner="EXERCISE SECRET // REL TO DEU, FRA"))
    later = {"id": first.report_id, "created": "2031-03-14T07:00:00Z", "modified": "2099-03-14T08:00:00Z"}
    wider = "EXERCISE SECRET // REL TO ALL ALLIES"
    for missing, given in (
        ("downgrade_reason", {}),
        ("downgrade_removed", {"downgrade_reason": "GBR and USA must manoeuvre"}),
    ):
        with pytest.raises(BundleError) as refused:
            deu_imports(allies, assessment_bundle(source, banner=wider, **later, **extension(**given)))
        assert f"{first.report_id}: extensions.{stix.EXTENSION_ID}.{missing}" in refused.value.message
        assert "EXERCISE SECRET // REL TO DEU, FRA" in refused.value.message
    assert SharedAssessment.objects.count() == 1
    assert AuditEvent.objects.filter(kind="assessment.shared").count() == 1

    reasons = {"downgrade_reason": "GBR and USA must manoeuvre", "downgrade_removed": "The source's sensor names"}
    second = deu_imports(allies, assessment_bundle(source, banner=wider, **later, **extension(**reasons)))
    assessment = second.assessment
    assert assessment.pk != first.assessment.pk and assessment.downgraded
    assert (assessment.downgrade_reason, assessment.downgrade_removed) == tuple(reasons.values())
    assert set(assessment.recipients.values_list("code", flat=True)) == {"USA", "GBR", "FRA"}
    untouched = SharedAssessment.objects.get(pk=first.assessment.pk)
    assert untouched.banner == "EXERCISE SECRET // REL TO DEU, FRA" and not untouched.downgraded
    event = AuditEvent.objects.get(kind="assessment.shared", object_id=str(assessment.pk))
    assert event.payload["downgrade"]["supersedes"] == first.assessment.pk
    assert event.payload["downgrade"]["widened"] == ["GBR", "USA"]
    assert event.payload["downgrade"]["reason"] == reasons["downgrade_reason"]
    versions = [obj for obj in parsed(stix.bundle_for(allies.exercise)) if obj.id == first.report_id]
    assert len(versions) == 2
    newest = max(versions, key=lambda obj: obj.modified)
    assert newest.extensions[stix.EXTENSION_ID]["downgrade_reason"] == reasons["downgrade_reason"]
    [usa] = [obj for obj in parsed(stix.bundle_for(allies.exercise, "USA")) if obj.id == first.report_id]
    assert usa.modified == newest.modified  # USA sees the downgraded version only


def test_a_downgraded_version_is_refused_if_it_would_overshare_one_of_its_objects(allies):
    release_all(allies)
    source = allies.injects["all"]
    first = deu_imports(allies, assessment_bundle(source, banner="EXERCISE SECRET // REL TO DEU, FRA"))
    narrow = stix2.MarkingDefinition(
        definition_type="statement", definition=stix2.StatementMarking(statement="EXERCISE SECRET // REL TO DEU, FRA")
    )
    actor = stix2.ThreatActor(name="KARSLAND", threat_actor_types=["nation-state"], object_marking_refs=[narrow.id])
    data = json.loads(
        assessment_bundle(
            source,
            banner="EXERCISE SECRET // REL TO ALL ALLIES",
            id=first.report_id,
            created="2031-03-14T07:00:00Z",
            modified="2099-03-14T08:00:00Z",
            **extension(downgrade_reason="Allies need it", downgrade_removed="Nothing"),
        )
    )
    data["objects"] += [json.loads(narrow.serialize()), json.loads(actor.serialize())]
    data["objects"][1]["object_refs"].append(actor.id)
    with pytest.raises(ServiceError) as refused:
        deu_imports(allies, json.dumps(data))
    assert actor.id in refused.value.message and "GBR, USA" in refused.value.message
    assert SharedAssessment.objects.count() == 1


def test_a_downgrade_posted_to_the_taxii_collection_gets_a_4xx_without_its_reason_and_202_with_it(allies, client):
    from exercises.services.api_tokens import create_token
    from exercises.views.taxii import TAXII, collection_id

    release_all(allies)
    source = allies.injects["all"]
    first = deu_imports(allies, assessment_bundle(source, banner="EXERCISE SECRET // REL TO DEU, FRA"))
    _, secret = create_token(participant=allies.participant("DEU"), name="client")
    path = reverse("taxii-objects", args=[allies.exercise.pk, collection_id(allies.exercise.pk, "DEU")])
    headers = {"Accept": TAXII, "Authorization": f"Bearer {secret}"}
    later = {"id": first.report_id, "created": "2031-03-14T07:00:00Z", "modified": "2099-03-14T08:00:00Z"}

    def post(**fields):
        bundle = assessment_bundle(source, banner="EXERCISE SECRET // REL TO ALL ALLIES", **later, **fields)
        return client.post(path, {"objects": json.loads(bundle)["objects"]}, content_type=TAXII, headers=headers)

    refused = post()
    assert refused.status_code == 400
    assert "downgrade_reason" in refused.json()["description"] and "a downgrade" in refused.json()["description"]
    assert SharedAssessment.objects.count() == 1
    added = post(**extension(downgrade_reason="Allies must manoeuvre", downgrade_removed="Sensor names"))
    assert added.status_code == 202, added.content
    assert {"id": first.report_id, "version": "2099-03-14T08:00:00.000000Z"} in added.json()["successes"]
    downgraded = SharedAssessment.objects.exclude(pk=first.assessment.pk).get()
    assert downgraded.downgraded and downgraded.downgrade_reason == "Allies must manoeuvre"
    assert downgraded.banner == "EXERCISE SECRET // REL TO ALL ALLIES"


def test_a_structured_assessment_goes_out_in_the_reports_extension_and_comes_back_in(allies):
    release_all(allies)
    source = allies.injects["all"]
    Inject.objects.filter(pk=source.pk).update(
        decision_bearing=True, course_of_action_options=["Manoeuvre", "Hold and monitor"]
    )
    structured = {
        "assessed_cause": "hostile_act",
        "attributed_actor": "KARSLAND",
        "confidence": "very_likely",
        "course_of_action": "Manoeuvre",
    }
    imported = deu_imports(allies, assessment_bundle(source, **extension(**structured)))
    [report] = [obj for obj in parsed(stix.bundle_for(allies.exercise, "FRA")) if obj.id == imported.report_id]
    assert {name: report.extensions[stix.EXTENSION_ID].get(name) for name in structured} == structured
    assert report.confidence == 88  # the middle of ICD 203's "very likely" (80-95 %)
    # FRA takes DEU's exported Report, gives it an id of its own, and imports it: the assessment comes back in.
    exported = json.loads(stix.bundle_for(allies.exercise, "FRA").serialize())
    again = next(obj for obj in exported["objects"] if obj["id"] == imported.report_id)
    again = {**again, "id": "report--" + str(uuid.uuid4()), "object_refs": [stix.inject_report_id(source)]}
    again.pop("created_by_ref")
    markings = [obj for obj in exported["objects"] if obj["id"] in again["object_marking_refs"]]
    fra = import_bundle(
        exercise=allies.exercise,
        participant=allies.participant("FRA"),
        bundle_text=json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [*markings, again]}),
    )
    event = AuditEvent.objects.get(kind="assessment.shared", object_id=str(fra.assessment.pk))
    assert {name: event.payload["stix"]["assessment"][name] for name in structured} == structured
    [back] = [obj for obj in parsed(stix.bundle_for(allies.exercise, "DEU")) if obj.id == fra.report_id]
    assert {name: back.extensions[stix.EXTENSION_ID].get(name) for name in structured} == structured


@pytest.mark.parametrize(
    "values, names",
    [
        ({"assessed_cause": "magic", "confidence": "likely", "course_of_action": "Manoeuvre"}, "Assessed cause"),
        ({"assessed_cause": "hostile_act", "confidence": "sure", "course_of_action": "Manoeuvre"}, "Confidence"),
        ({"secret_source": "BND"}, "secret_source"),
    ],
)
def test_a_bad_structured_assessment_is_refused_naming_the_field_and_stores_nothing(allies, values, names):
    release_all(allies)
    source = allies.injects["all"]
    Inject.objects.filter(pk=source.pk).update(decision_bearing=True, course_of_action_options=["Manoeuvre"])
    with pytest.raises(BundleError) as refused:
        deu_imports(allies, assessment_bundle(source, **extension(**values)))
    assert f"extensions.{stix.EXTENSION_ID}" in refused.value.message and names in refused.value.message
    assert not SharedAssessment.objects.exists()


def test_the_import_form_and_the_share_form_ask_for_recipients_marking_and_downgrade_alike(allies):
    from exercises.forms import ShareForm, ShareMarkingFields, StixImportForm

    deu = allies.participant("DEU")
    forms = [ShareForm(participant=deu, sources=[]), StixImportForm(participant=deu, sources=[])]
    for name in ("recipients", "classification", "releasability", "releasable_to", "downgrade_reason"):
        assert name in ShareMarkingFields.base_fields
        share, upload = (form.fields[name] for form in forms)
        assert (share.label, share.required, type(share.widget)) == (upload.label, upload.required, type(upload.widget))
    assert [team.code for team in forms[1].fields["recipients"].queryset.order_by("code")] == ["FRA", "GBR", "USA"]
    bundle = assessment_bundle(allies.injects["rel_to"])
    posted = StixImportForm(
        {"bundle_text": bundle, "classification": "secret", "releasability": "rel_to"}, participant=deu, sources=[]
    )
    assert not posted.is_valid()
    assert posted.errors["releasable_to"] == ["Name the nations it is releasable to."]
    assert posted.errors["recipients"] == ["Choose at least one allied team to share with."]


def test_an_assessment_shared_from_a_structured_response_carries_it_in_the_reports_extension(allies):
    from exercises.models import Response
    from exercises.services.responses import submit_response

    Inject.objects.filter(pk=allies.injects["all"].pk).update(
        decision_bearing=True, course_of_action_options=["Condemn", "Wait"]
    )
    release_all(allies)
    source = Inject.objects.get(pk=allies.injects["all"].pk)
    structured = {
        "assessed_cause": "hostile_act",
        "attributed_actor": "KARSLAND",
        "confidence": "likely",
        "course_of_action": "other",
        "course_of_action_other": "Call an allied consultation",
    }
    response = submit_response(
        participant=allies.participant("GBR"),
        inject=source,
        kind=Response.Kind.ASSESSMENT,
        text="A hostile act, we judge.",
        protocol_steps=source.protocol_steps.all(),
        assessment=structured,
    )
    shared = share_assessment(
        participant=allies.participant("GBR"),
        source=response,
        title="GBR's structured assessment",
        text="See the extension.",
        recipients=Team.objects.filter(code="USA"),
        classification=response.classification,
        releasability="all",
    )
    usa = reports(parsed(stix.bundle_for(allies.exercise, "USA")))[shared.title]
    assert dict(usa.extensions[stix.EXTENSION_ID]) == {"extension_type": "property-extension", **structured}
    assert usa.confidence == 68  # the middle of ICD 203's "likely" (55-80 %)
    plain = share(allies, "DEU", allies.injects["rel_to"], ["FRA"], rel_to=["DEU", "FRA"])
    fra = reports(parsed(stix.bundle_for(allies.exercise, "FRA")))[plain.title]
    assert "extensions" not in fra and "confidence" not in fra  # nothing to say, nothing said

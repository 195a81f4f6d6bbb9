"""TAXII pages read from the stored objects (issue #18, models.StixObject): the pages of a collection,
concatenated, are exactly the collection stix.entries_for builds whole, under every filter, for a team and for
staff, also after more was released and shared since the last read; a page costs the same number of queries
whatever page it is and however large the collection; each object is built once, not for every page."""

import json
from datetime import UTC, datetime

import pytest
import stix2
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exercises import stix
from exercises.models import Participant, StixObject
from exercises.services import stix_objects
from exercises.services.api_tokens import create_token
from exercises.services.sharing import acknowledge_assessment, comment_on_assessment
from exercises.views.taxii import TAXII, collection_id
from tests import test_sharing
from tests.test_stix import _inject, share

allies_draft, allies = test_sharing.allies_draft, test_sharing.allies  # fixtures: four allies, an inject per marking


@pytest.fixture
def played(allies):
    """Every inject released, two cyber injects naming the same address (one id, two versions), an assessment
    downgraded (one Report, two versions), a comment and an acknowledgement added after their share."""
    test_sharing.release_all(allies)
    _inject(allies, "cyber", "Forensics", "Beacons to 203.0.113.17 every 60 s from the mission network.")
    first = share(allies, "DEU", allies.injects["rel_to"], ["FRA"], rel_to=["DEU", "FRA"])
    _inject(allies, "asat", "ASAT test", "A launch from the Teshkur range, KARSLAND.")
    comment_on_assessment(participant=allies.participant("FRA"), assessment=first, text="Seen it too.")
    share(
        allies,
        "DEU",
        allies.injects["rel_to"],
        ["GBR"],
        rel_to=["DEU", "FRA", "GBR"],
        classification="confidential",
        downgrade_reason="GBR must manoeuvre",
        downgrade_removed="Source names",
    )
    _inject(allies, "cyber", "Second beacon", "Again 203.0.113.17, and a file 9f3a" + "0" * 60 + ".")
    acknowledge_assessment(participant=allies.participant("FRA"), assessment=first)
    share(allies, "USA", allies.injects["fvey"], ["GBR"], releasability="fvey")
    return allies


def pull(client, allies, code, resource="objects", limit=3, **params) -> tuple[list, list]:
    """Every page of the collection, following `next`: the objects and each page's query count."""
    if code is None:
        participant = Participant.objects.get(exercise=allies.exercise, user=allies.facilitator)
    else:
        participant = Participant.objects.get(exercise=allies.exercise, team_id=code)
    _, secret = create_token(participant=participant, name="pager")
    path = reverse(f"taxii-{resource}", args=[allies.exercise.pk, collection_id(allies.exercise.pk, code)])
    headers = {"Accept": TAXII, "Authorization": f"Bearer {secret}"}
    objects, queries, cursor = [], [], None
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                path, {**params, "limit": limit, **({"next": cursor} if cursor else {})}, headers=headers
            )
        assert response.status_code == 200, response.content
        body = response.json()
        objects += body["objects"]
        queries.append(len(captured))
        if not body["more"]:
            return objects, queries
        cursor = body["next"]


def expected(entries, *, after=None, types=(), version="last") -> list:
    """The TAXII filters (§3.4) over the whole collection: added after, of these types, the versions wanted
    (match[version]: all, first, last or a version's time, comma-separated)."""
    entries = [e for e in entries if (after is None or e.added > after) and (not types or e.object.type in types)]
    versions = {}
    for entry in entries:
        versions.setdefault(entry.id, []).append(entry.version)

    def wanted(entry, want):
        if want in ("all", "first", "last"):
            return want == "all" or entry.version == {"last": max, "first": min}[want](versions[entry.id])
        return entry.version == datetime.fromisoformat(want)

    return [json.loads(e.object.serialize()) for e in entries if any(wanted(e, want) for want in version.split(","))]


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.TAXII_READ_RATE = "10000/m"


@pytest.mark.parametrize("code", [None, "GBR", "FRA", "DEU"])
def test_the_pages_concatenated_are_the_whole_collection_under_each_filter(played, client, code):
    entries = stix.entries_for(played.exercise, code)
    assert len(entries) > 12  # several pages of 3
    middle = entries[len(entries) // 2].added
    for params, want in (
        ({}, expected(entries)),
        ({"match[version]": "all"}, [json.loads(entry.object.serialize()) for entry in entries]),
        ({"match[version]": "first"}, expected(entries, version="first")),
        ({"added_after": middle.isoformat()}, expected(entries, after=middle)),
        (
            {"match[type]": "report,note,opinion,ipv4-addr"},
            expected(entries, types=("report", "note", "opinion", "ipv4-addr")),
        ),
    ):
        objects, _ = pull(client, played, code, **params)
        assert objects == want, params
    several = sorted({e.version for e in entries if sum(o.id == e.id for o in entries) > 1})
    for version in ("first,last", several[0].astimezone(UTC).isoformat(), f"last,{several[-1].isoformat()}"):
        objects, _ = pull(client, played, code, **{"match[version]": version})
        assert objects == expected(entries, version=version), version
    if code is None:  # staff see both versions of the downgraded Report and of the address
        assert len(expected(entries, version="all")) > len(expected(entries))
    manifest, _ = pull(client, played, code, "manifest")
    assert [item["id"] for item in manifest] == [obj["id"] for obj in expected(entries)]
    added = {(entry.id, entry.version): entry.added for entry in entries}
    when = datetime.fromisoformat
    assert all(when(item["date_added"]) == added[item["id"], when(item["version"])] for item in manifest)


def test_a_page_costs_the_same_queries_whatever_the_page_and_the_size(played, client):
    stix_objects.store_new(played.exercise)
    pages, queries = pull(client, played, None)
    for n in range(12):  # three times the injects, and more assessments
        inject = _inject(played, "cyber" if n % 2 else "asat", f"More {n}", f"Beacons to 198.51.100.{n}, KARSLAND.")
        if n % 3 == 0:
            share(played, "GBR", inject, ["USA"], releasability="fvey")
    more_pages, more_queries = pull(client, played, None)
    assert len(more_pages) > 2 * len(pages) and len(more_queries) > 2 * len(queries)
    # every page that follows a `next` cursor is one number: the token, the page's rows (each with whether its
    # version is kept), the request's journal entry; the first page of a read also asks whether anything is not
    # stored (and, after the new releases and shares, stores their objects), and, each pull's token being new,
    # notes when the token was last used, in one transaction with the journal entry (BEGIN, UPDATE, COMMIT)
    assert len(set(queries[1:] + more_queries[1:])) == 1, (queries, more_queries)
    assert queries[1] == 3 and queries[0] == queries[1] + 1 + 3 and more_queries[0] > queries[0]
    assert more_pages == expected(stix.entries_for(played.exercise))  # what was stored since is in it, in order


def test_each_object_is_built_once_not_for_every_page(played, client, monkeypatch):
    built = []

    class Report(stix2.Report):  # the library's Report, counted as it is built
        def __init__(self, *args, **kwargs):
            built.append(kwargs["id"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(stix2, "Report", Report)
    for n in range(12):
        _inject(played, "asat", f"More {n}", "A launch, KARSLAND.")
    objects, queries = pull(client, played, None, limit=10, **{"match[version]": "all"})
    reports = [obj for obj in objects if obj["type"] == "report"]
    assert len(queries) >= 10 and len(reports) > 12
    assert len(built) == len(reports)  # each version of each inject's and assessment's Report, once
    for code in ("GBR", "FRA"):  # the teams' collections read the same stored objects
        pull(client, played, code, limit=10)
    assert len(built) == len(reports)


def test_storing_again_what_is_stored_changes_nothing(played):
    stored = stix_objects.store_new(played.exercise)
    assert stored == StixObject.objects.filter(exercise=played.exercise).count() > 0
    assert stix_objects.store_new(played.exercise) == 0  # nothing new: one query, nothing built
    sources = list(StixObject.objects.filter(exercise=played.exercise).values_list("source", flat=True).distinct())
    stix_objects._store(played.exercise, sources)  # two readers storing the same at once: the constraint keeps one
    assert StixObject.objects.filter(exercise=played.exercise).count() == stored


def test_a_read_stores_what_is_new_and_its_next_pages_go_on_through_what_was_stored(played, client):
    participant = Participant.objects.get(exercise=played.exercise, user=played.facilitator)
    _, secret = create_token(participant=participant, name="reader")
    path = reverse("taxii-objects", args=[played.exercise.pk, collection_id(played.exercise.pk, None)])
    headers = {"Accept": TAXII, "Authorization": f"Bearer {secret}"}
    first = client.get(path, {"limit": 5}, headers=headers).json()
    late = _inject(played, "asat", "Released during the read", "A launch, KARSLAND.")
    seen, cursor = [], first["next"]
    while cursor:
        body = client.get(path, {"limit": 50, "next": cursor}, headers=headers).json()
        seen += [obj["name"] for obj in body["objects"] if obj["type"] == "report"]
        cursor = body.get("next")
    assert late.title not in seen  # not stored when the read began
    again = client.get(path, {"match[type]": "report", "limit": 100}, headers=headers).json()
    assert late.title in [obj["name"] for obj in again["objects"]]  # the next read stores and finds it

"""The stored STIX objects the TAXII collections page through (models.StixObject): each released inject's,
shared assessment's, comment's and acknowledgement's objects, the identities and the marking definitions,
built by exercises/stix.py and serialized once.

`store_new(exercise)` runs when a read of a collection begins (exercises/views/taxii.py): one query says whether
every source has its objects stored (nothing new, most of the time), and only if not does another find which, and
only those are built, in one transaction, so that a source is stored whole or not at all. Two readers at once
build the same rows; the unique constraint keeps one. The rows are derived from rows already journaled when they
were made (inject.released, assessment.shared, ...), like a cache: storing them is not an event of the exercise
and is not journaled.
"""

from django.db import transaction
from django.db.models import CharField, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from exercises import selectors, stix
from exercises.models import (
    AssessmentAcknowledgement,
    AssessmentComment,
    Exercise,
    Inject,
    SharedAssessment,
    StixObject,
)


def _missing(exercise) -> list[str]:
    """The sources (StixObject.source) of the exercise that have no objects stored yet: one query, each kind of
    source an anti-join on the stored rows' key to it (an index each)."""
    stored = StixObject.objects.filter(exercise=exercise)
    here = OuterRef("pk")

    def unstored(queryset, prefix: str, rows):
        key = Concat(Value(prefix), Cast("pk", CharField()), output_field=CharField())
        return queryset.order_by().filter(~Exists(rows)).annotate(key=key).values_list("key", flat=True)

    def unstored_key(queryset, key):
        named = queryset.order_by().annotate(key=key)
        return named.filter(~Exists(stored.filter(source=OuterRef("key")))).values_list("key", flat=True)

    return list(
        unstored(
            Inject.objects.filter(exercise=exercise, released_at__isnull=False), "inject:", stored.filter(inject=here)
        ).union(
            unstored(
                SharedAssessment.objects.filter(exercise=exercise),
                "assessment:",
                stored.filter(assessment=here, comment__isnull=True, acknowledgement__isnull=True),
            ),
            unstored(
                AssessmentComment.objects.filter(assessment__exercise=exercise), "comment:", stored.filter(comment=here)
            ),
            unstored(
                AssessmentAcknowledgement.objects.filter(assessment__exercise=exercise),
                "ack:",
                stored.filter(acknowledgement=here),
            ),
            unstored_key(exercise.teams.all(), Concat(Value("team:"), "code", output_field=CharField())),
            unstored_key(Exercise.objects.filter(pk=exercise.pk), Value("control", CharField())),
            all=True,
        )
    )


class _Count(Subquery):
    template = "(SELECT count(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


# Each source is stored with exactly one object of these types: an inject's or assessment's Report (a downgraded
# share's is another version of it, another row), a comment's Note, an acknowledgement's Opinion, an Identity.
HEADS = ("report", "note", "opinion", "identity")


def _all_stored(exercise) -> bool:
    """Whether every source of the exercise has its objects stored: its sources counted against the stored
    sources (their heads), in one query. Released injects, shares, comments and acknowledgements are never
    deleted, so more sources than heads means some are not stored yet."""
    sources = (
        Inject.objects.filter(exercise=exercise, released_at__isnull=False),
        SharedAssessment.objects.filter(exercise=exercise),
        AssessmentComment.objects.filter(assessment__exercise=exercise),
        AssessmentAcknowledgement.objects.filter(assessment__exercise=exercise),
        exercise.teams.all(),
    )
    heads = StixObject.objects.filter(exercise=exercise, type__in=HEADS)
    counts = Exercise.objects.filter(pk=exercise.pk).values_list(
        *(_Count(queryset.order_by().values("pk")) for queryset in (*sources, heads))
    )
    *numbers, stored = counts.get()
    return stored >= sum(numbers) + 1  # and exercise control's identity


def store_new(exercise) -> int:
    """Build and store the objects of what the exercise released or shared since they were last stored; the
    number of objects stored. Most reads find everything stored: one query."""
    if _all_stored(exercise):
        return 0
    missing = _missing(exercise)
    if not missing:
        return 0
    return _store(exercise, missing)


@transaction.atomic
def _store(exercise, missing: list[str]) -> int:
    kinds: dict[str, set] = {}
    for key in missing:
        kind, _, pk = key.partition(":")
        kinds.setdefault(kind, set()).add(pk)
    rows, markings = [], {stix.OPEN}
    if "team" in kinds or "control" in kinds:
        rows += [_row(exercise, entry) for entry in _identities(exercise)]
    staff = stix.viewer(exercise, None)
    if "inject" in kinds:
        control_id = stix.control_identity_id(exercise.pk)
        releases = selectors.releases(staff).filter(inject_id__in=[int(pk) for pk in kinds["inject"]])
        done = set()
        for release in releases:
            inject = release.inject
            if inject.pk in done:
                continue
            done.add(inject.pk)
            markings.add(stix.Marking.of(inject))
            source = f"inject:{inject.pk}"
            objects = stix.inject_objects(inject, control_id)
            rows += [_row(exercise, stix.Entry(obj, inject.released_at, source)) for obj in objects]
    # a new comment or acknowledgement: its assessment's objects are built again (those stored are kept)
    assessment_ids = {int(pk) for pk in kinds.get("assessment", ())}
    for model, kind in ((AssessmentComment, "comment"), (AssessmentAcknowledgement, "ack")):
        if kind in kinds:
            assessment_ids |= set(model.objects.filter(pk__in=kinds[kind]).values_list("assessment_id", flat=True))
    if assessment_ids:
        versions = stix.assessment_versions(exercise.pk)
        structured = stix.imported_structured(exercise.pk)
        for assessment in selectors.assessments_to_export(staff).filter(pk__in=assessment_ids):
            markings.add(stix.Marking.of(assessment))
            entries = stix.assessment_objects(assessment, versions[assessment.pk], structured.get(assessment.pk))
            rows += [_row(exercise, entry, assessment=assessment.pk) for entry in entries]
    definitions = {definition.id: definition for marking in markings for definition in marking.definitions()}
    rows += [_row(exercise, stix.Entry(d, stix.MARKINGS_CREATED, "marking")) for d in definitions.values()]
    StixObject.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _identities(exercise) -> list:
    control_id = stix.control_identity_id(exercise.pk)
    return [
        stix.Entry(
            identity,
            exercise.created_at,
            "control" if identity.id == control_id else f"team:{identity.external_references[0].external_id}",
        )
        for identity in stix.identities(exercise)
    ]


TLP_IDS = frozenset(stix.TLP2_IDS.values())


def _row(exercise, entry, *, assessment: int | None = None) -> StixObject:
    """The row of one built object; its inject, comment or acknowledgement from its source, its assessment (a
    comment's and an acknowledgement's too, for the collections' visibility) given."""
    refs = list(getattr(entry.object, "object_marking_refs", None) or [])
    kind, _, pk = entry.source.partition(":")
    return StixObject(
        exercise=exercise,
        source=entry.source,
        stix_id=entry.id,
        type=entry.object.type,
        version=entry.version,
        added=entry.added,
        inject_id=int(pk) if kind == "inject" else None,
        assessment_id=assessment,
        comment_id=int(pk) if kind == "comment" else None,
        acknowledgement_id=int(pk) if kind == "ack" else None,
        statement_ref=next((ref for ref in refs if ref not in TLP_IDS), ""),
        tlp_ref=next((ref for ref in refs if ref in TLP_IDS), ""),
        body=entry.object.serialize(),
    )

"""The JSON archive of a whole exercise: raw records plus the computed metrics.

Format `conjunction-exercise-archive`, version 3; versions 1 and 2 are still read and verified
(documented in docs/archive-format.md).
`import_archive` loads it into a fresh database losslessly: primary keys are kept, users and
reference data (teams, capabilities, protocols) are created when missing, and exporting the
imported exercise again gives the same archive (but for `exported_at`).
"""

import hashlib
import json

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.duration import duration_string

from exercises import models
from exercises.models import format_exercise_time
from exercises.reports import coalition_tables
from exercises.reports.data import build_report
from exercises.services import ServiceError, audit

FORMAT = "conjunction-exercise-archive"
# 3: the space catalogue, its conjunctions and the manoeuvres; 2: timestamps to the microsecond (1: to the
# millisecond, as Django's JSON encoder writes them)
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)

# Exercise-scoped models, in an order where every row's foreign keys come before it.
EXERCISE_MODELS = [
    (models.Exercise, "pk"),
    (models.Objective, "exercise"),
    (models.Inject, "exercise"),
    (models.SpaceObject, "exercise"),  # after the injects that made them (created_by); parents before fragments
    (models.Conjunction, "exercise"),
    (models.Participant, "exercise"),
    (models.Release, "inject__exercise"),
    (models.Acknowledgement, "inject__exercise"),
    (models.Message, "exercise"),
    (models.Response, "exercise"),
    (models.Manoeuvre, "exercise"),
    (models.SharedAssessment, "exercise"),
    (models.AssessmentAcknowledgement, "assessment__exercise"),
    (models.AssessmentComment, "assessment__exercise"),
    (models.Observation, "exercise"),
    (models.Adjudication, "response__exercise"),
    (models.Rating, "exercise"),
    (models.Feedback, "exercise"),
    (models.ImprovementItem, "exercise"),
    (models.AuditEvent, "exercise"),
]
REFERENCE_MODELS = [models.Team, models.CoreCapability, models.Protocol, models.ProtocolStep, models.AttackTechnique]
REFERENCE_LABELS = [model._meta.label_lower for model in REFERENCE_MODELS]


class InvalidArchive(ServiceError):
    pass


def _serialize(queryset, version: int = VERSION) -> list[dict]:
    """The rows of `queryset` as Django's JSON serializer writes them (with natural foreign keys), ordered
    by primary key, but read with `.values_list()` (one query for the fields and one per many-to-many
    field) instead of building model instances and serializing each: the serializer took ~5 s of Python
    for the ~15 000 rows of a 4,000-response exercise (bench/reports.py). The output is identical
    (tests/test_report_records.py compares it with Django's serializer, model by model), except that from
    version 2 timestamps keep their microseconds (Django's encoder cuts them to milliseconds, so a version 1
    archive lost them, and one whose microseconds were under 1 000 did not even round-trip)."""
    model = queryset.model
    opts = model._meta.concrete_model._meta
    fields = [f for f in opts.local_fields if f.serialize]
    encoders = [(field.name, _encoder(field, version)) for field in fields]
    label, encode_pk = opts.label_lower, _encoder(opts.pk, version)
    rows = {}
    for pk, *values in queryset.order_by("pk").values_list("pk", *[_column(field) for field in fields]):
        row = {}
        for (name, encode), value in zip(encoders, values, strict=True):
            row[name] = value if encode is None or value is None else encode(value)
        rows[pk] = {"model": label, "pk": pk if encode_pk is None else encode_pk(pk), "fields": row}
    for field in opts.local_many_to_many:
        if not (field.serialize and field.remote_field.through._meta.auto_created):
            continue
        for row in rows.values():
            row["fields"][field.name] = []
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        encode = _encoder(field.remote_field.model._meta.pk, version)
        # the related model's default ordering, as the serializer's prefetch gives
        ordering = [_prefixed(target, name) for name in field.remote_field.model._meta.ordering] + [f"{target}__pk"]
        links = field.remote_field.through.objects.filter(**{f"{source}__in": queryset.values("pk")})
        for owner, related in links.order_by(f"{source}_id", *ordering).values_list(f"{source}_id", f"{target}_id"):
            if owner in rows:
                rows[owner]["fields"][field.name].append(related if encode is None else encode(related))
    return list(rows.values())


def _column(field) -> str:
    if field.remote_field and hasattr(field.remote_field.model, "natural_key"):
        return f"{field.name}__{_natural_key_field(field.remote_field.model)}"
    return field.attname


def _natural_key_field(model) -> str:
    if model is not get_user_model():
        raise NotImplementedError(f"No natural key reader for {model._meta.label}.")
    return model.USERNAME_FIELD


def _prefixed(prefix: str, ordering: str) -> str:
    return f"-{prefix}__{ordering[1:]}" if ordering.startswith("-") else f"{prefix}__{ordering}"


# Fields whose values the serializer writes as they come from the database (json.loads gives them back).
_PLAIN = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "BooleanField",
    "CharField",
    "SlugField",
    "TextField",
    "EmailField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "FloatField",
    "JSONField",
}


def _encoder(field, version: int):
    """How the serializer writes a (non-null) value of this field, as json.loads reads it back; None: as is."""
    if field.remote_field:
        if hasattr(field.remote_field.model, "natural_key"):
            return _natural_key
        field = field.target_field
    kind = field.get_internal_type()
    if kind in _PLAIN:
        return None
    if kind == "DurationField":
        return duration_string  # Field.value_to_string
    if kind == "DateTimeField":
        return _datetime if version >= 2 else _datetime_v1
    return lambda value: _ENCODER.default(field.to_python(value))  # dates, times, decimals, UUIDs


def _natural_key(value) -> list:
    return [value]  # User.natural_key() is (username,)


def _datetime(value) -> str:
    """ISO 8601 to the microsecond (archive version 2)."""
    return value.isoformat()


def _datetime_v1(value) -> str:
    """As DjangoJSONEncoder writes it: ISO 8601, milliseconds, "Z" for UTC (archive version 1)."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_ENCODER = DjangoJSONEncoder()


@translation.override("en-gb")  # read by programs: English whatever the user's language (docs/translation.md)
def export_archive(exercise: models.Exercise) -> dict:
    records = {}
    for model, path in EXERCISE_MODELS:
        records[model._meta.label_lower] = _serialize(model.objects.filter(**{path: exercise.pk}))
    for row in records["exercises.exercise"]:
        row["fields"]["scenario"] = None  # carried by name in "scenario": its id differs between databases
    step_codes = set(
        models.Inject.protocol_steps.through.objects.filter(inject__exercise=exercise).values_list(
            "protocolstep_id", flat=True
        )
    )
    step_codes |= set(
        models.Response.protocol_steps.through.objects.filter(response__exercise=exercise).values_list(
            "protocolstep_id", flat=True
        )
    )
    steps = models.ProtocolStep.objects.filter(code__in=step_codes)
    reference = {
        "exercises.team": _serialize(models.Team.objects.all()),
        "exercises.corecapability": _serialize(
            models.CoreCapability.objects.filter(objectives__exercise=exercise).distinct()
        ),
        "exercises.protocol": _serialize(models.Protocol.objects.filter(steps__in=steps).distinct()),
        "exercises.protocolstep": _serialize(steps),
        "exercises.attacktechnique": _serialize(  # the techniques the exercise's injects are tagged with
            models.AttackTechnique.objects.filter(
                code__in=models.Inject.techniques.through.objects.filter(inject__exercise=exercise).values(
                    "attacktechnique_id"
                )
            )
        ),
    }
    User = get_user_model()
    users = (
        User.objects.filter(participations__exercise=exercise)
        | User.objects.filter(pk__in=models.AuditEvent.objects.filter(exercise=exercise).values("actor"))
        | User.objects.filter(pk__in=models.Manoeuvre.objects.filter(exercise=exercise).values("by"))
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "exercise": {"id": exercise.pk, "name": exercise.name, "status": exercise.status},
        "scenario": (
            {"name": exercise.scenario.name, "description": exercise.scenario.description}
            if exercise.scenario
            else None
        ),
        "users": [
            {"username": u.get_username(), "first_name": u.first_name, "last_name": u.last_name}
            for u in users.distinct().order_by("username")
        ],
        "reference": reference,
        "records": records,
        "journal_sha256": journal_digest(records["exercises.auditevent"]),
        "metrics": metrics(exercise),
    }


def journal_digest(events: list[dict]) -> str:
    """SHA-256 of the journal records as archived (canonical JSON)."""
    canonical = json.dumps(events, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify_archive(data: dict) -> list[str]:
    """Check an archive against itself and against this database's journal; return the problems.

    - the archive's journal matches its own digest (nothing in the file was edited);
    - every archived journal event is in the database, unchanged;
    - the database's journal for the exercise has no event the archive lacks, up to the export.
    """
    problems = []
    archived = data.get("records", {}).get("exercises.auditevent", [])
    if journal_digest(archived) != data.get("journal_sha256"):
        problems.append("The archive's journal does not match its digest: the file was changed after export.")
    exercise_id = data.get("exercise", {}).get("id")
    version = data.get("version") if data.get("version") in READABLE_VERSIONS else VERSION
    events = models.AuditEvent.objects.filter(exercise_id=exercise_id)
    stored = {row["pk"]: row for row in _serialize(events, version)}  # as that version writes them
    for row in archived:
        if row["pk"] not in stored:
            problems.append(f"Journal event {row['pk']} ({row['fields']['kind']}) is not in this database.")
        elif stored[row["pk"]] != row:
            problems.append(f"Journal event {row['pk']} ({row['fields']['kind']}) differs from this database.")
    exported_at = data.get("exported_at", "")
    archived_ids = {row["pk"] for row in archived}
    for pk, row in stored.items():
        if pk not in archived_ids and row["fields"]["occurred_at"] <= exported_at:
            problems.append(f"Journal event {pk} ({row['fields']['kind']}) is in this database but not in the archive.")
    return problems


def metrics(exercise) -> dict:
    """What the report computes, kept beside the raw records."""
    report = build_report(exercise)
    return {
        "coalition": coalition_tables.archive_tables(report.coalition),
        "coverage": [
            {
                "team": c.team.code,
                "expected": c.expected,
                "on_time": c.on_time,
                "late": c.late,
                "missed": c.missed,
                "percent": c.percent,
            }
            for c in report.coverage
        ],
        "injects_by_team": [
            {
                "inject": row.inject.sequence,
                "team": row.team.code,
                "released": format_exercise_time(row.released_at),
                "seconds_to_acknowledge": row.to_acknowledge.total_seconds() if row.to_acknowledge else None,
                "seconds_to_first_response": row.to_first_response.total_seconds() if row.to_first_response else None,
                "steps": {s.step.code: s.status for s in row.steps},
            }
            for row in report.inject_rows
        ],
        "sharing": [
            {"from": sender.code, "to": recipient.code, **cell}
            for sender, row in report.sharing["grid"]
            for recipient, cell in zip(report.sharing["teams"], row, strict=True)
            if cell
        ],
        "suggested_ratings": [
            {
                "objective": item.objective.code,
                "team": team.code,
                "suggested": suggestion.rating,
                "rating": rating.rating if rating else None,
            }
            for item in report.analysis
            for team, rating, suggestion in item.ratings
        ],
        "hot_wash": report.hot_wash["questions"],
        "techniques": [
            {
                "technique": item.technique.code,
                "framework": item.technique.framework,
                "framework_version": item.technique.framework_version,
                "injects": [inject.sequence for inject in item.injects],
                "responses": [
                    {"inject": answer.row.inject.sequence, "team": answer.row.team.code, "count": answer.responses}
                    for answer in item.responses
                ],
            }
            for item in report.techniques
        ],
    }


def import_archive(data: dict, *, by=None) -> models.Exercise:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidArchive(f"This is not a Conjunction exercise archive (format must be {FORMAT!r}).")
    if data.get("version") not in READABLE_VERSIONS:
        readable = ", ".join(str(v) for v in READABLE_VERSIONS[:-1]) + f" and {READABLE_VERSIONS[-1]}"
        raise InvalidArchive(f"This Conjunction reads archive versions {readable}, not {data.get('version')!r}.")
    exercise_id = data["exercise"]["id"]
    if models.Exercise.objects.filter(pk=exercise_id).exists():
        raise InvalidArchive(f"Exercise {exercise_id} already exists here; import into a fresh database.")
    with transaction.atomic():
        User = get_user_model()
        for user in data["users"]:
            created, made = User.objects.get_or_create(
                username=user["username"], defaults={"first_name": user["first_name"], "last_name": user["last_name"]}
            )
            if made:
                created.set_unusable_password()
                created.save()
        for label in REFERENCE_LABELS:  # an archive made before attack techniques has none of them
            for obj in serializers.deserialize("python", data["reference"].get(label, [])):
                if not type(obj.object).objects.filter(pk=obj.object.pk).exists():
                    obj.save()
        scenario = None
        if data.get("scenario"):
            scenario, _ = models.Scenario.objects.get_or_create(
                name=data["scenario"]["name"], defaults={"description": data["scenario"]["description"]}
            )
        for model, _ in EXERCISE_MODELS:
            rows = data["records"].get(model._meta.label_lower, [])  # versions 1 and 2 have no catalogue
            if model is models.Exercise:
                for row in rows:
                    row["fields"]["scenario"] = scenario.pk if scenario else None
            for obj in serializers.deserialize("python", rows):
                obj.save()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [m for m, _ in EXERCISE_MODELS]):
                cursor.execute(statement)
        exercise = models.Exercise.objects.get(pk=exercise_id)
        # Journaled outside the exercise's own journal, so that the archive round-trips unchanged.
        audit.record(
            exercise=None,
            actor=by,
            kind="exercise.imported",
            obj=exercise,
            payload={
                "exercise": exercise.pk,
                "name": exercise.name,
                "records": sum(len(rows) for rows in data["records"].values()),
            },
        )
    return exercise

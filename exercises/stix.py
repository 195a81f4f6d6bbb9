"""The Combined Picture as STIX 2.1 (built and validated with the `stix2` library).

What a team may see, as STIX objects:
- every inject released to it: a Report (created by exercise control), with the Threat Actor, Attack
  Pattern, Indicator, Observed Data, Sighting and Relationships its kind and text say (an ASAT test, a
  co-orbital approach, jamming, a cyberattack with indicators of compromise); an inject tagged with attack
  techniques (SPARTA, MITRE ATT&CK) has an Attack Pattern per technique, with the framework's id and page
  as its external reference, instead of the one its kind names;
- every shared assessment it shared or received: a Report (created by the sharing nation), its
  comments as Notes and its acknowledgements as Opinions, and the CDM its team attached as an Artifact
  (application/xml, the NDM/XML message in payload_bin) that the Report's object_refs name;
- an Identity per nation of the exercise and one for exercise control, and the marking definitions.

Markings: each item's classification and releasability become a statement marking carrying the exact
banner (e.g. "EXERCISE SECRET // REL TO USA, GBR") and, where one fits, a TLP 2.0 marking (TLP_FOR_RELEASABILITY);
every object carries its item's marking in object_marking_refs.

Ids are uuid5 on NAMESPACE and the row's key, so a re-export gives the same ids. A downgrade (a team
sharing again, downgraded, from a source it had shared from) is a new version of its earlier
assessment's Report: the same id, `modified` at the new share, under the new marking. An assessment
imported from a STIX bundle keeps the Report id and times its author gave it (kept in the journal).

One visibility rule: the items come from the selectors the pages use (releases, assessments_for).
"""

import base64
import functools
import hashlib
import ipaddress
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import stix2
from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Cast
from django.utils import translation

from exercises import coalition, selectors
from exercises.models import (
    FVEY,
    AuditEvent,
    Classification,
    InjectKind,
    Participant,
    Releasability,
    SharedAssessment,
    StixObject,
    marking_banner,
)
from exercises.services.responses import ASSESSMENT_FIELDS

NAMESPACE = uuid.UUID("6f1c8a4e-2b1d-5c3e-9a7f-0c0a1b2c3d4e")  # Conjunction's STIX ids (uuid5 namespace)
MARKINGS_CREATED = datetime(2026, 1, 1, tzinfo=UTC)  # a statement marking is the same object in every export

# TLP 2.0 marking definitions as OASIS publishes them for STIX 2.1 (cti-stix-common-objects, tlp-2.0):
# the stix2 library carries only TLP 1.0.
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


@functools.cache  # constants: stix2 objects are immutable, and a collection names the same few on every object
def tlp2(level: str) -> stix2.MarkingDefinition:
    return stix2.MarkingDefinition(
        id=TLP2_IDS[level],
        created="2022-10-01T00:00:00.000Z",
        name=f"TLP:{level.upper()}",
        extensions={TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
    )


# The TLP 2.0 level that fits a releasability (the statement marking always says exactly who may read):
# - releasable to all allies: TLP:GREEN (the exercise's community of allies; not CLEAR, it is not public);
# - REL TO FVEY or listed nations: TLP:AMBER (limited disclosure; onward only as the statement lists);
# - national only: TLP:AMBER+STRICT (the owner's organisation alone).
TLP_FOR_RELEASABILITY = {
    Releasability.ALL_ALLIES: "green",
    Releasability.FVEY: "amber",
    Releasability.REL_TO: "amber",
    Releasability.NATIONAL: "amber+strict",
}

# Conjunction's property extension (STIX 2.1 section 7.3; extensions replace 2.0's custom properties, so a
# consumer parsing with no custom content allowed still reads the Report): on a shared assessment's Report,
# the team's structured assessment (coalition.py; services/responses.ASSESSMENT_FIELDS) and, on a downgraded
# version, why and what was removed. Documented in docs/architecture.md ("STIX extension").
EXTENSION_ID = "extension-definition--f729f0a4-0e94-5e7a-ae04-e6c3eeb9951f"
ASSESSMENT_PROPERTIES = ASSESSMENT_FIELDS
DOWNGRADE_PROPERTIES = ("downgrade_reason", "downgrade_removed")
EXTENSION_PROPERTIES = (*ASSESSMENT_PROPERTIES, *DOWNGRADE_PROPERTIES)


def confidence_value(word: str) -> int | None:
    """STIX's confidence (0-100) for an ICD 203 word of estimative probability: the middle of its range."""
    if word not in coalition.CONFIDENCE:
        return None
    _label, low, high = coalition.CONFIDENCE[word]
    return round((low + high) / 2)


ADVERSARIES = ("KARSLAND",)  # the scenarios' fictional adversary, named by injects' originators and texts
ATTACK_PATTERNS = {
    InjectKind.ASAT: "Direct-ascent anti-satellite test",
    InjectKind.CO_ORBITAL: "Co-orbital rendezvous and proximity operation",
    InjectKind.JAMMING: "Jamming or dazzling of a space system",
    InjectKind.CYBER: "Cyber intrusion against a space system",
}
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
SHA256 = re.compile(r"\b[0-9a-fA-F]{64}\b")


def stix_id(kind: str, *key) -> str:
    """A deterministic STIX id: uuid5 on NAMESPACE and the row's key."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, ':'.join(str(part) for part in (kind, *key)))}"


@dataclass(frozen=True)
class Marking:
    """A classification and releasability, as items carry them (models.Marked)."""

    classification: str
    releasability: str
    owners: frozenset = frozenset()
    rel_to: frozenset = frozenset()

    @classmethod
    def of(cls, item) -> "Marking":
        rel_to = item.releasable_to_codes() if item.releasability == Releasability.REL_TO else set()
        return cls(item.classification, item.releasability, frozenset(item.owner_codes()), frozenset(rel_to))

    @property
    def banner(self) -> str:
        return marking_banner(
            self.classification, self.releasability, lambda: set(self.owners), lambda: set(self.rel_to)
        )

    def permits(self, code: str) -> bool:
        if self.releasability == Releasability.ALL_ALLIES or code in self.owners:
            return True
        if self.releasability == Releasability.FVEY:
            return code in FVEY
        if self.releasability == Releasability.REL_TO:
            return code in self.rel_to
        return False

    def statement(self) -> stix2.MarkingDefinition:
        return statement_marking(self.banner)

    def definitions(self) -> list:
        return [self.statement(), tlp2(TLP_FOR_RELEASABILITY[self.releasability])]

    def refs(self) -> list[str]:
        return [definition.id for definition in self.definitions()]


@functools.cache  # one per banner, as tlp2
def statement_marking(banner: str) -> stix2.MarkingDefinition:
    return stix2.MarkingDefinition(
        id=stix_id("marking-definition", banner),
        created=MARKINGS_CREATED,
        definition_type="statement",
        definition=stix2.StatementMarking(statement=banner),
    )


OPEN = Marking(Classification.UNCLASSIFIED, Releasability.ALL_ALLIES)  # who is who: every ally may read it

_CLASSIFICATIONS = {label: value for value, label in Classification.choices}
_BANNER = re.compile(r"^(?P<label>EXERCISE [A-Z]+) // (?P<rest>.+)$")


def parse_banner(text: str) -> Marking | None:
    """The marking a banner states (the inverse of Marking.banner), or None if it is not one of ours."""
    match = _BANNER.match(text.strip())
    if not match or match["label"] not in _CLASSIFICATIONS:
        return None
    classification, rest = _CLASSIFICATIONS[match["label"]], match["rest"].strip()
    if rest == "REL TO ALL ALLIES":
        return Marking(classification, Releasability.ALL_ALLIES)
    if rest == "REL TO FVEY":
        return Marking(classification, Releasability.FVEY)
    if rest.endswith(" ONLY"):
        owners = rest.removesuffix(" ONLY").split("/")
        if all(re.fullmatch(r"[A-Z]{3}", code) for code in owners):
            return Marking(classification, Releasability.NATIONAL, owners=frozenset(owners))
        return None
    if rest.startswith("REL TO "):
        codes = [code.strip() for code in rest.removeprefix("REL TO ").split(",")]
        if all(re.fullmatch(r"[A-Z]{3}", code) for code in codes):
            return Marking(classification, Releasability.REL_TO, rel_to=frozenset(codes))
    return None


@dataclass
class Entry:
    """One STIX object of a collection, and when it was added to it (TAXII's date_added)."""

    object: object
    added: datetime
    source: str = ""  # what it was built from (StixObject.source): set where one item's objects are built

    @property
    def id(self) -> str:
        return self.object.id

    @property
    def version(self) -> datetime:
        return getattr(self.object, "modified", None) or getattr(self.object, "created", None) or self.added


# Building -----------------------------------------------------------------------------------------


def team_identity_id(exercise_id: int, code: str) -> str:
    return stix_id("identity", exercise_id, "team", code)


def control_identity_id(exercise_id: int) -> str:
    return stix_id("identity", exercise_id, "control")


def inject_report_id(inject) -> str:
    return stix_id("report", "inject", inject.pk)


def identities(exercise) -> list:
    refs = OPEN.refs()
    objects = [
        stix2.Identity(
            id=control_identity_id(exercise.pk),
            created=exercise.created_at,
            modified=exercise.created_at,
            name=f"Exercise control, {exercise.name}",
            identity_class="group",
            roles=["exercise control"],
            object_marking_refs=refs,
        )
    ]
    for team in exercise.teams.all():
        objects.append(
            stix2.Identity(
                id=team_identity_id(exercise.pk, team.code),
                created=exercise.created_at,
                modified=exercise.created_at,
                name=team.name,
                identity_class="organization",
                roles=["nation"],
                external_references=[{"source_name": "ISO 3166-1 alpha-3", "external_id": team.code}],
                object_marking_refs=refs,
            )
        )
    return objects


def indicators_of_compromise(text: str) -> list[tuple[str, str]]:
    """The (SCO type, value) pairs an inject's text states in full: IPv4 addresses and SHA-256 hashes."""
    found = []
    for value in IPV4.findall(text):
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            continue
        found.append(("ipv4-addr", value))
    found += [("file", value.lower()) for value in SHA256.findall(text)]
    return list(dict.fromkeys(found))


def attack_patterns(inject, common: dict) -> list[tuple[tuple, stix2.AttackPattern]]:
    """The inject's Attack Patterns, each with the key its related objects' ids add: one per technique it is
    tagged with (SPARTA, ATT&CK), referring to the framework's id and page; untagged, the one its kind names."""
    techniques = list(inject.techniques.all())
    if techniques:
        return [
            (
                (technique.code,),
                stix2.AttackPattern(
                    id=stix_id("attack-pattern", "inject", inject.pk, technique.code),
                    name=technique.name,
                    external_references=[
                        {"source_name": technique.source_name, "external_id": technique.code, "url": technique.url}
                    ],
                    **common,
                ),
            )
            for technique in techniques
        ]
    name = ATTACK_PATTERNS.get(inject.kind)
    if not name:
        return []
    return [((), stix2.AttackPattern(id=stix_id("attack-pattern", "inject", inject.pk), name=name, **common))]


def inject_objects(inject, control_id: str) -> list:
    """The STIX objects of one released inject: its Report and what its kind, techniques and text say."""
    marking = Marking.of(inject)
    refs = marking.refs()
    at = inject.released_at
    common = {"created": at, "modified": at, "created_by_ref": control_id, "object_marking_refs": refs}
    patterns = attack_patterns(inject, common)
    related = [pattern for _key, pattern in patterns]
    named = f"{inject.originator}\n{inject.title}\n{inject.text}".upper()
    for adversary in ADVERSARIES if patterns else ():  # an actor of a hostile act only
        if adversary not in named:
            continue
        actor = stix2.ThreatActor(
            id=stix_id("threat-actor", "inject", inject.pk, adversary),
            name=adversary,
            threat_actor_types=["nation-state"],
            **common,
        )
        related.append(actor)
        for key, pattern in patterns:
            related.append(
                stix2.Relationship(
                    id=stix_id("relationship", "inject", inject.pk, adversary, "uses", *key),
                    relationship_type="uses",
                    source_ref=actor.id,
                    target_ref=pattern.id,
                    **common,
                )
            )
    for key, pattern in patterns:
        related.append(
            stix2.Sighting(
                id=stix_id("sighting", "inject", inject.pk, *key),
                sighting_of_ref=pattern.id,
                first_seen=at,
                last_seen=at,
                count=1,
                description=f"Reported by {inject.originator}" if inject.originator else None,
                **common,
            )
        )
    if inject.kind == InjectKind.CYBER:
        related += _cyber_indicators(inject, patterns, common)
    report = stix2.Report(
        id=inject_report_id(inject),
        name=inject.title,
        description=inject.text,
        published=at,
        report_types=["threat-report"],
        labels=["inject", inject.kind],
        object_refs=[control_id, *(obj.id for obj in related)],
        external_references=[
            {"source_name": "conjunction-msel", "external_id": f"inject-{inject.sequence}", "description": inject.title}
        ],
        **common,
    )
    return [report, *related]


def _cyber_indicators(inject, attack_patterns_of_inject, common) -> list:
    """An Indicator, the Observed Data and a Sighting only when the text gives indicators of compromise in full."""
    iocs = indicators_of_compromise(inject.text)
    if not iocs:
        return []
    at = common["created"]
    marking_refs = common["object_marking_refs"]
    observables = []
    patterns = []
    for kind, value in iocs:
        if kind == "ipv4-addr":
            observables.append(stix2.IPv4Address(value=value, object_marking_refs=marking_refs))
            patterns.append(f"[ipv4-addr:value = '{value}']")
        else:
            observables.append(stix2.File(hashes={"SHA-256": value}, object_marking_refs=marking_refs))
            patterns.append(f"[file:hashes.'SHA-256' = '{value}']")
    indicator = stix2.Indicator(
        id=stix_id("indicator", "inject", inject.pk),
        name=f"Indicators of compromise: {inject.title}",
        pattern=" OR ".join(patterns),
        pattern_type="stix",
        valid_from=at,
        indicator_types=["malicious-activity"],
        **common,
    )
    observed = stix2.ObservedData(
        id=stix_id("observed-data", "inject", inject.pk),
        first_observed=at,
        last_observed=at,
        number_observed=1,
        object_refs=[observable.id for observable in observables],
        **common,
    )
    objects = [*observables, indicator, observed]
    objects.append(
        stix2.Sighting(
            id=stix_id("sighting", "inject", inject.pk, "indicator"),
            sighting_of_ref=indicator.id,
            observed_data_refs=[observed.id],
            first_seen=at,
            last_seen=at,
            count=1,
            **common,
        )
    )
    for key, attack_pattern in attack_patterns_of_inject:
        objects.append(
            stix2.Relationship(
                id=stix_id("relationship", "inject", inject.pk, "indicates", *key),
                relationship_type="indicates",
                source_ref=indicator.id,
                target_ref=attack_pattern.id,
                **common,
            )
        )
    return objects


@dataclass(frozen=True)
class Version:
    """Where an assessment's Report sits among versions: its id and first creation time."""

    id: str
    created: datetime
    modified: datetime


def assessment_versions(exercise_id: int) -> dict[int, Version]:
    """Every shared assessment of the exercise → its Report's id, created and modified.

    A downgraded share from a source the team had shared from before is a new version of that earlier
    assessment (the same id, modified at the new share). An imported one keeps its author's id and times.
    Computed over the whole exercise, so that every audience sees the same ids."""
    imported = {}
    for object_id, payload in AuditEvent.objects.filter(
        exercise_id=exercise_id, kind="assessment.shared", payload__stix__isnull=False
    ).values_list("object_id", "payload"):
        stix = payload["stix"]
        imported[int(object_id)] = Version(
            stix["report"], datetime.fromisoformat(stix["created"]), datetime.fromisoformat(stix["modified"])
        )
    versions: dict[int, Version] = {}
    lineages: dict[tuple, Version] = {}
    rows = SharedAssessment.objects.filter(exercise_id=exercise_id).order_by("shared_at", "id")
    for pk, team, inject_id, response_id, downgraded, shared_at in rows.values_list(
        "pk", "from_team_id", "source_inject_id", "source_response_id", "downgraded", "shared_at"
    ):
        source = (team, inject_id, response_id)
        if pk in imported:
            versions[pk] = imported[pk]
        elif downgraded and source in lineages:
            versions[pk] = Version(lineages[source].id, lineages[source].created, shared_at)
        else:
            versions[pk] = Version(stix_id("report", "assessment", pk), shared_at, shared_at)
        lineages.setdefault(source, versions[pk])
    return versions


def cdm_artifact(assessment, refs: list[str]) -> stix2.Artifact | None:
    """The CDM a team attached to a shared assessment, as an Artifact: the NDM/XML message as it was shared
    (exercises.cdm.shared_cdm, created at the share, so its id is the same in every export), marked as the
    assessment is. None when the assessment carries no CDM."""
    from exercises import cdm

    xml = cdm.shared_cdm(assessment, "xml")
    if xml is None:
        return None
    payload = xml.encode("utf-8")
    return stix2.Artifact(
        mime_type="application/xml",
        payload_bin=base64.b64encode(payload).decode("ascii"),
        hashes={"SHA-256": hashlib.sha256(payload).hexdigest()},
        object_marking_refs=refs,
    )


def imported_structured(exercise_id: int) -> dict[int, dict]:
    """Every assessment imported with a structured assessment in its bundle → that assessment (the journal's)."""
    return {
        int(object_id): structured
        for object_id, structured in AuditEvent.objects.filter(
            exercise_id=exercise_id, kind="assessment.shared", payload__stix__assessment__isnull=False
        ).values_list("object_id", "payload__stix__assessment")
    }


def report_extension(assessment, structured: dict | None = None) -> dict:
    """What the Report's Conjunction extension carries: the structured assessment (imported with it, else its
    source response's) and a downgrade's reason and removals; {} when there is nothing to say."""
    response = assessment.source_response
    if structured is None and response is not None and response.assessed_cause:
        structured = {name: getattr(response, name) for name in ASSESSMENT_PROPERTIES}
    values = {name: value for name, value in (structured or {}).items() if name in ASSESSMENT_PROPERTIES and value}
    if assessment.downgraded:
        values.update(downgrade_reason=assessment.downgrade_reason, downgrade_removed=assessment.downgrade_removed)
    return values


def assessment_objects(assessment, version: Version, structured: dict | None = None, *, at=None) -> list[Entry]:
    """A shared assessment's Report (with the CDM its team attached, an Artifact), its comments (Notes) and
    acknowledgements (Opinions). `structured`: the structured assessment its bundle carried (imported_structured).
    `at`: only the objects added at these dates (a TAXII page's), the others not built; None: all.
    """
    exercise_id = assessment.exercise_id
    refs = Marking.of(assessment).refs()
    entries = []
    if at is None or assessment.shared_at in at:
        entries += _assessment_report(assessment, version, structured, refs)
    for comment in assessment.comments.all():
        if at is not None and comment.written_at not in at:
            continue
        entries.append(
            Entry(
                stix2.Note(
                    id=stix_id("note", "comment", comment.pk),
                    created=comment.written_at,
                    modified=comment.written_at,
                    created_by_ref=team_identity_id(exercise_id, comment.team_id),
                    authors=[comment.team_id],
                    content=comment.text,
                    object_refs=[version.id],
                    object_marking_refs=refs,
                ),
                comment.written_at,
                f"comment:{comment.pk}",
            )
        )
    for ack in assessment.acknowledgements.all():
        if at is not None and ack.acknowledged_at not in at:
            continue
        entries.append(
            Entry(
                stix2.Opinion(
                    id=stix_id("opinion", "acknowledgement", ack.pk),
                    created=ack.acknowledged_at,
                    modified=ack.acknowledged_at,
                    created_by_ref=team_identity_id(exercise_id, ack.team_id),
                    opinion="neutral",
                    explanation=f"Acknowledged by {ack.team_id}: received and read.",
                    object_refs=[version.id],
                    object_marking_refs=refs,
                ),
                ack.acknowledged_at,
                f"ack:{ack.pk}",
            )
        )
    return entries


def _assessment_report(assessment, version: Version, structured, refs) -> list[Entry]:
    """The assessment's Report and the Artifact of its CDM, added at its share."""
    exercise_id = assessment.exercise_id
    author = team_identity_id(exercise_id, assessment.from_team_id)
    labels = ["shared-assessment", *(["downgraded"] if assessment.downgraded else [])]
    artifact = cdm_artifact(assessment, refs)
    extension = report_extension(assessment, structured)
    confidence = confidence_value(extension.get("confidence", ""))
    extra = {
        **({"confidence": confidence} if confidence is not None else {}),
        **({"extensions": {EXTENSION_ID: {"extension_type": "property-extension", **extension}}} if extension else {}),
    }
    report = stix2.Report(
        id=version.id,
        created=version.created,
        modified=version.modified,
        created_by_ref=author,
        name=assessment.title,
        description=assessment.text,
        published=assessment.shared_at,
        report_types=["threat-report"],
        labels=labels,
        object_refs=[
            author,
            *(team_identity_id(exercise_id, team.code) for team in assessment.recipients.all()),
            *([artifact.id] if artifact is not None else []),
        ],
        object_marking_refs=refs,
        **extra,
    )
    source = f"assessment:{assessment.pk}"
    entries = [Entry(report, assessment.shared_at, source)]
    if artifact is not None:
        entries.append(Entry(artifact, assessment.shared_at, source))
    return entries


def viewer(exercise, team: str | None) -> Participant:
    """The audience as the selectors know it: a player of `team`, or staff (team None). Not saved."""
    if team is None:
        return Participant(exercise=exercise, role=Participant.Role.EVALUATOR)
    return Participant(exercise=exercise, role=Participant.Role.PLAYER, team_id=team)


@translation.override("en-gb")  # a file programs read: English whatever the user's language
def entries_for(exercise, team: str | None = None) -> list[Entry]:
    """Every STIX object the audience may see (a team: its Combined Picture; staff: the whole exercise),
    with its date added, in order of addition. The visibility is the pages' (selectors)."""
    audience = viewer(exercise, team)
    control_id = control_identity_id(exercise.pk)
    markings = {OPEN}
    entries = [Entry(identity, exercise.created_at) for identity in identities(exercise)]
    seen = set()
    for release in selectors.releases(audience):  # a team: its own releases; staff: every team's
        inject = release.inject
        if inject.pk in seen:
            continue
        seen.add(inject.pk)
        markings.add(Marking.of(inject))
        entries += [Entry(obj, inject.released_at) for obj in inject_objects(inject, control_id)]
    versions = assessment_versions(exercise.pk)
    structured = imported_structured(exercise.pk)
    for assessment in selectors.assessments_for(audience):
        markings.add(Marking.of(assessment))
        entries += assessment_objects(assessment, versions[assessment.pk], structured.get(assessment.pk))
    definitions = {definition.id: definition for marking in markings for definition in marking.definitions()}
    entries = [Entry(definition, MARKINGS_CREATED) for definition in definitions.values()] + entries
    unique = {}
    for entry in entries:
        unique.setdefault((entry.id, entry.version), entry)
    return sorted(unique.values(), key=lambda entry: (entry.added, entry.id))


@translation.override("en-gb")  # a file programs read: English whatever the user's language
def bundle_for(exercise, team: str | None = None) -> stix2.Bundle:
    """A STIX 2.1 bundle of what the team may see (staff, team None: the whole exercise)."""
    entries = entries_for(exercise, team)
    digest = hashlib.sha256("\n".join(f"{e.id}@{e.version.isoformat()}" for e in entries).encode()).hexdigest()
    return stix2.Bundle(
        *(entry.object for entry in entries), id=stix_id("bundle", exercise.pk, team or "staff", digest)
    )


# The TAXII collections: pages of the stored objects (StixObject, exercises/services/stix_objects.py) -----------


@dataclass(frozen=True)
class Filters:
    """A TAXII page request: after the `next` cursor (added, id), added_after, match[id|type|version], limit."""

    cursor: tuple | None = None
    added_after: datetime | None = None
    ids: frozenset = frozenset()
    types: frozenset = frozenset()
    versions: tuple = ("last",)
    limit: int = 100


@dataclass(frozen=True)
class Stored:
    """A stored STIX object of a collection page: its id and date added, and its JSON (an objects page) or its
    version (a manifest page)."""

    id: str
    added: datetime
    body: str = ""
    version: datetime | None = None


def _version_of(exercise, visible, filters: Filters, order: str):
    """The first (order "version") or last ("-version") version of a row's id in the collection after added_after
    (`visible`: a team's rows after added_after; None: staff, whose collection is the exercise's rows). Most ids
    have one version in the whole exercise, and then it is the row's own: only an id with others in the exercise
    (a downgraded Report, an address several injects name) is looked up among the team's rows."""
    after = {"added__gt": filters.added_after} if filters.added_after is not None else {}
    every = StixObject.objects.filter(exercise_id=exercise.pk, stix_id=OuterRef("stix_id"), **after)
    in_exercise = Subquery(every.order_by(order).values("version")[:1])
    if visible is None:
        return in_exercise
    seen = Subquery(visible.filter(stix_id=OuterRef("stix_id")).order_by(order).values("version")[:1])
    return Case(When(Q(version=in_exercise), then=F("version")), default=seen)


def _kept(exercise, visible, filters: Filters):
    """match[version] (TAXII 2.1 §3.4.1) as a condition on a row, worked out by the database: its version is the
    first or the last of its id's versions in the collection after added_after, or one asked for by its time.
    None: every version is kept ("all")."""
    if "all" in filters.versions:
        return None
    kept = Q()
    for want in filters.versions:
        if want in ("first", "last"):
            kept |= Q(version=_version_of(exercise, visible, filters, "version" if want == "first" else "-version"))
        else:
            kept |= Q(version=want)
    return ExpressionWrapper(kept, output_field=BooleanField())


def page_for(exercise, team: str | None, filters: Filters, *, manifest: bool = False) -> list[Stored]:
    """The first filters.limit + 1 objects of the audience's collection (a team's Combined Picture, or staff's whole
    exercise) that pass `filters`, in order of date added and id: entries_for's list, read from the stored objects,
    with their JSON (or, for a manifest, their versions). One query: the rows in order from the cursor (a quarter
    more than the page, for the versions match[version] drops), each with whether match[version] keeps it. The
    same object stored from two sources (an address two injects released at once name) once.

    Only the dates a page sends are read as dates: each one the database driver turns into a datetime costs more
    than the rest of its row (Django's timestamptz loader is psycopg's pure-Python one), so whether a version is
    kept comes as a boolean and a version compares as text."""
    audience = viewer(exercise, team)
    # the marking definitions are added first, at MARKINGS_CREATED: a page that starts later has none of them;
    # and each has one version, so the versions below are looked up without them
    starts = max(
        (bound for bound in (filters.cursor and filters.cursor[0], filters.added_after) if bound), default=None
    )
    visible = selectors.stix_objects(audience, markings=False)  # built once: a team's is two subqueries
    rows = selectors.stix_objects(audience) if starts is None or starts <= MARKINGS_CREATED else visible
    if filters.cursor is not None:
        added, after_id = filters.cursor
        # (added, stix_id) after the cursor's, with the start of the index range spelt out (added >= the cursor's),
        # so that the database reads the page off the index even before it has statistics of a new collection
        rows = rows.filter(Q(added__gte=added) & (Q(added__gt=added) | Q(stix_id__gt=after_id)))
    later = visible if audience.is_player else None
    if filters.added_after is not None:
        rows = rows.filter(added__gt=filters.added_after)
        if later is not None:
            later = later.filter(added__gt=filters.added_after)
    if filters.ids:
        rows = rows.filter(stix_id__in=filters.ids)
    if filters.types:
        rows = rows.filter(type__in=filters.types)
    fields = ["stix_id", "added", "version" if manifest else "body", "version_key"]
    rows = rows.annotate(version_key=Cast("version", CharField()))
    kept = _kept(exercise, later, filters)
    if kept is not None:
        rows = rows.annotate(kept=kept)
        fields.append("kept")
    rows = rows.order_by("added", "stix_id", "version", "-source").values_list(*fields)
    want = filters.limit + 1
    page, seen, start, size = [], set(), 0, want + want // 4
    while len(page) < want:
        chunk = list(rows[start : start + size])
        for object_id, added, sent, version_key, *kept in chunk:
            if (object_id, version_key) in seen or (kept and not kept[0]):  # kept: [] when every version is
                continue
            seen.add((object_id, version_key))
            page.append(Stored(object_id, added, version=sent) if manifest else Stored(object_id, added, body=sent))
        if len(chunk) < size:
            break
        start += len(chunk)
    return page[:want]


def versions_of(exercise, team: str | None, object_id: str) -> list[datetime]:
    """Every version of one object in the audience's collection, oldest first."""
    rows = selectors.stix_objects(viewer(exercise, team)).filter(stix_id=object_id)
    return sorted(set(rows.values_list("version", flat=True)))

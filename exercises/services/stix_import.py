"""A STIX 2.1 bundle imported as a team's shared assessment (from the share page or a TAXII POST).

The bundle is checked whole before anything is written: parsed object by object with the `stix2`
library (allow_custom=False), one Report (the assessment), every marking it refers to known. The
marking chosen for the share may not reach further, nor be lower, than any object's own marking;
then the share goes through services/sharing.share_assessment like one made in the browser (its
checks against the source inject, its journal event, its live push to the recipients' pages).
An error names the object and the field; nothing is stored.

The Report may carry Conjunction's property extension (stix.EXTENSION_ID): a structured assessment
(assessed cause, attributed actor, confidence, course of action; checked as a response's is) kept in the
journal and exported again, and a downgrade's reason and removals. A new version of a Report the team
already shared (the same id, a later `modified`) under a less restrictive marking is a downgrade: it needs
downgrade_reason and downgrade_removed (from the extension, or the import form) and becomes a new
version beside the earlier one, never an edit. An Artifact carrying a CCSDS CDM (NDM/XML or KVN, as the
exports carry it) of the source's screened conjunction is shared as the CDM attachment, as in the browser.
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

import stix2
import stix2.exceptions
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from exercises import cdm, selectors, stix
from exercises.models import Classification, Inject, Releasability, SharedAssessment, Team
from exercises.orbits.elements import ElementsError
from exercises.orbits.messages import parse_cdm
from exercises.services import Conflict, ServiceError
from exercises.services.responses import check_assessment
from exercises.services.sharing import CLASSIFICATION_ORDER, share_assessment

MAX_BUNDLE_BYTES = 1024 * 1024

# TLP markings (2.0, and the 1.0 ones the stix2 library has) → the releasability they allow.
TLP_RELEASABILITY = {
    **{stix.TLP2_IDS[level]: Releasability.ALL_ALLIES for level in ("clear", "green")},
    **{stix.TLP2_IDS[level]: Releasability.NATIONAL for level in ("amber", "amber+strict", "red")},
    stix2.TLP_WHITE.id: Releasability.ALL_ALLIES,
    stix2.TLP_GREEN.id: Releasability.ALL_ALLIES,
    stix2.TLP_AMBER.id: Releasability.NATIONAL,
    stix2.TLP_RED.id: Releasability.NATIONAL,
}


class BundleError(ServiceError):
    """A bundle refused for what it is (malformed, too large, unmarked): names the object and field."""

    status = 400


@dataclass
class Imported:
    assessment: object
    report_id: str
    object_ids: list
    status_id: str


def parse_bundle(bundle_text: str | bytes) -> list:
    """The bundle's objects, parsed and validated by stix2 (allow_custom=False); BundleError otherwise."""
    size = len(bundle_text if isinstance(bundle_text, bytes) else bundle_text.encode())
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(
            gettext("bundle: %(size)d bytes is larger than the limit of %(max)d bytes (1 MB).")
            % {"size": size, "max": MAX_BUNDLE_BYTES}
        )
    try:
        data = json.loads(bundle_text)
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleError(gettext("bundle: not JSON (%(error)s).") % {"error": error}) from None
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise BundleError(gettext("bundle: type: a STIX 2.1 bundle has type 'bundle'."))
    objects = data.get("objects")
    if not isinstance(objects, list) or not objects:
        raise BundleError(gettext("%(id)s: objects: the bundle carries no objects.") % {"id": data.get("id", "bundle")})
    parsed = []
    for index, raw in enumerate(objects):
        name = raw.get("id") if isinstance(raw, dict) and raw.get("id") else f"objects[{index}]"
        if not isinstance(raw, dict):
            raise BundleError(gettext("%(id)s: not a STIX object.") % {"id": name})
        if raw.get("spec_version") != "2.1" and raw.get("type") not in _SCO_TYPES:
            raise BundleError(gettext("%(id)s: spec_version: must be '2.1'.") % {"id": name})
        try:
            parsed.append(stix2.parse(raw, allow_custom=False))
        except stix2.exceptions.STIXError as error:
            raise BundleError(f"{name}: {_field(error)}{error}") from None
        except (ValueError, TypeError) as error:
            raise BundleError(f"{name}: {error}") from None
    return parsed


_SCO_TYPES = {"artifact", "ipv4-addr", "ipv6-addr", "domain-name", "url", "file", "email-addr", "mac-addr"}


def _field(error) -> str:
    if getattr(error, "prop_name", None):
        return f"{error.prop_name}: "
    if getattr(error, "properties", None):
        return f"{', '.join(error.properties)}: "
    return ""


def object_marking(obj, definitions: dict, team: str) -> stix.Marking | None:
    """What an object's markings allow (its statement banner, else its TLP), or None when unmarked."""
    refs = list(getattr(obj, "object_marking_refs", None) or [])
    if not refs:
        return None
    statement = None
    tlp = None
    for ref in refs:
        if ref in TLP_RELEASABILITY:
            tlp = TLP_RELEASABILITY[ref]
            continue
        definition = definitions.get(ref)
        if definition is None:
            raise BundleError(
                gettext("%(id)s: object_marking_refs: %(ref)s is neither in the bundle nor a TLP marking.")
                % {"id": obj.id, "ref": ref}
            )
        text = (
            definition.get("definition", {}).get("statement")
            if definition.get("definition_type") == "statement"
            else None
        )
        marking = stix.parse_banner(text or "")
        if marking is None:
            raise BundleError(
                gettext(
                    "%(ref)s: definition.statement: not an exercise marking "
                    "(e.g. 'EXERCISE SECRET // REL TO USA, GBR')."
                )
                % {"ref": ref}
            )
        statement = marking
    if statement is not None:
        return statement
    if tlp is not None:
        owners = frozenset({team}) if tlp == Releasability.NATIONAL else frozenset()
        return stix.Marking(Classification.UNCLASSIFIED, tlp, owners=owners)
    return None


def _reach(marking: stix.Marking, teams: list[str]) -> set[str]:
    return {code for code in teams if marking.permits(code)}


@transaction.atomic
def import_bundle(
    *,
    exercise,
    participant,
    bundle_text,
    marking: stix.Marking | None = None,
    recipients=None,
    source=None,
    downgrade_reason: str = "",
    downgrade_removed: str = "",
    via: str = "upload",
) -> Imported:
    """Share the bundle's Report as the participant's team's assessment.

    `marking`: the one chosen at import (None: the Report's own marking, as a TAXII POST carries it).
    `recipients`: the allied teams (None: every other team the marking admits). `source`: the inject or
    response it draws on (None: the inject whose Report the Report's object_refs name)."""
    if not participant.is_player or participant.exercise_id != exercise.pk:
        raise ServiceError(gettext("Teams share assessments; facilitators and evaluators observe them."))
    team = participant.team_id
    status_id = str(uuid.uuid4())
    objects = parse_bundle(bundle_text)
    reports = [obj for obj in objects if obj.type == "report"]
    if len(reports) != 1:
        raise BundleError(
            gettext("bundle: objects: carry exactly one report (the assessment), not %(count)d.")
            % {"count": len(reports)}
        )
    report = reports[0]
    definitions = {obj.id: obj for obj in objects if obj.type == "marking-definition"}
    own = object_marking(report, definitions, team)
    if marking is None:
        if own is None:
            raise BundleError(
                gettext(
                    "%(id)s: object_marking_refs: mark the report (a statement with the exercise banner, "
                    "or TLP 2.0) so that the server knows who may read it."
                )
                % {"id": report.id}
            )
        marking = (
            own
            if own.releasability != Releasability.NATIONAL
            else stix.Marking(own.classification, own.releasability, owners=frozenset({team}))
        )
    extension = _extension(report)
    downgrade_reason = downgrade_reason or extension.get("downgrade_reason", "")
    downgrade_removed = downgrade_removed or extension.get("downgrade_removed", "")
    teams = exercise.team_codes()
    chosen_reach = _reach(marking, teams)
    for obj in objects:
        if obj.type == "marking-definition":
            continue
        limit = object_marking(obj, definitions, team)
        if limit is None:
            continue
        beyond = sorted(chosen_reach - _reach(limit, teams) - {team})
        if beyond:
            raise ServiceError(
                gettext(
                    "%(id)s: object_marking_refs: it is marked %(limit)s; the marking %(marking)s "
                    "would release it to %(teams)s."
                )
                % {"id": obj.id, "limit": limit.banner, "marking": marking.banner, "teams": ", ".join(beyond)}
            )
        if CLASSIFICATION_ORDER.index(marking.classification) < CLASSIFICATION_ORDER.index(limit.classification):
            raise ServiceError(
                gettext("%(id)s: object_marking_refs: it is marked %(limit)s; the marking %(marking)s is lower.")
                % {"id": obj.id, "limit": limit.banner, "marking": marking.banner}
            )
    if source is None:
        source = _source_named(participant, report)
    if recipients is None:
        recipients = list(Team.objects.filter(code__in=sorted(chosen_reach - {team})))
    title = report.name
    text = _assessment_text(report, objects)
    if len(title) > 200:
        raise BundleError(gettext("%(id)s: name: longer than 200 characters.") % {"id": report.id})
    if len(text) > settings.CONJUNCTION_MAX_TEXT:
        raise BundleError(
            gettext("%(id)s: description: longer than %(max)d characters.")
            % {"id": report.id, "max": settings.CONJUNCTION_MAX_TEXT}
        )
    previous = _check_version(exercise, team, report)
    if previous is not None:
        _check_downgrade(report, marking, previous, teams, downgrade_reason, downgrade_removed)
    structured = _structured(report, source, extension)
    cdm_artifact = _cdm_artifact(exercise, source, report, objects)
    assessment = share_assessment(
        participant=participant,
        source=source,
        title=title,
        text=text,
        recipients=recipients,
        classification=marking.classification,
        releasability=marking.releasability,
        releasable_to=list(Team.objects.filter(code__in=sorted(marking.rel_to))),
        downgrade_reason=downgrade_reason,
        downgrade_removed=downgrade_removed,
        attach_cdm=cdm_artifact is not None,
        supersedes=previous,
        stix={
            "report": report.id,
            "created": report.created.isoformat(),
            "modified": report.modified.isoformat(),
            "objects": [[obj.id, _version(obj)] for obj in objects],
            "via": via,
            "status": status_id,
            **({"assessment": structured} if structured else {}),
            **({"cdm_artifact": cdm_artifact} if cdm_artifact else {}),
        },
    )
    return Imported(assessment, report.id, [obj.id for obj in objects], status_id)


def _version(obj) -> str | None:
    """An object's version as TAXII names it (its modified, or created; none for a cyber observable)."""
    version = obj.get("modified") or obj.get("created")
    return version.isoformat() if version is not None else None


def _source_named(participant, report):
    """The inject the Report draws on: one of its object_refs is the Report of an inject the team received."""
    by_report = {stix.inject_report_id(release.inject): release.inject for release in selectors.releases(participant)}
    for ref in report.object_refs:
        if ref in by_report:
            return selectors.visible_inject(participant, by_report[ref].pk)
    raise BundleError(
        gettext(
            "%(id)s: object_refs: name the Report of an inject your team received (from your collection), "
            "the source this assessment draws on."
        )
        % {"id": report.id}
    )


def _assessment_text(report, objects) -> str:
    """The Report's description, then one line per other object of the bundle it refers to."""
    by_id = {obj.id: obj for obj in objects}
    lines = [report.get("description", "") or ""]
    named = []
    for ref in report.object_refs:
        obj = by_id.get(ref)
        if obj is None or obj.type in ("identity", "marking-definition", "artifact"):
            continue
        label = obj.get("name") or obj.get("pattern") or obj.get("content") or obj.get("value") or ""
        named.append(f"- {obj.type.replace('-', ' ')}: {label}".rstrip(": "))
    if named:
        lines += ["", "STIX objects:", *named]
    return "\n".join(lines).strip() or report.name


def _check_version(exercise, team, report):
    """A Report id already shared must be this team's, and a new version of it must be later."""
    versions = [version for version in stix.assessment_versions(exercise.pk).items() if version[1].id == report.id]
    if not versions:
        return
    teams = set(
        SharedAssessment.objects.filter(pk__in=[pk for pk, _ in versions]).values_list("from_team_id", flat=True)
    )
    if teams != {team}:
        raise Conflict(
            gettext("%(id)s: id: another team's assessment; share yours under an id of its own.") % {"id": report.id}
        )
    latest_pk, latest = max(versions, key=lambda version: (version[1].modified, version[0]))
    if report.modified <= latest.modified:
        raise Conflict(
            gettext(
                "%(id)s: modified: this version (%(version)s) is not later than the one already shared (%(latest)s)."
            )
            % {"id": report.id, "version": report.modified.isoformat(), "latest": latest.modified.isoformat()}
        )
    return SharedAssessment.objects.prefetch_related("releasable_to", "recipients").get(pk=latest_pk)


EXTENSION_FIELD = f"extensions.{stix.EXTENSION_ID}"


def _extension(report) -> dict:
    """The Report's Conjunction extension (stix.EXTENSION_ID): its known properties, each a string."""
    values = dict((report.get("extensions") or {}).get(stix.EXTENSION_ID) or {})
    values.pop("extension_type", None)
    for name, value in values.items():
        if name not in stix.EXTENSION_PROPERTIES:
            raise BundleError(
                f"{report.id}: {EXTENSION_FIELD}.{name}: not a property of the extension "
                f"(it has {', '.join(stix.EXTENSION_PROPERTIES)})."
            )
        if not isinstance(value, str):
            raise BundleError(f"{report.id}: {EXTENSION_FIELD}.{name}: must be a string.")
    return values


def _check_downgrade(report, marking, previous, teams, reason, removed):
    """A new version less restrictive than the one already shared is a downgrade: it must say why and what it
    removed (the share then records it as one, services/sharing.share_assessment)."""
    prior = stix.Marking.of(previous)
    widened = sorted(_reach(marking, teams) - _reach(prior, teams))
    lowered = CLASSIFICATION_ORDER.index(marking.classification) < CLASSIFICATION_ORDER.index(prior.classification)
    if not (widened or lowered) or (reason.strip() and removed.strip()):
        return
    missing = "downgrade_reason" if not reason.strip() else "downgrade_removed"
    raise BundleError(
        f"{report.id}: {EXTENSION_FIELD}.{missing}: this version is marked {marking.banner}, less restrictive "
        f"than the version already shared ({prior.banner}): a downgrade. Give downgrade_reason (why) and "
        "downgrade_removed (what was removed or sanitised) in the Report's Conjunction extension."
    )


def _structured(report, source, extension) -> dict:
    """The structured assessment the extension carries, checked as a response's is; {} when it carries none."""
    given = {name: extension.get(name, "") for name in stix.ASSESSMENT_PROPERTIES}
    if not any(given.values()):
        return {}
    inject = source if isinstance(source, Inject) else source.inject
    try:
        return check_assessment(inject, given)
    except ServiceError as error:
        raise BundleError(f"{report.id}: {EXTENSION_FIELD}: {error.message}") from None


CDM_MEDIA_TYPES = ("application/xml", "text/xml", "text/plain")


def _cdm_artifact(exercise, source, report, objects) -> str | None:
    """The id of the Artifact the Report names that carries a CDM of the source's screened conjunction (NDM/XML
    or KVN), or None when it names none. A CDM of another conjunction, or one that does not parse, is refused."""
    artifacts = [obj for obj in objects if obj.type == "artifact" and obj.id in report.object_refs]
    found = None
    for artifact in artifacts:
        if artifact.get("mime_type") not in CDM_MEDIA_TYPES or not artifact.get("payload_bin"):
            raise BundleError(
                f"{artifact.id}: mime_type: an Artifact of an assessment carries a CDM "
                f"({', '.join(CDM_MEDIA_TYPES)}) in payload_bin."
            )
        try:
            message = parse_cdm(base64.b64decode(artifact.payload_bin).decode("utf-8"))
        except (ElementsError, binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise BundleError(f"{artifact.id}: payload_bin: not a CCSDS CDM ({error}).") from None
        conjunction = selectors.source_conjunction(source)
        if conjunction is None:
            raise BundleError(
                f"{artifact.id}: payload_bin: the source is bound to no screened conjunction, so there is no CDM "
                "to attach."
            )
        expected = cdm.conjunction_message_id(exercise, conjunction)
        if message.message_id != expected and not (
            message.message_id.startswith(f"CONJUNCTION-EX{exercise.pk}-INJ")
            and message.message_id.endswith(f"-SCR{conjunction.pk}")
        ):
            raise BundleError(
                f"{artifact.id}: payload_bin: the CDM's MESSAGE_ID {message.message_id} is not of the source's "
                f"conjunction ({expected})."
            )
        if found is not None:
            raise BundleError(f"{artifact.id}: the Report names more than one CDM; attach one.")
        found = artifact.id
    return found

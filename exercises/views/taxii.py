"""A TAXII 2.1 server for the Combined Picture, under /taxii2/ (plain Django views).

- discovery (/taxii2/) lists one API root per exercise the token's participant plays in;
- an API root per exercise; in it a collection per team (what the team may see: the pages' selectors,
  through exercises/stix.py) and one for staff (the whole exercise). A player reads and writes its
  team's collection only; facilitators and evaluators read every collection and write none;
- objects (added_after, limit and next, match[id|type|version]), one object and its versions, the
  manifest, and POST of an envelope or bundle to a team's collection: it becomes the team's shared
  assessment (services/stix_import.py), live on the allies' pages its marking releases it to;
- authentication by a participant's API token, as HTTP Basic password or Bearer token; session cookies
  do not count here (no CSRF then). Every authenticated request is journaled as taxii.request with the
  token's id; the secret is in no log and no journal.
"""

import base64
import binascii
import dataclasses
import json
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django_ratelimit.core import is_ratelimited

from exercises import stix
from exercises.models import AuditEvent
from exercises.services import ServiceError, api_tokens, stix_import, stix_objects

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
PAGE_SIZE = 100  # the most objects one page carries


class TaxiiError(Exception):
    def __init__(self, status: int, title: str, description: str = ""):
        super().__init__(title)
        self.status, self.title, self.description = status, title, description


def taxii_response(data: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(data, status=status, content_type=TAXII, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: TaxiiError) -> JsonResponse:
    body = {"title": error.title, "http_status": str(error.status)}
    if error.description:
        body["description"] = error.description
    response = taxii_response(body, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Conjunction TAXII", Bearer realm="Conjunction TAXII"'
    return response


@sensitive_variables("header", "secret", "decoded")
def _secret(request) -> str:
    """The token from `Authorization: Bearer <token>` or HTTP Basic (any user name, the token as password)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def _accepts_taxii(request) -> bool:
    for item in request.headers.get("Accept", "").split(","):
        media = item.replace(" ", "").lower().split(";q=")[0]
        if media in ("application/taxii+json", "application/taxii+json;version=2.1"):
            return True
    return False


def taxii_view(*methods):
    """Authenticate by token, check the method, Accept and rate, journal the request; TAXII errors as JSON."""

    def decorator(view):
        @csrf_exempt
        @translation.override("en-gb")  # machine clients: TAXII bodies and errors in English whatever the language
        def wrapped(request, *args, **kwargs):
            token = api_tokens.token_for(_secret(request))
            try:
                if token is None or token.revoked_at is not None:
                    raise TaxiiError(401, "Authentication required", "Send an active API token (Basic or Bearer).")
                if request.method not in methods:
                    raise TaxiiError(405, "Method not allowed", f"Use {' or '.join(methods)}.")
                if not _accepts_taxii(request):
                    raise TaxiiError(406, "Not acceptable", f"Accept {TAXII}.")
                rate = settings.SUBMISSION_RATE if request.method == "POST" else settings.TAXII_READ_RATE
                if is_ratelimited(
                    request, group="taxii", key=lambda group, request: str(token.pk), rate=rate, increment=True
                ):
                    raise TaxiiError(429, "Too many requests", "Wait a moment, then send again.")
                response = view(request, token.participant, *args, **kwargs)
            except TaxiiError as error:
                response = error_response(error)
            if token is not None:
                api_tokens.record_request(
                    token=token,
                    method=request.method,
                    path=request.path,
                    status=response.status_code,
                    detail=getattr(response, "taxii_detail", ""),
                )
            return response

        return wrapped

    return decorator


# Collections: one per team audience and one for staff -------------------------------------------


def collection_id(exercise_id: int, team: str | None) -> str:
    return str(uuid.uuid5(stix.NAMESPACE, f"collection:{exercise_id}:{team or 'staff'}"))


def _exercise(participant, exercise_id):
    if participant.exercise_id != exercise_id:
        raise TaxiiError(404, "No such API root", "Your token belongs to another exercise.")
    return participant.exercise


def _audiences(participant):
    """The collections the participant may read: a player its team's; staff the staff one, then every team's (the
    teams read only when asked for beyond the staff one)."""
    if participant.is_player:
        yield participant.team_id
        return
    yield None
    yield from participant.exercise.team_codes()


def _collection(participant, collection: str) -> str | None:
    """The audience (team code, or None for staff) of a collection the participant may read; 404 otherwise."""
    for audience in _audiences(participant):
        if collection_id(participant.exercise_id, audience) == collection:
            return audience
    raise TaxiiError(404, "No such collection", "Not a collection your token may read.")


def _collection_resource(participant, audience) -> dict:
    exercise = participant.exercise
    return {
        "id": collection_id(exercise.pk, audience),
        "title": f"{audience} Combined Picture" if audience else "Exercise control: the whole exercise",
        "description": (
            f"What {audience} may see of {exercise.name}: injects released to it, assessments it shared or received."
            if audience
            else f"Everything of {exercise.name}: every released inject and shared assessment."
        ),
        "can_read": True,
        "can_write": participant.is_player and participant.team_id == audience,
        "media_types": [STIX],
    }


# Resources ---------------------------------------------------------------------------------------


@taxii_view("GET")
def discovery(request, participant):
    root = request.build_absolute_uri(reverse("taxii-api-root", args=[participant.exercise_id]))
    return taxii_response(
        {
            "title": "Conjunction TAXII 2.1",
            "description": "The Combined Picture of an allied space-crisis exercise, as STIX 2.1.",
            "default": root,
            "api_roots": [root],
        }
    )


@taxii_view("GET")
def api_root(request, participant, exercise_id):
    exercise = _exercise(participant, exercise_id)
    return taxii_response(
        {
            "title": exercise.name,
            "description": "One collection per team audience and one for exercise control.",
            "versions": [TAXII],
            "max_content_length": stix_import.MAX_BUNDLE_BYTES,
        }
    )


@taxii_view("GET")
def collections(request, participant, exercise_id):
    _exercise(participant, exercise_id)
    return taxii_response(
        {"collections": [_collection_resource(participant, audience) for audience in _audiences(participant)]}
    )


@taxii_view("GET")
def collection(request, participant, exercise_id, collection_uuid):
    _exercise(participant, exercise_id)
    return taxii_response(_collection_resource(participant, _collection(participant, str(collection_uuid))))


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(name: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TaxiiError(400, "Bad filter", f"{name}: not a timestamp (e.g. 2031-03-14T06:00:00.000Z).") from None
    if parsed.tzinfo is None:
        raise TaxiiError(400, "Bad filter", f"{name}: give the time zone (Z for UTC).")
    return parsed


def _filters(request) -> stix.Filters:
    """The request's filters (TAXII 2.1 §3.4) and page: after the `next` cursor (date added and id of the last
    one sent), at most `limit`."""
    added_after = request.GET.get("added_after")
    after = _parse_time("added_after", added_after) if added_after else None
    ids = frozenset(value for value in request.GET.get("match[id]", "").split(",") if value)
    types = frozenset(value for value in request.GET.get("match[type]", "").split(",") if value)
    wanted = [value for value in request.GET.get("match[version]", "last").split(",") if value]
    versions = tuple(
        want if want in ("all", "last", "first") else _parse_time("match[version]", want) for want in wanted
    )
    try:
        limit = min(int(request.GET.get("limit", PAGE_SIZE)), PAGE_SIZE)
    except ValueError:
        raise TaxiiError(400, "Bad filter", "limit: a whole number.") from None
    if limit < 1:
        raise TaxiiError(400, "Bad filter", "limit: at least 1.")
    cursor = request.GET.get("next")
    key = None
    if cursor:
        try:
            added, _, after_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
            key = (datetime.fromisoformat(added), after_id)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise TaxiiError(400, "Bad filter", "next: not a cursor this server gave.") from None
    return stix.Filters(cursor=key, added_after=after, ids=ids, types=types, versions=versions, limit=limit)


def _db_page(request, exercise, audience, *, object_id=None, manifest=False) -> tuple[list, str | None]:
    """One page of the collection, read from the stored objects (stix.page_for), and its cursor. A read (a page
    without `next`) first stores what was released or shared since the last; the pages that follow its `next`
    cursor go on through the stored objects."""
    filters = _filters(request)
    if object_id:
        filters = dataclasses.replace(filters, ids=frozenset({object_id}))
    if filters.cursor is None:
        stix_objects.store_new(exercise)
    entries = stix.page_for(exercise, audience, filters, manifest=manifest)
    page = entries[: filters.limit]
    token = None
    if len(entries) > filters.limit:
        token = base64.urlsafe_b64encode(f"{page[-1].added.isoformat()}|{page[-1].id}".encode()).decode()
    return page, token


def _page_headers(page) -> dict:
    if not page:
        return {}
    return {
        "X-TAXII-Date-Added-First": _timestamp(page[0].added),
        "X-TAXII-Date-Added-Last": _timestamp(page[-1].added),
    }


def _paged_response(page, token, body_key, render):
    body = {"more": token is not None, body_key: [render(entry) for entry in page]}
    if token:
        body["next"] = token
    return taxii_response(body, headers=_page_headers(page))


def _objects_response(page, token) -> HttpResponse:
    """An envelope of stored objects: their JSON as it was stored, in the envelope's list unparsed."""
    head = json.dumps({"more": token is not None, **({"next": token} if token else {})})
    content = f'{head[:-1]}, "objects": [{",".join(entry.body for entry in page)}]}}'
    response = HttpResponse(content, content_type=TAXII)
    for name, value in _page_headers(page).items():
        response[name] = value
    return response


@taxii_view("GET", "POST")
def objects(request, participant, exercise_id, collection_uuid):
    exercise = _exercise(participant, exercise_id)
    audience = _collection(participant, str(collection_uuid))
    if request.method == "POST":
        return _add_objects(request, participant, exercise, audience)
    page, token = _db_page(request, exercise, audience)
    return _objects_response(page, token)


@taxii_view("GET")
def manifest(request, participant, exercise_id, collection_uuid):
    exercise = _exercise(participant, exercise_id)
    audience = _collection(participant, str(collection_uuid))
    page, token = _db_page(request, exercise, audience, manifest=True)
    return _paged_response(
        page,
        token,
        "objects",
        lambda entry: {
            "id": entry.id,
            "date_added": _timestamp(entry.added),
            "version": _timestamp(entry.version),
            "media_type": STIX,
        },
    )


@taxii_view("GET")
def object_detail(request, participant, exercise_id, collection_uuid, object_id):
    exercise = _exercise(participant, exercise_id)
    audience = _collection(participant, str(collection_uuid))
    page, token = _db_page(request, exercise, audience, object_id=object_id)
    if not page and "next" not in request.GET:
        raise TaxiiError(404, "No such object", f"{object_id} is not in this collection.")
    return _objects_response(page, token)


@taxii_view("GET")
def object_versions(request, participant, exercise_id, collection_uuid, object_id):
    exercise = _exercise(participant, exercise_id)
    audience = _collection(participant, str(collection_uuid))
    stix_objects.store_new(exercise)
    versions = stix.versions_of(exercise, audience, object_id)
    if not versions:
        raise TaxiiError(404, "No such object", f"{object_id} is not in this collection.")
    return taxii_response({"more": False, "versions": [_timestamp(version) for version in versions]})


def _add_objects(request, participant, exercise, audience):
    if not (participant.is_player and participant.team_id == audience):
        raise TaxiiError(403, "Read only", "Only the team itself adds to its collection.")
    media = request.content_type.replace(" ", "").lower()
    version = request.content_params.get("version", "2.1")
    if media not in ("application/taxii+json", "application/stix+json") or version != "2.1":
        raise TaxiiError(415, "Unsupported media type", f"Send {TAXII} (an envelope) or {STIX} (a bundle).")
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > stix_import.MAX_BUNDLE_BYTES:
        raise TaxiiError(413, "Too large", f"The body is larger than {stix_import.MAX_BUNDLE_BYTES} bytes (1 MB).")
    try:
        raw = request.body
    except RequestDataTooBig:  # a body sent without its length, found too large as it was read
        raise TaxiiError(413, "Too large", f"The body is larger than {stix_import.MAX_BUNDLE_BYTES} bytes.") from None
    body = _as_bundle(raw)
    requested = timezone.now()
    try:
        imported = stix_import.import_bundle(exercise=exercise, participant=participant, bundle_text=body, via="taxii")
    except ServiceError as error:
        response = error_response(TaxiiError(error.status if error.status < 500 else 400, "Not added", error.message))
        response.taxii_detail = error.message
        return response
    return taxii_response(_status(imported.status_id, requested, _versions(imported)), 202)


def _as_bundle(body: bytes):
    """A TAXII envelope ({"objects": [...]}) as the bundle import_bundle reads; a bundle as it is."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body  # import_bundle names the problem
    if isinstance(data, dict) and "type" not in data and isinstance(data.get("objects"), list):
        return json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": data["objects"]})
    return body


def _versions(imported) -> list:
    event = AuditEvent.objects.get(kind="assessment.shared", object_id=str(imported.assessment.pk))
    return event.payload["stix"]["objects"]


def _status(status_id: str, requested: datetime, objects: list) -> dict:
    successes = [
        {"id": object_id, **({"version": _timestamp(datetime.fromisoformat(version))} if version else {})}
        for object_id, version in objects
    ]
    return {
        "id": status_id,
        "status": "complete",
        "request_timestamp": _timestamp(requested),
        "total_count": len(successes),
        "success_count": len(successes),
        "successes": successes,
        "failure_count": 0,
        "pending_count": 0,
    }


@taxii_view("GET")
def status(request, participant, exercise_id, status_id):
    exercise = _exercise(participant, exercise_id)
    event = (
        AuditEvent.objects.filter(exercise=exercise, kind="assessment.shared", payload__stix__status=str(status_id))
        .order_by()
        .first()
    )
    if event is None or (participant.is_player and event.payload.get("from") != participant.team_id):
        raise TaxiiError(404, "No such status", f"{status_id} is not a status of your team's.")
    return taxii_response(_status(str(status_id), event.occurred_at, event.payload["stix"]["objects"]))

"""HTML fragments pushed over websockets, rendered from the same partials as the pages.

Each function renders once; the caller sends the string to a whole group.
"""

import logging
import threading

from django.core.cache import cache
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import translation

from exercises import conjunction_text, selectors
from exercises import timeline as msel_timeline
from exercises.coalition import coalition_report
from exercises.forms_manoeuvres import ManoeuvreForm
from exercises.models import AuditEvent

logger = logging.getLogger(__name__)

FRAGMENTS = "exercises/fragments.html"
TIMELINE = "exercises/_timeline.html"


def _render(partial: str, context: dict) -> str:
    return render_to_string(f"{FRAGMENTS}#{partial}", context)


def released_inject(release) -> str:
    """A newly released inject, prepended to a team's feed (a conjunction inject with its screened event)."""
    inject = release.inject
    return _render(
        "inject-push",
        {
            "release": release,
            "inject": inject,
            "conjunction_cards": conjunction_text.cards([inject]),
            "space_data": selectors.inject_space_data([inject], inject.exercise_id),
        },
    )


def replaced_conjunction_cards(releases, conjunction_cards: dict, acks: dict) -> str:
    """A team's released conjunction injects, each replacing its card on the team's pages (after a screening)."""
    return _render("inject-card-replace", {"releases": releases, "conjunction_cards": conjunction_cards, "acks": acks})


def msel_row(inject, *, can_control: bool, conjunction_cards: dict | None = None) -> str:
    """One MSEL row for the console; facilitators get its controls, evaluators do not. `conjunction_cards`:
    conjunction_text.cards([inject]) when the caller has it already."""
    if conjunction_cards is None:
        conjunction_cards = conjunction_text.cards([inject])
    return _render(
        "msel-row", {"inject": inject, "can_control": can_control, "oob": True, "conjunction_cards": conjunction_cards}
    )


def new_response(response) -> str:
    """A submitted response, prepended to the responses feed (team page and console alike)."""
    return _render("response-push", {"response": response})


def clock(exercise) -> str:
    return _render("clock", {"exercise": exercise, "oob": True})


def clock_controls(exercise) -> str:
    """Start / pause / resume / end buttons that fit the exercise's status (facilitators only)."""
    return _render("clock-controls", {"exercise": exercise, "oob": True})


def acknowledgement(inject, ack) -> str:
    """Replaces the inject's Acknowledge button on the team's pages."""
    return _render("acknowledgement", {"inject": inject, "ack": ack, "oob": True})


def new_message(message) -> str:
    return _render("message-push", {"message": message})


def delivery_row(exercise, inject_id: int) -> str:
    """One inject's row of the staff's delivery matrix, replacing itself (acknowledged, responded). Empty if
    the inject is not released (nothing to show)."""
    teams, row = selectors.delivery_row(exercise, inject_id)
    if row is None:
        return ""
    return _render("delivery-row-push", {"matrix_teams": teams, "row": row, "new": False})


def new_delivery_row(inject, teams, now_time) -> str:
    """A just-released inject's row, appended to the staff's delivery matrix (rows are in order of release);
    `inject` as selectors.msel_injects gives it."""
    row = selectors.new_delivery_row(inject, teams, now_time)
    return _render("delivery-row-push", {"matrix_teams": teams, "row": row, "new": True})


def coverage(exercise) -> str:
    """The staff's protocol-step coverage table, per team."""
    return _render("coverage", {"coverage": selectors.protocol_coverage(exercise), "oob": True})


def timeline(exercise) -> str:
    """The staff's MSEL timeline (exercises/timeline.py), replacing itself."""
    return render_to_string(TIMELINE, {"timeline": msel_timeline.timeline(exercise), "oob": True})


def presence(exercise) -> str:
    return _render("presence", {"presence": selectors.presence(exercise), "oob": True})


def delivery_context(exercise) -> dict:
    teams, rows = selectors.delivery_matrix(exercise)
    return {"matrix_teams": teams, "matrix_rows": rows, "coverage": selectors.protocol_coverage(exercise)}


def team_context(participant) -> dict:
    """What a team page shows: the same for the page and for the state sent on (re)connect."""
    exercise = participant.exercise
    releases = list(selectors.releases(participant))
    return {
        "exercise": exercise,
        "participant": participant,
        "releases": releases,
        "conjunction_cards": conjunction_text.cards([release.inject for release in releases], exercise),
        "space_data": selectors.inject_space_data([release.inject for release in releases], exercise.pk),
        "responses": selectors.responses(participant),
        "messages": selectors.messages(participant),
        "assessments": selectors.assessments_for(participant),
        "acks": selectors.acknowledged(exercise.pk, participant.team_id),
        "manoeuvres": selectors.manoeuvres(participant),
    }


def console_context(participant) -> dict:
    exercise = participant.exercise
    injects = selectors.msel(exercise)
    return {
        "exercise": exercise,
        "participant": participant,
        "injects": injects,
        "conjunction_cards": conjunction_text.cards(injects, exercise),
        "responses": selectors.responses(participant),
        "messages": selectors.messages(participant),
        "assessments": selectors.assessments_for(participant),
        "sharing": selectors.sharing_matrix(exercise),
        "presence": selectors.presence(exercise),
        "can_control": participant.is_facilitator,
        "manoeuvres": selectors.manoeuvres(participant),
        "debris_clouds": selectors.debris_clouds(exercise),
        "timeline": msel_timeline.timeline(exercise),
        "coalition": coalition_report(exercise),
        **delivery_context(exercise),
    }


# The state a team socket is sent on (re)connect, rendered once per team and version of the exercise.
TEAM_STATE_SECONDS = 300  # bounds what the journal does not see (a team or user renamed in the admin)


def journal_version(exercise_id: int) -> tuple[int, int | None]:
    """The exercise's version as its journal tells it: (number of events, newest id), presence left out.

    Every write a team page shows goes through a service that journals it in the same transaction, and
    the journal is append-only, so the count grows with every committed write (the newest id alone would
    not: on PostgreSQL a transaction may commit after one that took a later id)."""
    version = (
        AuditEvent.objects.filter(exercise_id=exercise_id)
        .exclude(kind__startswith="presence.")
        .exclude(kind__startswith="taxii.")  # API tokens and TAXII requests: nothing a team page shows
        .aggregate(events=Count("id"), head=Max("id"))
    )
    return version["events"], version["head"]


def team_state(participant) -> str:
    """Everything a team page shows, sent on every (re)connect so nothing is lost.

    The feeds depend only on the exercise and the team (not on the player), so they are rendered once
    per team and journal version and shared through the cache by every socket of the team; the clock
    is rendered fresh on every call."""
    exercise = participant.exercise
    clock_html = _render("clock", {"exercise": exercise, "oob": True})
    if participant.team_id is None:
        return clock_html + _render("team-feeds", {**team_context(participant), "oob": True})
    key = team_state_key(participant)
    version = journal_version(exercise.pk)
    cached = _cached_feeds(key, participant.team_id, version)
    if cached is not None:
        return clock_html + cached
    # After a restart a team's 30 pages reconnect within a second or two, all missing the cache: one
    # thread renders (hundreds of ms with a hundred injects), the others wait for it and read the cache.
    with _rendering(key):
        cached = _cached_feeds(key, participant.team_id, version)
        if cached is not None:
            return clock_html + cached
        feeds_html = _render("team-feeds", {**team_context(participant), "oob": True})
        _cache_set(key, {"team": participant.team_id, "version": version, "html": feeds_html})
    return clock_html + feeds_html


def _cached_feeds(key: str, team_id: str, version) -> str | None:
    """The team's feeds kept under `key`, if they are this team's at this journal version."""
    cached = _cache_get(key)
    if cached is not None and cached["team"] == team_id and cached["version"] == version:
        return cached["html"]
    return None


_render_locks: dict[str, threading.Lock] = {}
_render_locks_guard = threading.Lock()


def _rendering(key: str) -> threading.Lock:
    """The lock under which this process renders the state of `key` (one per exercise and team)."""
    with _render_locks_guard:
        return _render_locks.setdefault(key, threading.Lock())


def team_state_key(participant) -> str:
    """One cache entry per exercise, team and language (a later version replaces it). The exercise's creation
    time tells apart exercises that reuse an id (a database restored or reset under a kept Redis)."""
    exercise = participant.exercise
    language = translation.get_language()
    return f"team-state:{exercise.pk}:{exercise.created_at.timestamp()}:{participant.team_id}:{language}"


def _cache_errors() -> tuple:
    """What a failing cache raises. Imported when one is raised (an `except` clause evaluates its expression only
    then): importing the redis package costs ~0.1-0.2 s, and this module is on the URLconf's import path, so every
    process that reverses a URL (`manage.py export_aar` rendering the HTML report) paid it without using Redis."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


def _cache_get(key: str):
    try:
        return cache.get(key)
    except _cache_errors():
        logger.warning("Cache unavailable; rendering the team state afresh", exc_info=True)
        return None


def _cache_set(key: str, value) -> None:
    try:
        cache.set(key, value, TEAM_STATE_SECONDS)
    except _cache_errors():
        logger.warning("Cache unavailable; the team state was not kept", exc_info=True)


def control_state(participant) -> str:
    return _render("control-state", {**console_context(participant), "oob": True})


DEBRIS = "exercises/_debris_console.html"


def debris_console(exercise, clouds, *, can_control: bool) -> str:
    """The console's debris section (selectors.debris_clouds): each ASAT test's cloud and its drafted injects,
    with their Release, Edit and Discard controls for facilitators."""
    return render_to_string(
        f"{DEBRIS}#debris-console",
        {"exercise": exercise, "debris_clouds": clouds, "can_control": can_control, "oob": True},
    )


def msel_body(exercise, injects, *, can_control: bool, conjunction_cards: dict | None = None) -> str:
    """The console's whole MSEL, replacing its rows (drafted injects joined it, in scheduled order)."""
    if conjunction_cards is None:
        conjunction_cards = conjunction_text.cards(injects, exercise)
    return render_to_string(
        f"{DEBRIS}#msel-body",
        {"injects": injects, "can_control": can_control, "conjunction_cards": conjunction_cards},
    )


def discarded_inject(inject_id: int) -> str:
    """Removes a discarded inject's MSEL row from the console."""
    return render_to_string(f"{DEBRIS}#discarded-inject", {"inject_id": inject_id})


def assessment(shared, *, viewer_team: str | None, new: bool) -> str:
    """A shared assessment's card for one audience: a recipient team (who may acknowledge) or the
    sender and staff (viewer_team None). New cards are prepended to the Combined Picture; later
    versions (acknowledgements, comments) replace the card in place."""
    return _render("assessment-push", {"assessment": shared, "viewer_team": viewer_team, "new": new})


def sharing(exercise) -> str:
    return _render("sharing", {"sharing": selectors.sharing_matrix(exercise), "oob": True})


def coalition(exercise) -> str:
    """The console's coalition panel (templates/exercises/_coalition.html), replacing itself."""
    return render_to_string(
        "exercises/_coalition.html#coalition-panel", {"coalition": coalition_report(exercise), "oob": True}
    )


def committed_manoeuvre(manoeuvre) -> str:
    """A committed burn, prepended to the manoeuvres on the console and the team's page."""
    return render_to_string("exercises/_manoeuvres.html#manoeuvre-push", {"manoeuvre": manoeuvre})


# The team's manoeuvre planner (views/manoeuvres.py) ------------------------------------------------


def planner_entry(exercise, conjunction, inject, form=None, outcome=None) -> dict:
    return {
        "conjunction": conjunction,
        "inject": inject,
        "form": form or ManoeuvreForm(inject=inject),
        "outcome": outcome,
        "tca_time": exercise.exercise_time_of(conjunction.tca),
    }


def planner_context(participant, *, replace=None) -> dict:
    """The planner's entries (one per conjunction of the team's satellites it was warned of) and the team's
    manoeuvres; `replace` maps a conjunction id to the entry to show instead of a blank form."""
    exercise = participant.exercise
    replace = replace or {}
    entries = [
        replace.get(conjunction.pk) or planner_entry(exercise, conjunction, inject)
        for conjunction, inject in selectors.planner_conjunctions(participant)
    ]
    return {
        "exercise": exercise,
        "participant": participant,
        "planner": entries,
        "manoeuvres": selectors.manoeuvres(participant),
    }


def manoeuvre_planner(participant) -> str:
    """The team's planner replacing itself (a warning of a conjunction of its satellite was released, or a
    screening changed the conjunctions): the same for every player of the team. Its forms post with the
    page's CSRF header (base.html), so the fragment carries no token."""
    return render_to_string("exercises/_manoeuvre_planner.html#planner", {**planner_context(participant), "oob": True})

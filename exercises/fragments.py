"""HTML fragments pushed over websockets, rendered from the same partials as the pages.

Each function renders once; the caller sends the string to a whole group.
"""

from django.template.loader import render_to_string

from exercises import selectors

FRAGMENTS = "exercises/fragments.html"


def _render(partial: str, context: dict) -> str:
    return render_to_string(f"{FRAGMENTS}#{partial}", context)


def released_inject(release) -> str:
    """A newly released inject, prepended to a team's feed."""
    return _render("inject-push", {"release": release, "inject": release.inject})


def msel_row(inject, *, can_control: bool) -> str:
    """One MSEL row for the console; facilitators get its controls, evaluators do not."""
    return _render("msel-row", {"inject": inject, "can_control": can_control, "oob": True})


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


def delivery(exercise) -> str:
    """The team × inject matrix with protocol coverage, for staff."""
    return _render("delivery", {**delivery_context(exercise), "oob": True})


def presence(exercise) -> str:
    return _render("presence", {"presence": selectors.presence(exercise), "oob": True})


def delivery_context(exercise) -> dict:
    teams, rows = selectors.delivery_matrix(exercise)
    return {"matrix_teams": teams, "matrix_rows": rows, "coverage": selectors.protocol_coverage(exercise)}


def team_context(participant) -> dict:
    """What a team page shows: the same for the page and for the state sent on (re)connect."""
    exercise = participant.exercise
    return {
        "exercise": exercise,
        "participant": participant,
        "releases": selectors.releases(participant),
        "responses": selectors.responses(participant),
        "messages": selectors.messages(participant),
        "assessments": selectors.assessments_for(participant),
        "acks": selectors.acknowledged(exercise.pk, participant.team_id),
    }


def console_context(participant) -> dict:
    exercise = participant.exercise
    return {
        "exercise": exercise,
        "participant": participant,
        "injects": selectors.msel(exercise),
        "responses": selectors.responses(participant),
        "messages": selectors.messages(participant),
        "assessments": selectors.assessments_for(participant),
        "sharing": selectors.sharing_matrix(exercise),
        "presence": selectors.presence(exercise),
        "can_control": participant.is_facilitator,
        **delivery_context(exercise),
    }


def team_state(participant) -> str:
    """Everything a team page shows, sent on every (re)connect so nothing is lost."""
    return _render("team-state", {**team_context(participant), "oob": True})


def control_state(participant) -> str:
    return _render("control-state", {**console_context(participant), "oob": True})


def assessment(shared, *, viewer_team: str | None, new: bool) -> str:
    """A shared assessment's card for one audience: a recipient team (who may acknowledge) or the
    sender and staff (viewer_team None). New cards are prepended to the Combined Picture; later
    versions (acknowledgements, comments) replace the card in place."""
    return _render("assessment-push", {"assessment": shared, "viewer_team": viewer_team, "new": new})


def sharing(exercise) -> str:
    return _render("sharing", {"sharing": selectors.sharing_matrix(exercise), "oob": True})

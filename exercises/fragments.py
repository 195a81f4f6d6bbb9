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


def team_state(participant) -> str:
    """Everything a team page shows, sent on every (re)connect so nothing is lost."""
    exercise = participant.exercise
    return _render(
        "team-state",
        {
            "exercise": exercise,
            "releases": selectors.releases_for_team(exercise.pk, participant.team_id),
            "responses": selectors.responses_for_team(exercise.pk, participant.team_id),
            "oob": True,
        },
    )


def control_state(participant) -> str:
    exercise = participant.exercise
    return _render(
        "control-state",
        {
            "exercise": exercise,
            "injects": selectors.msel(exercise),
            "responses": selectors.responses_for_exercise(exercise.pk),
            "can_control": participant.is_facilitator,
            "oob": True,
        },
    )

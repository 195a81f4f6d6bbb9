"""Staffing an exercise: who takes part, added one at a time or from a CSV roster; invitations and login cards.

Every view is for the exercise's facilitators (participant_required: no role → 404, another role → 403).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from exercises import invitations
from exercises.forms_staffing import ParticipantForm, RosterConfirmForm, RosterForm
from exercises.models import Participant
from exercises.services import ServiceError, staffing
from exercises.services import exercises as exercise_services
from exercises.views.live import _refused, participant_required

PAGE = "exercises/participants.html"
FACILITATOR = Participant.Role.FACILITATOR
CONTROL = "control"  # the login cards of facilitators and evaluators


@dataclass
class Row:
    participant: Participant
    invitation: str  # the absolute invitation link while the account awaits its password, else ""
    awaiting: bool = True  # no password yet (without a link here: another exercise invited them)

    @property
    def never_logged_in(self) -> bool:
        return self.participant.user.last_login is None


def _teams(exercise) -> dict:
    return {team.code: team for team in exercise.teams.all()}


def _rows(request, exercise, people) -> list[Row]:
    """Each participant, with their invitation link if this exercise invited them and they have no password yet."""
    invited = invitations.invited_by(exercise)
    return [
        Row(p, request.build_absolute_uri(invitations.invitation_path(p.user)))
        if p.user_id in invited and invitations.awaiting_password(p.user)
        else Row(p, "", awaiting=invitations.awaiting_password(p.user))
        for p in people
    ]


def _page_context(request, exercise, **extra) -> dict:
    people = exercise.participants.select_related("user", "team").order_by("role", "team__order", "user__username")
    rows = _rows(request, exercise, people)
    teams = _teams(exercise)
    return {
        "exercise": exercise,
        "rows": rows,
        "never_logged_in": [row.participant for row in rows if row.never_logged_in],
        "teams": teams.values(),
        "expires_at": invitations.expires_at(),
        "form": extra.pop("form", None) or ParticipantForm(teams=teams, auto_id="person-%s"),
        "roster_form": extra.pop("roster_form", None) or RosterForm(auto_id="roster-%s"),
        **extra,
    }


def _redirect(request, url):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _change_initial(exercise, username) -> dict:
    """The form filled in with a participant's current role and team ("Change" on their row)."""
    if not username:
        return {}
    other = exercise.participants.select_related("user").filter(user__username=username).first()
    if other is None:
        return {}
    return {"username": username, "role": other.role, "team": other.team_id or ""}


def _report(request, exercise, staffed: list[staffing.Staffed], *, email: bool):
    """Say who was added; email the new accounts their invitation when asked."""
    created = [s.participant.user for s in staffed if s.created]
    if len(staffed) == 1:
        p = staffed[0].participant
        names = {"name": p.user.get_full_name() or p.user.get_username(), "username": p.user.get_username()}
        if p.team_id:
            text = gettext("%(name)s (%(username)s) takes part as %(role)s of %(team)s.") % {
                **names,
                "role": p.get_role_display().lower(),
                "team": p.team.name,
            }
        else:
            text = gettext("%(name)s (%(username)s) takes part as %(role)s.") % {
                **names,
                "role": p.get_role_display().lower(),
            }
    else:
        text = gettext("Added %(count)d people.") % {"count": len(staffed)}
    if created:
        accounts = ngettext(
            "%(count)d new account: invitation links below and on the login cards.",
            "%(count)d new accounts: invitation links below and on the login cards.",
            len(created),
        ) % {"count": len(created)}
        text += " " + accounts
    messages.success(request, text)
    if email and created:
        sent = invitations.email_invitations(created, exercise=exercise, build_absolute_uri=request.build_absolute_uri)
        if sent.emailed:
            messages.info(
                request,
                ngettext("%(count)d invitation emailed.", "%(count)d invitations emailed.", sent.emailed)
                % {"count": sent.emailed},
            )
        if sent.failed:
            messages.warning(
                request,
                gettext("Could not email %(people)s: give them their link or login card instead.")
                % {"people": ", ".join(sent.failed)},
            )


@require_http_methods(["GET", "POST"])
@participant_required(FACILITATOR)
def participants(request, participant):
    """The participants, who never logged in, and the forms that add people (one, or a roster)."""
    exercise = participant.exercise
    teams = _teams(exercise)
    initial = _change_initial(exercise, request.GET.get("change"))
    form = ParticipantForm(request.POST or None, teams=teams, initial=initial, auto_id="person-%s")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            person = staffing.person_from_form(form.cleaned_data)
            try:
                staffed = staffing.add_person(exercise=exercise, person=person, by=request.user)
            except ServiceError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                _report(request, exercise, [staffed], email=form.cleaned_data["email_invitation"])
                return redirect("participants", exercise.pk)
        else:
            status = 400
    return render(request, PAGE, _page_context(request, exercise, form=form), status=status)


def _roster_reply(request, exercise, status=200, **context):
    if request.htmx:
        return render(request, f"{PAGE}#roster", {"exercise": exercise, **context}, status=status)
    return render(request, PAGE, _page_context(request, exercise, **context), status=status)


@require_POST
@participant_required(FACILITATOR)
def import_participants(request, participant):
    """Preview a roster (nothing written), or write a previewed one (all of it, or nothing)."""
    exercise = participant.exercise
    if "roster" in request.POST:
        confirm = RosterConfirmForm(request.POST)
        if not confirm.is_valid():
            return _roster_reply(request, exercise, status=400, roster_form=RosterForm(auto_id="roster-%s"))
        text = confirm.cleaned_data["roster"]
        try:
            staffed = staffing.add_people(exercise=exercise, text=text, by=request.user)
        except staffing.InvalidRoster as error:
            return _roster_reply(
                request,
                exercise,
                status=400,
                roster_form=RosterForm(initial={"rows": text}, auto_id="roster-%s"),
                roster=error.roster,
                refused=True,
            )
        except ServiceError as error:
            return _refused(request, error)
        _report(request, exercise, staffed, email=confirm.cleaned_data["email_invitations"])
        return _redirect(request, reverse("participants", args=[exercise.pk]))

    form = RosterForm(request.POST, request.FILES, auto_id="roster-%s")
    if not form.is_valid():
        return _roster_reply(request, exercise, status=400, roster_form=form)
    text = form.cleaned_data["text"]
    return _roster_reply(
        request,
        exercise,
        roster_form=RosterForm(initial={"rows": text}, auto_id="roster-%s"),
        roster=staffing.read_roster(text, exercise=exercise),
        confirm_form=RosterConfirmForm(initial={"roster": text}, auto_id="confirm-%s"),
    )


@require_POST
@participant_required(FACILITATOR)
def remove(request, participant, participant_id):
    other = get_object_or_404(participant.exercise.participants.select_related("user", "exercise"), pk=participant_id)
    try:
        exercise_services.remove_participant(participant=other, by=request.user)
    except ServiceError as error:
        return _refused(request, error)
    return redirect("participants", participant.exercise_id)


@require_GET
@participant_required(FACILITATOR)
def login_cards(request, participant):
    """A printable card per person: name, team, role, user name, the app's address and the invitation link.

    ?team=USA prints one team's cards, ?team=control exercise control's."""
    exercise = participant.exercise
    teams = _teams(exercise)
    which = request.GET.get("team", "").strip()
    people = exercise.participants.select_related("user", "team").order_by("team__order", "role", "user__username")
    if which == CONTROL:
        people = people.filter(team__isnull=True)
    elif which:
        if which.upper() not in teams:
            raise Http404("That team does not take part in this exercise.")
        people = people.filter(team_id=which.upper())
    groups = {}
    for row in _rows(request, exercise, people):
        title = row.participant.team.name if row.participant.team_id else gettext("Exercise control")
        groups.setdefault(title, []).append(row)
    return render(
        request,
        "exercises/login_cards.html",
        {
            "exercise": exercise,
            "groups": groups.items(),
            "teams": teams.values(),
            "which": which.upper() if which != CONTROL else CONTROL,
            "login_url": request.build_absolute_uri(reverse("login")),
            "expires_at": invitations.expires_at(),
        },
    )

"""A participant's API tokens for the TAXII server: made (the secret shown once) and revoked."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from exercises.forms import ApiTokenForm
from exercises.models import ApiToken, Participant
from exercises.services import ServiceError, api_tokens
from exercises.views.live import STAFF, _refused, participant_required

EVERYONE = (Participant.Role.PLAYER, *STAFF)


def _context(request, participant, form, secret=None):
    exercise = participant.exercise
    mine = ApiToken.objects.filter(participant_id=participant.pk)
    others = (
        ApiToken.objects.filter(participant__exercise=exercise)
        .exclude(participant_id=participant.pk)
        .select_related("participant__user", "participant__team")
        if participant.role in STAFF
        else ApiToken.objects.none()
    )
    from exercises.views.taxii import collection_id  # here, not at the URLconf's import: it needs stix2 (views/lazy.py)

    audience = participant.team_id if participant.is_player else None
    return {
        "exercise": exercise,
        "participant": participant,
        "form": form,
        "secret": secret,
        "tokens": mine,
        "others": others,
        "discovery": request.build_absolute_uri(reverse("taxii-discovery")),
        "api_root": request.build_absolute_uri(reverse("taxii-api-root", args=[exercise.pk])),
        "collection": collection_id(exercise.pk, audience),
    }


@require_http_methods(["GET", "POST"])
@participant_required(*EVERYONE)
def tokens(request, participant):
    form = ApiTokenForm(request.POST or None)
    secret = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                _, secret = api_tokens.create_token(participant=participant, name=form.cleaned_data["name"])
            except ServiceError as error:
                form.add_error("name", error.message)
            else:
                form, status = ApiTokenForm(), 201
    response = render(request, "exercises/api_tokens.html", _context(request, participant, form, secret), status=status)
    response["Cache-Control"] = "no-store"  # the page that shows a secret once is kept by no cache
    return response


@require_POST
@participant_required(*EVERYONE)
def revoke(request, participant, token_id):
    """The token's owner revokes it; staff may revoke any token of their exercise."""
    token = (
        ApiToken.objects.select_related("participant__exercise")
        .filter(pk=token_id, participant__exercise_id=participant.exercise_id)
        .first()
    )
    if token is None or (token.participant_id != participant.pk and participant.role not in STAFF):
        raise Http404("No such token of yours.")
    try:
        api_tokens.revoke_token(token=token, by=request.user)
    except ServiceError as error:
        return _refused(request, error)
    return redirect("api-tokens", participant.exercise_id)

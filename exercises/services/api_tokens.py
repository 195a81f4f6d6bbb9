"""Participants' API tokens for the TAXII server: made, revoked, and every request journaled.

A token's secret is shown once, when it is made; only its SHA-256 is stored. The journal names
tokens by id and name, never by their secret.
"""

import contextlib
import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from exercises.models import ApiToken, Participant
from exercises.services import Conflict, ServiceError, audit

PREFIX = "cjt_"
# A token's "last used" is noted at most once a minute (the journal has every request to the microsecond): a pull of
# fifty pages writes the token's row once, not fifty times.
LAST_USED_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
@sensitive_variables("secret")
def create_token(*, participant: Participant, name: str) -> tuple[ApiToken, str]:
    """A new token for the participant, and its secret (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ServiceError(gettext("name: give the token a name of up to 80 characters (e.g. the tool that uses it)."))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(participant=participant, name=name, token_hash=digest(secret))
    audit.record(
        exercise=participant.exercise,
        actor=participant.user,
        kind="taxii.token_created",
        obj=token,
        payload={"token": token.pk, "name": name, "participant": participant.pk, "team": participant.team_id},
    )
    return token, secret


@transaction.atomic
def revoke_token(*, token: ApiToken, by) -> ApiToken:
    """Refuse the token from now on (its owner, or a facilitator of its exercise, revokes it)."""
    now = timezone.now()
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        raise Conflict(gettext("That token is already revoked."))
    token.revoked_at = now
    participant = token.participant
    audit.record(
        exercise=participant.exercise,
        actor=by,
        kind="taxii.token_revoked",
        obj=token,
        at=now,
        payload={"token": token.pk, "name": token.name, "participant": participant.pk, "team": participant.team_id},
    )
    return token


@sensitive_variables("secret")
def token_for(secret: str) -> ApiToken | None:
    """The token this secret belongs to, revoked or not (None: no such token), with its participant, exercise and
    user."""
    if not secret:
        return None
    tokens = ApiToken.objects.select_related("participant__exercise", "participant__user")
    try:
        return tokens.get(token_hash=digest(secret))
    except ApiToken.DoesNotExist:
        return None


def record_request(*, token: ApiToken, method: str, path: str, status: int, detail: str = "") -> None:
    """Journal one TAXII request (the token by id, never its secret), and note when the token was last used if that
    was a minute ago or more: both in one transaction then; otherwise the journal's INSERT alone, a transaction of
    its own (without a BEGIN and a COMMIT around it, two round trips fewer a request)."""
    now = timezone.now()
    last_use_due = token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY
    participant = token.participant
    with transaction.atomic() if last_use_due else contextlib.nullcontext():
        if last_use_due:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        audit.record(
            exercise=participant.exercise,
            actor=participant.user,
            kind="taxii.request",
            obj=token,
            at=now,
            payload={
                "token": token.pk,
                "team": participant.team_id,
                "method": method,
                "path": path,
                "status": status,
                "revoked": token.revoked_at is not None,
                **({"detail": detail[:300]} if detail else {}),
            },
        )

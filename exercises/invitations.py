"""Invitation links: a new account sets its own password through a one-time link.

The link is Django's password-reset machinery with a salt of its own: the user's id in base64
and a token signing the user's password hash, last login and email with a timestamp. Setting the
password changes the hash, so a link works once; it expires after settings.INVITATION_TIMEOUT
(7 days by default). Only an account still waiting for its first password (an unusable password)
accepts one, so an invitation can never take over an account that has a password.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

logger = logging.getLogger(__name__)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """PasswordResetTokenGenerator with its own salt and its own lifetime (INVITATION_TIMEOUT)."""

    key_salt = "exercises.invitations.InvitationTokenGenerator"

    def check_token(self, user, token):
        if not (user and token) or user.has_usable_password():
            return False
        try:
            ts_b36, _ = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - timestamp <= settings.INVITATION_TIMEOUT


invitation_token_generator = InvitationTokenGenerator()


def awaiting_password(user) -> bool:
    """An account created by an invitation that has not set its password yet."""
    return not user.has_usable_password()


def invited_by(exercise) -> set[int]:
    """The accounts this exercise's staffing created (journaled as account.invited).

    Only their invitation links are shown to its facilitators: an account created for another
    exercise, linked here, is not theirs to hand a password to (it may be a facilitator there)."""
    from exercises.models import AuditEvent

    ids = AuditEvent.objects.filter(exercise=exercise, kind="account.invited").values_list("object_id", flat=True)
    return {int(pk) for pk in ids}


def invitation_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("invitation", args=[uid, invitation_token_generator.make_token(user)])


def expires_at():
    """When a link made now stops working."""
    return timezone.now() + timedelta(seconds=settings.INVITATION_TIMEOUT)


@dataclass
class Sent:
    emailed: int
    failed: list[str]  # user names whose email could not be sent


def email_invitations(users, *, exercise, build_absolute_uri) -> Sent:
    """Email each user (who has an address) their invitation link through Django's email backend.

    Called after the accounts are committed. A failing mail server fails only the emails: the links
    stay on the participants page and the login cards."""
    from exercises import selectors

    emailed, failed = 0, []
    login_url = build_absolute_uri(reverse("login"))
    for user in users:
        if not user.email:
            continue
        context = {
            "user": user,
            "exercise": exercise,
            "link": build_absolute_uri(invitation_path(user)),
            "login_url": login_url,
            "expires_at": expires_at(),
        }
        # In the recipient's language (picked, or their team's: FRA reads French), else the sender's.
        with translation.override(selectors.user_language(user) or translation.get_language()):
            subject = " ".join(render_to_string("registration/invitation_subject.txt", context).split())
            body = render_to_string("registration/invitation_email.txt", context)
        try:
            EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
        except Exception:  # any backend's failure (SMTP down, refused address): the link is still shown
            logger.warning("Could not email the invitation of %s", user.get_username(), exc_info=True)
            failed.append(user.get_username())
        else:
            emailed += 1
    return Sent(emailed=emailed, failed=failed)

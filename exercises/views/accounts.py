"""Passwords: "Forgot your password?" by email, and the invitation page where a new account sets its first one.

Both are Django's password-reset views (a one-time link: the user's id in base64 and a signed,
timestamped token); an invitation has its own token generator (exercises/invitations.py).
"""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django_ratelimit.decorators import ratelimit

from exercises.invitations import invitation_token_generator


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, which also sends a link to an invited account that has not set its password yet
    (Django skips accounts without a usable password): the email proves the account is theirs."""

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.casefold() == email.casefold())


def password_reset_rate(group, request) -> str:
    """How many reset emails one address may ask for (settings.PASSWORD_RESET_RATE, read per request)."""
    return settings.PASSWORD_RESET_RATE


password_reset = ratelimit(key="ip", rate=password_reset_rate, method="POST", block=True)(
    auth_views.PasswordResetView.as_view(
        form_class=PasswordResetForm,
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        success_url=reverse_lazy("password-reset-sent"),
    )
)
password_reset_sent = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    success_url=reverse_lazy("password-reset-complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()


class InvitationView(auth_views.PasswordResetConfirmView):
    """The invitation link: a new account chooses its password, once, before the link expires."""

    token_generator = invitation_token_generator
    template_name = "registration/invitation.html"
    success_url = reverse_lazy("invitation-complete")
    title = _("Set your password")


invitation = InvitationView.as_view()
invitation_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/invitation_complete.html"
)

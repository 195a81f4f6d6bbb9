"""Passwords: "Forgot your password?" by email, the invitation page where a new account sets its first one,
and the language picker of the masthead and the login page.

Both are Django's password-reset views (a one-time link: the user's id in base64 and a signed,
timestamped token); an invitation has its own token generator (exercises/invitations.py).
"""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from exercises import selectors
from exercises.invitations import invitation_token_generator
from exercises.middleware import SESSION_KEY
from exercises.services import languages


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, which also sends a link to an invited account that has not set its password yet
    (Django skips accounts without a usable password): the email proves the account is theirs."""

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.casefold() == email.casefold())

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        """In the recipient's language (the one they picked, or their team's), else the sender's."""
        language = selectors.user_language(context["user"]) or translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


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


@require_POST
def choose_language(request):
    """The language picker: signed-in users keep their choice (stored, and in the session); everyone gets the
    language cookie, which LocaleMiddleware reads when no one is signed in. Back to `next` if it is ours."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(translation.gettext("Choose one of the languages offered."))
    if request.user.is_authenticated:
        languages.choose_language(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("home") if request.user.is_authenticated else reverse("login")
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response

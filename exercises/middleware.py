"""The signed-in user's language (selectors.user_language), over LocaleMiddleware's guess.

LocaleMiddleware (before this one) picks the language cookie or Accept-Language; for a signed-in user who
picked a language, or who plays for a team with its own (FRA: French), this middleware activates that one
instead. The language is worked out once per session, at login (`remember_language`, on Django's
user_logged_in), and kept in the session: a request costs no query. Picking a language
(views.accounts.choose_language) updates it; a change of team takes effect at the next login.
"""

from django.utils import translation

from exercises import selectors

SESSION_KEY = "conjunction_language"


def remember_language(request, user) -> str | None:
    """Work out the user's language and keep it in the session ("" when the browser's choice stands)."""
    language = selectors.user_language(user)
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = language or ""
    return language


def on_login(sender, request, user, **kwargs):
    """Receiver of Django's user_logged_in."""
    remember_language(request, user)


def session_language(request) -> str | None:
    """The signed-in user's language for this request, or None (LocaleMiddleware's choice stands)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    language = request.session.get(SESSION_KEY)
    if language is None:  # a session older than this middleware
        return remember_language(request, user)
    return language or None


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = session_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

"""A user's language, picked in the masthead: stored, so that it follows them from one login to the next."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from exercises.models import LanguagePreference
from exercises.services import ServiceError, audit


@transaction.atomic
def choose_language(*, user, language: str) -> LanguagePreference:
    """Remember `language` (a code of settings.LANGUAGES) as the user's; journaled without an exercise (the
    journal accepts exercise=None: the choice is the user's, not any one exercise's)."""
    if language not in dict(settings.LANGUAGES):
        raise ServiceError("language: " + gettext("Choose one of the languages offered."))  # the field, then why
    preference, _ = LanguagePreference.objects.update_or_create(
        user=user, defaults={"language": language, "chosen_at": timezone.now()}
    )
    audit.record(exercise=None, actor=user, kind="language.chosen", obj=preference, payload={"language": language})
    return preference

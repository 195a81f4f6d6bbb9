"""The messages of exercises/orbits/ in the reader's language.

exercises/orbits/ imports nothing of Django: its errors (`orbits.elements.Explained`: ElementsError, BurnError,
and the CCSDS MessageError) carry an English template, marked for the catalogue with `gettext_noop`, and its
values. Where the app shows one, it translates the template and fills it in here."""

from django.utils.translation import gettext


def in_language(error) -> str:
    """The error's message in the active language (its English text for an error that carries no template)."""
    template = getattr(error, "template", None)
    if template is None:
        return getattr(error, "message", None) or str(error)
    text = gettext(template)
    return text % error.values if error.values else text

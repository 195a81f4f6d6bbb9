"""Views whose module is imported on their first request, not when the URLconf is.

The TAXII server's and the STIX exchange's views need `stix2` (through exercises/stix.py and
services/stix_import.py), ~0.14 s of CPU to import: every process that reverses a URL (a report's export, a
management command, a worker) paid it at the URLconf's import. `lazy_view` is the thin indirection that keeps
it off that path; the view itself is the module's own, unchanged. The server (config/asgi.py) imports them all
at its start, with `import_deferred`, before it freezes what it loaded.
"""

from functools import cache
from importlib import import_module

DEFERRED: set[str] = set()  # the modules lazy views import on their first request


def lazy_view(module: str, name: str, *, csrf_exempt: bool = False):
    """A view calling `module.name`, the module imported on the first call. `csrf_exempt` says what the real
    view's decorator says (Django reads it on the URLconf's callable, before the module is imported)."""

    DEFERRED.add(module)

    @cache
    def target():
        return getattr(import_module(module), name)

    def view(request, *args, **kwargs):
        return target()(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    view.__module__ = module
    view.csrf_exempt = csrf_exempt
    return view


def import_deferred() -> None:
    """Import every module a lazy view of the URLconf defers (the URLconf first, which names them)."""
    from django.conf import settings

    import_module(settings.ROOT_URLCONF)
    for module in sorted(DEFERRED):
        import_module(module)

"""What a process pays to reverse a URL: the URLconf does not import stix2 or the CCSDS message parser.

The TAXII server's and the STIX exchange's views are reached through exercises/views/lazy.py, their module
imported on the first request; every other process that reverses a URL (a report's export, a management
command) stays without stix2 and ccsds_ndm, ~0.5 s of CPU at import (docs/benchmarks.md, issue #18).
A fresh interpreter, as such a process starts; the TAXII views themselves are tested in tests/test_taxii*.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, sys
import django
django.setup()
from django.urls import reverse
reverse("home"), reverse("taxii-discovery"), reverse("stix-export", args=[1])
print(json.dumps({name: name in sys.modules for name in ("stix2", "ccsds_ndm", "exercises.views.taxii")}))
"""


def test_reversing_a_url_imports_neither_stix2_nor_the_ccsds_parser():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == {"stix2": False, "ccsds_ndm": False, "exercises.views.taxii": False}


def test_the_taxii_views_stay_csrf_exempt_and_reach_their_module():
    match = resolve("/taxii2/exercises/1/collections/")
    assert match.url_name == "taxii-collections"
    assert match.func.csrf_exempt is True  # token-authenticated machine clients: no CSRF cookie
    assert match.func.__module__ == "exercises.views.taxii"
    assert resolve("/exercises/1/share/stix/").func.csrf_exempt is False  # the browser's import form keeps CSRF

"""Django's {# #} comments end at the line's end: one spread over two lines is printed on the page."""

from pathlib import Path

from django.test import Client
from django.urls import reverse

from exercises.services.releases import release_inject

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_comment_spans_lines():
    unclosed = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert not unclosed, f"use {{% comment %}} for these: {unclosed}"


def test_the_team_page_and_the_console_show_no_template_source(running, django_capture_on_commit_callbacks):
    released = running
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=running.to_all, by=running.facilitator)  # a card on the team page
    pages = []
    for user, name in ((released.usa_player, "team"), (released.facilitator, "console")):
        client = Client()
        client.force_login(user)
        pages.append(client.get(reverse(name, args=[released.exercise.pk])).content.decode())
    for page in pages:
        assert "{#" not in page and "#}" not in page and "{%" not in page

"""Find text in templates that does not go through the translation machinery.

A template's text nodes, and the attributes people read (title, aria-label, placeholder, alt, a button's
value), must hold no words outside `{% translate %}` / `{% blocktranslate %}`. Codes and acronyms (USA,
TCA, STIX), the brand and units are not words to translate.

Run by hand: `python -m tests.untranslated templates/exercises/team.html …` prints what is left.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description", "aria-roledescription"}
NOT_WORDS = {"Conjunction", "km", "Pc", "m", "s", "ms", "h", "kg", "dB", "Hz", "kHz", "MHz", "GHz", "e.g", "vs", "x"}
WORD = re.compile(r"[^\W\d_][^\W\d_'’.-]*")
HOLE = "\x00"  # where a template tag or variable stood


def _is_word(word: str) -> bool:
    word = word.strip(".-'’")
    if len(word) < 2 or word in NOT_WORDS:
        return False
    return not (word.isupper() or any(ch.isdigit() for ch in word))  # USA, TCA, ICD, SGP4 are codes


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1
        attributes = dict(attrs)
        readable = [value for name, value in attrs if name in READ_ATTRIBUTES]
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            readable.append(attributes.get("value"))
        for value in readable:
            self._check(value or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.skipping -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skipping = max(0, self.skipping - 1)

    def handle_data(self, data):
        if not self.skipping:
            self._check(data)

    def _check(self, text: str):
        for piece in text.split(HOLE):
            words = [word for word in WORD.findall(piece) if _is_word(word)]
            if words:
                self.found.append((self.getpos()[0], " ".join(piece.split())))


def untranslated(source: str, *, html: bool = True) -> list[tuple[int, str]]:
    """(line, text) of each piece of the template's own text that is not marked for translation."""
    kept, depth_skip = [], 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktranslate", "blocktrans", "comment"):
                depth_skip += 1
            elif name in ("endblocktranslate", "endblocktrans", "endcomment"):
                depth_skip -= 1
            kept.append(HOLE)
        elif token.token_type == TokenType.TEXT and not depth_skip:
            kept.append(token.contents)
        else:
            kept.append(HOLE + "\n" * token.contents.count("\n"))
    text = "".join(kept)
    if not html:
        return [
            (number, " ".join(line.split()))
            for number, line in enumerate(text.splitlines(), 1)
            if any(_is_word(word) for piece in line.split(HOLE) for word in WORD.findall(piece))
        ]
    finder = _TextFinder()
    finder.feed(text)
    finder.close()
    return finder.found


def untranslated_in_file(path: Path) -> list[tuple[int, str]]:
    return untranslated(path.read_text(encoding="utf-8"), html=path.suffix == ".html")


def all_templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


if __name__ == "__main__":
    paths = [Path(arg) for arg in sys.argv[1:]] or all_templates()
    total = 0
    for path in paths:
        for line, text in untranslated_in_file(path):
            total += 1
            print(f"{path}:{line}: {text}")
    print(f"{total} untranslated piece(s)")

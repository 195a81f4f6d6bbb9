"""One entry point per export format, shared by the browser and `manage.py export_aar`."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from exercises.reports import archive, documents
from exercises.reports.data import build_report

FORMATS = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "csv": ("application/zip", "zip"),
    "json": ("application/json", "json"),
}


def export(exercise, fmt: str) -> bytes:
    if fmt == "json":
        # Compact JSON: the C encoder (indent= falls back to Python's, 0.9 s for the 7 MB archive of the benchmark).
        return json.dumps(archive.export_archive(exercise), cls=DjangoJSONEncoder).encode()
    report = build_report(exercise, with_records=fmt == "csv")
    if fmt == "html":
        return documents.html(report).encode()
    if fmt == "pdf":
        return documents.pdf(report)
    if fmt == "docx":
        return documents.docx(report)
    if fmt == "csv":
        return documents.csv_zip(report)
    raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")


def filename(exercise, fmt: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in exercise.name.lower()).strip("-")
    return f"aar-{slug}-{exercise.pk}.{FORMATS[fmt][1]}"

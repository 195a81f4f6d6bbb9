"""The after-action report in each format, all from one `Report` (exercises/reports/data.py).

HTML and PDF come from the same template (templates/reports/aar.html); the PDF adds the
print stylesheet's page numbers and the marking banner on every page. DOCX is built with
python-docx because agencies edit AARs in Word, with the same sections. These are the report
proper, bounded by injects × teams; the record (every response, message, share and journal
event) is in the CSV files (one per table, zipped; `csv_tables` needs a report built
`with_records=True`) and in the JSON archive (archive.py).
"""

import csv
import io
import zipfile

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext

from exercises import pictures as orbit_pictures
from exercises.coalition import join_and
from exercises.models import format_exercise_time
from exercises.reports import charts, coalition_charts, coalition_tables
from exercises.reports.data import Report, minutes

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def inline_svg(svg: bytes | str) -> str:
    """matplotlib's SVG without its XML prologue, ready to sit inside HTML."""
    text = svg.decode() if isinstance(svg, bytes) else svg
    return text[text.index("<svg") :]


def conjunction_pictures(report: Report, fmt: str = "svg") -> list[tuple]:
    """[(section, {"encounter_plane": …, "miss_distance": …})] for the report's conjunctions (SVG inlined, PNG, or
    for the PDF a charts.Picture)."""
    if not report.conjunctions:
        return []
    pictures = []
    for section in report.conjunctions.sections:
        drawn = {
            key.replace("-", "_"): orbit_pictures.conjunction_picture(
                section.conjunction, key, fmt, manoeuvres=section.object_manoeuvres
            )
            for key in orbit_pictures.CONJUNCTION_PICTURES
        }
        pictures.append((section, _inlined(drawn, fmt)))
    return pictures


def debris_pictures(report: Report, fmt: str = "svg") -> list[tuple]:
    """[(cloud, {"gabbard": …, "altitudes": …})] for the report's debris clouds with fragments."""
    if not report.conjunctions:
        return []
    pictures = []
    for cloud in report.conjunctions.debris:
        if not cloud.fragment_objects:
            continue
        drawn = {
            key: orbit_pictures.debris_picture(cloud.parent, key, fmt, fragments=cloud.fragment_objects)
            for key in orbit_pictures.DEBRIS_PICTURES
        }
        pictures.append((cloud, _inlined(drawn, fmt)))
    return pictures


def html(report: Report, *, for_pdf: bool = False, can_edit_plan: bool = False) -> str:
    """The report's HTML: its pictures inline SVG (with their title and description), or for the PDF
    (`for_pdf`) <img> of PNG with the same text as alt (templates/reports/_picture.html): WeasyPrint lays out
    a PNG in a fraction of the time it takes for an SVG's paths and text (docs/benchmarks.md, issue #18)."""
    fmt = "img" if for_pdf else "svg"
    return render_to_string(
        "reports/aar.html",
        {
            "report": report,
            "charts": _inlined(charts.render_all(report, fmt), fmt),
            "conjunction_pictures": conjunction_pictures(report, fmt),
            "debris_pictures": debris_pictures(report, fmt),
            "for_pdf": for_pdf,
            "can_edit_plan": can_edit_plan,
            "coalition": report.coalition,
            "coalition_charts": _inlined(coalition_charts.render_all(report.coalition, fmt), fmt),
        },
    )


def _inlined(drawn: dict, fmt: str) -> dict:
    return {key: inline_svg(svg) for key, svg in drawn.items()} if fmt == "svg" else drawn


def coalition_svgs(coalition) -> dict[str, str]:
    """The coalition charts, inline SVG by key (the report and the evaluation page)."""
    return _inlined(coalition_charts.render_all(coalition, "svg"), "svg")


def pdf(report: Report) -> bytes:
    from weasyprint import CSS, HTML

    stylesheets = [CSS(filename=finders.find("css/report.css"))]
    return HTML(string=html(report, for_pdf=True)).write_pdf(stylesheets=stylesheets)


def docx(report: Report) -> bytes:
    """The report in Word, in the active language (the reader's), as the HTML: its fixed text translated, what
    people wrote, the markings and the codes as they are."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(1.5))
    section.header.paragraphs[0].text = report.classification_banner
    document.styles["Normal"].font.size = Pt(9)
    exercise = report.exercise

    document.add_paragraph(report.classification_banner)
    document.add_heading(gettext("After-Action Report / Improvement Plan"), level=0)
    document.add_paragraph(exercise.name + (f" — {exercise.scenario.name}" if exercise.scenario else ""))

    document.add_heading(gettext("1. Exercise overview"), level=1)
    _table(
        document,
        [gettext("Item"), gettext("Value")],
        [
            [gettext("Exercise name"), exercise.name],
            [gettext("Dates"), _dates(exercise)],
            [
                gettext("Scope"),
                gettext("%(injects)s injects, %(teams)s national teams")
                % {"injects": len(report.injects), "teams": len(report.teams)},
            ],
            [gettext("Core capabilities"), "; ".join(c.name for c in report.capabilities)],
            [gettext("Threat or hazard and scenario"), exercise.scenario.description if exercise.scenario else ""],
            [gettext("Participating nations"), ", ".join(f"{t.name} ({t.code})" for t in report.teams)],
            [gettext("Points of contact"), "; ".join(_name(p.user) for p in report.facilitators)],
        ],
    )
    _table(
        document,
        [gettext("Objective"), gettext("Core capability")],
        [[f"{o.code} {o.text}", o.core_capability.name] for o in report.objectives],
    )

    document.add_heading(gettext("2. Analysis of capabilities"), level=1)
    _table(
        document,
        [gettext("Objective"), gettext("Core capability"), *[t.code for t in report.teams]],
        [
            [
                item.objective.code,
                item.objective.core_capability.name,
                *[
                    (rating.rating if rating else (f"{suggestion.rating}?" if suggestion.rating else "—"))
                    for _, rating, suggestion in item.ratings
                ],
            ]
            for item in report.analysis
        ],
    )
    for item in report.analysis:
        document.add_heading(f"{item.objective.code} — {item.objective.core_capability.name}", level=2)
        document.add_paragraph(item.objective.text)
        for team, rating, _ in item.ratings:
            if rating:
                document.add_paragraph(f"{team.code}: {rating.rating} — {rating.explanation}")
        document.add_heading(gettext("Strengths"), level=3)
        for o in item.strengths:
            document.add_paragraph(_observation(o), style="List Bullet")
        document.add_heading(gettext("Areas for improvement"), level=3)
        for o in item.improvements:
            document.add_paragraph(_observation(o), style="List Bullet")
    document.add_heading(gettext("Attack techniques exercised"), level=2)
    if report.techniques:
        header = [gettext("Technique"), gettext("Injects"), gettext("Teams that received them, and how they responded")]
        _table(document, header, _techniques(report))
    else:
        document.add_paragraph(gettext("No released inject was tagged with an attack technique."))

    images = charts.render_all(report, "png")
    document.add_heading(gettext("3. Timeline"), level=1)
    document.add_picture(io.BytesIO(images["injects_and_responses"]), width=Cm(22))
    _table(
        document,
        [gettext("Exercise time"), gettext("Event"), gettext("Detail")],
        [[format_exercise_time(entry.exercise_time), entry.label, entry.detail] for entry in report.timeline],
    )
    document.add_paragraph(_record_note(report.record_counts))
    document.add_heading(gettext("4. Injects by team"), level=1)
    document.add_picture(io.BytesIO(images["response_times"]), width=Cm(22))
    document.add_paragraph(
        gettext(
            "Each cell: minutes to the first response, then expected steps claimed on time · late · missed; "
            "blank: not addressed to the team. Per-step times and adjudications: injects_by_team.csv."
        )
    )
    _table(
        document,
        [gettext("Inject"), *[t.code for t in report.teams]],
        [
            [f"{inject.sequence}. {inject.title}", *[_matrix_cell(row) for row in cells]]
            for inject, cells in report.matrix
        ]
        + [
            [
                gettext("Median minutes to first response"),
                *[minutes(first) or "—" for _, _, first, _, _ in report.team_medians],
            ],
            [
                gettext("Injects answered"),
                *[
                    gettext("%(responded)s of %(received)s") % {"responded": done, "received": received}
                    for _, _, _, done, received in report.team_medians
                ],
            ],
        ],
    )
    document.add_heading(gettext("5. Protocol coverage"), level=1)
    document.add_picture(io.BytesIO(images["coverage"]), width=Cm(16))
    _table(
        document,
        [
            gettext("Team"),
            gettext("Expected"),
            gettext("On time"),
            gettext("Late"),
            gettext("Missed"),
            gettext("Covered"),
        ],
        [[c.team.code, c.expected, c.on_time, c.late, c.missed, f"{c.percent}%"] for c in report.coverage],
    )
    document.add_heading(gettext("6. Information sharing"), level=1)
    document.add_picture(io.BytesIO(images["sharing"]), width=Cm(12))
    document.add_paragraph(
        gettext(
            "%(shared)s assessments shared; %(downgraded)s downgraded beyond the source's marking, listed here. "
            "Every share: shares.csv."
        )
        % {"shared": len(report.shares), "downgraded": len(report.downgraded_shares)}
    )
    for share in report.downgraded_shares:
        line = gettext("%(from)s → %(to)s at %(time)s: %(title)s (downgraded: %(reason)s; removed: %(removed)s)") % {
            "from": share.from_team_id,
            "to": ", ".join(t.code for t in share.recipients.all()),
            "time": format_exercise_time(share.exercise_time),
            "title": share.title,
            "reason": share.downgrade_reason,
            "removed": share.downgrade_removed,
        }
        document.add_paragraph(f"[{share.banner}] {line}")
    _coalition_docx(document, report.coalition)
    document.add_heading(gettext("7. Hot wash"), level=1)
    _table(
        document,
        [gettext("Statement"), gettext("Mean (1–5)"), gettext("Answers")],
        [[q["text"], q["mean"] if q["mean"] is not None else "—", q["answers"]] for q in report.hot_wash["questions"]],
    )
    for action in report.hot_wash["actions"]:
        document.add_paragraph(
            f"{_priority(action['priority'])} ({action['team']}): {action['action']}", style="List Bullet"
        )
    if report.conjunctions:
        _conjunctions(document, report)
    document.add_heading(gettext("Appendix A: Improvement plan"), level=1)
    _table(
        document,
        [
            gettext("Core capability"),
            gettext("Issue"),
            gettext("Corrective action"),
            gettext("Capability element"),
            gettext("Responsible"),
            gettext("Point of contact"),
            pgettext("improvement plan", "Start"),
            pgettext("improvement plan", "Completion"),
        ],
        [
            [
                i.core_capability.name if i.core_capability else "",
                i.issue,
                i.corrective_action,
                i.get_capability_element_display(),
                i.responsible,
                i.point_of_contact,
                _date(i.start_date),
                _date(i.completion_date),
            ]
            for i in report.improvement_plan
        ],
    )
    document.add_heading(gettext("Appendix B: Participants"), level=1)
    _table(
        document,
        [gettext("Name"), gettext("Role"), gettext("Team")],
        [[_name(p.user), p.get_role_display(), p.team.name if p.team else ""] for p in report.participants],
    )
    document.add_heading(gettext("Appendix C: Journal and records"), level=1)
    document.add_paragraph(
        gettext(
            "The record is kept whole in the exercise's JSON archive (every row and the append-only journal, "
            "with its SHA-256 digest) and in the CSV files."
        )
    )
    _table(document, [pgettext("report", "Record"), gettext("Rows"), gettext("CSV file")], _record_rows(report))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _metres(value) -> str:
    return "—" if value is None else f"{value:.0f} m"


def _pc(value) -> str:
    return "—" if value is None else f"{value:.1e}"


def _screened_again(section, at) -> str:
    if len(section.screenings) == 1:
        return gettext("No: these are the current numbers")
    if not section.is_current:
        return gettext("no longer within the screening threshold (5 km)")
    latest = section.latest
    return gettext("now %(distance)s at TCA %(time)s, Pc %(pc)s") % {
        "distance": _metres(latest.miss_distance_m),
        "time": at(latest.tca),
        "pc": _pc(latest.probability),
    }


def _conjunctions(document, report: Report) -> None:
    """Section 8 of the DOCX: as templates/reports/_conjunctions.html."""
    from docx.shared import Cm

    exercise = report.exercise

    def at(moment) -> str:
        return format_exercise_time(exercise.exercise_time_of(moment)) if moment else "—"

    document.add_heading(gettext("8. Conjunctions"), level=1)
    document.add_paragraph(
        gettext(
            "Computed from the exercise's space catalogue (SGP4 propagation, screening of the allied objects "
            "against every object, probability of collision by Foster's 2-D method). Times of closest approach as "
            "exercise time. Each conjunction as first screened (the numbers the teams decided on), then its later "
            "screenings. Every screening, current and superseded: conjunctions.csv."
        )
    )
    for section, images in conjunction_pictures(report, "png"):
        c = section.conjunction
        document.add_heading(f"{c.primary.name} × {c.secondary.name} — TCA {at(c.tca)}", level=2)
        _table(
            document,
            [gettext("Item"), gettext("Value")],
            [
                [
                    gettext("Objects"),
                    gettext(
                        "%(primary)s (%(primary_owner)s, %(primary_type)s) and "
                        "%(secondary)s (%(secondary_owner)s, %(secondary_type)s)"
                    )
                    % {
                        "primary": c.primary.name,
                        "primary_owner": c.primary.owner_label,
                        "primary_type": str(c.primary.get_object_type_display()).lower(),
                        "secondary": c.secondary.name,
                        "secondary_owner": c.secondary.owner_label,
                        "secondary_type": str(c.secondary.get_object_type_display()).lower(),
                    },
                ],
                [gettext("Injects"), "; ".join(f"{i.sequence}. {i.title}" for i in section.injects) or "—"],
                [
                    gettext("Time of closest approach"),
                    gettext("%(time)s (%(utc)s UTC on the orbits)")
                    % {"time": at(c.tca), "utc": f"{c.tca:%Y-%m-%d %H:%M:%S}"},
                ],
                [
                    gettext("Miss distance"),
                    gettext("%(distance)s (radial %(radial)s, in-track %(in_track)s, cross-track %(cross_track)s)")
                    % {
                        "distance": _metres(c.miss_distance_m),
                        "radial": _metres(c.radial_m),
                        "in_track": _metres(c.in_track_m),
                        "cross_track": _metres(c.cross_track_m),
                    },
                ],
                [gettext("Relative speed"), f"{c.relative_speed_m_s:.0f} m/s"],
                [gettext("Probability of collision"), _pc(c.probability)],
                [gettext("Screened again"), _screened_again(section, at)],
            ],
        )
        if len(section.screenings) > 1:
            _table(
                document,
                [
                    gettext("Screening"),
                    "TCA",
                    gettext("Miss distance"),
                    gettext("Relative speed"),
                    "Pc",
                    gettext("Status"),
                ],
                [
                    [
                        number,
                        at(s.tca),
                        _metres(s.miss_distance_m),
                        f"{s.relative_speed_m_s:.0f} m/s",
                        _pc(s.probability),
                        pgettext("screening", "superseded") if s.superseded_at else pgettext("screening", "current"),
                    ]
                    for number, s in enumerate(section.screenings, start=1)
                ],
            )
        document.add_picture(io.BytesIO(images["encounter_plane"]), width=Cm(11))
        document.add_picture(io.BytesIO(images["miss_distance"]), width=Cm(13))
        document.add_heading(gettext("Decisions"), level=3)
        _table(
            document,
            [
                gettext("Team"),
                gettext("Inject"),
                gettext("Response"),
                gettext("Exercise time"),
                gettext("Protocol steps"),
            ],
            [
                [
                    d.team_id,
                    d.inject_sequence,
                    d.kind_label,
                    format_exercise_time(d.exercise_time),
                    ", ".join(d.protocol_steps),
                ]
                for d in section.decisions
            ],
        )
        document.add_heading(gettext("Manoeuvres"), level=3)
        _table(
            document,
            [
                gettext("Team"),
                gettext("Object"),
                gettext("Burn at"),
                gettext("Delta-v (R, T, N)"),
                gettext("Cost"),
                gettext("Miss distance before → after"),
                gettext("Pc before → after"),
            ],
            [
                [
                    m.team_id,
                    c.primary.name if m.space_object_id == c.primary_id else c.secondary.name,
                    at(m.burn_at),
                    f"{m.radial_m_s:.2f}, {m.in_track_m_s:.2f}, {m.cross_track_m_s:.2f} m/s",
                    f"{m.delta_v_m_s:.2f} m/s",
                    f"{_metres(m.miss_distance_before_m)} → {_metres(m.miss_distance_after_m)}",
                    f"{_pc(m.probability_before)} → {_pc(m.probability_after)}",
                ]
                for m in section.manoeuvres
            ],
        )
    if report.conjunctions.others:
        document.add_heading(gettext("Other screened conjunctions"), level=2)
        _table(
            document,
            [gettext("Objects"), "TCA", gettext("Miss distance"), gettext("Relative speed"), "Pc"],
            [
                [
                    f"{c.primary.name} × {c.secondary.name}",
                    at(c.tca),
                    _metres(c.miss_distance_m),
                    f"{c.relative_speed_m_s:.0f} m/s",
                    _pc(c.probability),
                ]
                for c in report.conjunctions.others
            ],
        )
    if report.conjunctions.debris:
        document.add_heading(gettext("Debris clouds"), level=2)
        _table(
            document,
            [
                gettext("Object broken up"),
                pgettext("time", "At"),
                gettext("By inject"),
                gettext("Fragments"),
                gettext("Current conjunctions"),
                gettext("Follow-on injects drafted"),
            ],
            [
                [
                    cloud.parent.name,
                    format_exercise_time(cloud.destroyed_time) or "—",
                    f"{cloud.created_by.sequence}. {cloud.created_by.title}" if cloud.created_by else "—",
                    cloud.fragments,
                    cloud.conjunctions,
                    "; ".join(
                        f"{i.sequence}. {i.title} ({gettext('released') if i.released_at else gettext('not released')})"
                        for i in cloud.drafted
                    )
                    or "—",
                ]
                for cloud in report.conjunctions.debris
            ],
        )
        for cloud, images in debris_pictures(report, "png"):
            document.add_paragraph(
                gettext("The debris of %(name)s: %(fragments)s fragments.")
                % {"name": cloud.parent.name, "fragments": cloud.fragments}
            )
            document.add_picture(io.BytesIO(images["gabbard"]), width=Cm(13))
            document.add_picture(io.BytesIO(images["altitudes"]), width=Cm(13))


def _record_note(counts) -> str:
    return gettext(
        "The %(responses)s responses, %(shares)s shared assessments and %(messages)s messages, each with its time, "
        "are in the record (Appendix C)."
    ) % {key: counts[key] for key in ("responses", "shares", "messages")}


def _priority(priority: str) -> str:
    """A corrective action's priority as the hot-wash form names it."""
    labels = {
        "high": pgettext("priority", "High"),
        "medium": pgettext("priority", "Medium"),
        "low": pgettext("priority", "Low"),
    }
    return labels.get(priority, priority.title())


def _matrix_cell(row) -> str:
    if row is None:
        return ""
    first = minutes(row.to_first_response) or gettext("no response")
    return f"{first}\n{row.count('on time')} · {row.count('late')} · {row.count('missed')}"


def _record_rows(report: Report) -> list[list]:
    counts = report.record_counts
    return [
        [gettext("Journal (every event, who and when)"), counts["journal"], "journal.csv"],
        [gettext("Responses (text, claimed steps, marking)"), counts["responses"], "responses.csv"],
        [gettext("Releases of injects to teams"), counts["releases"], "releases.csv"],
        [
            gettext("Injects by team (per-step times and adjudications)"),
            len(report.inject_rows),
            "injects_by_team.csv",
        ],
        [gettext("Shared assessments"), counts["shares"], "shares.csv"],
        [gettext("Messages"), counts["messages"], "messages.csv"],
        [gettext("Observations"), counts["observations"], "observations.csv"],
        [gettext("Ratings"), counts["ratings"], "ratings.csv"],
        [
            gettext("Acknowledgements, adjudications, hot-wash forms"),
            f"{counts['acknowledgements']}, {counts['adjudications']}, {counts['feedback']}",
            gettext("JSON archive"),
        ],
    ]


@translation.override("en-gb")  # read by programs: English whatever the user's language (docs/translation.md)
def csv_tables(report: Report) -> dict[str, list[list]]:
    """One table per file: responses, releases, injects by team, shares, messages, observations, ratings,
    journal. The report must be built `with_records=True` (authors, texts, markings, the journal)."""
    if report.journal is None:
        raise ValueError("csv_tables needs build_report(exercise, with_records=True).")
    return {
        "responses.csv": [
            [
                "id",
                "team",
                "author",
                "inject",
                "kind",
                "exercise_time",
                "submitted_at",
                "version",
                "protocol_steps",
                "marking",
                "text",
            ]
        ]
        + [
            [
                r.pk,
                r.team_id,
                r.author.get_username(),
                r.inject.sequence if r.inject else "",
                r.kind,
                format_exercise_time(r.exercise_time),
                r.submitted_at.isoformat(),
                r.version,
                " ".join(s.code for s in r.protocol_steps.all()),
                r.banner,
                r.text,
            ]
            for r in report.responses
        ],
        "releases.csv": [["inject", "title", "team", "exercise_time", "released_at", "released_by"]]
        + [
            [
                r.inject.sequence,
                r.inject.title,
                r.team_id,
                format_exercise_time(r.exercise_time),
                r.released_at.isoformat(),
                r.released_by.get_username() if r.released_by_id else "clock",
            ]
            for r in report.releases
        ],
        "shares.csv": [
            [
                "id",
                "from",
                "to",
                "title",
                "marking",
                "downgraded",
                "downgrade_reason",
                "removed",
                "seconds_to_share",
                "acknowledged_by",
                "text",
            ]
        ]
        + [
            [
                s.pk,
                s.from_team_id,
                " ".join(t.code for t in s.recipients.all()),
                s.title,
                s.banner,
                "yes" if s.downgraded else "no",
                s.downgrade_reason,
                s.downgrade_removed,
                f"{s.seconds_to_share:.0f}",
                " ".join(a.team_id for a in s.acknowledgements.all()),
                s.text,
            ]
            for s in report.shares
        ],
        "injects_by_team.csv": [
            [
                "inject",
                "title",
                "team",
                "released",
                "minutes_to_acknowledge",
                "minutes_to_first_response",
                "on_time",
                "late",
                "missed",
                "steps",
                "adjudications",
            ]
        ]
        + [
            [
                row.inject.sequence,
                row.inject.title,
                row.team.code,
                format_exercise_time(row.released_at),
                minutes(row.to_acknowledge),
                minutes(row.to_first_response),
                row.count("on time"),
                row.count("late"),
                row.count("missed"),
                " ".join(
                    f"{s.step.code}={s.status}@{format_exercise_time(s.claimed_at) if s.claimed_at else '-'}"
                    f"/due {format_exercise_time(s.deadline)}"
                    for s in row.steps
                ),
                " ".join(f"{s.step.code}={s.verdict}" for s in row.steps if s.verdict),
            ]
            for row in report.inject_rows
        ],
        "messages.csv": [["id", "exercise_time", "sent_at", "author", "from_team", "to_team", "text"]]
        + [
            [
                m.pk,
                format_exercise_time(m.exercise_time),
                m.sent_at.isoformat(),
                m.author.get_username(),
                m.from_team_id or "control",
                m.to_team_id or ("control" if m.from_team_id else "all"),
                m.text,
            ]
            for m in report.messages
        ],
        "observations.csv": [["kind", "team", "inject", "protocol_step", "objective", "exercise_time", "by", "text"]]
        + [
            [
                o.get_kind_display(),
                o.team_id or "",
                o.inject.sequence if o.inject else "",
                o.protocol_step_id or "",
                o.objective.code if o.objective else "",
                format_exercise_time(o.exercise_time),
                o.by.get_username(),
                o.text,
            ]
            for o in report.observations
        ],
        "ratings.csv": [["team", "objective", "rating", "suggested", "explanation", "by"]]
        + [
            [r.team_id, r.objective.code, r.rating, r.suggested, r.explanation, r.by.get_username()]
            for r in report.ratings
        ],
        "conjunctions.csv": [
            [
                "id",
                "primary",
                "secondary",
                "tca",
                "tca_utc",
                "miss_distance_m",
                "radial_m",
                "in_track_m",
                "cross_track_m",
                "relative_speed_m_s",
                "pc",
                "screened_at",
                "superseded_at",
            ]
        ]
        + [
            [
                c.pk,
                c.primary.name,
                c.secondary.name,
                format_exercise_time(report.exercise.exercise_time_of(c.tca)),
                c.tca.isoformat(),
                f"{c.miss_distance_m:.1f}",
                f"{c.radial_m:.1f}",
                f"{c.in_track_m:.1f}",
                f"{c.cross_track_m:.1f}",
                f"{c.relative_speed_m_s:.1f}",
                f"{c.probability:.3e}",
                c.screened_at.isoformat(),
                c.superseded_at.isoformat() if c.superseded_at else "",
            ]
            for c in (report.conjunctions.rows if report.conjunctions else [])
        ],
        "journal.csv": [["occurred_at", "exercise_time", "actor", "kind", "object_type", "object_id", "payload"]]
        + [
            [
                e.occurred_at.isoformat(),
                format_exercise_time(e.exercise_time),
                e.actor.get_username() if e.actor else "",
                e.kind,
                e.object_type,
                e.object_id,
                e.detail,
            ]
            for e in report.journal
        ],
        **coalition_tables.tables(report.coalition),
    }


def _coalition_docx(document, coalition) -> None:
    """The report's coalition section in Word: the charts and the consensus table with each inject's sentence, as
    templates/reports/_coalition.html (the numbers for programs: coalition_consensus.csv)."""
    from docx.shared import Cm

    document.add_heading(gettext("Coalition: common picture and coordinated response"), level=1)
    images = coalition_charts.render_all(coalition, "png")
    for key in ("coalition_consensus", "coalition_divergence", "coalition_sharing"):
        document.add_picture(io.BytesIO(images[key]), width=Cm(18))
    header = [
        gettext("Decision inject"),
        gettext("Released"),
        gettext("Time to consensus"),
        gettext("Held out longest"),
        gettext("Actions compatible"),
        gettext("What happened"),
    ]
    _table(document, header, [_consensus_row(item) for item in coalition.injects])


def _consensus_row(item) -> list:
    result, compatible = item.consensus, item.coordination.compatible
    if not result.reached:
        consensus = gettext("not reached")
    else:
        consensus = gettext("%(minutes)s min") % {"minutes": minutes(result.time_to_consensus)}
        if not result.holding:
            lost = gettext("(lost at %(time)s)") % {"time": format_exercise_time(result.lost_at)}
            consensus = f"{consensus} {lost}"
    if compatible is None:
        actions = "—"
    elif compatible:
        actions = gettext("yes")
    else:
        actions = gettext("no")
        if item.coordination.conflicts:
            actions = f"{actions} {gettext('(manoeuvres in conflict)')}"
    return [
        f"{item.inject.sequence}. {item.inject.title}",
        format_exercise_time(item.inject.released_at),
        consensus,
        join_and(result.holdouts) or "—",
        actions,
        item.narrative.sentence,
    ]


def neutralise(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_zip(report: Report) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in csv_tables(report).items():
            text = io.StringIO()
            writer = csv.writer(text)
            for row in rows:
                writer.writerow([neutralise(cell) for cell in row])
            archive.writestr(name, text.getvalue())
    return buffer.getvalue()


def _techniques(report: Report) -> list[list]:
    """The report's attack techniques (SPARTA, ATT&CK) as the rows of the DOCX table."""
    rows = []
    for item in report.techniques:
        technique = item.technique
        answers = []
        for answer in item.responses:
            row = answer.row
            done = (
                ngettext(
                    "%(counter)s response, the first after %(minutes)s min",
                    "%(counter)s responses, the first after %(minutes)s min",
                    answer.responses,
                )
                % {"counter": answer.responses, "minutes": minutes(row.to_first_response)}
                if answer.responses
                else gettext("no response")
            )
            inject = gettext("inject %(sequence)s") % {"sequence": row.inject.sequence}
            answers.append(f"{row.team.code} ({inject}): {done}")
        rows.append(
            [
                f"{technique.code} {technique.name} ({technique.get_framework_display()} "
                f"{technique.framework_version}, {technique.url})",
                "\n".join(f"{inject.sequence}. {inject.title}" for inject in item.injects),
                "\n".join(answers),
            ]
        )
    return rows


def _table(document, header, rows):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = "" if text is None else str(text)
    return table


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _date(value) -> str:
    return value.isoformat() if value else ""


def _dates(exercise) -> str:
    start = f"{date_format(exercise.started_at, 'd F Y H:i')} UTC" if exercise.started_at else gettext("not started")
    end = f" – {date_format(exercise.ended_at, 'd F Y H:i')} UTC" if exercise.ended_at else ""
    return start + end


def _observation(o) -> str:
    inject = gettext("inject %(sequence)s") % {"sequence": o.inject.sequence} if o.inject else ""
    where = f" ({inject}{', ' + o.protocol_step_id if o.protocol_step_id else ''})" if o.inject else ""
    return f"{o.team_id + ': ' if o.team_id else ''}{o.text}{where}"

"""Pictures of the orbits behind the injects, drawn server-side with matplotlib (Agg), from plain data.

The same drawing serves the page (an <img> of the SVG), the HTML report (the SVG inlined), the PDF (an <img>
of its PNG, alt text its title and description: WeasyPrint lays that out much faster) and the DOCX (PNG).
Every function takes plain numbers (no querysets: exercises/pictures.py gathers them) and `fmt`: "svg"
returns SVG text, with a <title> and a <desc> that state the picture's numbers for screen readers; "png"
returns PNG bytes; "img" (the PDF's) a charts.Picture, PNG with that title and description as its alt text.

- encounter_plane: the conjunction seen along the relative velocity (the encounter or B-plane): the
  primary's hard-body circle at the origin, the miss vector to the secondary, and the combined 1σ and 3σ
  position-uncertainty ellipses around it (both objects' RTN sigmas rotated to TEME, added and
  projected: exercises.orbits.assessment and .collision, as the probability of collision uses them).
- miss_distance_series: the range between the two objects over minutes around TCA.
- gabbard and altitude_histogram: a debris cloud's fragments (apogee and perigee against period; how
  many fragments at each altitude).
- catalogue_altitudes: the allied objects' altitude over exercise time, the exercise's events marked.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

import numpy as np
from django.utils import formats
from django.utils.translation import gettext
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from exercises.orbits import assessment, collision
from exercises.reports.charts import _figure, _margins, _render, picture

FORMATS = ("svg", "png", "img")
ALLIED_COLOURS = ["#1d4ed8", "#b42318", "#027a48", "#b54708", "#6941c6", "#0e7090", "#c11574", "#475467"]


# ---------------------------------------------------------------------------------------------------------------
# Output


def _output(figure, fmt: str, title: str, description: str):
    """SVG text with <title> and <desc> as the root's first children (role="img"), PNG bytes, or a Picture."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown picture format {fmt!r}; use {', '.join(FORMATS)}.")
    if fmt == "png":
        return _render(figure, "png")
    if fmt == "img":
        return picture(figure, f"{title}. {description}")
    text = _render(figure, "svg").decode()
    start = text.index("<svg")
    end = text.index(">", start)
    opening = text[start:end]
    # ids unique per picture: several are inlined in one report
    key = hashlib.sha1(f"{title}\n{description}".encode()).hexdigest()[:12]
    accessible = (
        f'{opening} role="img" aria-labelledby="title-{key} desc-{key}">'
        f'<title id="title-{key}">{escape(title)}</title><desc id="desc-{key}">{escape(description)}</desc>'
    )
    return text[:start] + accessible + text[end + 1 :]


def pc_text(probability: float) -> str:
    """A probability of collision as the injects write it: 1.2e-04."""
    return f"{probability:.1e}"


def _number(value: float, digits: int = 0) -> str:
    """`f"{value:,.{digits}f}"` with the active language's marks: "1,234.5" in English, "1 234,5" in French."""
    text = f"{value:,.{digits}f}"
    marks = {",": formats.get_format("THOUSAND_SEPARATOR"), ".": formats.get_format("DECIMAL_SEPARATOR")}
    return "".join(marks.get(ch, ch) for ch in text)


def _metres(value: float) -> str:
    return f"{_number(value)} m" if abs(value) >= 10 else f"{_number(value, 1)} m"


# ---------------------------------------------------------------------------------------------------------------
# The encounter plane


@dataclass(frozen=True)
class EncounterGeometry:
    """A conjunction in its encounter plane, in metres: x along the miss (perpendicular to the relative
    velocity), y = (relative velocity) × x. The combined covariance is the two objects' sum, projected."""

    miss_m: np.ndarray  # (2,), the secondary relative to the primary
    covariance_m2: np.ndarray  # (2, 2)
    hard_body_radius_m: float
    relative_speed_m_s: float

    @property
    def miss_distance_m(self) -> float:
        return float(np.hypot(*self.miss_m))

    @property
    def principal_axes(self) -> tuple[float, float, float]:
        """(1σ along the major axis, 1σ along the minor axis, the major axis' angle from x in degrees)."""
        values, vectors = np.linalg.eigh(self.covariance_m2)  # ascending
        major, minor = math.sqrt(max(values[1], 0.0)), math.sqrt(max(values[0], 0.0))
        angle = math.degrees(math.atan2(vectors[1, 1], vectors[0, 1]))
        return major, minor, angle


def encounter_geometry(
    primary_state: dict, secondary_state: dict, primary_sigmas_m, secondary_sigmas_m, hard_body_radius_m: float
) -> EncounterGeometry:
    """From both TEME states at TCA ({'r': km x3, 'v': km/s x3}, as a Conjunction stores them), each object's
    1-sigma radial, in-track, cross-track uncertainty (m) and the hard-body radius (the two radii's sum, m)."""
    r1, v1 = np.asarray(primary_state["r"], float), np.asarray(primary_state["v"], float)
    r2, v2 = np.asarray(secondary_state["r"], float), np.asarray(secondary_state["v"], float)
    combined_km2 = assessment.covariance_teme_km2(r1, v1, primary_sigmas_m) + assessment.covariance_teme_km2(
        r2, v2, secondary_sigmas_m
    )
    plane = collision.encounter_plane(r1, v1, r2, v2)
    return EncounterGeometry(
        miss_m=plane.miss * 1000.0,
        covariance_m2=plane.project(combined_km2) * 1e6,
        hard_body_radius_m=float(hard_body_radius_m),
        relative_speed_m_s=plane.relative_speed * 1000.0,
    )


def encounter_plane_figure(geometry: EncounterGeometry, *, primary: str, secondary: str):
    major, minor, angle = geometry.principal_axes
    mx, my = (float(x) for x in geometry.miss_m)
    figure, axes = _figure((5.6, 4.6))
    _margins(figure, left=0.9, bottom=0.7, right=0.2, top=0.4)
    for k, style in ((3, ":"), (1, "-")):
        axes.add_patch(
            Ellipse(
                (mx, my),
                width=2 * k * major,
                height=2 * k * minor,
                angle=angle,
                fill=k == 1,
                facecolor="#dbeafe",
                edgecolor="#1d4ed8",
                linestyle=style,
                linewidth=1.2,
                label=gettext("Combined %(k)sσ uncertainty") % {"k": k},
                gid=f"sigma-{k}",
            )
        )
    axes.add_patch(
        Circle(
            (0, 0),
            geometry.hard_body_radius_m,
            facecolor="#fecdca",
            edgecolor="#b42318",
            label=gettext("Hard-body radius %(radius)s") % {"radius": _metres(geometry.hard_body_radius_m)},
            gid="hard-body",
        )
    )
    axes.annotate(
        "",
        xy=(mx, my),
        xytext=(0, 0),
        arrowprops={"arrowstyle": "->", "color": "#101828", "linewidth": 1.4},
    )
    axes.plot([0], [0], marker="+", color="#b42318", markersize=10, linestyle="none", label=primary)
    axes.plot([mx], [my], marker="o", color="#101828", markersize=4, linestyle="none", label=secondary)
    miss = gettext("miss %(distance)s") % {"distance": _metres(geometry.miss_distance_m)}
    axes.text(mx / 2, my / 2, f" {miss}", fontsize=8, va="bottom")
    # A square window on the origin and the miss point, wide enough for the 3σ ellipse and the hard-body circle
    half = max(3.3 * major + math.hypot(mx, my) / 2, geometry.hard_body_radius_m * 1.5, 1.0)
    cx, cy = mx / 2, my / 2
    axes.set_xlim(cx - half, cx + half)
    axes.set_ylim(cy - half, cy + half)
    axes.set_aspect("equal", adjustable="box")
    axes.set_xlabel(gettext("Encounter plane, along the miss (m)"))
    axes.set_ylabel(gettext("Encounter plane, across (m)"))
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=7, framealpha=0.85)
    axes.set_title(
        gettext("Encounter plane: %(primary)s × %(secondary)s") % {"primary": primary, "secondary": secondary}
    )
    return figure


def encounter_plane(
    geometry: EncounterGeometry, *, primary: str, secondary: str, probability: float | None = None, fmt: str = "svg"
):
    major, minor, _ = geometry.principal_axes
    values = {
        "primary": primary,
        "secondary": secondary,
        "miss": _metres(geometry.miss_distance_m),
        "speed": _number(geometry.relative_speed_m_s),
        "major": _metres(major),
        "minor": _metres(minor),
        "major3": _metres(3 * major),
        "minor3": _metres(3 * minor),
        "radius": _metres(geometry.hard_body_radius_m),
        "pc": pc_text(probability) if probability is not None else "",
    }
    if probability is not None:
        description = gettext(
            "%(secondary)s passes %(primary)s at %(miss)s in the encounter plane, at %(speed)s m/s relative speed. "
            "Combined 1σ uncertainty ellipse %(major)s × %(minor)s (3σ: %(major3)s × %(minor3)s); hard-body radius "
            "%(radius)s; probability of collision %(pc)s."
        )
    else:
        description = gettext(
            "%(secondary)s passes %(primary)s at %(miss)s in the encounter plane, at %(speed)s m/s relative speed. "
            "Combined 1σ uncertainty ellipse %(major)s × %(minor)s (3σ: %(major3)s × %(minor3)s); hard-body radius "
            "%(radius)s."
        )
    figure = encounter_plane_figure(geometry, primary=primary, secondary=secondary)
    title = gettext("Encounter plane of %(primary)s and %(secondary)s") % values
    return _output(figure, fmt, title, description % values)


# ---------------------------------------------------------------------------------------------------------------
# Miss distance around TCA


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _position=None) -> str:
    """A log axis's major tick label: 10 to the power, or nothing where the tick is not a power of ten."""
    if value <= 0:
        return ""
    exponent = round(math.log10(value))
    if not math.isclose(value, 10.0**exponent, rel_tol=1e-6):
        return ""
    return f"10{str(exponent).translate(_SUPERSCRIPTS)}"


def miss_distance_figure(times: list[datetime], distances_m, tca: datetime, *, primary: str, secondary: str, tca_label):
    minutes = np.array([(t - tca).total_seconds() / 60.0 for t in times])
    distances_km = np.asarray(distances_m, dtype=float) / 1000.0
    figure, axes = _figure((6.4, 3.4))
    _margins(figure, left=0.85, bottom=0.65, right=0.2, top=0.4)
    axes.plot(minutes, distances_km, color="#1d4ed8", linewidth=1.3, label=gettext("Range"))
    axes.axvline(0, color="#b42318", linestyle="--", linewidth=1, label=f"TCA {tca_label}")
    axes.set_yscale("log")
    # Minor gridlines at 2 and 5 × each power of ten (not at every multiple, unlabelled): each minor tick is a tick
    # object with its label to lay out at every draw; 8 a decade were half of the picture's time (issue #18).
    axes.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    axes.yaxis.set_minor_formatter(NullFormatter())
    # 10⁻³ … 10⁴ in plain text (Unicode superscripts), as the default formatter draws them, without its mathtext:
    # parsing "$\\mathdefault{10^{-3}}$" for each label was a third of the picture's time.
    axes.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    axes.set_xlabel(gettext("Minutes from TCA (%(time)s)") % {"time": tca_label})
    axes.set_ylabel(gettext("Distance between the objects (km)"))
    axes.grid(alpha=0.3, which="both")
    axes.legend(loc="upper center", fontsize=7)
    axes.set_title(
        gettext("Miss distance around TCA: %(primary)s × %(secondary)s") % {"primary": primary, "secondary": secondary}
    )
    return figure


def miss_distance_series(
    times: list[datetime],
    distances_m,
    tca: datetime,
    *,
    primary: str,
    secondary: str,
    tca_label: str,
    fmt: str = "svg",
):
    distances = np.asarray(distances_m, dtype=float)
    nearest = int(np.nanargmin(distances))
    span = (times[-1] - times[0]).total_seconds() / 60.0
    values = {
        "primary": primary,
        "secondary": secondary,
        "span": f"{span:.0f}",
        "time": tca_label,
        "start": _number(distances[0] / 1000, 1),
        "least": _metres(distances[nearest]),
        "offset": f"{(times[nearest] - tca).total_seconds():+.0f}",
        "end": _number(distances[-1] / 1000, 1),
    }
    description = (
        gettext(
            "Distance between %(primary)s and %(secondary)s over %(span)s minutes around the time of closest approach "
            "%(time)s: %(start)s km at the start, least %(least)s %(offset)s s from TCA, %(end)s km at the end."
        )
        % values
    )
    figure = miss_distance_figure(times, distances, tca, primary=primary, secondary=secondary, tca_label=tca_label)
    return _output(
        figure, fmt, gettext("Miss distance of %(primary)s and %(secondary)s around TCA") % values, description
    )


# ---------------------------------------------------------------------------------------------------------------
# A debris cloud


def gabbard(periods_min, apogees_km, perigees_km, *, parent: str, parent_point=None, fmt: str = "svg"):
    """Each fragment twice at its period: its apogee (▲) and its perigee (▼). parent_point is the parent's
    (period, apogee, perigee) before its break-up, or None."""
    periods, apogees, perigees = (np.asarray(x, dtype=float) for x in (periods_min, apogees_km, perigees_km))
    figure, axes = _figure((6.4, 4.0))
    _margins(figure, left=0.85, bottom=0.65, right=0.2, top=0.4)
    axes.scatter(periods, apogees, marker="^", s=10, color="#b42318", label=gettext("Apogee"), linewidths=0)
    axes.scatter(periods, perigees, marker="v", s=10, color="#1d4ed8", label=gettext("Perigee"), linewidths=0)
    if parent_point is not None:
        period, apogee, perigee = parent_point
        axes.scatter([period, period], [apogee, perigee], marker="*", s=90, color="#101828", label=parent, zorder=3)
    axes.set_xlabel(gettext("Orbital period (minutes)"))
    axes.set_ylabel(gettext("Altitude (km)"))
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=7)
    axes.set_title(
        gettext("Gabbard diagram: %(count)s fragments of %(parent)s") % {"count": len(periods), "parent": parent}
    )
    if len(periods):
        description = gettext(
            "%(count)s fragments of %(parent)s: periods %(shortest)s to %(longest)s minutes, apogees up to "
            "%(apogee)s km, perigees down to %(perigee)s km."
        ) % {
            "count": len(periods),
            "parent": parent,
            "shortest": _number(periods.min(), 1),
            "longest": _number(periods.max(), 1),
            "apogee": _number(apogees.max()),
            "perigee": _number(perigees.min()),
        }
    else:
        description = gettext("No fragments of %(parent)s.") % {"parent": parent}
    return _output(
        figure, fmt, gettext("Gabbard diagram of the debris of %(parent)s") % {"parent": parent}, description
    )


def altitude_histogram(altitudes_km, *, parent: str, bin_km: float = 25.0, fmt: str = "svg"):
    """How many fragments at each altitude (their mean altitude, (apogee + perigee) / 2), in bins of bin_km."""
    altitudes = np.asarray(altitudes_km, dtype=float)
    figure, axes = _figure((6.4, 3.4))
    _margins(figure, left=0.85, bottom=0.65, right=0.2, top=0.4)
    if len(altitudes):
        low = math.floor(altitudes.min() / bin_km) * bin_km
        high = max(math.ceil(altitudes.max() / bin_km) * bin_km, low + bin_km)
        edges = np.arange(low, high + bin_km / 2, bin_km)
        counts, edges = np.histogram(altitudes, bins=edges)
        axes.bar(edges[:-1], counts, width=bin_km, align="edge", color="#1d4ed8", edgecolor="white")
        peak = int(np.argmax(counts))
        description = gettext(
            "%(count)s fragments of %(parent)s in %(bin)s-km altitude bins from %(low)s to %(high)s km; the most, "
            "%(most)s, between %(bottom)s and %(top)s km."
        ) % {
            "count": len(altitudes),
            "parent": parent,
            "bin": f"{bin_km:.0f}",
            "low": _number(low),
            "high": _number(high),
            "most": counts[peak],
            "bottom": _number(edges[peak]),
            "top": _number(edges[peak + 1]),
        }
    else:
        description = gettext("No fragments of %(parent)s.") % {"parent": parent}
    axes.set_xlabel(gettext("Mean altitude (km)"))
    axes.set_ylabel(gettext("Fragments"))
    axes.grid(alpha=0.3, axis="y")
    title = gettext("Fragments of %(parent)s by altitude") % {"parent": parent}
    axes.set_title(title)
    return _output(figure, fmt, title, description)


# ---------------------------------------------------------------------------------------------------------------
# The allied catalogue over the exercise


@dataclass(frozen=True)
class AltitudeTrack:
    name: str
    minutes: np.ndarray  # exercise time, minutes after STARTEX
    altitudes_km: np.ndarray  # NaN where the object is gone (destroyed or decayed)


@dataclass(frozen=True)
class Event:
    minutes: float  # exercise time, minutes after STARTEX
    label: str  # e.g. "Inject 4" or "TCA ALLIED-SAT 7 × OBJECT 58213" (in the active language)
    kind: str  # "inject" or "conjunction"
    mark: str = ""  # what is written along the top for an inject: its number


HIGH_ORBIT_KM = 2000.0  # objects above it (MEO, GEO) get a panel of their own: one axis would flatten LEO
INJECT_LABEL_SPACING = 0.03  # an inject's number is written when at least this fraction of the span from the last


def _high(track: AltitudeTrack) -> bool:
    finite = track.altitudes_km[np.isfinite(track.altitudes_km)]
    return bool(len(finite)) and float(finite.max()) >= HIGH_ORBIT_KM


def catalogue_altitudes(tracks: list[AltitudeTrack], events: list[Event], *, fmt: str = "svg"):
    """One panel for low orbits and, when some object is above HIGH_ORBIT_KM, one above it for the high ones."""
    high = [track for track in tracks if _high(track)]
    low = [track for track in tracks if not _high(track)]
    panels = [group for group in (high, low) if group] or [[]]
    figure = Figure(figsize=(8, 3.8 if len(panels) == 1 else 4.8))
    grid = figure.subplots(len(panels), 1, sharex=True, squeeze=False, height_ratios=[1] * (len(panels) - 1) + [2])
    _margins(figure, left=0.85, bottom=0.65, right=2.0, top=0.45)
    colour = {track.name: ALLIED_COLOURS[index % len(ALLIED_COLOURS)] for index, track in enumerate(tracks)}
    styles = {
        "inject": ("#98a2b3", "-", gettext("Inject due")),
        "conjunction": ("#b42318", "--", gettext("Conjunction TCA")),
    }
    for axes, group in zip(grid[:, 0], panels, strict=True):
        for track in group:
            axes.plot(track.minutes, track.altitudes_km, linewidth=1.1, color=colour[track.name], label=track.name)
        for kind, (line_colour, style, label) in styles.items():
            for number, moment in enumerate(event.minutes for event in events if event.kind == kind):
                axes.axvline(
                    moment, color=line_colour, linestyle=style, linewidth=0.8, label=label if number == 0 else None
                )
        axes.set_ylabel(gettext("Altitude (km)"))
        axes.grid(alpha=0.3)
    top, bottom = grid[0, 0], grid[-1, 0]
    span = max((float(t.minutes[-1]) for t in tracks if len(t.minutes)), default=0.0) or 1.0
    last = None
    for event in sorted((e for e in events if e.kind == "inject"), key=lambda e: e.minutes):
        if last is None or event.minutes - last >= INJECT_LABEL_SPACING * span:  # its number along the top
            top.text(
                event.minutes,
                1.01,
                event.mark or event.label.removeprefix("Inject "),
                transform=top.get_xaxis_transform(),
                fontsize=6,
                color="#475467",
                ha="center",
                va="bottom",
            )
            last = event.minutes
    bottom.set_xlabel(gettext("Exercise time (minutes after STARTEX)"))
    handles, labels = {}, []
    for axes in grid[:, 0]:
        for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    events_last = {label for _, _, label in styles.values()}
    labels.sort(key=lambda label: label in events_last)  # the objects, then what the lines mean
    top.legend(
        [handles[label] for label in labels],
        labels,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7,
        frameon=False,
    )
    title = gettext("Allied satellites' altitude over the exercise")
    top.set_title(title, pad=12)
    parts = []
    for track in tracks:
        finite = track.altitudes_km[np.isfinite(track.altitudes_km)]
        if len(finite):
            parts.append(f"{track.name} {_number(finite.min())}–{_number(finite.max())} km")
    injects = [e for e in events if e.kind == "inject"]
    conjunctions = [e for e in events if e.kind == "conjunction"]
    end = max((float(track.minutes[-1]) for track in tracks if len(track.minutes)), default=0.0)

    def listed(events) -> str:
        moments = [
            gettext("%(event)s at %(minutes)s min") % {"event": e.label, "minutes": f"{e.minutes:.0f}"} for e in events
        ]
        return f" ({', '.join(moments)})" if moments else ""

    description = gettext(
        "Altitude of %(count)s allied objects over %(minutes)s minutes of exercise time: %(ranges)s. Marked: "
        "%(injects)s and %(conjunctions)s."
    ) % {
        "count": len(tracks),
        "minutes": f"{end:.0f}",
        "ranges": "; ".join(parts) or gettext("none"),
        "injects": gettext("%(count)s injects due") % {"count": len(injects)} + listed(injects),
        "conjunctions": gettext("%(count)s conjunction TCAs") % {"count": len(conjunctions)} + listed(conjunctions),
    }
    return _output(figure, fmt, title, description)

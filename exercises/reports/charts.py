"""Charts of the after-action report, drawn server-side with matplotlib.

Each chart is rendered as SVG for the HTML report (inlined), as a `Picture` (PNG with its text) for the PDF
(WeasyPrint lays out an <img> of a PNG in a fraction of the time it takes to lay out the SVG's paths and
text) and as PNG for the DOCX.
"""

import base64
import io
from collections import defaultdict
from dataclasses import dataclass

import matplotlib
import numpy as np

matplotlib.use("Agg")  # no display: render to files only

from django.utils.translation import gettext, gettext_lazy  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.path import Path  # noqa: E402

RESPONSE_BINS = 60  # time bins of the responses in the timeline chart

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",
        "font.size": 9,
        "font.family": "DejaVu Sans",
        "svg.hashsalt": "aar",
        # A title at a fixed height (where the automatic placement puts it on these charts, which have no tick labels
        # on top): the automatic one measures every tick label of the axes (and of a colorbar's) at each draw.
        "axes.titley": 1.0,
    }
)


def _figure(figsize) -> tuple[Figure, object]:
    """A figure and its axes without pyplot: no figure manager to create and close (and no global state)."""
    figure = Figure(figsize=figsize)
    return figure, figure.subplots()


PDF_DPI = 150  # the PDF's pictures: sharp in print, and still cheap to encode and for WeasyPrint to place


@dataclass(frozen=True)
class Picture:
    """A chart as the PDF carries it: an <img> of its PNG (a data: URI) with the text the HTML's SVG states (its
    title, and for the orbit pictures their description), at the SVG's size in CSS px (1/96 in)."""

    src: str
    alt: str
    width: int
    height: int


def picture(figure: Figure, alt: str) -> Picture:
    width, height = figure.get_size_inches()
    png = base64.b64encode(_render(figure, "png", dpi=PDF_DPI)).decode("ascii")
    return Picture(f"data:image/png;base64,{png}", alt, round(width * 96), round(height * 96))


def _render(figure: Figure, fmt: str, dpi: int = 110) -> bytes:
    # Margins are fixed by each chart (_margins), not found by bbox_inches="tight", which draws the
    # figure twice: 0.6 s instead of 0.3 s for the four charts of a big exercise (bench/reports.py).
    if fmt == "svg":
        # Into text, encoded once: into bytes, matplotlib wraps the buffer in a codec writer that encodes each of
        # the ~10 000 pieces it writes.
        text = io.StringIO()
        figure.savefig(text, format="svg", dpi=dpi, metadata={"Date": None})
        return text.getvalue().encode()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def _margins(figure: Figure, *, left: float, bottom: float, right: float = 0.15, top: float = 0.35) -> None:
    """Room for labels, legend and colorbar around the axes, in inches."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)


def _minutes(value):
    return value.total_seconds() / 60


def injects_and_responses(report) -> Figure:
    """Injects released (triangles) and responses (shaded: how many in each time bin) per team along
    exercise time. The responses are binned, not drawn one by one, so the chart's size does not grow
    with how many there are (every response is in the record: responses.csv, the JSON archive).
    Its words, as every chart's, in the active language (the report's reader's)."""
    codes = [team.code for team in report.teams]
    rows = {code: index for index, code in enumerate(codes)}
    releases = [(_minutes(r.exercise_time), rows[r.team_id]) for r in report.releases if r.team_id in rows]
    responses = [(_minutes(r.exercise_time), rows[r.team_id]) for r in report.responses if r.team_id in rows]
    end = max([t for t, _ in releases + responses] or [1.0]) or 1.0
    bins = RESPONSE_BINS
    counts = np.zeros((len(codes), bins))
    for t, row in responses:
        counts[row, min(int(t / end * bins), bins - 1)] += 1
    figure, axes = _figure((8, 0.45 * len(codes) + 1.6))
    _margins(figure, left=0.6, bottom=0.85, right=0.1)
    mesh = _shaded_cells(
        axes, np.linspace(0, end, bins + 1), np.where(counts > 0, counts, np.nan), cmap="Greens", vmin=0
    )
    axes.scatter(
        [t for t, _ in releases],
        [row - 0.32 for _, row in releases],
        marker="v",
        s=22,
        color="#1d4ed8",
        label=gettext("Inject released"),
        zorder=3,
    )
    axes.set_yticks(range(len(codes)), codes)
    axes.set_ylim(len(codes) - 0.5, -0.5)
    axes.set_xlim(0, end)
    axes.set_xlabel(gettext("Exercise time (minutes after STARTEX)"))
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 0.0), bbox_transform=figure.transFigure, frameon=False)
    figure.colorbar(
        mesh, ax=axes, label=gettext("Responses per %(minutes)s min") % {"minutes": f"{end / bins:.0f}"}, pad=0.01
    )
    axes.set_title(gettext("Injects and responses per team"))
    return figure


def _shaded_cells(axes, x_edges, values, *, cmap: str, vmin=None, vmax=None) -> PathCollection:
    """Cells shaded by value, row r spanning r ± 0.5 and column c from x_edges[c] to x_edges[c + 1]; NaN cells are
    left blank. What `pcolormesh` or `imshow` draws, as one compound vector path per distinct value: a few dozen
    SVG elements instead of one per cell (pcolormesh), and no image to resample and encode as PNG (imshow),
    for a fraction of the drawing time. The colour scale, as theirs, runs from the lowest value to the highest
    unless vmin or vmax are given."""
    values = np.asarray(values, dtype=float)
    levels = np.unique(values[~np.isnan(values)])
    paths = []
    for level in levels:
        rows, columns = np.nonzero(values == level)
        left, right, bottom, top = x_edges[columns], x_edges[columns + 1], rows - 0.5, rows + 0.5
        corners = np.stack([left, bottom, right, bottom, right, top, left, top, left, bottom], axis=1)
        codes = np.tile([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], len(rows))
        paths.append(Path(corners.reshape(-1, 2), codes))
    cells = PathCollection(
        paths,
        cmap=cmap,
        norm=Normalize(vmin=vmin, vmax=vmax),
        edgecolors="none",
        linewidths=0,
        antialiaseds=False,  # as a QuadMesh or an image: no seams between the cells of one path
    )
    cells.set_array(levels)
    if len(levels):
        cells.autoscale_None()
    else:
        cells.set_clim(vmin if vmin is not None else 0, vmax if vmax is not None else 1)
    axes.add_collection(cells, autolim=False)
    axes.set_xlim(x_edges[0], x_edges[-1])
    axes.set_ylim(len(values) - 0.5 if len(values) else 0.5, -0.5)  # the first row on top
    return cells


def _grid_edges(columns: int):
    """Column edges of a heat map with a column per integer, as imshow places them."""
    return np.arange(max(columns, 1) + 1) - 0.5


def response_times(report) -> Figure:
    """Distribution of minutes from an inject's arrival to the team's first response."""
    figure, axes = _figure((8, 3.2))
    _margins(figure, left=0.75, bottom=0.6)
    data, labels = [], []
    for team in report.teams:
        values = [
            _minutes(row.to_first_response)
            for row in report.inject_rows
            if row.team.code == team.code and row.to_first_response is not None
        ]
        data.append(values or [0])
        labels.append(f"{team.code}\n(n={len(values)})")
    axes.boxplot(data, tick_labels=labels, showfliers=True)
    axes.set_ylabel(gettext("Minutes to first response"))
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(gettext("Response time per team"))
    return figure


def coverage_heat_map(report) -> Figure:
    """Share of expected protocol steps claimed, per team and protocol."""
    claimed, expected = defaultdict(int), defaultdict(int)  # (team, protocol) → steps claimed, expected
    for row in report.inject_rows:
        for s in row.steps:
            expected[(row.team.code, s.step.protocol_id)] += 1
            claimed[(row.team.code, s.step.protocol_id)] += s.status != "missed"
    protocols = sorted({protocol for _, protocol in expected})
    codes = [team.code for team in report.teams]
    grid = [
        [100 * claimed[(code, p)] / expected[(code, p)] if expected[(code, p)] else float("nan") for p in protocols]
        for code in codes
    ]
    figure, axes = _figure((max(4, 0.9 * len(protocols) + 2), 0.45 * len(codes) + 1.4))
    _margins(figure, left=0.6, bottom=0.45, right=0.1)
    image = _shaded_cells(axes, _grid_edges(len(protocols)), grid, cmap="RdYlGn", vmin=0, vmax=100)
    axes.set_xticks(range(len(protocols)), protocols)
    axes.set_yticks(range(len(codes)), codes)
    for y, line in enumerate(grid):
        for x, value in enumerate(line):
            if value == value:  # not NaN
                axes.text(x, y, f"{value:.0f}%", ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label=gettext("%(percent)s of expected steps claimed") % {"percent": "%"})
    axes.set_title(gettext("Protocol coverage"))
    return figure


def sharing_matrix(report) -> Figure:
    """Assessments shared: rows share with columns."""
    codes = [team.code for team in report.teams]
    counts = [[(cell or {}).get("count", 0) for cell in row] for _, row in report.sharing["grid"]]
    figure, axes = _figure((0.6 * len(codes) + 2.5, 0.5 * len(codes) + 1.5))
    _margins(figure, left=0.9, bottom=0.75, right=0.1)
    image = _shaded_cells(axes, _grid_edges(len(codes)), counts, cmap="Blues")
    axes.set_xticks(range(len(codes)), codes)
    axes.set_yticks(range(len(codes)), codes)
    axes.set_xlabel(gettext("Shared with"))
    axes.set_ylabel(gettext("Shared by"))
    for y, line in enumerate(counts):
        for x, value in enumerate(line):
            if value:
                axes.text(x, y, str(value), ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label=gettext("Assessments"))
    axes.set_title(gettext("Who shared with whom"))
    return figure


CHARTS = {
    "injects_and_responses": (gettext_lazy("Injects and responses per team"), injects_and_responses),
    "response_times": (gettext_lazy("Response time per team"), response_times),
    "coverage": (gettext_lazy("Protocol coverage heat map"), coverage_heat_map),
    "sharing": (gettext_lazy("Who shared with whom"), sharing_matrix),
}


def render_charts(charts: dict, data, fmt: str = "svg") -> dict:
    """Each chart of `charts` ({key: (name, draw)}) drawn from `data`, by key: SVG or PNG bytes, or ("img") a
    Picture for the PDF, its alt text the chart's name."""
    if fmt == "img":
        return {key: picture(draw(data), str(name)) for key, (name, draw) in charts.items()}
    return {key: _render(draw(data), fmt) for key, (_, draw) in charts.items()}


def render_all(report, fmt: str = "svg") -> dict:
    return render_charts(CHARTS, report, fmt)

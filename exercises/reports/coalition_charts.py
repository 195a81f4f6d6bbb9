"""Charts of the coalition analytics (exercises/coalition.py), drawn with matplotlib like the report's others:
divergence over time per decision inject, the consensus timeline, and the sharing-latency matrix by
classification. Each returns a Figure; `render_all` gives SVG (HTML, PDF) or PNG (DOCX)."""

import numpy as np
from django.utils.translation import gettext, gettext_lazy
from matplotlib.figure import Figure

from exercises.models import Classification
from exercises.reports.charts import _figure, _grid_edges, _margins, _shaded_cells, render_charts

COLOURS = ["#1d4ed8", "#b91c1c", "#047857", "#a16207", "#7c3aed", "#0e7490", "#be185d", "#4d7c0f"]
CLASSIFICATION_LABELS = dict(Classification.choices)


def _minutes(value) -> float:
    return value.total_seconds() / 60


def _label(item) -> str:
    title = item.inject.title
    return f"{item.inject.sequence}. {title if len(title) <= 28 else title[:27].rstrip() + '…'}"


def divergence_over_time(coalition):
    """Per decision inject, the share of pairs of nations disagreeing on the cause after each assessment."""
    figure, axes = _figure((8, 3.4))
    _margins(figure, left=0.75, bottom=0.6, right=2.6)
    drawn = False
    for index, item in enumerate(coalition.injects):
        points = [(p.at, p.cause_disagreement) for p in item.divergence if p.cause_disagreement is not None]
        if not points:
            continue
        drawn = True
        axes.step(
            [_minutes(at) for at, _ in points],
            [100 * value for _, value in points],
            where="post",
            color=COLOURS[index % len(COLOURS)],
            label=_label(item),
        )
    axes.set_ylim(-5, 105)
    axes.set_xlabel(gettext("Exercise time (minutes after STARTEX)"))
    axes.set_ylabel(gettext("%(percent)s of pairs disagreeing on the cause") % {"percent": "%"})
    axes.grid(alpha=0.3)
    if drawn:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7)
    else:
        axes.text(
            0.5,
            0.5,
            gettext("No two nations assessed one inject"),
            ha="center",
            va="center",
            transform=axes.transAxes,
        )
    axes.set_title(gettext("Divergence over time"))
    return figure


def consensus_timeline(coalition):
    """Per decision inject: from its release (triangle), the periods the nations agreed (green) or not (grey)."""
    items = coalition.injects
    figure, axes = _figure((8, 0.45 * max(len(items), 1) + 1.4))
    _margins(figure, left=2.4, bottom=0.6)
    moments = [_minutes(p.at) for item in items for p in item.divergence]
    end = max(moments + [_minutes(item.inject.released_at) for item in items] + [1]) + 5
    for row, item in enumerate(items):
        released = _minutes(item.inject.released_at)
        axes.barh(row, end - released, left=released, height=0.5, color="#e5e7eb")
        for start, stop in item.consensus.periods:
            stop_minutes = _minutes(stop) if stop is not None else end
            axes.barh(row, stop_minutes - _minutes(start), left=_minutes(start), height=0.5, color="#16a34a")
        axes.scatter([released], [row], marker="v", color="#1d4ed8", zorder=3)
    axes.set_yticks(range(len(items)), [_label(item) for item in items])
    axes.set_ylim(max(len(items), 1) - 0.5, -0.5)  # one empty row when nothing is released yet
    if not items:
        axes.text(end / 2, 0, "No decision-bearing inject released yet", ha="center", va="center", color="#6b7280")
    axes.set_xlim(0, end)
    axes.set_xlabel(gettext("Exercise time (minutes after STARTEX); green: all nations agree on cause and action"))
    axes.set_title(gettext("Consensus timeline"))
    return figure


def sharing_latency(coalition):
    """Median minutes from a source's arrival to its share, sender × recipient, one panel per classification."""
    cells = coalition.classification_cells
    levels = [c for c in Classification.values if any(cell.classification == c for cell in cells)] or [
        Classification.UNCLASSIFIED
    ]
    codes = sorted({cell.from_team for cell in cells} | {cell.to_team for cell in cells})
    size = max(len(codes), 1)
    figure = Figure(figsize=(3.2 * len(levels) + 1, 0.4 * size + 1.8))
    panels = figure.subplots(1, len(levels), squeeze=False)[0]
    _margins(figure, left=0.6, bottom=0.7, right=0.2, top=0.5)
    highest = max([cell.median_minutes for cell in cells] + [1])
    for axes, level in zip(panels, levels, strict=True):
        grid = np.full((size, size), np.nan)
        for cell in cells:
            if cell.classification == level:
                grid[codes.index(cell.from_team), codes.index(cell.to_team)] = cell.median_minutes
        _shaded_cells(axes, _grid_edges(size), grid, cmap="OrRd", vmin=0, vmax=highest)
        for y in range(size):
            for x in range(size):
                if grid[y, x] == grid[y, x]:  # not NaN
                    dark = grid[y, x] > highest * 0.6  # white figures on the darkest cells, to stay legible
                    colour = "white" if dark else "black"
                    axes.text(x, y, f"{grid[y, x]:.0f}", ha="center", va="center", fontsize=7, color=colour)
        axes.set_xticks(range(len(codes)), codes, fontsize=7)
        axes.set_yticks(range(len(codes)), codes, fontsize=7)
        axes.set_title(CLASSIFICATION_LABELS[level].replace("EXERCISE ", ""), fontsize=8)
        axes.set_xlabel(gettext("Shared with"), fontsize=7)
    panels[0].set_ylabel(gettext("Shared by"))
    figure.suptitle(gettext("Minutes to share, by classification"), fontsize=9)
    return figure


CHARTS = {
    "coalition_divergence": (gettext_lazy("Divergence over time"), divergence_over_time),
    "coalition_consensus": (gettext_lazy("Consensus timeline"), consensus_timeline),
    "coalition_sharing": (gettext_lazy("Minutes to share, by classification"), sharing_latency),
}


def render_all(coalition, fmt: str = "svg") -> dict:
    return render_charts(CHARTS, coalition, fmt)

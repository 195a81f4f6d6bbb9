"""Charts of the after-action report, drawn server-side with matplotlib.

Each chart is rendered once as SVG (inlined in the HTML report and in the PDF, which
WeasyPrint draws from the same HTML) and as PNG for the DOCX.
"""

import io

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "font.family": "DejaVu Sans", "svg.hashsalt": "aar"})


def _render(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, bbox_inches="tight", dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(figure)
    return buffer.getvalue()


def _minutes(value):
    return value.total_seconds() / 60


def injects_and_responses(report) -> Figure:
    """Injects (triangles) and responses (dots) per team along exercise time."""
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(report.teams) + 1.2))
    codes = [team.code for team in report.teams]
    rows = {code: index for index, code in enumerate(codes)}
    releases = [(r.exercise_time, r.team_id) for r in report.releases]
    responses = [(r.exercise_time, r.team_id) for r in report.responses]
    axes.scatter(
        [_minutes(t) for t, _ in releases],
        [rows[c] + 0.12 for _, c in releases],
        marker="v",
        s=28,
        color="#1d4ed8",
        label="Inject released",
    )
    axes.scatter(
        [_minutes(t) for t, _ in responses],
        [rows[c] - 0.12 for _, c in responses],
        marker="o",
        s=14,
        color="#067647",
        alpha=0.7,
        label="Response",
    )
    axes.set_yticks(range(len(codes)), codes)
    axes.set_ylim(-0.6, len(codes) - 0.4)
    axes.invert_yaxis()
    axes.set_xlabel("Exercise time (minutes after STARTEX)")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, frameon=False)
    axes.grid(axis="x", alpha=0.3)
    axes.set_title("Injects and responses per team")
    return figure


def response_times(report) -> Figure:
    """Distribution of minutes from an inject's arrival to the team's first response."""
    figure, axes = plt.subplots(figsize=(8, 3.2))
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
    axes.set_ylabel("Minutes to first response")
    axes.grid(axis="y", alpha=0.3)
    axes.set_title("Response time per team")
    return figure


def coverage_heat_map(report) -> Figure:
    """Share of expected protocol steps claimed, per team and protocol."""
    protocols = sorted({step.step.protocol_id for row in report.inject_rows for step in row.steps})
    codes = [team.code for team in report.teams]
    grid = []
    for code in codes:
        line = []
        for protocol in protocols:
            results = [
                s
                for row in report.inject_rows
                if row.team.code == code
                for s in row.steps
                if s.step.protocol_id == protocol
            ]
            line.append(100 * sum(s.status != "missed" for s in results) / len(results) if results else float("nan"))
        grid.append(line)
    figure, axes = plt.subplots(figsize=(max(4, 0.9 * len(protocols) + 2), 0.45 * len(codes) + 1.4))
    image = axes.imshow(grid or [[float("nan")]], cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
    axes.set_xticks(range(len(protocols)), protocols)
    axes.set_yticks(range(len(codes)), codes)
    for y, line in enumerate(grid):
        for x, value in enumerate(line):
            if value == value:  # not NaN
                axes.text(x, y, f"{value:.0f}%", ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label="% of expected steps claimed")
    axes.set_title("Protocol coverage")
    return figure


def sharing_matrix(report) -> Figure:
    """Assessments shared: rows share with columns."""
    codes = [team.code for team in report.teams]
    counts = [[(cell or {}).get("count", 0) for cell in row] for _, row in report.sharing["grid"]]
    figure, axes = plt.subplots(figsize=(0.6 * len(codes) + 2.5, 0.5 * len(codes) + 1.5))
    image = axes.imshow(counts or [[0]], cmap="Blues", aspect="auto")
    axes.set_xticks(range(len(codes)), codes)
    axes.set_yticks(range(len(codes)), codes)
    axes.set_xlabel("Shared with")
    axes.set_ylabel("Shared by")
    for y, line in enumerate(counts):
        for x, value in enumerate(line):
            if value:
                axes.text(x, y, str(value), ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label="Assessments")
    axes.set_title("Who shared with whom")
    return figure


CHARTS = {
    "injects_and_responses": ("Injects and responses per team", injects_and_responses),
    "response_times": ("Response time per team", response_times),
    "coverage": ("Protocol coverage heat map", coverage_heat_map),
    "sharing": ("Who shared with whom", sharing_matrix),
}


def render_all(report, fmt: str = "svg") -> dict[str, bytes]:
    return {key: _render(draw(report), fmt) for key, (_, draw) in CHARTS.items()}

"""The coalition metrics (exercises/coalition.py) as tables: CSV files of the zip, and the JSON archive's
`metrics.coalition` (the same columns, one object per row)."""

from exercises.models import format_exercise_time


def _minutes(value) -> str:
    return "" if value is None else f"{value.total_seconds() / 60:.1f}"


def _share(value) -> str:
    return "" if value is None else f"{value:.3f}"


def tables(coalition) -> dict[str, list[list]]:
    """File name → [header, *rows]."""
    consensus = [
        [
            "inject",
            "title",
            "teams",
            "released",
            "consensus_at",
            "minutes_to_consensus",
            "cause",
            "course_of_action",
            "held_out_longest",
            "never_answered",
            "consensus_lost_at",
            "actions_compatible",
        ]
    ]
    divergence = [
        [
            "inject",
            "exercise_time",
            "teams_assessed",
            "cause_disagreement",
            "action_disagreement",
            "confidence_spread_steps",
            "steps_jaccard_distance",
        ]
    ]
    assessments = [["inject", "team", "cause", "attributed_actor", "confidence", "course_of_action", "since"]]
    for item in coalition.injects:
        inject, result, row = item.inject, item.consensus, item.coordination
        consensus.append(
            [
                inject.sequence,
                inject.title,
                " ".join(inject.teams),
                format_exercise_time(inject.released_at),
                format_exercise_time(result.reached_at),
                _minutes(result.time_to_consensus),
                result.cause,
                result.action,
                " ".join(result.holdouts),
                " ".join(result.silent),
                format_exercise_time(result.lost_at),
                "" if row.compatible is None else ("yes" if row.compatible else "no"),
            ]
        )
        for point in item.divergence:
            divergence.append(
                [
                    inject.sequence,
                    format_exercise_time(point.at),
                    point.assessed,
                    _share(point.cause_disagreement),
                    _share(point.action_disagreement),
                    "" if point.confidence_spread is None else point.confidence_spread,
                    _share(point.steps_distance),
                ]
            )
        for team, current in item.current:
            if current is not None:
                assessments.append(
                    [
                        inject.sequence,
                        team,
                        current.cause,
                        current.actor,
                        current.confidence,
                        current.action_label,
                        format_exercise_time(current.at),
                    ]
                )
    barriers = [
        [
            "inject",
            "title",
            "released",
            "shares",
            "minutes_to_first_share",
            "first_share_from",
            "first_share_to",
            "downgrade_needed",
            "minutes_to_first_downgrade",
        ]
    ] + [
        [
            row.inject.sequence,
            row.inject.title,
            format_exercise_time(row.inject.released_at),
            row.shares,
            _minutes(row.first_share_after),
            row.first_share_from,
            " ".join(row.first_share_to),
            ("yes" if row.downgrade_needed else "no") if row.shares else "",
            _minutes(row.first_downgrade_after),
        ]
        for row in coalition.barriers
    ]
    by_classification = [["classification", "from", "to", "shares", "downgraded", "median_minutes_to_share"]] + [
        [c.classification, c.from_team, c.to_team, c.count, c.downgraded, f"{c.median_minutes:.1f}"]
        for c in coalition.classification_cells
    ]
    conflicts = [["primary", "secondary", "teams", "tca", "miss_distance_m"]] + [
        [c.primary, c.secondary, " ".join(c.teams), format_exercise_time(c.tca), f"{c.miss_distance_m:.0f}"]
        for c in coalition.conflicts
    ]
    return {
        "coalition_consensus.csv": consensus,
        "coalition_divergence.csv": divergence,
        "coalition_assessments.csv": assessments,
        "coalition_sharing_barriers.csv": barriers,
        "coalition_sharing_by_classification.csv": by_classification,
        "coalition_manoeuvre_conflicts.csv": conflicts,
    }


def archive_tables(coalition) -> dict[str, list[dict]]:
    """The same tables for the JSON archive: table name → one object per row."""
    return {
        name.removesuffix(".csv").removeprefix("coalition_"): [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        for name, rows in tables(coalition).items()
    }

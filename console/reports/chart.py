"""The attendance timeline as server-rendered SVG: one band per space, stacked vertically.

Readable without colour: every band carries its space's name and its peak in text, the shapes
are black on white, and hour lines are labelled. The same markup goes to the page and the PDF.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from markupsafe import Markup

from console.core.templating import templates
from console.session.vocab import Space
from console.settings import TZ

WIDTH, LABEL, RIGHT, BAND, GAP, AXIS = 720, 150, 24, 46, 10, 24


def timeline_svg(
    timeline: dict[str, list[int]], start: datetime, spaces: Sequence[Space] = tuple(Space)
) -> Markup:
    marks = max((len(series) for series in timeline.values()), default=0)
    plot = WIDTH - LABEL - RIGHT
    step = plot / max(1, marks - 1)
    top = max((max(series, default=0) for series in timeline.values()), default=0) or 1
    bands = []
    for index, space in enumerate(spaces):
        series = timeline.get(space, [0] * marks)
        y0 = index * (BAND + GAP)
        base = y0 + BAND
        points = [f"M{LABEL:.1f},{base:.1f}"]
        for minute, count in enumerate(series):
            x = LABEL + minute * step
            points.append(f"L{x:.1f},{base - BAND * count / top:.1f}")
        points.append(f"L{LABEL + (marks - 1) * step:.1f},{base:.1f}Z")
        bands.append(
            {
                "label": space.label,
                "peak": max(series, default=0),
                "y": y0,
                "base": base,
                "path": " ".join(points),
            }
        )
    height = len(bands) * (BAND + GAP) + AXIS
    hours = []
    local = start.astimezone(TZ)
    first = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    at = first
    while (minutes := (at - local).total_seconds() / 60) <= marks - 1:
        hours.append({"x": LABEL + minutes * step, "text": f"{at:%H:%M}"})
        at += timedelta(hours=1)
    summary = "、".join(f"{b['label']} 最大{b['peak']}人" for b in bands)
    return Markup(
        templates.get_template("reports/fragments/timeline_chart.svg").render(
            width=WIDTH,
            height=height,
            label=LABEL,
            plot_right=WIDTH - RIGHT,
            plot_bottom=height - AXIS,
            bands=bands,
            hours=hours,
            summary=summary,
        )
    )

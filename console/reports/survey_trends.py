"""A scale question's mean per session as server-rendered SVG: black on white, every point
labelled with its value and session in text, so it reads without colour (and the page shows
the same figures as a table beside it)."""

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, LEFT, RIGHT, TOP, HEIGHT, BOTTOM = 720, 48, 24, 16, 200, 72


@dataclass(frozen=True)
class Point:
    label: str  # the session
    mean: float
    answered: int


def trend_svg(title: str, points: list[Point]) -> Markup:
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(1, len(points) - 1)

    def y(value: float) -> float:
        return TOP + HEIGHT * (5 - value) / 4

    def x(index: int) -> float:
        return LEFT + (index * step if len(points) > 1 else plot / 2)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {TOP + HEIGHT + BOTTOM}"'
        f' role="img" aria-label="{escape(title)}の平均の推移" class="trend">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{TOP + HEIGHT + BOTTOM}" fill="#fff"/>',
    ]
    for value in range(1, 6):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"'
            ' stroke="#999" stroke-dasharray="2 4"/>'
            f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="12">'
            f"{value}</text>"
        )
    line = " ".join(
        f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(p.mean):.1f}" for i, p in enumerate(points)
    )
    if len(points) > 1:
        parts.append(f'<path d="{line}" fill="none" stroke="#000" stroke-width="2"/>')
    for i, p in enumerate(points):
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(p.mean):.1f}" r="4" fill="#000"/>'
            f'<text x="{x(i):.1f}" y="{y(p.mean) - 9:.1f}" text-anchor="middle" font-size="12">'
            f"{p.mean:.2f}</text>"
            f'<text x="{x(i):.1f}" y="{TOP + HEIGHT + 20}" text-anchor="middle" font-size="11">'
            f"{escape(p.label)}</text>"
            f'<text x="{x(i):.1f}" y="{TOP + HEIGHT + 36}" text-anchor="middle" font-size="11">'
            f"({p.answered}件)</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))

"""Monthly report ② (spec 6(7)②): the survey answers as a table of figures per session and
for the month, plus (for the manager alone) the free text. Pure: built from the surveys'
tallies and each session's participants as the log counts them."""

from collections.abc import Sequence
from dataclasses import dataclass

from console.reports.documents import NONE, SURVEY_TEXT_HEADING, Row, Table
from console.surveys.queries import Answered, Tally, tally
from console.surveys.questions import Question, QuestionKind

TABLE_TITLE = "② アンケート集計結果"
TEXT_HEADING = SURVEY_TEXT_HEADING  # manager only (documents.MANAGER_ONLY)


@dataclass(frozen=True)
class SurveyColumn:
    """One column of the table: a session (or the month) and what its survey received."""

    heading: str
    participants: int
    responses: tuple[Answered, ...]
    questions: tuple[Question, ...]


def rate(responses: int, participants: int) -> str:
    """回答率 as shown everywhere: responses ÷ participants, one decimal."""
    return f"{100 * responses / participants:.1f}%" if participants else NONE


def figure(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}"


def _rows_of(t: Tally) -> list[tuple[str, object, bool]]:
    """(label, measure of a Tally, counts people) for one question."""
    q = t.question
    if q.kind == QuestionKind.TEXT:
        return [(f"{q.text}:記入数", lambda x: x.answered, True)]
    rows = [
        (f"{q.text}:{label}", lambda x, i=i: x.counts[i], True) for i, label in enumerate(t.labels)
    ]
    if q.kind == QuestionKind.SCALE:
        rows += [
            (f"{q.text}:平均", lambda x: figure(x.mean), False),
            (f"{q.text}:中央値", lambda x: figure(x.median), False),
        ]
    return rows


def survey_table(columns: Sequence[SurveyColumn]) -> Table:
    tallies = [{t.question.key: t for t in tally(c.responses, c.questions)} for c in columns]
    order: dict[str, Tally] = {}
    for found in tallies:
        for key, t in found.items():
            order.setdefault(key, t)
    rows = [
        Row("参加者数", tuple(c.participants for c in columns)),
        Row("回答数", tuple(len(c.responses) for c in columns)),
        Row("回答率", tuple(rate(len(c.responses), c.participants) for c in columns), False),
    ]
    for key, first in order.items():
        for label, measure, people in _rows_of(first):
            cells = tuple(measure(found[key]) if key in found else NONE for found in tallies)
            rows.append(Row(label, cells, people))
    return Table(
        key="survey",
        title=TABLE_TITLE,
        columns=tuple(c.heading for c in columns),
        rows=tuple(rows),
        note="回答率は回答数÷参加者数(実人数)。代替回答(口頭・チャット・手紙・紙)を含む。"
        "5段階は1が左端、5が右端の言葉。",
    )


def free_texts(columns: Sequence[SurveyColumn]) -> str:
    """The free text of each session's answers, for the manager's variant only."""
    lines = []
    for column in columns:
        for t in tally(column.responses, column.questions):
            lines += [f"[{column.heading}] {t.question.text}: {text}" for text in t.texts]
    return "\n".join(lines)

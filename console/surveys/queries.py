"""Reading surveys: questionnaires, a session's link, and the tally of its answers.

`tally` is pure: the same responses always give the same figures. Free text is decrypted
only when the caller asks for it (`with_texts`), and only staff pages that audit the read do.
"""

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from console.surveys.models import Questionnaire, SurveyLink, SurveyResponse
from console.surveys.questions import Question, QuestionKind, load


@dataclass
class Tally:
    """One question's answers: a count per option (a scale: per point 1–5), how many answered
    it, the scale's values, and (when read) the free texts."""

    question: Question
    counts: list[int]
    answered: int = 0
    values: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        if self.question.kind == QuestionKind.SCALE:
            low, high = self.question.options
            return [f"1({low})", "2", "3", "4", f"5({high})"]
        return list(self.question.options)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def median(self) -> float | None:
        return float(statistics.median(self.values)) if self.values else None


@dataclass(frozen=True)
class Answered:
    """One response as the tally reads it."""

    questions: tuple[Question, ...]
    choices: dict[str, list[int]]
    texts: dict[str, str]


def new_tally(question: Question) -> Tally:
    width = 5 if question.kind == QuestionKind.SCALE else len(question.options)
    return Tally(question, [0] * width)


def tally(responses: Iterable[Answered], order: Sequence[Question] = ()) -> list[Tally]:
    """Per question (matched by `Question.key`, so the same wording across versions adds up),
    in the order given and then in the order first seen."""
    found: dict[str, Tally] = {q.key: new_tally(q) for q in order}
    for response in responses:
        for n, question in enumerate(response.questions):
            t = found.setdefault(question.key, new_tally(question))
            if question.kind == QuestionKind.TEXT:
                if str(n) in response.texts:
                    t.answered += 1
                    if response.texts[str(n)]:
                        t.texts.append(response.texts[str(n)])
                continue
            picked = response.choices.get(str(n))
            if not picked:
                continue
            t.answered += 1
            for value in picked:
                t.counts[value - 1 if question.kind == QuestionKind.SCALE else value] += 1
            if question.kind == QuestionKind.SCALE:
                t.values.append(picked[0])
    return list(found.values())


@dataclass(frozen=True)
class SessionSurvey:
    meetup_id: int
    questionnaire: Questionnaire
    questions: tuple[Question, ...]
    token: str
    responses: tuple[Answered, ...]
    alternative: int  # how many were entered by staff (代替回答)

    def tallies(self) -> list[Tally]:
        return tally(self.responses, self.questions)


def versions(db: Session) -> list[Questionnaire]:
    return list(
        db.exec(
            select(Questionnaire).order_by(Questionnaire.service, col(Questionnaire.version).desc())
        )
    )


def approved(db: Session, service: str) -> list[Questionnaire]:
    return list(
        db.exec(
            select(Questionnaire)
            .where(Questionnaire.service == service, col(Questionnaire.approved_at).is_not(None))
            .order_by(col(Questionnaire.version).desc())
        )
    )


def link_by_token(db: Session, token: str) -> SurveyLink | None:
    if not token or len(token) > 64:
        return None
    return db.exec(select(SurveyLink).where(SurveyLink.token == token)).first()


def session_survey(
    db: Session, meetup_id: int, *, with_texts: bool = False
) -> SessionSurvey | None:
    link = db.get(SurveyLink, meetup_id)
    if link is None:
        return None
    versions: dict[int, tuple[Question, ...]] = {}

    def questions_of(questionnaire_id: int) -> tuple[Question, ...]:
        if questionnaire_id not in versions:
            versions[questionnaire_id] = load(db.get(Questionnaire, questionnaire_id).questions)
        return versions[questionnaire_id]

    rows = db.exec(
        select(SurveyResponse)
        .where(SurveyResponse.meetup_id == meetup_id)
        .order_by(col(SurveyResponse.id))
    ).all()
    responses = tuple(
        Answered(
            questions_of(r.questionnaire_id),
            json.loads(r.choices),
            _texts(r, with_texts),
        )
        for r in rows
    )
    questionnaire = db.get(Questionnaire, link.questionnaire_id)
    return SessionSurvey(
        meetup_id=meetup_id,
        questionnaire=questionnaire,
        questions=questions_of(questionnaire.id),
        token=link.token,
        responses=responses,
        alternative=sum(1 for r in rows if r.entered_by is not None),
    )


def _texts(row: SurveyResponse, with_texts: bool) -> dict[str, str]:
    """The free texts, or (for figures only) which questions had one, without their words."""
    texts = json.loads(row.free_text) if row.free_text else {}
    return texts if with_texts else {n: "" for n in texts}

"""The questions of a questionnaire, and the answers to them, as plain values (pure).

The manager writes a questionnaire as lines, one question per line, fields split by 「|」:

    種類|質問文|選択肢(「;」区切り。5段階は左端;右端)|任意

種類 is 単一 (one choice), 複数 (several), 5段階 (a 1–5 scale with labelled ends) or 自由 (free
text); 「任意」 in the last field makes the question optional. The order of the lines is the
order participants see.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from console.core import forms
from console.core.errors import Refused
from console.core.labels import Labelled

MAX_QUESTIONS = 30
MAX_OPTIONS = 10
QUESTION_MAX = 200
OPTION_MAX = 40
ANSWER_MAX = 2000  # free text per question
SCALE = (1, 2, 3, 4, 5)


class QuestionKind(Labelled):
    SINGLE = "single", "単一"
    MULTIPLE = "multiple", "複数"
    SCALE = "scale", "5段階"
    TEXT = "text", "自由"


class Channel(Labelled):
    """How an answer reached us: the form, or given another way (代替回答)."""

    WEB = "web", "回答フォーム"
    SPOKEN = "spoken", "口頭"
    CHAT = "chat", "チャット"
    LETTER = "letter", "手紙"
    PAPER = "paper", "紙の回答用紙"


ALTERNATIVES = tuple(c for c in Channel if c is not Channel.WEB)


@dataclass(frozen=True)
class Question:
    kind: str  # QuestionKind
    text: str
    options: tuple[str, ...] = ()  # choices; for a scale, its two end labels
    optional: bool = False

    @property
    def key(self) -> str:
        """Its identity across versions: the same kind, wording and options."""
        return json.dumps([self.kind, self.text, list(self.options)], ensure_ascii=False)


def dump(questions: Sequence[Question]) -> str:
    return json.dumps([asdict(q) for q in questions], ensure_ascii=False)


def load(text: str) -> tuple[Question, ...]:
    return tuple(
        Question(q["kind"], q["text"], tuple(q["options"]), q["optional"]) for q in json.loads(text)
    )


def to_lines(questions: Sequence[Question]) -> str:
    """The questions as the manager writes them (the inverse of `parse_definition`)."""
    return "\n".join(
        "|".join(
            (QuestionKind(q.kind).label, q.text, ";".join(q.options), "任意" if q.optional else "")
        ).rstrip("|")
        for q in questions
    )


_KINDS = {k.label: k for k in QuestionKind} | {k.value: k for k in QuestionKind}


def parse_definition(text: str) -> tuple[Question, ...]:
    """The manager's lines as questions, or Refused naming the line at fault."""
    text = forms.clean(text, label="質問", max_len=MAX_QUESTIONS * 400)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > MAX_QUESTIONS:
        raise Refused(f"質問は{MAX_QUESTIONS}問までにしてください。")
    return tuple(_question(n, line) for n, line in enumerate(lines, 1))


def _question(n: int, line: str) -> Question:
    fields = [f.strip() for f in line.split("|")]
    kind = _KINDS.get(fields[0])
    if kind is None or len(fields) < 2 or len(fields) > 4:
        raise Refused(f"{n}行目: 「種類|質問文|選択肢|任意」の形で書いてください。")
    wording = fields[1]
    if not wording or len(wording) > QUESTION_MAX or "\t" in wording:
        raise Refused(f"{n}行目: 質問文は1〜{QUESTION_MAX}文字で書いてください。")
    options = tuple(o.strip() for o in fields[2].split(";") if o.strip()) if len(fields) > 2 else ()
    optional = len(fields) > 3 and fields[3] == "任意"
    if len(fields) > 3 and fields[3] not in ("", "任意"):
        raise Refused(f"{n}行目: 最後の欄には「任意」と書くか、空けてください。")
    if any(len(o) > OPTION_MAX or "\t" in o for o in options) or len(set(options)) < len(options):
        raise Refused(f"{n}行目: 選択肢は重ならないように、{OPTION_MAX}文字以内で書いてください。")
    if (
        kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
        and not 2 <= len(options) <= MAX_OPTIONS
    ):
        raise Refused(f"{n}行目: 選択肢を2〜{MAX_OPTIONS}個、「;」で区切って書いてください。")
    if kind is QuestionKind.SCALE and len(options) != 2:
        raise Refused(f"{n}行目: 5段階の質問には、両端の言葉を「;」で区切って2つ書いてください。")
    if kind is QuestionKind.TEXT and options:
        raise Refused(f"{n}行目: 自由記述の質問に選択肢は書けません。")
    return Question(kind.value, wording, options, optional)


@dataclass(frozen=True)
class Answers:
    choices: dict[str, list[int]]  # question index → chosen option indexes (scale: its value)
    texts: dict[str, str]  # question index → free text

    def choices_json(self) -> str:
        return json.dumps(self.choices, sort_keys=True)

    def texts_json(self) -> str | None:
        return json.dumps(self.texts, ensure_ascii=False, sort_keys=True) if self.texts else None


class Invalid(Exception):
    """Answers that cannot be stored: one Japanese message per question (by its field name)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse_answers(questions: Sequence[Question], form: Mapping[str, Sequence[str]]) -> Answers:
    """The form's answers (`q{n}` fields, several values for 複数), checked against the
    questions; Invalid with every problem found, so nothing partial is ever stored."""
    choices: dict[str, list[int]] = {}
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for n, q in enumerate(questions):
        name, label = f"q{n}", f"質問{n + 1}"
        values = [v for v in form.get(name, ()) if v.strip()]
        try:
            if q.kind == QuestionKind.TEXT:
                given = forms.clean(
                    values[0] if values else "", label=label, max_len=ANSWER_MAX, required=False
                )
                if given:
                    texts[str(n)] = given
                elif not q.optional:
                    raise Refused(f"{label}に回答してください。")
                continue
            if not values:
                if not q.optional:
                    raise Refused(f"{label}に回答してください。")
                continue
            if q.kind != QuestionKind.MULTIPLE and len(values) > 1:
                raise Refused(f"{label}は1つだけ選んでください。")
            high = 5 if q.kind == QuestionKind.SCALE else len(q.options) - 1
            low = 1 if q.kind == QuestionKind.SCALE else 0
            picked = [forms.number(v, low=low, high=high) for v in values]
            if None in picked or len(set(picked)) < len(picked):
                raise Refused(f"{label}の選択肢が正しくありません。")
            choices[str(n)] = sorted(picked)
        except Refused as refused:
            errors[name] = refused.message
    if errors:
        raise Invalid(errors)
    return Answers(choices, texts)

"""The tables every report is made of, from one or more columns of session figures."""

from collections.abc import Callable, Mapping, Sequence

from console import settings
from console.reports.documents import Row, Table
from console.reports.figures import UNRECORDED_TOPIC, SessionFigures
from console.security.roles import Role
from console.session.vocab import AgeBracket, District, Space

Measure = Callable[[Sequence[SessionFigures]], int | str]
"""A row's figure for one or more sessions (one session's column, the month, the year)."""


def _union(figs: Sequence[SessionFigures], part: Callable[[SessionFigures], set]) -> int:
    people: set[int] = set()
    for f in figs:
        people |= part(f)
    return len(people)


def _rows(
    spec: Sequence[tuple[str, Measure, bool]], columns: Sequence[Sequence[SessionFigures]]
) -> tuple[Row, ...]:
    return tuple(
        Row(label, tuple(measure(figs) for figs in columns), people)
        for label, measure, people in spec
    )


def _topics(figs: Sequence[SessionFigures]) -> list[str]:
    seen = {t for f in figs for t in f.topics}
    order = [*settings.CONSULTATION_TOPICS, UNRECORDED_TOPIC]
    return [t for t in order if t in seen] + sorted(seen - set(order))


def sections(
    columns: Sequence[Sequence[SessionFigures]],
    headings: tuple[str, ...],
    attrs: Mapping[int, tuple[str, str]],
    *,
    applicants: Mapping[int, Mapping[int, tuple[str, str]]] | None = None,
) -> tuple[Table, ...]:
    """The report's tables; each column of figures is one session or a span of sessions.
    `applicants` (meetup id -> {person id: (age bracket, district)}) adds the applicants' rows
    and tables (the monthly report; a person counts once per column)."""
    everything = [f for figs in columns for f in figs]

    def applied(figs: Sequence[SessionFigures]) -> dict[int, tuple[str, str]]:
        people: dict[int, tuple[str, str]] = {}
        for f in figs:
            people.update((applicants or {}).get(f.meetup_id, {}))
        return people

    def applicants_with(index: int, value: str) -> Measure:
        return lambda figs: sum(1 for a in applied(figs).values() if a[index] == value)

    def with_attr(index: int, value: str) -> Measure:
        return lambda figs: _union(
            figs,
            lambda f: {p for p in f.participants if attrs.get(p, ("unknown",) * 2)[index] == value},
        )

    participation: list[tuple[str, Measure, bool]] = []
    if applicants is not None:
        participation.append(("申込人数(実人数)", lambda figs: len(applied(figs)), True))
    participation += [
        ("参加人数(実人数)", lambda figs: _union(figs, lambda f: f.participants), True),
        ("うち途中参加", lambda figs: _union(figs, lambda f: f.late_joiners), True),
        ("延べ参加人数", lambda figs: sum(len(f.participants) for f in figs), True),
        ("最大同時参加人数", lambda figs: max((f.peak for f in figs), default=0), True),
    ]
    spaces: list[tuple[str, Measure, bool]] = []
    for space in Space:
        spaces.append(
            (
                f"{space.label} 利用者数(人)",
                lambda figs, s=space: sum(len(f.visitors[s]) for f in figs),
                True,
            )
        )
        spaces.append(
            (
                f"{space.label} 延べ滞在時間(分)",
                lambda figs, s=space: sum(f.minutes(s) for f in figs),
                False,
            )
        )
    consultations: list[tuple[str, Measure, bool]] = [
        ("個別相談受付件数", lambda figs: sum(f.consultations for f in figs), True),
    ]
    for topic in _topics(everything):
        consultations.append(
            (f"主な相談内容: {topic}", lambda figs, t=topic: sum(f.topics[t] for f in figs), True)
        )
    consultations.append(
        (
            "ひきこもり支援専用相談窓口への情報提供件数",
            lambda figs: sum(f.handoffs for f in figs),
            True,
        )
    )
    staffing: list[tuple[str, Measure, bool]] = [
        ("参加した相談員数", lambda figs: sum(len(f.counsellors) for f in figs), False),
        (
            "うち専門相談員数",
            lambda figs: sum(len(f.qualified_counsellors) for f in figs),
            False,
        ),
    ]
    for role in (Role.MANAGER, Role.FACILITATOR, Role.SUPPORT):
        staffing.append(
            (f"{role.label}数", lambda figs, r=role: sum(len(f.on_duty[r]) for f in figs), False)
        )
    safety: list[tuple[str, Measure, bool]] = [
        ("強制退室者数", lambda figs: sum(len(f.forced_out) for f in figs), True),
        ("トラブル等の有無", lambda figs: "有" if any(f.troubles for f in figs) else "無", False),
        ("トラブル等の件数", lambda figs: sum(f.troubles for f in figs), False),
        ("利用規約違反の通報件数", lambda figs: sum(f.flags for f in figs), False),
        ("事前通告(警告)件数", lambda figs: sum(f.warnings for f in figs), True),
        ("ブロック件数", lambda figs: sum(f.blocks for f in figs), True),
        ("ブロック中の入室拒否件数", lambda figs: sum(f.refused_entries for f in figs), True),
    ]
    kinds = sorted({k for f in everything for k in f.incidents})
    for kind in kinds:
        safety.append(
            (
                f"トラブル等の内訳: {kind}",
                lambda figs, k=kind: sum(f.incidents[k] for f in figs),
                False,
            )
        )
    ages = [(bracket.label, with_attr(0, bracket.value), True) for bracket in AgeBracket]
    districts = [(d.label, with_attr(1, d.value), True) for d in District]
    applicant_tables = ()
    if applicants is not None:
        applicant_tables = (
            Table(
                "applicant_ages",
                "申込者の属性(年代)",
                headings,
                _rows([(b.label, applicants_with(0, b.value), True) for b in AgeBracket], columns),
                note="申込者(実人数)の生年月日から、各回の開催日時点の年齢で数えた。",
            ),
            Table(
                "applicant_districts",
                "申込者の属性(地区)",
                headings,
                _rows([(d.label, applicants_with(1, d.value), True) for d in District], columns),
                note="申込者の住所の町名から地区を判定した(区外・不明を含む)。",
            ),
        )
    return (
        Table("participation", "参加状況", headings, _rows(participation, columns)),
        Table(
            "ages",
            "参加者の属性(年代)",
            headings,
            _rows(ages, columns),
            note="参加者(実人数)の登録情報による。",
        ),
        Table(
            "districts",
            "参加者の属性(地区)",
            headings,
            _rows(districts, columns),
            note="参加者(実人数)の登録情報による。",
        ),
        *applicant_tables,
        Table(
            "spaces",
            "各スペースの利用状況",
            headings,
            _rows(spaces, columns),
            note="利用者数は各回の実人数の合計。滞在時間は入室・移動・退室の記録から算出。",
        ),
        Table("consultations", "個別相談", headings, _rows(consultations, columns)),
        Table(
            "staffing",
            "従事者",
            headings,
            _rows(staffing, columns),
            # Only a report with more than one column has sums to explain (the summary has one).
            note="当月計・年度累計は各回の人数の合計(延べ)。" if len(columns) > 1 else "",
        ),
        Table("safety", "利用規約違反・トラブル等", headings, _rows(safety, columns)),
    )

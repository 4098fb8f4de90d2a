"""The tables every report is made of, from one or more columns of session figures."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from console import settings
from console.reports.documents import NONE, Row, Table
from console.reports.figures import UNRECORDED_TOPIC, SessionFigures
from console.security.roles import Role
from console.session.vocab import AgeBracket, District, MeetupKind, Relation, spaces_of

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


@dataclass(frozen=True)
class Context:
    """What a service's tables need besides the figures: participants' attributes (age
    bracket, district), family members' relations, applicants per meetup, and a family class's
    lecturer, theme and groups per meetup."""

    attrs: Mapping[int, tuple[str, str]]
    relations: Mapping[int, str] = field(default_factory=dict)
    applicants: Mapping[int, Mapping[int, tuple[str, str]]] | None = None
    classes: Mapping[int, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)


def _people(kind: str, relations: Mapping[int, str]) -> Callable[[SessionFigures], set[int]]:
    """Who counts as a 当事者 in this service: nobody in a family class (its participants are
    family members), and elsewhere everyone not known as a family member."""
    if kind == MeetupKind.FAMILY_CLASS:
        return lambda f: set()
    return lambda f: {p for p in f.participants if p not in relations}


def _family(kind: str, relations: Mapping[int, str]) -> Callable[[SessionFigures], set[int]]:
    if kind == MeetupKind.FAMILY_CLASS:
        return lambda f: set(f.participants)
    return lambda f: {p for p in f.participants if p in relations}


def sections(
    columns: Sequence[Sequence[SessionFigures]],
    headings: tuple[str, ...],
    attrs: Mapping[int, tuple[str, str]],
    *,
    kind: str = MeetupKind.METAVERSE,
    context: Context | None = None,
) -> tuple[Table, ...]:
    """One service's tables; each column of figures is one session or a span of sessions.
    With `context.applicants` (meetup id -> {person id: (age bracket, district)}) the
    applicants' rows and tables are added (the monthly report; a person counts once per
    column). Only the rows that mean something for the service are made: a family class has
    no 交流スペース and no 当事者; a metaverse session counts its listeners (聞くだけ)."""
    context = context or Context(attrs)
    applicants = context.applicants
    everything = [f for figs in columns for f in figs]
    selves = _people(kind, context.relations)
    family = _family(kind, context.relations)
    is_family_class = kind == MeetupKind.FAMILY_CLASS

    def applied(figs: Sequence[SessionFigures]) -> dict[int, tuple[str, str]]:
        people: dict[int, tuple[str, str]] = {}
        for f in figs:
            people.update((applicants or {}).get(f.meetup_id, {}))
        return people

    def applicants_with(index: int, value: str) -> Measure:
        return lambda figs: sum(1 for a in applied(figs).values() if a[index] == value)

    def with_attr(index: int, value: str, among=selves) -> Measure:
        return lambda figs: _union(
            figs,
            lambda f: {p for p in among(f) if attrs.get(p, ("unknown",) * 2)[index] == value},
        )

    participation: list[tuple[str, Measure, bool]] = []
    if applicants is not None:
        participation.append(("申込人数(実人数)", lambda figs: len(applied(figs)), True))
    if is_family_class:
        participation.append(
            ("参加人数(家族・実人数)", lambda figs: _union(figs, lambda f: f.participants), True)
        )
    else:
        participation += [
            ("参加人数(実人数)", lambda figs: _union(figs, lambda f: f.participants), True),
            ("うち当事者", lambda figs: _union(figs, selves), True),
            ("うち家族", lambda figs: _union(figs, family), True),
        ]
    if kind == MeetupKind.METAVERSE:
        participation.append(
            (
                "うち聞くだけ(交流を希望しない)",
                lambda figs: _union(figs, lambda f: f.listening),
                True,
            )
        )
    participation += [
        ("うち途中参加", lambda figs: _union(figs, lambda f: f.late_joiners), True),
        ("延べ参加人数", lambda figs: sum(len(f.participants) for f in figs), True),
        ("最大同時参加人数", lambda figs: max((f.peak for f in figs), default=0), True),
    ]
    spaces: list[tuple[str, Measure, bool]] = []
    for space in spaces_of(kind):
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
        ("個別相談受付件数", lambda figs: sum(f.requests for f in figs), True),
        ("個別相談実施件数", lambda figs: sum(f.consultations for f in figs), True),
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
    if is_family_class:
        districts = [(d.label, with_attr(1, d.value, family), True) for d in District]

    def with_relation(relation: str) -> Measure:
        return lambda figs: _union(
            figs,
            lambda f: {p for p in family(f) if context.relations.get(p, "unknown") == relation},
        )

    relations = [(r.label, with_relation(r.value), True) for r in Relation]
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
    if is_family_class:
        people_tables: tuple[Table, ...] = (
            Table(
                "relations",
                "参加者の続柄(当事者との関係)",
                headings,
                _rows(relations, columns),
                note="家族教室の参加者はすべてご家族として数え、当事者には数えない。",
            ),
            Table(
                "districts",
                "参加者の属性(地区)",
                headings,
                _rows(districts, columns),
                note="参加者(実人数)の登録情報による。",
            ),
            Table("class", "講義・グループワーク", headings, _class_rows(columns, context)),
        )
    else:
        people_tables = (
            Table(
                "ages",
                "参加者(当事者)の属性(年代)",
                headings,
                _rows(ages, columns),
                note="当事者(実人数)の登録情報による。ご家族は数えない。",
            ),
            Table(
                "districts",
                "参加者(当事者)の属性(地区)",
                headings,
                _rows(districts, columns),
                note="当事者(実人数)の登録情報による。ご家族は数えない。",
            ),
        )
    return (
        Table("participation", "参加状況", headings, _rows(participation, columns)),
        *people_tables,
        *applicant_tables,
        Table(
            "spaces",
            "各スペースの利用状況",
            headings,
            _rows(spaces, columns),
            note="利用者数は各回の実人数の合計。滞在時間は入室・移動・退室の記録から算出。",
        ),
        Table(
            "consultations",
            "個別相談",
            headings,
            _rows(consultations, columns),
            note="受付件数は相談希望の記録の数(取り下げ・未実施を含む)。実施件数は相談室で始まった数。",
        ),
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


def _class_rows(columns: Sequence[Sequence[SessionFigures]], context: Context) -> tuple[Row, ...]:
    """A family class's lecturer, theme and workshop groups (spec 6(4)③): the names for one
    session, the number of sessions and groups for a span."""

    def part(index: int) -> Callable[[Sequence[SessionFigures]], int | str]:
        def measure(figs: Sequence[SessionFigures]) -> int | str:
            found = [context.classes.get(f.meetup_id, ("", "", ()))[index] for f in figs]
            if len(figs) == 1:
                value = found[0]
                return "・".join(value) if isinstance(value, tuple) else (value or NONE)
            if index == 2:
                return sum(len(v) for v in found)
            return sum(1 for v in found if v)

        return measure

    spec = [
        ("講師", part(0), False),
        ("テーマ・内容", part(1), False),
        ("グループワークのグループ", part(2), False),
    ]
    return _rows(spec, columns)

"""Staffing rules of each kind of meetup, checked against who is on duty (issue 5 item 3).

Spec 6(1)①カ and 7(1) (metaverse), 6(3)① (in-person drop-in), 6(4)③⑥ (family class):

- `metaverse`: ≥3 counsellors on duty, ≥2 of them qualified; ≥1 facilitator posted in the
  exchange space; a manager on duty, qualified and experienced in supporting people in
  hikikomori (spec 7(2)); a support staff member on duty.
- `in_person`: ≥2 qualified counsellors on duty.
- `family_class`: ≥2 counsellors on duty, ≥1 of them qualified; a facilitator for every group.

Everything here is pure: the caller supplies the roster (from the live state and the staff
table) and the clock; nothing is read from or written to the database.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from console.security.roles import Role
from console.session.vocab import Post

KINDS = ("metaverse", "in_person", "family_class")
"""The kinds of meetup, each with its own rule set."""


@dataclass(frozen=True)
class OnDuty:
    """One staff member on duty: their role, whether they hold a spec 7(1) qualification
    (専門相談員; meaningful for counsellors), and their post — a `Post` value, or for family
    classes the name of the workshop group they lead."""

    staff_id: int
    role: str
    qualified: bool = False
    post: str = Post.OVERALL.value
    experienced: bool = False  # experience supporting people in hikikomori (spec 7(2))

    def __post_init__(self) -> None:
        if Role.parse(self.role) is None:
            raise ValueError(f"unknown role {self.role!r}")


@dataclass(frozen=True)
class Rule:
    """The outcome of one staffing rule. `code` is a stable English id (the same rule keeps
    its code from one check to the next); `label` is the Japanese sentence staff read, with
    the current count; `met` says whether the rule holds."""

    code: str
    label: str
    met: bool


Snapshot = tuple[datetime, Sequence[Rule]]
"""The rule results of one check and the time it was made."""


def _count(
    on_duty: Iterable[OnDuty], role: Role, *, qualified: bool = False, post: str | None = None
) -> int:
    """Distinct staff with `role` (qualified ones only, at `post` only, when asked)."""
    return len(
        {
            d.staff_id
            for d in on_duty
            if d.role == role and (d.qualified or not qualified) and post in (None, d.post)
        }
    )


def _at_least(code: str, what: str, count: int, minimum: int) -> Rule:
    return Rule(code, f"{what}{minimum}名以上(現在{count}名)", count >= minimum)


def _manager_fit(roster: list[OnDuty]) -> Rule:
    managers = [d for d in roster if d.role == Role.MANAGER]
    fit = [d for d in managers if d.qualified and d.experienced]
    what = "管理者が資格とひきこもり支援の経験を持つ(仕様7(2))"
    return Rule("manager_requirements", what, bool(fit) or not managers)


def _group_facilitators(roster: list[OnDuty], groups: int | Sequence[str]) -> Rule:
    what = "ファシリテーター各グループ1名以上"
    if isinstance(groups, int):
        if groups < 1:
            raise ValueError(f"a family class has at least one group, not {groups}")
        count = _count(roster, Role.FACILITATOR)
        return Rule(
            "group_facilitators", f"{what}({groups}グループ・現在{count}名)", count >= groups
        )
    if isinstance(groups, str) or not groups or len(set(groups)) != len(groups):
        raise ValueError(f"groups must be distinct group names, not {groups!r}")
    missing = [g for g in groups if not _count(roster, Role.FACILITATOR, post=g)]
    detail = f"未配置: {'・'.join(missing)}" if missing else f"{len(groups)}グループとも配置済み"
    return Rule("group_facilitators", f"{what}({detail})", not missing)


def check_staffing(
    kind: str, on_duty: Iterable[OnDuty], *, groups: int | Sequence[str] | None = None
) -> list[Rule]:
    """Every staffing rule of `kind`, in a fixed order, each met or not, for the staff in
    `on_duty` (each staff member counted once, however often listed).

    `groups` applies to family classes only: a number of workshop groups (that many
    facilitators must be on duty), or the groups' names (each needs a facilitator whose post is
    that name). It defaults to one group. Raises `ValueError` for an unknown kind, for
    `groups` given for another kind, and outside family classes for a post that is not a
    `Post` value.
    """
    roster = list(on_duty)
    if kind not in KINDS:
        raise ValueError(f"unknown kind of meetup {kind!r}")
    if kind != "family_class":
        if groups is not None:
            raise ValueError("groups apply to family classes only")
        if bad := sorted({d.post for d in roster if Post.parse(d.post) is None}):
            raise ValueError(f"unknown posts {bad!r}")
    counsellors = _count(roster, Role.COUNSELLOR)
    qualified = _count(roster, Role.COUNSELLOR, qualified=True)
    if kind == "metaverse":
        in_exchange = _count(roster, Role.FACILITATOR, post=Post.EXCHANGE)
        return [
            _at_least("counsellors", "相談員", counsellors, 3),
            _at_least("qualified_counsellors", "うち専門相談員", qualified, 2),
            _at_least("exchange_facilitator", "交流スペースにファシリテーター", in_exchange, 1),
            _at_least("manager", "管理者", _count(roster, Role.MANAGER), 1),
            _manager_fit(roster),
            _at_least("support", "支援員", _count(roster, Role.SUPPORT), 1),
        ]
    if kind == "in_person":
        return [_at_least("qualified_counsellors", "専門相談員", qualified, 2)]
    return [
        _at_least("counsellors", "相談員", counsellors, 2),
        _at_least("qualified_counsellors", "うち専門相談員", qualified, 1),
        _group_facilitators(roster, 1 if groups is None else groups),
    ]


def unmet(results: Iterable[Rule]) -> list[Rule]:
    """The rules in `results` that are not met, in their order."""
    return [r for r in results if not r.met]


def _runs(snapshots: Iterable[Snapshot]):
    """Fold the snapshots: (closed unmet periods per code, start of each still-open run)."""
    periods: dict[str, list[tuple[datetime, datetime]]] = {}
    open_since: dict[str, datetime] = {}
    previous: datetime | None = None
    for at, results in snapshots:
        if previous is not None and at < previous:
            raise ValueError(f"snapshot at {at} comes after one at {previous}")
        previous = at
        now_unmet = {r.code for r in results if not r.met}
        for r in results:
            periods.setdefault(r.code, [])
        for code in [c for c in open_since if c not in now_unmet]:
            start = open_since.pop(code)
            if at > start:
                periods[code].append((start, at))
        for code in now_unmet:
            open_since.setdefault(code, at)
    return periods, open_since, previous


def unmet_periods(
    snapshots: Iterable[Snapshot], *, until: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """The periods during which each rule was unmet, as (from, to) pairs in time order.

    `snapshots` are (time, results of `check_staffing`) in non-decreasing time order; each
    holds until the next one, the last until `until` (e.g. the close of the session). A rule
    missing from a snapshot counts as met from then. Every rule code seen is a key, with an
    empty list when it was always met; periods of no length (two snapshots at the same time)
    are dropped. Raises `ValueError` when the snapshots are out of order or `until` comes
    before the last of them.
    """
    periods, open_since, last = _runs(snapshots)
    if last is not None and until < last:
        raise ValueError(f"until ({until}) comes before the last snapshot ({last})")
    for code, start in open_since.items():
        if until > start:
            periods[code].append((start, until))
    return periods


def unmet_since(snapshots: Iterable[Snapshot]) -> dict[str, datetime]:
    """For each rule unmet in the last snapshot, the time it has been unmet since without a
    break (for the compliance panel's "since when")."""
    return dict(_runs(snapshots)[1])

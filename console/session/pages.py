"""The participants list: who may take part, with the attributes the reports count."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, refuse, result
from console.security.auth import guarded
from console.security.models import AuditEntry
from console.security.permissions import Action
from console.session.models import FamilyMember, Participant
from console.session.vocab import AgeBracket, District, Gender, Relation
from console.store.db import transaction


def _save(engine, row: Participant, relation: Relation | None = None) -> int:
    with transaction(engine) as db:
        db.add(row)
        db.flush()
        if relation is not None:  # a family member: never counted as a 当事者
            db.add(FamilyMember(participant_id=row.id, relation=relation))
        return row.id


def _participants(engine, staff_id: int) -> tuple[list[Participant], dict[int, str]]:
    with transaction(engine) as db:
        people = sorted(db.exec(select(Participant)), key=lambda p: p.code)
        family = {m.participant_id: m.relation for m in db.exec(select(FamilyMember))}
        db.add(AuditEntry(staff_id=staff_id, action="participants.list", target=f"{len(people)}件"))
        return people, family


@guarded(Action.VIEW_PARTICIPANT_NAMES)
async def participants(request: Request) -> Response:
    people, family = await run_in_threadpool(
        _participants, request.app.state.engine, request.state.staff.id
    )
    return page(
        request,
        "session/participants.html",
        people=people,
        family=family,
        Relation=Relation,
        AgeBracket=AgeBracket,
        District=District,
        Gender=Gender,
    )


def _parse_participant(form) -> Participant:
    code = forms.one_line(form, "code", label="参加者ID", max_len=32)
    if not code.isascii() or not code.replace("-", "").isalnum():
        raise Refused("参加者IDは半角英数字とハイフンで入力してください。")
    name = forms.one_line(form, "display_name", label="表示名(アバター名)", max_len=64)
    age = forms.choice(form, "age_bracket", AgeBracket, label="年代")
    district = forms.choice(form, "district", District, label="地区")
    gender = Gender.parse(form.get("gender")) if form.get("gender") else None
    if form.get("gender") and gender is None:
        raise Refused("性別の選択肢が正しくありません。")
    return Participant(
        code=code.upper(), display_name=name, age_bracket=age, district=district, gender=gender
    )


@guarded(Action.MANAGE_PARTICIPANTS)
async def add_participant(request: Request) -> Response:
    form = await request.form()
    try:
        participant = _parse_participant(form)
        relation = None
        if form.get("relation"):
            relation = forms.choice(form, "relation", Relation, label="当事者との関係")
        await run_in_threadpool(_save, request.app.state.engine, participant, relation)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    except IntegrityError:
        return refuse(request, "この参加者IDはすでに登録されています。", 409)
    response = result(request, f"参加者「{participant.display_name}」を登録しました。")
    response.headers["HX-Refresh"] = "true"
    return response

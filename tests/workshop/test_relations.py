"""Family members: a family applicant checked in at reception is kept as a family member with
their relation, so no report counts them as a 当事者."""

import uuid
from datetime import date

import pytest
from sqlmodel import Session, select

from console.intake.models import Person
from console.intake.personal import PersonalData, email_match, name_birth_match, seal
from console.intake.reception import participant_code
from console.session.models import FamilyMember, code_lookup
from console.session.vocab import Relation
from console.store.db import make_engine, transaction
from console.store.schema import migrate


@pytest.mark.parametrize(
    ("text", "relation"),
    [
        ("母", Relation.MOTHER),
        ("父親", Relation.FATHER),
        ("兄", Relation.SIBLING),
        ("妻", Relation.SPOUSE),
        ("息子", Relation.CHILD),
        ("叔母", Relation.OTHER),
        ("支援者", Relation.OTHER),
        ("", Relation.UNKNOWN),
    ],
)
def test_a_relation_written_in_words_is_read_as_a_relation(text, relation):
    assert Relation.of_text(text) is relation


def _person(db, kind: str, relation: str) -> Person:
    uid = uuid.uuid4().hex
    email = f"{uid[:8]}@example.jp"
    data = PersonalData(
        name="家族 花子",
        kana="かぞく はなこ",
        address="東京都港区芝公園4-2-8",
        birth_date=date(1970, 1, 1),
        email=email,
        relation=relation,
    )
    person = Person(
        uid=uid,
        kind=kind,
        sealed=seal(uid, data),
        district="shiba",
        email_match=email_match(email),
        name_birth_match=name_birth_match(data.name, data.birth_date),
    )
    db.add(person)
    db.flush()
    return person


def test_a_family_applicant_enters_as_a_family_member_a_self_as_a_self(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'relations.db'}")
    migrate(engine)
    with transaction(engine) as db:
        family_code = participant_code(db, _person(db, "family", "実母"))
        self_code = participant_code(db, _person(db, "self", ""))
    with Session(engine) as db:
        family = db.exec(code_lookup(family_code)).one()
        myself = db.exec(code_lookup(self_code)).one()
        members = {m.participant_id: m.relation for m in db.exec(select(FamilyMember))}
    assert members == {family.id: "mother"} and myself.id not in members


def test_staff_register_a_family_member_with_their_relation(server, staff, engine):
    support = staff("support")
    headers = {"X-CSRF-Token": support.csrf, "HX-Request": "true"}
    code = f"FAM-{uuid.uuid4().hex[:6]}"
    form = {"code": code, "display_name": "家族 一", "age_bracket": "50s", "district": "shiba"}
    bad = support.http.post(
        "/participants", data={**form, "relation": "neighbour"}, headers=headers
    )
    assert bad.status_code == 422 and "当事者との関係の選択肢が正しくありません。" in bad.text
    with Session(engine) as db:
        assert db.exec(code_lookup(code)).first() is None
    made = support.http.post("/participants", data={**form, "relation": "father"}, headers=headers)
    assert made.status_code == 200
    with Session(engine) as db:
        person = db.exec(code_lookup(code.upper())).one()
        assert db.get(FamilyMember, person.id).relation == "father"
    listing = support.http.get("/participants").text
    assert "家族(父)" in listing and "当事者" in listing

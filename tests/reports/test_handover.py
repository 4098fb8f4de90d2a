"""The helpline handover before disposal (spec 8(5)): exactly the cases still open, with what
the helpline needs to go on, a record's summary only where consent allows and its content
never; the fingerprint changes when a case does. The export and the gate it puts before a
disposal are exercised through the server in tests/security/test_disposal.py."""

from datetime import datetime, timedelta

import pypdfium2
import pytest
from sqlmodel import Session, select

from console.care.models import FollowUp, PlanStage, SupportNeed, SupportPlan
from console.consultations.models import ConsultationRecord, Handoff, RecordSharing
from console.live.models import Meetup
from console.reports import handover
from console.security.models import Staff
from console.session.models import code_lookup
from console.settings import TZ
from console.store.columns import utcnow
from console.store.db import transaction
from tests.conftest import new_participant, seed

CONTENT = "誰にも言えなかった相談(固有語W4R)"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The demo's data (P003 has a complete record without consent, never shared) and one
    person per way a case can be open, or closed."""
    tmp = tmp_path_factory.mktemp("handover")
    engine, meetup = seed(f"sqlite:///{tmp / 'handover.db'}")
    names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"]
    people = {n: new_participant(engine, f"引継{n}") for n in names}
    with transaction(engine) as db:
        counsellor = db.exec(select(Staff).where(Staff.login_id == "counsellor1")).one()
        meetup = db.get(Meetup, meetup.id)
        now = utcnow()
        today = now.astimezone(TZ).date()

        def follow_up(n: str, task: str, **kw) -> None:
            db.add(
                FollowUp(
                    participant_id=people[n].id,
                    why="by_hand",
                    task=task,
                    owner_id=counsellor.id,
                    due=today + timedelta(days=3),
                    **kw,
                )
            )

        follow_up("A", "電話で様子を聞く(固有語Q7X)")
        follow_up("I", "済んだ件(固有語Z9Y)", done_at=now, outcome="reached")
        plan = SupportPlan(
            participant_id=people["B"].id, wish="place", detail="対面の居場所へ", created_by=1
        )
        db.add(plan)
        db.add(
            SupportPlan(
                participant_id=people["J"].id,
                wish="work",
                detail="移行済み",
                status="moved_on",
                created_by=1,
            )
        )
        db.flush()
        db.add(PlanStage(plan_id=plan.id, kind="prep_talk", on=today, result="done", recorded_by=1))
        db.add(
            PlanStage(
                plan_id=plan.id, kind="accompany", on=today + timedelta(days=7), recorded_by=1
            )
        )
        db.add(SupportNeed(participant_id=people["C"].id, summary="外出に強い不安", marked_by=1))
        db.add(
            SupportNeed(
                participant_id=people["K"].id, summary="解消済み", marked_by=1, cleared_at=now
            )
        )

        def record(n: str, *, complete=True, consent=False) -> ConsultationRecord:
            row = ConsultationRecord(
                meetup_id=meetup.id,
                start_seq=0,
                room=1,
                participant_id=people[n].id,
                counsellor_id=counsellor.id,
                started_at=now,
                ended_at=now,
                complete=complete,
                topic="生活",
                helpline_consent=consent,
                content=CONTENT,
                answer="回答(固有語V3S)",
            )
            db.add(row)
            db.flush()
            return row

        consented = record("D", consent=True)
        withheld = record("E")
        shared = record("F", consent=True)
        db.add(
            Handoff(
                record_id=shared.id,
                method="phone",
                prepared_by=counsellor.id,
                prepared_at=now,
                summary="電話で共有",
                spoke_to="担当者",
                called_at=now,
            )
        )
        waived = record("G")
        db.add(RecordSharing(record_id=waived.id, waived_at=now, waived_by=1, waived_reason="重複"))
        record("H", complete=False, consent=True)  # a draft is not a case yet
        ids = {"consented": consented.id, "withheld": withheld.id}
        p003 = db.exec(code_lookup("P003")).one()
    return engine, people, ids, p003


def test_the_handover_holds_exactly_the_open_cases(world):
    engine, people, _ids, p003 = world
    with Session(engine) as db:
        made = handover.build(db, now=datetime.now(TZ))
    by_code = {c.code: c for c in made.cases}
    assert set(by_code) == {people[n].code for n in "ABCDE"} | {p003.code}
    a, b, c = (by_code[people[n].code] for n in "ABC")
    assert a.name == people["A"].display_name and len(a.follow_ups) == 1
    assert "電話で様子を聞く(固有語Q7X)" in a.follow_ups[0] and "担当" in a.follow_ups[0]
    assert b.plan.startswith("希望: 対面の居場所(対面の居場所へ)")
    assert "事前の面談" in b.plan and "実施した" in b.plan and "同行支援" in b.plan
    assert c.need == "外出に強い不安" and not c.follow_ups and c.plan is None
    assert made.tally() == {"people": 6, "follow_ups": 1, "plans": 1, "needs": 1, "records": 3}


def test_a_record_is_summarised_only_with_consent_and_its_content_never(world):
    engine, people, ids, p003 = world
    with Session(engine) as db:
        made = handover.build(db, now=datetime.now(TZ))
    by_code = {c.code: c for c in made.cases}
    (consented,) = by_code[people["D"].code].records
    (withheld,) = by_code[people["E"].code].records
    assert f"受付番号: C-{ids['consented']}" in consented and "主な相談内容: 生活" in consented
    assert withheld == f"受付番号 C-{ids['withheld']}: 本人の同意がないため内容は含めていません"
    assert "本人の同意がない" in by_code[p003.code].records[0]
    document = pypdfium2.PdfDocument(handover.to_pdf(made))
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert "個人情報を含む" in text and "ヘルプラインへの引継ぎ資料" in text
    for case in made.cases:
        assert case.code in text
    assert "電話で様子を聞く" in text and f"C-{ids['consented']}" in text
    for secret in ("W4R", "V3S", "Z9Y", "解消済み", "移行済み"):
        assert secret not in repr(made.cases) and secret not in text


def test_the_fingerprint_changes_with_any_case_and_only_then(world):
    engine, people, _ids, _p003 = world
    with Session(engine) as db:
        before = handover.build(db, now=datetime.now(TZ)).document
        again = handover.build(db, now=datetime.now(TZ) + timedelta(hours=1)).document
    assert before == again and before.startswith(f"{handover.DOCUMENT}:")
    with transaction(engine) as db:
        need = db.exec(
            select(SupportNeed).where(SupportNeed.participant_id == people["C"].id)
        ).one()
        need.summary = "外出に強い不安(更新)"
        db.add(need)
    try:
        with Session(engine) as db:
            assert handover.build(db, now=datetime.now(TZ)).document != before
    finally:
        with transaction(engine) as db:
            need = db.get(SupportNeed, need.id)
            need.summary = "外出に強い不安"
            db.add(need)

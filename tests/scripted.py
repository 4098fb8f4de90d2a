"""A scripted session: known events at known times, appended through the real writer."""

from datetime import UTC, date, datetime

from console.consultations import events as cev
from console.demo import play  # noqa: F401  (the writer's script player, shared)
from console.live.models import Meetup
from console.moderation import events as mev
from console.session import events as ev
from console.settings import TZ
from console.store.db import transaction

NOTE = "報告用: 秘密のあかねさんが就労の情報を希望"


def jst(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


def make_meetup(engine, day: date) -> int:
    with transaction(engine) as db:
        meetup = Meetup(
            date=day,
            doors_at=jst(day, "13:45"),
            starts_at=jst(day, "14:00"),
            ends_at=jst(day, "17:00"),
        )
        db.add(meetup)
        db.flush()
        return meetup.id


def main_script(day, p, s, record_id):
    m, f, c1, c2, c3, sup = (
        s["manager"],
        s["facilitator"],
        s["counsellor1"],
        s["counsellor2"],
        s["counsellor3"],
        s["support"],
    )
    t = lambda hhmm: jst(day, hhmm)  # noqa: E731
    A, B, C = p["A"], p["B"], p["C"]
    return [
        (t("13:45"), m, ev.DoorsOpened()),
        (t("13:46"), m, ev.StaffOnDuty(staff_id=m, post="overall")),
        (t("13:46"), f, ev.StaffOnDuty(staff_id=f, post="exchange")),
        (t("13:46"), c1, ev.StaffOnDuty(staff_id=c1, post="consultation")),
        (t("13:46"), c2, ev.StaffOnDuty(staff_id=c2, post="consultation")),
        (t("13:47"), c3, ev.StaffOnDuty(staff_id=c3, post="rest")),
        (t("13:47"), sup, ev.StaffOnDuty(staff_id=sup, post="info")),
        (t("13:50"), sup, ev.ParticipantEntered(participant_id=A, space="exchange", late=False)),
        (t("14:00"), m, ev.MeetupStarted()),
        (t("14:20"), sup, ev.ParticipantEntered(participant_id=B, space="rest", late=True)),
        (
            t("14:30"),
            sup,
            ev.ParticipantMoved(participant_id=A, from_space="exchange", to_space="info"),
        ),
        (t("14:40"), sup, cev.ConsultationRequested(participant_id=A)),
        (
            t("14:45"),
            c1,
            cev.ConsultationStarted(
                request_seq=12, participant_id=A, room=1, counsellor_id=c1, record_id=record_id
            ),
        ),
        (t("15:00"), sup, ev.ParticipantEntered(participant_id=C, space="exchange", late=True)),
        (
            t("15:10"),
            c1,
            cev.ConsultationEnded(
                participant_id=A, room=1, to_space="exchange", record_id=record_id
            ),
        ),
        (
            t("15:15"),
            c1,
            cev.ConsultationRecordSaved(
                record_id=record_id, participant_id=A, complete=True, topic="就労"
            ),
        ),
        (
            t("15:20"),
            f,
            mev.FlagRaised(
                participant_id=C, description="", space="exchange", reason="abuse", note=""
            ),
        ),
        (
            t("15:21"),
            f,
            mev.WarningGiven(participant_id=C, rule="abuse", wording="注意", flag_seq=17),
        ),
        (t("15:30"), m, mev.ForcedExit(participant_id=C, space="exchange", reason="再度の暴言")),
        (t("15:40"), sup, ev.ParticipantLeft(participant_id=B)),
        (t("16:00"), sup, ev.ParticipantEntered(participant_id=B, space="exchange", late=False)),
        (
            t("16:10"),
            sup,
            mev.IncidentRecorded(
                kind="system", what="音声が途切れた", police=False, fire=False, actions="再接続"
            ),
        ),
        (t("16:20"), c1, cev.HandoffConfirmed(handoff_id=1, record_id=record_id)),
        (t("16:30"), m, ev.StaffNotePosted(text=NOTE, for_report=True)),
        (t("16:31"), m, ev.StaffNotePosted(text="報告に載せないメモ", for_report=False)),
        # Caught up five minutes late after a restart: it counts at its planned 17:00.
        (t("17:05"), None, ev.MeetupClosed(reason="schedule", scheduled_at=t("17:00").isoformat())),
    ]


def short_script(day, people, s):
    t = lambda hhmm: jst(day, hhmm)  # noqa: E731
    m = s["manager"]
    script = [(t("13:45"), m, ev.DoorsOpened()), (t("14:00"), m, ev.MeetupStarted())]
    script += [
        (t("14:10"), m, ev.ParticipantEntered(participant_id=pid, space="exchange", late=True))
        for pid in people
    ]
    script.append((t("17:00"), None, ev.MeetupClosed(reason="schedule")))
    return script

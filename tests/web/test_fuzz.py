"""Hypothesis text into the forms staff type into most (issue 11): whatever the text, the
answer is a page or a Japanese refusal, never a server error; what is accepted is stored
whole and shown escaped; what is refused leaves nothing behind."""

import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from console.live.models import EventRow
from tests.conftest import Staff, make_server, new_meetup, seed

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["<script>alert(1)</script>", "{{7*7}}", "=1+1", "\x00", "\u202e", "２", "ア\u3099"]
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'fuzz.db'}"
    engine, _ = seed(url)
    server = make_server(url, tmp).start()
    manager = Staff(server, "manager")
    meetup_id = new_meetup(engine)
    manager.command(meetup_id, "open_doors")
    manager.command(meetup_id, "duty_on", post="overall")
    yield server, engine, manager, meetup_id
    server.stop()


def post(server, manager: Staff, path: str, data: dict) -> httpx.Response:
    with httpx.Client(base_url=server.url, limits=httpx.Limits(max_keepalive_connections=0)) as c:
        c.cookies.set("console_session", manager.http.cookies["console_session"])
        return c.post(path, data=data, headers={"X-CSRF-Token": manager.csrf, "HX-Request": "true"})


def events(engine, meetup_id: int) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).where(EventRow.meetup_id == meetup_id)).one()


@FUZZ
@given(text=TEXT)
def test_any_staff_note_is_stored_whole_and_shown_escaped_or_refused(app, text):
    server, engine, manager, meetup_id = app
    before = events(engine, meetup_id)
    answer = post(
        server,
        manager,
        f"/meetups/{meetup_id}/commands/note",
        {"command_id": uuid.uuid4().hex, "text": text},
    )
    assert answer.status_code in (200, 422), answer.status_code
    after = events(engine, meetup_id)
    assert after == before + (1 if answer.status_code == 200 else 0)
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "<script>alert(1)</script>" not in page


@FUZZ
@given(code=TEXT, name=TEXT)
def test_any_participant_form_is_a_page_or_a_refusal(app, code, name):
    server, _, manager, _ = app
    answer = post(
        server,
        manager,
        "/participants",
        {"code": code, "display_name": name, "age_bracket": "20s", "district": "shiba"},
    )
    assert answer.status_code in (200, 409, 422), answer.status_code


@FUZZ
@given(notable=TEXT, ward_items=TEXT)
def test_any_monthly_text_is_saved_or_refused(app, notable, ward_items):
    server, _, manager, _ = app
    answer = post(
        server, manager, "/monthly/2026/4/text", {"notable": notable, "ward_items": ward_items}
    )
    assert answer.status_code in (200, 422), answer.status_code
    shown = manager.http.get("/monthly/2026/4").text
    assert "<script>alert(1)</script>" not in shown


@FUZZ
@given(day=TEXT, start=TEXT, end=TEXT, rooms=TEXT)
def test_any_schedule_form_is_a_page_or_a_refusal(app, day, start, end, rooms):
    server, _, manager, _ = app
    answer = post(
        server, manager, "/meetups", {"date": day, "start": start, "end": end, "rooms": rooms}
    )
    assert answer.status_code < 500, answer.status_code

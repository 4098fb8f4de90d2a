"""The login lookup every request makes: one query, and only a login that still stands."""

from datetime import timedelta

from sqlalchemy import event, update
from sqlmodel import select

from console.demo import seed as seed_demo
from console.security import auth
from console.security.models import Staff, StaffSession
from console.store.columns import utcnow
from console.store.db import make_engine, transaction
from console.store.schema import migrate


def test_a_login_is_found_in_one_query_while_it_stands(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lookup.db'}")
    migrate(engine)
    seed_demo(engine)
    with transaction(engine) as db:
        manager = db.exec(select(Staff).where(Staff.login_id == "manager")).one()
    half = auth.start_session(engine, manager)  # the password given, the second factor due
    assert auth.lookup(engine, half) is None
    assert auth.lookup(engine, half, half=True)[0].login_id == "manager"  # the factor's pages
    token = auth.complete_session(engine, half)
    assert token and auth.lookup(engine, half, half=True) is None  # the session id changed
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    staff, login = auth.lookup(engine, token)
    assert (staff.login_id, login.staff_id) == ("manager", manager.id)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert auth.lookup(engine, token + "x") is None
    other = auth.complete_session(engine, auth.start_session(engine, manager))
    hashes = {auth._digest(token), auth._digest(other)}
    assert auth.standing(engine, hashes | {"gone"}) == hashes  # the heartbeat's one query
    with transaction(engine) as db:
        db.execute(update(Staff).where(Staff.id == manager.id).values(active=False))
    assert auth.lookup(engine, token) is None
    assert auth.standing(engine, hashes) == set()
    with transaction(engine) as db:
        db.execute(update(Staff).where(Staff.id == manager.id).values(active=True))
        db.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert auth.lookup(engine, token) is None
    assert auth.standing(engine, hashes) == set()
    engine.dispose()

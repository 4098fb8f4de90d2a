"""Hostile input everywhere (issue 11): every route of the app, as every kind of visitor, with
every hostile value in every path parameter, query parameter and form field. A 5xx from
input is a bug; nothing may be half-written; nothing may come back unescaped."""

import re
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import text
from starlette.routing import Route

from console.app import routes
from console.web.composition import REGISTRY
from tests import hostile
from tests.conftest import ROOT, Staff, make_server, seed

FIELDS = sorted(
    set(
        re.findall(
            r'name="(\w+)"', "".join(p.read_text() for p in (ROOT / "templates").rglob("*.html"))
        )
    )
    | {"version", "month", "fy", "for", "after", "next", "participant_code", "participant_id"}
)
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{tmp / 'hostile.db'}"
    engine, meetup = seed(url)
    server = make_server(url, tmp).start()
    yield server, engine, meetup.id, tmp
    server.stop()


def client(server, staff: Staff | None = None) -> httpx.Client:
    """A fresh client that never reuses a connection past the server's keep-alive."""
    limits = httpx.Limits(max_keepalive_connections=0)
    http = httpx.Client(base_url=server.url, timeout=30, limits=limits)
    if staff is not None:
        http.cookies.set("console_session", staff.http.cookies["console_session"])
        http.headers["X-CSRF-Token"] = staff.csrf
    return http


def encode(value: str) -> str:
    """Percent-encoded UTF-8, keeping lone surrogates as the invalid bytes a client can send."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def form_body(fields: dict[str, str]) -> bytes:
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in fields.items()).encode()


def paths(route: Route, meetup_id: int, value: str) -> list[str]:
    """The route's path with `value` in each parameter in turn (sensible values elsewhere)."""
    params = PARAM.findall(route.path)
    good = {"id": str(meetup_id), "int": "2026", "export": "csv", "": "note"}
    out = []
    for hostile_name, _ in params:

        def fill(match, hostile_name=hostile_name):
            name, kind = match[1], match[2] or ""
            if name == hostile_name:
                return encode(value)
            return "10" if name == "month" else good.get(kind, "1")

        out.append(PARAM.sub(fill, route.path))
    return out or [route.path]


def check(response: httpx.Response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert SCRIPT not in response.text, f"{where}: unescaped markup"


def http_routes():
    return [r for r in routes if isinstance(r, Route)]


@pytest.mark.parametrize("who", ["manager", "ward", None])
def test_no_route_answers_hostile_paths_and_queries_with_a_server_error(target, who):
    server, _, meetup_id, _ = target
    staff = Staff(server, who) if who else None
    with client(server, staff) as http:
        for route in http_routes():
            for method in sorted(route.methods - {"HEAD"}):
                for value in hostile.IN_URLS:
                    for path in paths(route, meetup_id, value):
                        query = "&".join(
                            f"{name}={encode(value)}"
                            for name in ("version", "month", "fy", "for", "after", "next")
                        )
                        if method == "GET":
                            response = http.get(f"{path}?{query}")
                        else:
                            response = http.post(
                                f"{path}?{query}",
                                content=form_body(
                                    {"command_id": uuid.uuid4().hex, "csrf_token": value}
                                ),
                                headers={
                                    "Content-Type": "application/x-www-form-urlencoded",
                                    "HX-Request": "true",
                                },
                            )
                        check(response, f"{who} {method} {path}")


@pytest.mark.parametrize("name", sorted(REGISTRY.commands))
def test_every_command_refuses_hostile_fields_cleanly(target, name):
    """Each hostile value in every field of the form at once, then in each field alone beside
    sensible values, as the manager (who may run every command)."""
    server, _, meetup_id, _ = target
    staff = Staff(server, "manager")
    sane = {"participant_id": "1", "space": "exchange", "reason": "personal_info", "text": "メモ"}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
    url = f"/meetups/{meetup_id}/commands/{name}"
    with client(server, staff) as http:
        for value in hostile.ALL:
            everywhere = {field: value for field in FIELDS}
            for fields in (
                {**everywhere, "command_id": uuid.uuid4().hex},
                {**sane, "command_id": value},
            ):
                response = http.post(url, content=form_body(fields), headers=headers)
                check(response, f"{name} {value[:20]!r}")
        for field in FIELDS:
            for value in ("²", "9223372036854775808", "\x00"):
                fields = {**sane, "command_id": uuid.uuid4().hex, field: value}
                response = http.post(url, content=form_body(fields), headers=headers)
                check(response, f"{name} {field}={value[:20]!r}")


def test_other_forms_refuse_hostile_fields_cleanly(target):
    server, _, _, _ = target
    staff = Staff(server, "manager")
    posts = [r.path for r in http_routes() if "POST" in r.methods and "commands" not in r.path]
    posts = [p.replace("{year:int}", "2026").replace("{month:int}", "10") for p in posts]
    posts = [p.replace("{record_id:id}", "1") for p in posts if p != "/logout"]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
    with client(server, staff) as http:
        for path in posts:
            for value in hostile.ALL:
                everywhere = {field: value for field in FIELDS}
                response = http.post(path, content=form_body(everywhere), headers=headers)
                check(response, f"POST {path} {value[:20]!r}")


def test_after_all_that_the_log_is_whole_and_the_server_never_failed(target):
    """Runs last in this module: nothing half-written, seqs gap-free, no traceback logged."""
    server, engine, _, tmp = target
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        gaps = conn.execute(
            text(
                "SELECT m.id FROM meetup m LEFT JOIN event e ON e.meetup_id = m.id "
                "GROUP BY m.id HAVING COUNT(e.id) != m.last_seq "
                "OR COALESCE(MAX(e.seq), 0) != m.last_seq"
            )
        ).all()
    assert gaps == []
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    logs = "".join(p.read_text(errors="replace") for p in Path(tmp).glob("server-*.log"))
    assert "Traceback" not in logs

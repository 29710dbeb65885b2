"""The task list's team pages through Flask's test client on the real database: managers see their
teams' tasks and assign them to colleagues who hold the role; comments on tasks and cases land in
the audit trail and the timeline; saved filters, shared with a team; the documents beside a task's
form, downloaded only by people who may see the case. Every refusal is checked to change nothing."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import runtime
from engine.catalog import collect, deploy
from engine.documents import store as document_store
from engine.store import models
from engine.tasklist import accounts, create_app

from page_helpers import PASSWORD, as_user  # noqa: F401 - as_user is a fixture
from page_helpers import csrf_token as token

ROOT = Path(__file__).resolve().parents[1]
KEY = "north_somerset_step_down"


@pytest.fixture
def app(db, clock):
    deploy(db, collect([ROOT / "processes" / "north_somerset", ROOT / "processes" / "common"]), name="ns", actor="owner")
    people = [
        ("sw.amira", "Amira Khan", ["social_worker"], "CIN West", "Weston"),
        ("sw.bob", "Bob Other", ["social_worker"], "CIN West", "Weston"),
        ("sw.far", "Far Away", ["social_worker"], "CIN East", "Clevedon"),
        ("tm.jones", "Gareth Jones", ["team_manager"], "CIN West", "Weston"),
        ("tm.east", "East Manager", ["team_manager"], "CIN East", "Clevedon"),
        ("fsw.okafor", "Tobi Okafor", ["family_support_worker"], "Family Wellbeing", "Weston"),
        ("sw.gone", "Gone Worker", ["social_worker"], "CIN West", "Weston"),
    ]
    for username, name, roles, team, locality in people:
        accounts.save_user(db, username, name, roles, password=PASSWORD, team=team, locality=locality,
                           active=username != "sw.gone")
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})


def start(db, key, locality):
    outcome = runtime.start(db, KEY, key, {}, "sw.amira",
                            case={"council": "north_somerset", "locality": locality, "children": [{"name": f"Child {key}"}]})
    (task,) = runtime.tasks(db, instance_id=outcome.instance_id)
    return task


@pytest.fixture
def west(db, app):
    return start(db, "NS-W1", "Weston")


@pytest.fixture
def east(db, app):
    return start(db, "NS-E1", "Clevedon")


def listed(html: str) -> set[str]:
    return set(re.findall(r'href="/cases/([^"?#]+)"', html))


def audit_count(db, action=None) -> int:
    with db.reader() as session:
        query = select(func.count()).select_from(models.AuditEvent)
        if action:
            query = query.where(models.AuditEvent.action == action)
        return session.scalar(query)


# -- team scope ------------------------------------------------------------------------------------

def test_a_manager_sees_the_unassigned_tasks_of_their_teams_cases_only(db, west, east, as_user):
    jones = as_user("tm.jones")  # team manager, Weston
    assert listed(jones.get("/?tab=unassigned").get_data(as_text=True)) == {"NS-W1"}
    assert listed(jones.get("/?tab=all").get_data(as_text=True)) == {"NS-W1"}
    assert listed(as_user("tm.east").get("/?tab=unassigned").get_data(as_text=True)) == {"NS-E1"}
    # Seeing is not acting: the social worker's task is listed without a link to its form or a claim button.
    page = jones.get("/?tab=unassigned").get_data(as_text=True)
    assert f'href="/tasks/{west.id}"' not in page and f"/tasks/{west.id}/claim" not in page
    assert f"/tasks/{west.id}/assign" in page
    assert jones.get(f"/tasks/{west.id}").status_code == 404
    assert jones.post(f"/tasks/{west.id}/claim", data={"csrf_token": token(jones)}).status_code == 404
    assert runtime.task(db, west.id).assignee is None
    # The manager may open the case of their team, not the other team's.
    assert jones.get("/cases/NS-W1").status_code == 200
    assert jones.get("/cases/NS-E1").status_code == 404
    assert jones.get(f"/tasks/{east.id}/assign").status_code == 404


def test_a_worker_sees_only_tasks_of_their_roles_whatever_the_team(db, west, east, as_user):
    far = as_user("sw.far")  # a social worker in another locality: social worker tasks are theirs too
    assert listed(far.get("/?tab=unassigned").get_data(as_text=True)) == {"NS-W1", "NS-E1"}
    fsw = as_user("fsw.okafor")  # in Weston, but not a social worker and not a manager
    for tab in ("mine", "unassigned", "all"):
        assert listed(fsw.get(f"/?tab={tab}").get_data(as_text=True)) == set(), tab
    assert fsw.get("/cases/NS-W1").status_code == 404
    assert fsw.get(f"/tasks/{west.id}/assign").status_code == 404  # not a manager either
    # A manager's own role's tasks stay theirs wherever the case is.
    runtime.complete(db, east.id, {"level_of_need_summary": "a", "step_down_reason": "b", "proposed_fsw_role": "c"},
                     "sw.far")
    (agree,) = runtime.tasks(db, business_key="NS-E1")
    jones = as_user("tm.jones")
    assert "NS-E1" in listed(jones.get("/?tab=unassigned").get_data(as_text=True))
    assert jones.get(f"/tasks/{agree.id}").status_code == 200


# -- assigning -------------------------------------------------------------------------------------

def test_a_manager_assigns_a_task_to_a_colleague_who_holds_its_role(db, west, as_user):
    jones = as_user("tm.jones")
    page = jones.get(f"/tasks/{west.id}/assign").get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]+)"', page)
    assert offered == ["sw.amira", "sw.bob", "sw.far"]  # active social workers; not the manager, not the leaver
    csrf = token(jones, f"/tasks/{west.id}/assign")
    before = audit_count(db)
    for who in ("fsw.okafor", "sw.gone", "nobody", ""):
        refused = jones.post(f"/tasks/{west.id}/assign", data={"assignee": who, "csrf_token": csrf})
        assert refused.status_code == 400, who
        assert "Choose a colleague who holds this task" in refused.get_data(as_text=True)
    assert jones.post(f"/tasks/{west.id}/assign", data={"assignee": "sw.bob"}).status_code == 400  # no CSRF token
    assert runtime.task(db, west.id).assignee is None and audit_count(db) == before

    done = jones.post(f"/tasks/{west.id}/assign", data={"assignee": "sw.bob", "csrf_token": csrf, "next": "/?tab=all"})
    assert done.status_code == 302 and done.headers["Location"] == "/?tab=all"
    assert runtime.task(db, west.id).assignee == "sw.bob"
    with db.reader() as session:
        row = session.execute(select(models.AuditEvent.actor, models.AuditEvent.details)
                              .where(models.AuditEvent.action == "task.assigned")).one()
    assert row.actor == "tm.jones" and row.details["assignee"] == "sw.bob"
    assert west.id in as_user("sw.bob").get("/?tab=mine").get_data(as_text=True)


def test_only_managers_assign(db, west, as_user):
    amira = as_user("sw.amira")
    assert amira.get(f"/tasks/{west.id}/assign").status_code == 404
    assert amira.post(f"/tasks/{west.id}/assign", data={"assignee": "sw.bob", "csrf_token": token(amira)}).status_code == 404
    assert "/assign" not in amira.get("/?tab=all").get_data(as_text=True)
    assert runtime.task(db, west.id).assignee is None


# -- comments --------------------------------------------------------------------------------------

def test_comments_on_a_task_and_a_case_are_audited_and_shown(db, west, as_user):
    amira = as_user("sw.amira")
    csrf = token(amira, f"/tasks/{west.id}")
    response = amira.post(f"/tasks/{west.id}/comments", data={"comment": "Mum asked for <b>Tuesdays</b> & mornings.",
                                                             "csrf_token": csrf})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{west.id}#comments")
    amira.post("/cases/NS-W1/comments", data={"comment": "School nurse involved.", "csrf_token": csrf})
    task_page = amira.get(f"/tasks/{west.id}").get_data(as_text=True)
    assert "Mum asked for &lt;b&gt;Tuesdays&lt;/b&gt; &amp; mornings." in task_page  # escaped, as typed
    assert "School nurse involved." in task_page
    timeline = amira.get("/cases/NS-W1").get_data(as_text=True)
    assert "Comment on 'Propose step-down" in timeline and "School nurse involved." in timeline
    with db.reader() as session:
        rows = session.execute(select(models.AuditEvent.actor, models.AuditEvent.task_id, models.AuditEvent.details)
                               .where(models.AuditEvent.action == "comment.added").order_by(models.AuditEvent.id)).all()
    assert [(r.actor, r.task_id, r.details["text"]) for r in rows] == [
        ("sw.amira", west.id, "Mum asked for <b>Tuesdays</b> & mornings."), ("sw.amira", None, "School nurse involved.")]


def test_a_comment_is_refused_when_empty_or_outside_the_persons_roles(db, west, as_user):
    before = audit_count(db, "comment.added")
    amira = as_user("sw.amira")
    csrf = token(amira, f"/tasks/{west.id}")
    empty = amira.post(f"/tasks/{west.id}/comments", data={"comment": "   ", "csrf_token": csrf}, follow_redirects=True)
    assert "Enter a comment" in empty.get_data(as_text=True)
    long = amira.post("/cases/NS-W1/comments", data={"comment": "x" * 4001, "csrf_token": csrf}, follow_redirects=True)
    assert "4,000 characters or fewer" in long.get_data(as_text=True)
    assert amira.post(f"/tasks/{west.id}/comments", data={"comment": "no token"}).status_code == 400
    fsw = as_user("fsw.okafor")
    fsw_csrf = token(fsw)
    assert fsw.post(f"/tasks/{west.id}/comments", data={"comment": "hi", "csrf_token": fsw_csrf}).status_code == 404
    assert fsw.post("/cases/NS-W1/comments", data={"comment": "hi", "csrf_token": fsw_csrf}).status_code == 404
    assert audit_count(db, "comment.added") == before


def test_the_case_timeline_is_short_until_asked_for_all(db, west, as_user):
    from engine.tasklist import comments

    for n in range(30):
        comments.add(db, "NS-W1", f"note {n:02d}", "sw.amira")
    amira = as_user("sw.amira")
    short = amira.get("/cases/NS-W1").get_data(as_text=True)
    assert short.count('class="app-timeline__item"') == 25
    assert "note 29" in short and "note 05" in short and "note 04" not in short
    assert "timeline=all" in short and "Show the whole timeline" in short
    everything = amira.get("/cases/NS-W1?timeline=all").get_data(as_text=True)
    assert "note 00" in everything and "Instance started" in everything and "Show the whole timeline" not in everything


# -- saved filters ---------------------------------------------------------------------------------

def test_saved_filters_are_links_and_team_shared_ones_reach_the_team(db, west, as_user):
    amira = as_user("sw.amira")
    csrf = token(amira)
    saved = amira.post("/filters", data={"name": "Overdue step-downs", "tab": "all", "process": KEY, "due": "overdue",
                                         "share": "team", "csrf_token": csrf})
    assert saved.status_code == 302 and saved.headers["Location"] == f"/?tab=all&process={KEY}&due=overdue"
    amira.post("/filters", data={"name": "Mine", "tab": "mine", "process": "", "due": "", "csrf_token": csrf})
    link = f'href="/?tab=all&amp;process={KEY}&amp;due=overdue"'
    page = amira.get("/").get_data(as_text=True)
    assert link in page and "Overdue step-downs" in page and 'href="/?tab=mine"' in page
    bob = as_user("sw.bob")  # same team: sees the shared one, not the private one
    bob_page = bob.get("/").get_data(as_text=True)
    assert link in bob_page and "(from sw.amira)" in bob_page and ">Mine<" not in bob_page
    assert link not in as_user("sw.far").get("/").get_data(as_text=True)  # another team
    (mine,) = [f for f in _filters(db) if f.name == "Mine"]
    assert bob.post(f"/filters/{mine.id}/delete", data={"csrf_token": token(bob)}).status_code == 404  # not his
    assert amira.post(f"/filters/{mine.id}/delete", data={"csrf_token": csrf}).status_code == 302
    assert [f.name for f in _filters(db)] == ["Overdue step-downs"]


def test_a_bad_filter_is_refused_and_nothing_saved(db, west, as_user):
    amira = as_user("sw.amira")
    csrf = token(amira)
    for data, message in [({"name": "", "tab": "all"}, "Enter a name for the filter"),
                          ({"name": "x" * 61, "tab": "all"}, "60 characters or fewer"),
                          ({"name": "Odd", "tab": "all", "process": "no_such_process"}, "cannot be saved"),
                          ({"name": "Odd", "tab": "nonsense"}, "cannot be saved")]:
        response = amira.post("/filters", data={**data, "csrf_token": csrf})
        assert response.status_code == 400 and message in response.get_data(as_text=True), data
    assert amira.post("/filters", data={"name": "No token", "tab": "all"}).status_code == 400
    lonely = accounts.save_user(db, "sw.solo", "Solo", ["social_worker"], password=PASSWORD)  # no team
    solo = as_user(lonely.username)
    response = solo.post("/filters", data={"name": "Shared", "tab": "all", "share": "team", "csrf_token": token(solo)})
    assert response.status_code == 400 and "You have no team to share with" in response.get_data(as_text=True)
    assert _filters(db) == []


def _filters(db):
    with db.reader() as session:
        return list(session.scalars(select(models.SavedFilter).order_by(models.SavedFilter.name)))


# -- documents beside the form ---------------------------------------------------------------------

def _docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("Step-down proposal for Child NS-W1")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_the_task_page_lists_the_case_documents_and_they_download_for_the_case_only(db, west, east, as_user):
    content = _docx()
    with db.connection() as conn:
        document = document_store.insert(conn, business_key="NS-W1", instance_id=west.instance_id, task_id=west.id,
                                         template_id="ns_proposal", template_sha256="0" * 64, version=1,
                                         title="Step-down proposal", content=content, fields={}, actor="sw.amira")
    amira = as_user("sw.amira")
    page = amira.get(f"/tasks/{west.id}").get_data(as_text=True)
    href = f"/cases/NS-W1/documents/{document.id}"
    assert "Step-down proposal" in page and f'href="{href}"' in page
    downloaded = amira.get(href)
    assert downloaded.status_code == 200 and downloaded.data == content
    assert "NS-W1_ns_proposal_v1.docx" in downloaded.headers["Content-Disposition"]
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(downloaded.data)).namelist()
    assert audit_count(db, "document.downloaded") == 1
    # Outside the case's roles, or through another case's URL: 404, and nothing audited.
    assert as_user("fsw.okafor").get(href).status_code == 404
    assert amira.get(f"/cases/NS-E1/documents/{document.id}").status_code == 404
    assert amira.get("/cases/NS-W1/documents/999").status_code == 404
    assert audit_count(db, "document.downloaded") == 1

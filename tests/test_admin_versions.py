"""Admin pages for procedures: deploy by uploading files (the catalog's deploy, errors with file,
line and element), the deployments and versions list, a version's diagram and its BPMN diff from
the previous version; nobody but an admin reaches them. Real HTTP through Flask's test client."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from engine.catalog import collect
from engine.store import models

from test_api import NS, ROOT, app, deploy_ns, state  # noqa: F401  (app is a fixture)
from page_helpers import csrf_token, signed_in

FWB = "step_down_to_fwb.bpmn"


def upload(client, files, name="north-somerset"):
    """POST the admin page's form: a name and several files in one `files` field, as a browser sends them."""
    data = {"name": name, "csrf_token": csrf_token(client, "/admin/deployments"),
            "files": [(io.BytesIO(content), filename) for filename, content in files]}
    return client.post("/admin/deployments", data=data, content_type="multipart/form-data")


def ns_files(**replace) -> list[tuple[str, bytes]]:
    """North Somerset's files and the shared ones, as a browser names them (base names only)."""
    files = [(f.filename.rsplit("/", 1)[-1], f.content) for f in collect(NS)]
    return [(name, replace.get(name, content)) for name, content in files]


def definitions(db) -> list[tuple[str, int, str]]:
    with db.reader() as session:
        return sorted(session.execute(select(models.ProcessDefinition.key, models.ProcessDefinition.version,
                                             models.ProcessDefinition.id)).all())


def test_an_admin_deploys_uploaded_files_and_sees_the_versions(db, app, clock):
    admin = signed_in(app, "admin.lee")
    response = upload(admin, ns_files())
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deployed: " in page and "north_somerset_step_down version 1" in page
    with db.reader() as session:
        (deployment,) = session.scalars(select(models.Deployment))
    assert (deployment.name, deployment.source, deployment.deployed_by) == ("north-somerset", "admin page", "admin.lee")
    for key, version, definition_id in definitions(db):
        assert f'href="/admin/definitions/{definition_id}"' in page, key
    # The same files again make nothing new.
    again = upload(admin, ns_files())
    assert "Nothing changed" in admin.get(again.headers["Location"]).get_data(as_text=True)
    assert state(db)["deployments"] == 1


def test_a_refused_upload_shows_file_line_and_element_and_deploys_nothing(db, app, clock):
    admin = signed_in(app, "admin.lee")
    content = dict(ns_files())[FWB].replace(b'camunda:formRef="ns_propose_step_down"',
                                            b'camunda:formRef="ns_no_such_form"')
    before = state(db)
    response = upload(admin, ns_files(**{FWB: content}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="deploy-error-file">step_down_to_fwb.bpmn<', page)
    assert re.search(r'id="deploy-error-element">propose_step_down<', page)
    line = int(re.search(r'id="deploy-error-line">(\d+)<', page).group(1))
    assert b"ns_no_such_form" in content.splitlines()[line - 1]
    assert state(db) == before
    for files, name, message in (
            (ns_files(), "", "Enter a deployment name"),
            ([], "north-somerset", "Choose the .bpmn, .dmn and .form files"),
            ([("notes.txt", b"hello")], "north-somerset", "only .bpmn, .dmn and .form files"),
            ([(FWB, b"<bpmn:definitions")], "north-somerset", "not well-formed XML"),
            (ns_files() + [(FWB, b"<x/>")], "north-somerset", "Two files are named step_down_to_fwb.bpmn"),
            ([("processes/x/notes.md", b"# notes")], "north-somerset", "only .bpmn, .dmn and .form files")):
        refused = upload(admin, files, name)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), message
    assert state(db) == before


def test_an_upload_with_a_service_task_stepwise_cannot_run_is_refused_naming_it(db, app, clock):
    """A process owner turns the manager's check into a Java delegate: Stepwise could never run it."""
    admin = signed_in(app, "admin.lee")
    opening = b'<bpmn:userTask id="tm_agree_step_down" name="Agree step-down suits the level of need" ' \
              b'camunda:formRef="ns_tm_agree_step_down">'
    head, tail = dict(ns_files())[FWB].split(opening)
    content = (head + b'<bpmn:serviceTask id="tm_agree_step_down" name="Agree step-down suits the level of need" '
               b'camunda:delegateExpression="${managementOversight}">'
               + tail.replace(b"</bpmn:userTask>", b"</bpmn:serviceTask>", 1))
    before = state(db)
    response = upload(admin, ns_files(**{FWB: content}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="deploy-error-file">step_down_to_fwb.bpmn<', page)
    assert re.search(r'id="deploy-error-element">tm_agree_step_down<', page)
    line = int(re.search(r'id="deploy-error-line">(\d+)<', page).group(1))
    assert b'camunda:delegateExpression="${managementOversight}"' in content.splitlines()[line - 1]
    assert 'camunda:type=&#34;external&#34;' in page and "script task" in page
    assert state(db) == before


def test_a_version_shows_its_diagram_and_the_diff_from_the_previous_one(db, app, clock):
    admin = signed_in(app, "admin.lee")
    assert upload(admin, ns_files()).status_code == 302
    renamed = dict(ns_files())[FWB].replace(b'name="Propose step-down to FWB intensive family support"',
                                            b'name="Propose a step-down to FWB"')
    assert upload(admin, ns_files(**{FWB: renamed})).status_code == 302
    key = "north_somerset_step_down"
    (first, second) = [d for d in definitions(db) if d[0] == key]
    assert (first[1], second[1]) == (1, 2)
    page = admin.get(f"/admin/definitions/{second[2]}").get_data(as_text=True)
    removed = re.findall(r'<tr class="app-diff__del">(.*?)</tr>', page, re.S)
    added = re.findall(r'<tr class="app-diff__add">(.*?)</tr>', page, re.S)
    assert len(removed) == len(added) == 1
    assert "Propose step-down to FWB intensive family support" in removed[0]
    assert "Propose a step-down to FWB" in added[0]
    assert f'data-url="/admin/definitions/{second[2]}/diagram.bpmn"' in page
    assert "bpmn-navigated-viewer" in page and f'href="/admin/definitions/{first[2]}"' in page
    diagram = admin.get(f"/admin/definitions/{second[2]}/diagram.bpmn")
    assert diagram.mimetype == "application/xml" and diagram.get_data() == renamed
    assert "This is the first version" in admin.get(f"/admin/definitions/{first[2]}").get_data(as_text=True)
    # An unchanged process of the same upload got no new version, so has no diff to show.
    assert len([d for d in definitions(db) if d[0] == "common_safeguarding_referral"]) == 1
    assert admin.get("/admin/definitions/no-such-definition").status_code == 404


def test_only_admins_reach_the_procedure_pages(db, app, clock):
    deploy_ns(app)
    (_key, _version, definition_id) = definitions(db)[0]
    worker = signed_in(app, "sw.amira")
    before = state(db)
    for path in ("/admin/deployments", f"/admin/definitions/{definition_id}",
                 f"/admin/definitions/{definition_id}/diagram.bpmn"):
        assert worker.get(path).status_code == 404, path
        assert app.test_client().get(path).status_code == 302, path  # to sign in
    data = {"name": "x", "csrf_token": csrf_token(worker, "/"),
            "files": [(io.BytesIO(c), n) for n, c in ns_files()]}
    assert worker.post("/admin/deployments", data=data, content_type="multipart/form-data").status_code == 404
    assert state(db) == before


def test_the_whole_processes_folder_deploys_through_the_page(db, app, clock):
    """A chosen folder's files arrive named by their path in it, as a browser sends them."""
    admin = signed_in(app, "admin.lee")
    every = [("processes/" + f.filename, f.content) for f in collect([ROOT / "processes"])]
    response = upload(admin, every, name="stepwise")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with db.reader() as session:
        files = set(session.scalars(select(models.DeploymentFile.filename)))
    assert files == {name for name, _content in every}
    keys = {key for key, _version, _id in definitions(db)}
    assert {"north_somerset_step_down", "common_safeguarding_referral"} <= keys and len(keys) >= 10
    assert all(version == 1 for _key, version, _id in definitions(db))

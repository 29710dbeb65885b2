"""The pages: task list, task, case, start a procedure. Each view parses and authorises, then
calls one `engine.runtime` service function (state changes) or reads via `queries`."""
from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo
from functools import wraps

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import clock, documents, forms, runtime
from engine.runtime import Conflict, InvalidInput, InvalidSubmission, NotFound, StaleVersion

from . import accounts, comments, database, filters, formview, queries, scope
from .auth import _safe_next

bp = Blueprint("views", __name__)

LONDON = ZoneInfo("Europe/London")
TABS = {"mine": "Assigned to me", "unassigned": "My teams' unassigned", "all": "All I can see"}
DUE_FILTERS = {"": "Any time", "overdue": "Overdue", "week": "Due in the next 7 days"}


def _db():
    return database(current_app)


def _roles() -> tuple[str, ...]:
    return tuple(current_user.roles)


def _scope() -> scope.Scope:
    """What the signed-in person may see (read once per request)."""
    if "scope" not in g:
        g.scope = scope.of(_db(), current_user)
    return g.scope


def _may_act(task: runtime.TaskView) -> bool:
    return bool(set(task.roles) & set(_roles()))


def _visible_task(task_id: str) -> runtime.TaskView:
    """The task, if one of the person's roles may act on it; else 404 whatever the URL."""
    try:
        task = runtime.task(_db(), task_id)
    except NotFound:
        abort(404)
    if not _may_act(task):
        abort(404)  # its existence is case data too
    return task


def refusals(view):
    """A runtime refusal the view did not handle: NotFound is a 404, a conflict a message."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except NotFound:
            abort(404)
    return wrapper


@bp.app_template_filter("when")
def when(value) -> str:
    if value is None:
        return ""
    return value.astimezone(LONDON).strftime("%-d %b %Y %H:%M")


@bp.app_template_filter("day")
def day(value) -> str:
    return "" if value is None else value.astimezone(LONDON).strftime("%-d %b %Y")


@bp.app_context_processor
def page_globals():
    return {"now": clock.now(), "TABS": TABS}


# -- the task list ----------------------------------------------------------------------------------

@bp.get("/")
@login_required
def task_list():
    return _task_list_page(request.args)


def _task_list_page(args, filter_errors: dict[str, str] | None = None, filter_name: str = ""):
    tab = args.get("tab", "mine")
    if tab not in TABS:
        tab = "mine"
    process = args.get("process") or None
    due = args.get("due", "")
    if due not in DUE_FILTERS:
        due = ""
    try:
        page = max(1, int(args.get("page", "1")))
    except ValueError:
        page = 1
    size = current_app.config["PAGE_SIZE"]
    now = clock.now()
    due_before = {"overdue": now, "week": now + timedelta(days=7)}.get(due)
    window = {"limit": size + 1, "offset": (page - 1) * size, "process_key": process, "due_before": due_before}
    db, roles, seen = _db(), _roles(), _scope()
    if tab == "mine":
        rows = runtime.tasks(db, roles=roles, assignee=current_user.username, **window) if roles else []
    else:
        rows = scope.visible_tasks(db, seen, unassigned=tab == "unassigned", **window)
    more = len(rows) > size
    rows = rows[:size]
    processes = queries.processes(db)
    own, shared = filters.visible(db, current_user.username, current_user.team)
    return render_template(
        "task_list.html", tab=tab, rows=rows, families=queries.families(db, (t.business_key for t in rows)),
        processes=processes, process=process, due=due, due_filters=DUE_FILTERS, page=page, more=more,
        now=now, actable={t.id for t in rows if seen.may_act(t)}, manager=seen.manager, own_filters=own, shared_filters=shared,
        filter_errors=filter_errors or {}, filter_name=filter_name,
    ), (400 if filter_errors else 200)


@bp.post("/filters")
@login_required
def save_filter():
    """Save the task list's current filter under a name (shared with the team when asked)."""
    db = _db()
    share = request.form.get("share") == "team"
    errors: dict[str, str] = {}
    if share and not current_user.team:
        errors["filter-share"] = "You have no team to share with: ask an administrator to set your team"
    else:
        try:
            saved = filters.save(db, current_user.username, request.form.get("name", ""), tab=request.form.get("tab", ""),
                                 process_key=request.form.get("process") or None, due=request.form.get("due") or None,
                                 team=current_user.team if share else None, tabs=TABS, dues=DUE_FILTERS,
                                 processes={p.key for p in queries.processes(db)})
        except InvalidInput as error:
            errors["filter-name"] = str(error)
        else:
            flash(f"Filter '{saved.name}' saved{' and shared with ' + saved.team if saved.team else ''}.", "success")
            return redirect(url_for("views.task_list") + saved.query)
    return _task_list_page(request.form, errors, request.form.get("name", ""))  # the list as filtered, and why not


@bp.post("/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    if not filters.remove(_db(), current_user.username, filter_id):
        abort(404)  # not theirs, or gone
    flash("Filter deleted.", "success")
    return redirect(url_for("views.task_list"))


@bp.post("/tasks/<task_id>/claim")
@login_required
@refusals
def claim(task_id: str):
    task = _visible_task(task_id)
    try:
        runtime.claim(_db(), task.id, current_user.username, roles=_roles())
        flash(f"You have claimed '{task.name}'.", "success")
    except Conflict as error:
        flash(str(error), "error")
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
@refusals
def unclaim(task_id: str):
    task = _visible_task(task_id)
    if task.assignee and task.assignee != current_user.username:
        flash(f"'{task.name}' is claimed by {task.assignee}: only they can give it back.", "error")
    else:
        try:
            runtime.unclaim(_db(), task.id, current_user.username, roles=_roles())
            flash(f"'{task.name}' is back in your teams' unassigned tasks.", "success")
        except Conflict as error:
            flash(str(error), "error")
    return redirect(_safe_next(request.form.get("next")))


# -- assigning (managers) --------------------------------------------------------------------------

def _assignable_task(task_id: str) -> runtime.TaskView:
    """An open task a manager may give to a colleague: of their roles or their teams'; else 404."""
    seen = _scope()
    if not seen.manager:
        abort(404)
    try:
        task = runtime.task(_db(), task_id)
    except NotFound:
        abort(404)
    if task.state != "open" or not scope.may_see_task(_db(), seen, task.id):
        abort(404)
    return task


@bp.route("/tasks/<task_id>/assign", methods=["GET", "POST"])
@login_required
@refusals
def assign_page(task_id: str):
    db = _db()
    task = _assignable_task(task_id)
    candidates = accounts.holding(db, task.roles)
    back = _safe_next(request.values.get("next"))
    error, status = None, 200
    if request.method == "POST":
        chosen = next((c for c in candidates if c.username == request.form.get("assignee")), None)
        if chosen is None:
            error, status = "Choose a colleague who holds this task's role", 400
        else:
            try:
                # The colleague's roles, not the manager's: the runtime checks they may do the task.
                runtime.assign(db, task.id, chosen.username, current_user.username, roles=chosen.roles)
            except Conflict as refusal:
                error, status = str(refusal), 409
            else:
                flash(f"'{task.name}' is assigned to {chosen.display_name}.", "success")
                return redirect(back)
    return render_template("assign.html", task=task, candidates=candidates, error=error, back=back,
                           family=queries.families(db, [task.business_key]).get(task.business_key, "")), status


# -- comments -------------------------------------------------------------------------------------------

@bp.post("/tasks/<task_id>/comments")
@login_required
@refusals
def comment_on_task(task_id: str):
    task = _visible_task(task_id)
    try:
        comments.add(_db(), task.business_key, request.form.get("comment", ""), current_user.username,
                     task_id=task.id, task_name=task.name)
    except InvalidInput as error:
        flash(str(error), "error")
    else:
        flash("Your comment is added.", "success")
    return redirect(url_for("views.task_page", task_id=task.id) + "#comments")


@bp.post("/cases/<business_key>/comments")
@login_required
def comment_on_case(business_key: str):
    _visible_case(business_key)
    try:
        comments.add(_db(), business_key, request.form.get("comment", ""), current_user.username)
    except InvalidInput as error:
        flash(str(error), "error")
    else:
        flash("Your comment is added.", "success")
    return redirect(url_for("views.case_page", business_key=business_key) + "#comments")


# -- one task ------------------------------------------------------------------------------------------

@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
@refusals
def task_page(task_id: str):
    db = _db()
    task = _visible_task(task_id)
    summary = queries.case_summary(db, task.business_key)
    beside = {"documents": documents.documents(db, task.business_key),
              "comments": comments.for_case(db, task.business_key, task_id=task.id)}
    if task.state != "open":
        return render_template("task_done.html", task=task, case=summary, **beside), 200
    form = runtime.task_form(db, task.id)
    errors: dict[str, str] = {}
    problem = None
    status = 200
    if request.method == "GET":
        queries.record_case_view(db, task.business_key, current_user.username, f"task {task.id}")
        data = runtime.draft(db, task.id) or {}
        version = runtime.instance_version(db, task.instance_id)
    else:
        data = forms.nest(form, _answers(request.form)) if form is not None else {}
        try:
            version = int(request.form.get("_version", ""))
        except ValueError:
            abort(400)
        action = request.form.get("_action", "complete")
        if action.startswith("add:") or action.startswith("remove:"):
            # "Add another" / "Remove" without JavaScript: re-show the form, nothing stored.
            _, name, *index = action.split(":")
            formview.change_list(data, name, int(index[0]) if index and index[0].isdigit() else None)
        elif action == "draft":
            try:
                runtime.save_draft(db, task.id, data, current_user.username, roles=_roles())
            except InvalidInput as error:
                problem, status = str(error), 400
            else:
                flash("Your draft is saved. You can come back to it from any computer.", "success")
                return redirect(url_for("views.task_page", task_id=task.id))
        elif action == "complete":
            try:
                outcome = runtime.complete(db, task.id, data, current_user.username, version, roles=_roles())
            except InvalidSubmission as error:
                errors, status = error.errors, 400
            except StaleVersion as error:
                problem, status = str(error), 409
                version = error.actual  # the worker checks, then may submit again
            except Conflict as error:
                problem, status = str(error), 409
            except InvalidInput as error:
                problem, status = str(error), 400
            else:
                message = f"'{task.name}' is complete."
                if outcome.incident_id:
                    message += " A step after it failed and was recorded as an incident for an administrator."
                flash(message, "success")
                mine = [t for t in runtime.tasks(db, instance_id=outcome.instance_id, roles=_roles())]
                if mine:
                    return redirect(url_for("views.task_page", task_id=mine[0].id))
                return redirect(url_for("views.task_list"))
        else:
            abort(400)
    widgets = formview.build(form, data, errors) if form is not None else []
    # Errors the form has no field for (e.g. a bad list item) still reach the summary.
    summary_errors = formview.error_list(widgets)
    shown = {e["href"] for e in summary_errors}
    for key, text in errors.items():
        if "#" + formview.html_id(key) not in shown and "#" + formview.html_id(key) + "-day" not in shown:
            summary_errors.append({"text": text, "href": "#" + formview.html_id(key)})
    return render_template("task.html", task=task, case=summary, widgets=widgets, error_summary=summary_errors,
                           problem=problem, version=version, has_form=form is not None,
                           draft_saved=request.method == "GET" and bool(data), **beside), status


def _answers(posted):
    """The posted form without the page's own controls (CSRF token, version, button)."""
    return [(name, value) for name, values in posted.lists() for value in values
            if not name.startswith("_") and name != "csrf_token"]


# -- cases ----------------------------------------------------------------------------------------------

def _visible_case(business_key: str) -> queries.CaseSummary:
    db = _db()
    if not scope.may_see_case(db, _scope(), business_key):
        abort(404)
    summary = queries.case_summary(db, business_key)
    if summary is None:
        abort(404)
    return summary


@bp.get("/cases/<business_key>")
@login_required
def case_page(business_key: str):
    db = _db()
    summary = _visible_case(business_key)
    queries.record_case_view(db, business_key, current_user.username, "case")
    chosen = request.args.get("instance")
    ids = [i.id for i in summary.instances]
    if chosen not in ids:
        running = [i.id for i in summary.instances if i.state == "running"]
        chosen = (running or ids or [None])[-1]
    diagram = queries.diagram(db, chosen) if chosen else None
    everything = request.args.get("timeline") == "all"
    timeline = queries.timeline(db, business_key, limit=None if everything else queries.TIMELINE_SHORT + 1)
    more = not everything and len(timeline) > queries.TIMELINE_SHORT
    return render_template("case.html", case=summary, chosen=chosen, diagram=diagram,
                           timeline=timeline[:queries.TIMELINE_SHORT] if more else timeline, timeline_more=more,
                           open_tasks=queries.open_tasks_of_case(db, business_key), my_roles=set(_roles()))


@bp.get("/cases/<business_key>/instances/<instance_id>/diagram.bpmn")
@login_required
def case_diagram(business_key: str, instance_id: str):
    summary = _visible_case(business_key)
    if instance_id not in {i.id for i in summary.instances}:
        abort(404)
    diagram = queries.diagram(_db(), instance_id)
    xml = queries.diagram_xml(_db(), diagram.definition_id) if diagram else None
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "no-store"})


# -- starting a procedure --------------------------------------------------------------------------

_DATE = ("day", "month", "year")


@bp.route("/start", methods=["GET", "POST"])
@login_required
def start_page():
    db = _db()
    choices = [p for p in queries.processes(db) if not p.key.startswith("common_")]
    values = {k: request.form.get(k, "").strip() for k in
              ("process", "business_key", "child_name", "locality", "address", *(f"dob-{p}" for p in _DATE))}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if values["process"] not in {p.key for p in choices}:
            errors["process"] = "Select the procedure to start"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9/_.-]{0,99}", values["business_key"]):
            errors["business_key"] = "Enter the case reference, using letters, numbers, '-', '_', '/' or '.'"
        if not values["child_name"]:
            errors["child_name"] = "Enter the child's full name"
        dob = None
        parts = [values[f"dob-{p}"] for p in _DATE]
        if any(parts):
            try:
                dob = date(int(parts[2]), int(parts[1]), int(parts[0]))
                if dob > clock.now().date() or dob.year < 1990:
                    raise ValueError
            except ValueError:
                errors["dob"] = "Date of birth must be a real date in the past, like 14 3 2016"
        if not errors and queries.case_summary(db, values["business_key"]) is not None \
                and not scope.may_see_case(db, _scope(), values["business_key"]):
            errors["business_key"] = "This case reference is already in use: check it"
        if not errors:
            process = values["process"]
            child = {"name": values["child_name"]}
            if dob:
                child["date_of_birth"] = dob.isoformat()
            case = {"council": _council(process), "children": [child]}
            if values["locality"]:
                case["locality"] = values["locality"]
            if values["address"]:
                case["address"] = values["address"]
            try:
                outcome = runtime.start(db, process, values["business_key"], {}, current_user.username, case=case)
            except (InvalidInput, NotFound) as error:
                errors["process"] = str(error)
            else:
                flash(f"Procedure started for case {values['business_key']}.", "success")
                mine = runtime.tasks(db, instance_id=outcome.instance_id, roles=_roles())
                if mine:
                    return redirect(url_for("views.task_page", task_id=mine[0].id))
                if scope.may_see_case(db, _scope(), values["business_key"]):
                    return redirect(url_for("views.case_page", business_key=values["business_key"]))
                return redirect(url_for("views.task_list"))
    return render_template("start.html", choices=choices, values=values, errors=errors), (400 if errors else 200)


COUNCILS = ("north_somerset", "halton", "shropshire", "swindon", "warwickshire")


def _council(process_key: str) -> str | None:
    return next((c for c in COUNCILS if process_key.startswith(c + "_")), None)

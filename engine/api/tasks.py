"""`/task`: the task list (your roles only), one task, its form and variables, claim, unclaim, assignee,
complete."""
from __future__ import annotations

from flask import current_app, jsonify, request

from engine import runtime
from engine.runtime import NotFound, TaskView
from engine.runtime import inspect
from engine.tasklist import accounts, database

from . import bp, queries
from .auth import account, roles
from .errors import forbidden, invalid, not_found
from .values import camunda_date, json_body, paging, parse_date, plain, typed_value


def task_json(task: TaskView, definition_id: str | None) -> dict:
    return {
        "id": task.id, "name": task.name, "assignee": task.assignee, "owner": None,
        "created": camunda_date(task.created_at), "lastUpdated": None, "due": camunda_date(task.due_at),
        "followUp": None, "delegationState": None, "description": None, "executionId": task.instance_id,
        "parentTaskId": None, "priority": 50, "processDefinitionId": definition_id,
        "processInstanceId": task.instance_id, "taskDefinitionKey": task.element_id, "caseExecutionId": None,
        "caseInstanceId": None, "caseDefinitionId": None, "suspended": False, "formKey": None,
        "camundaFormRef": {"key": task.form_ref, "binding": "deployment", "version": None} if task.form_ref else None,
        "tenantId": None,
        # Stepwise's own fields (Camunda clients ignore unknown ones).
        "businessKey": task.business_key, "processDefinitionKey": task.process_key,
        "candidateGroups": task.roles,
    }


def _filter() -> queries.TaskFilter:
    args = request.args
    due = args.get("dueBefore")
    return queries.TaskFilter(
        roles=roles(), candidate_group=args.get("candidateGroup"), assignee=args.get("assignee"),
        instance_id=args.get("processInstanceId"), business_key=args.get("processInstanceBusinessKey"),
        element_id=args.get("taskDefinitionKey"), due_before=parse_date(due, "dueBefore") if due else None,
    )


# Camunda's sortBy names -> human_task columns (the others Camunda knows have no meaning here).
SORT_BY = {"dueDate": "due_at", "created": "created_at", "name": "name", "id": "id", "assignee": "assignee",
           "instanceId": "instance_id", "executionId": "instance_id"}


def _order() -> tuple[str, bool] | None:
    by, order = request.args.get("sortBy"), request.args.get("sortOrder")
    if by is None and order is None:
        return None
    if by is None or order is None:
        raise invalid("Only a single sorting parameter specified. sortBy and sortOrder required")
    if by not in SORT_BY:
        raise invalid(f"Cannot set query parameter 'sortBy' to value '{by[:60]}': one of {', '.join(SORT_BY)}")
    if order not in ("asc", "desc"):
        raise invalid(f"Cannot set query parameter 'sortOrder' to value '{order[:60]}': asc or desc")
    return SORT_BY[by], order == "desc"


@bp.get("/task")
def list_tasks():
    account()
    first, size = paging(request.args)
    db = database(current_app)
    rows = queries.tasks(db, _filter(), first=first, size=size, order=_order())
    definitions = queries.instance_definition(db, (t.instance_id for t in rows))
    return jsonify([task_json(t, definitions.get(t.instance_id)) for t in rows])


@bp.get("/task/count")
def count_tasks():
    account()
    return jsonify({"count": queries.task_count(database(current_app), _filter())})


def _visible(task_id: str, *, open_only: bool = True) -> TaskView:
    """The task if one of the caller's roles may act on it; else 404 (its existence is case data)."""
    try:
        task = runtime.task(database(current_app), task_id)
    except NotFound:
        task = None
    if task is None or not set(task.roles) & set(roles()) or (open_only and task.state != "open"):
        raise not_found(f"No matching task with id {task_id}")
    return task


@bp.get("/task/<task_id>")
def get_task(task_id: str):
    account()
    task = _visible(task_id)
    db = database(current_app)
    response = jsonify(task_json(task, queries.instance_definition(db, [task.instance_id]).get(task.instance_id)))
    # The instance's version: send it back in If-Match when completing to refuse a stale completion.
    response.set_etag(str(runtime.instance_version(db, task.instance_id)))
    return response


@bp.get("/task/<task_id>/deployed-form")
def deployed_form(task_id: str):
    account()
    task = _visible(task_id)
    form = runtime.task_form(database(current_app), task.id)
    if form is None:
        raise not_found(f"task {task_id} has no deployed form (camunda:formRef)")
    return jsonify(form.schema)


@bp.get("/task/<task_id>/form-variables")
def form_variables(task_id: str):
    """The values the task's form would show (Camunda: the variables named by its form fields)."""
    account()
    task = _visible(task_id)
    db = database(current_app)
    form = runtime.task_form(db, task.id)
    names = [f.key.split(".")[0].split("[")[0] for f in form.fields()] if form is not None else []
    wanted = request.args.get("variableNames")
    if wanted is not None:
        names = [n for n in wanted.split(",") if n.strip()]
    data = inspect.task_data(db, task.id)
    return jsonify({name: typed_value(data.get(name)) for name in dict.fromkeys(names)})


@bp.post("/task/<task_id>/assignee")
def set_assignee(task_id: str):
    """Give the task to a colleague who holds one of its roles (userId null: to nobody)."""
    who = account()
    task = _visible(task_id, open_only=False)
    body = json_body()
    if "userId" not in body:
        raise invalid("userId is required (null to leave the task unassigned)")
    user = body["userId"]
    if user is not None and not isinstance(user, str):
        raise invalid("userId must be a string or null")
    if user is not None:
        target = accounts.by_username(database(current_app), user)
        if target is None or not target.active or not set(target.roles) & set(task.roles):
            raise invalid(f"'{user[:100]}' is not an active user holding a role of '{task.name}'")
    runtime.assign(database(current_app), task.id, user, who.username, roles=roles())
    return "", 204


@bp.post("/task/<task_id>/claim")
def claim(task_id: str):
    who = account()
    task = _visible(task_id, open_only=False)
    user = json_body().get("userId", who.username)
    if user != who.username:
        raise forbidden(f"user '{who.username}' may claim tasks only for themselves, not for '{user}'")
    runtime.claim(database(current_app), task.id, who.username, roles=roles())
    return "", 204


@bp.post("/task/<task_id>/unclaim")
def unclaim(task_id: str):
    who = account()
    task = _visible(task_id, open_only=False)
    if task.assignee and task.assignee != who.username:
        raise forbidden(f"'{task.name}' is claimed by {task.assignee}: only they can give it back")
    runtime.unclaim(database(current_app), task.id, who.username, roles=roles())
    return "", 204


def _expected_version() -> int | None:
    """`If-Match: "<instance version>"` (the ETag of GET /task/{id}); absent: no check."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise invalid("If-Match must be the task's ETag (the instance version), like \"3\"")
    return int(value)


def _complete(task_id: str):
    who = account()
    task = _visible(task_id, open_only=False)
    body = json_body()
    variables = plain(body.get("variables"))
    expected = _expected_version()
    outcome = runtime.complete(database(current_app), task.id, variables, who.username, expected, roles=roles())
    response = current_app.response_class(status=204)
    response.headers["X-Stepwise-Instance-Version"] = str(outcome.version)
    return response


@bp.post("/task/<task_id>/complete")
def complete(task_id: str):
    _check_no_return()
    return _complete(task_id)


@bp.post("/task/<task_id>/submit-form")
def submit_form(task_id: str):
    _check_no_return()
    return _complete(task_id)


def _check_no_return() -> None:
    if json_body().get("withVariablesInReturn") is True:
        raise invalid("withVariablesInReturn is not supported: read the next tasks with GET /task")

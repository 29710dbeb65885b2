"""Admin pages for moving running cases to another process version and for case repair:
migration preview and apply, an instance's full history with "go back to a task", and retrying
every open incident at once. Role `admin` only (anyone else: 404); every POST carries CSRF."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from engine.runtime import Conflict, InvalidInput, NotFound, RuntimeRefusal, migration, repair
from engine.store import models

from . import database
from .admin import admin_only, bp


def _process_versions(db) -> list[tuple[str, int]]:
    """Processes with more than one version: the only ones a migration can be between."""
    definitions = models.ProcessDefinition
    with db.reader() as session:
        return list(session.execute(
            select(definitions.key, func.max(definitions.version)).group_by(definitions.key)
            .having(func.count() > 1).order_by(definitions.key)))


def _version_field(name: str, label: str) -> tuple[int | None, dict | None]:
    text = (request.values.get(name) or "").strip()
    if text.isdigit() and int(text) >= 1:
        return int(text), None
    return None, {"text": f"Enter the {label} as a whole number, like 2", "href": f"#{name}"}


@bp.get("/migration")
@admin_only
def migration_page():
    db = database(current_app)
    key = (request.args.get("key") or "").strip()
    preview, errors = None, []
    if key or "from" in request.args or "to" in request.args:
        if not key:
            errors.append({"text": "Choose a process", "href": "#key"})
        source, error = _version_field("from", "version the cases run on now")
        errors += [error] if error else []
        target, error = _version_field("to", "version to move them to")
        errors += [error] if error else []
        if not errors:
            try:
                preview = migration.preview(db, key, source, target)
            except (InvalidInput, NotFound) as refusal:
                errors.append({"text": str(refusal), "href": "#key"})
    status = 400 if errors else 200
    return render_template("admin_migration.html", processes=_process_versions(db), preview=preview,
                           error_summary=errors, form=request.args), status


@bp.post("/migration")
@admin_only
def migration_apply():
    key = (request.form.get("key") or "").strip()
    source, bad_source = _version_field("from", "from version")
    target, bad_target = _version_field("to", "to version")
    if not key or bad_source or bad_target:
        abort(400)
    expected = {name.removeprefix("version-"): int(value) for name, value in request.form.items()
                if name.startswith("version-") and value.isdigit()}
    try:
        results = migration.apply(database(current_app), key, source, target, current_user.username,
                                  instance_ids=list(expected), expected_versions=expected)
    except (InvalidInput, NotFound) as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("admin.migration_page"))
    moved = [r for r in results if r.migrated]
    if moved:
        flash(f"{len(moved)} case(s) moved to version {target}.", "success")
    for result in results:
        if not result.migrated:
            flash(f"{result.business_key or result.instance_id} was not moved: {'; '.join(result.reasons)}", "error")
    return redirect(url_for("admin.migration_page", key=key, **{"from": source, "to": target}))


@bp.get("/instances/<instance_id>")
@admin_only
def instance_page(instance_id: str):
    try:
        history = repair.history(database(current_app), instance_id)
    except NotFound:
        abort(404)
    done = [t for t in history.tasks if t.state == "completed"]
    return render_template("admin_instance.html", history=history, completed=done,
                           error_summary=[], form={})


@bp.post("/instances/<instance_id>/reset")
@admin_only
def instance_reset(instance_id: str):
    db = database(current_app)
    task_id, reason = request.form.get("task_id") or "", request.form.get("reason") or ""
    errors, status = [], 400
    if not task_id:
        errors.append({"text": "Choose the task to go back to", "href": "#task_id"})
    if not reason.strip():
        errors.append({"text": "Enter the reason for going back", "href": "#reason"})
    if not errors:
        try:
            repair.reset(db, instance_id, task_id, reason, current_user.username,
                         int(request.form["version"]) if request.form.get("version", "").isdigit() else None)
        except NotFound:
            abort(404)
        except (Conflict, InvalidInput) as refusal:  # a stale version is a Conflict: someone acted first
            errors.append({"text": str(refusal), "href": "#task_id"})
            status = 409 if isinstance(refusal, Conflict) else 400
        else:
            flash("The case has gone back to the chosen task. Later work has left the task list.", "success")
            return redirect(url_for("admin.instance_page", instance_id=instance_id))
    try:
        history = repair.history(db, instance_id)
    except NotFound:
        abort(404)
    done = [t for t in history.tasks if t.state == "completed"]
    return render_template("admin_instance.html", history=history, completed=done, error_summary=errors,
                           form=request.form), status


@bp.post("/incidents/retry-all")
@admin_only
def retry_all():
    try:
        results = repair.retry_incidents(database(current_app), current_user.username)
    except RuntimeRefusal as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("admin.incidents"))
    resolved = sum(r.resolved for r in results)
    if not results:
        flash("There were no open incidents to retry.", "info")
    elif resolved == len(results):
        flash(f"All {resolved} incident(s) are resolved.", "success")
    else:
        flash(f"{resolved} of {len(results)} incident(s) resolved; the others failed again and stay open.", "error")
    return redirect(url_for("admin.incidents"))

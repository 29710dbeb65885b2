"""Admin pages for outbound webhooks (role `admin`; anyone else gets a 404): the subscriptions,
add one (its secret is shown once, on the page that answers the form, never again), pause, resume,
delete, and each subscription's delivery log with every attempt and a redeliver button.

Views parse and authorise, then call one `webhooks.subscriptions` / `webhooks.delivery` function."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.runtime import InvalidInput, NotFound
from webhooks import delivery, payloads, subscriptions

from . import database
from .admin import admin_only

bp = Blueprint("admin_webhooks", __name__, url_prefix="/admin/webhooks")
LOG_SIZE = 50
# Rows an admin may send again: delivered (a receiver lost it) or failed (gave up after a day).
REDELIVERABLE = ("delivered", "failed")


def _db():
    return database(current_app)


def _subscription(subscription_id: int):
    try:
        return subscriptions.subscription(_db(), subscription_id)
    except NotFound:
        abort(404)


@bp.get("")
@admin_only
def index():
    return render_template("admin_webhooks.html", subscriptions=subscriptions.subscriptions(_db()))


def _event_types(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def new():
    values = {"url": "", "event_types": "", "description": "", "secret": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in values}
        try:
            sub_id, secret = subscriptions.add_subscription(
                _db(), values["url"], _event_types(values["event_types"]), secret=values["secret"].strip() or None,
                description=values["description"], actor=current_user.username)
        except InvalidInput as error:
            text = str(error)
            errors[getattr(error, "field", "url")] = text[0].upper() + text[1:]
        else:
            # The secret is on this page only: not in a flash message (the session cookie is
            # signed, not encrypted), not in a URL, never shown again.
            return render_template("admin_webhook_created.html", subscription=_subscription(sub_id), secret=secret,
                                   generated=not values["secret"].strip()), 201
    return render_template("admin_webhook_new.html", values=values, errors=errors, known_types=payloads.EVENT_TYPES), \
        400 if errors else 200


@bp.get("/<int:subscription_id>")
@admin_only
def show(subscription_id: int):
    found = _subscription(subscription_id)
    state = request.args.get("state") or None
    if state not in (None, "pending", "delivered", "failed", "cancelled"):
        state = None
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    log = subscriptions.delivery_log(_db(), subscription_id, state=state, limit=LOG_SIZE + 1, offset=(page - 1) * LOG_SIZE)
    return render_template("admin_webhook.html", subscription=found, log=log[:LOG_SIZE], more=len(log) > LOG_SIZE,
                           page=page, state=state, redeliverable=REDELIVERABLE)


@bp.post("/<int:subscription_id>/pause")
@admin_only
def pause(subscription_id: int):
    return _set_active(subscription_id, False)


@bp.post("/<int:subscription_id>/resume")
@admin_only
def resume(subscription_id: int):
    return _set_active(subscription_id, True)


def _set_active(subscription_id: int, active: bool):
    try:
        subscriptions.set_active(_db(), subscription_id, active, actor=current_user.username)
    except NotFound:
        abort(404)
    flash(f"Subscription {subscription_id} is active again: webhooks that were waiting go out on the worker's next pass."
          if active else f"Subscription {subscription_id} is paused: nothing new is written for it, and webhooks already "
          "waiting are held until you resume it.", "success")
    return redirect(url_for("admin_webhooks.show", subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/delete")
@admin_only
def delete(subscription_id: int):
    try:
        cancelled = subscriptions.delete_subscription(_db(), subscription_id, actor=current_user.username)
    except NotFound:
        abort(404)
    flash(f"Subscription {subscription_id} is deleted; {cancelled} waiting webhook(s) will not be sent.", "success")
    return redirect(url_for("admin_webhooks.index"))


@bp.post("/<int:subscription_id>/deliveries/<int:outbox_id>/redeliver")
@admin_only
def redeliver(subscription_id: int, outbox_id: int):
    _subscription(subscription_id)
    try:
        row = subscriptions.delivery_of(_db(), subscription_id, outbox_id)
    except NotFound:
        abort(404)
    if row.state not in REDELIVERABLE:
        flash(f"Webhook {outbox_id} is {row.state}: only a delivered or failed webhook can be sent again.", "error")
    else:
        delivery.redeliver(_db(), [outbox_id], current_user.username)
        flash(f"Webhook {outbox_id} is queued: the worker sends it on its next pass.", "success")
    return redirect(url_for("admin_webhooks.show", subscription_id=subscription_id))

"""`stepwise webhooks ...`: subscriptions, inbound sources, the delivery log, redelivery.

Loaded through `engine.cli.EXTENSIONS`; importing it also registers the outbox and inbound
listeners, so every `stepwise` command that changes state writes its webhook rows.
"""
from __future__ import annotations

from engine.store import connect

from . import delivery, inbound, outbox, payloads, subscriptions  # noqa: F401 - inbound/outbox register listeners


def _add(args) -> int:
    db = connect(args.database_url)
    sub_id, secret = subscriptions.add_subscription(db, args.url, args.events.split(","), secret=args.secret,
                                                    description=args.description)
    print(f"subscription {sub_id} -> {args.url}")
    print(f"  secret {secret}")
    return 0


def _list(args) -> int:
    db = connect(args.database_url)
    rows = subscriptions.subscriptions(db)
    for row in rows:
        print(f"{row.id}  {'active  ' if row.active else 'disabled'}  {row.url}  [{', '.join(row.event_types)}]"
              + (f"  {row.description}" if row.description else ""))
    if not rows:
        print("no webhook subscriptions")
    return 0


def _toggle(active: bool):
    def run(args) -> int:
        db = connect(args.database_url)
        subscriptions.set_active(db, args.subscription, active)
        print(f"subscription {args.subscription} {'enabled' if active else 'disabled'}")
        return 0
    return run


def _outbox(args) -> int:
    db = connect(args.database_url)
    for row in subscriptions.outbox(db, state=args.state, subscription_id=args.subscription, limit=args.limit):
        when = row.delivered_at or row.next_attempt_at
        print(f"{row.id}  {row.state:<9} {row.event_type:<28} sub {row.subscription_id}  attempts {row.attempts}  "
              f"{when.isoformat() if when else '-'}" + (f"  {row.last_error}" if row.last_error else ""))
        if args.attempts:
            for attempt in subscriptions.attempts(db, row.id):
                print(f"    {attempt.at.isoformat()}  {attempt.status_code or '-'}  {attempt.duration_ms} ms  "
                      f"{attempt.error or 'ok'}")
    return 0


def _redeliver(args) -> int:
    db = connect(args.database_url)
    ids = list(args.ids) + (delivery.failed_ids(db, args.subscription) if args.failed else [])
    count = delivery.redeliver(db, ids, args.actor) if ids else 0
    print(f"{count} webhook(s) queued again")
    return 0


def _source(args) -> int:
    db = connect(args.database_url)
    secret = subscriptions.add_source(db, args.name, secret=args.secret)
    print(f"source {args.name}: POST /webhooks/in/{args.name}")
    print(f"  secret {secret}")
    return 0


def _deliver(args) -> int:
    db = connect(args.database_url)
    run = delivery.deliver_due(db, limit=args.limit)
    print(f"delivered {run.delivered}, retrying {run.retrying}, failed {run.failed}")
    return 0


def register(commands) -> None:
    parser = commands.add_parser("webhooks", help="outbound webhook subscriptions, inbound sources, delivery log")
    sub = parser.add_subparsers(dest="webhooks_command", required=True)

    p = sub.add_parser("add", help="subscribe a URL to event types")
    p.add_argument("url")
    p.add_argument("--events", required=True,
                   help="comma-separated event types or patterns, e.g. 'task.*,lcs.*' ("
                        + ", ".join(payloads.EVENT_TYPES) + ", or an integration name)")
    p.add_argument("--secret", help="whsec_... (generated when not given)")
    p.add_argument("--description")
    p.set_defaults(run=_add)

    p = sub.add_parser("list", help="list subscriptions")
    p.set_defaults(run=_list)

    for name, active in (("enable", True), ("disable", False)):
        p = sub.add_parser(name, help=f"{name} a subscription")
        p.add_argument("subscription", type=int)
        p.set_defaults(run=_toggle(active))

    p = sub.add_parser("outbox", help="the newest outbox rows (the delivery log)")
    p.add_argument("--state", choices=("pending", "delivered", "failed"))
    p.add_argument("--subscription", type=int)
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--attempts", action="store_true", help="show each attempt")
    p.set_defaults(run=_outbox)

    p = sub.add_parser("redeliver", help="queue delivered or failed webhooks again")
    p.add_argument("ids", nargs="*", type=int)
    p.add_argument("--failed", action="store_true", help="every failed one (of --subscription, if given)")
    p.add_argument("--subscription", type=int)
    p.set_defaults(run=_redeliver)

    p = sub.add_parser("source", help="add (or re-key) an inbound source: POST /webhooks/in/NAME")
    p.add_argument("name")
    p.add_argument("--secret", help="whsec_... (generated when not given)")
    p.set_defaults(run=_source)

    p = sub.add_parser("deliver", help="one delivery pass now (the worker does this continuously)")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(run=_deliver)

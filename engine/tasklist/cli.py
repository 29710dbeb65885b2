"""`stepwise serve`: the task list over HTTP with waitress (a production WSGI server, pure Python)."""
from __future__ import annotations

import logging
import os

log = logging.getLogger("stepwise")


def cmd_serve(args) -> int:
    from waitress import serve

    from engine.store import connect

    from . import create_app

    local = args.host in ("127.0.0.1", "localhost", "::1")
    secure = os.environ.get("STEPWISE_SECURE_COOKIES")
    # Secure cookies need HTTPS; on this machine only, plain HTTP is allowed unless told otherwise.
    secure_cookies = (secure.lower() in ("1", "true", "yes")) if secure else not local
    app = create_app({"DATABASE": connect(args.database_url), "SESSION_COOKIE_SECURE": secure_cookies})
    log.info("task list on http://%s:%d/ (secure cookies: %s)", args.host, args.port, secure_cookies)
    print(f"Stepwise task list: http://{args.host}:{args.port}/", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="stepwise")
    return 0


def register(commands) -> None:
    p = commands.add_parser("serve", help="serve the web task list (waitress)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(run=cmd_serve)

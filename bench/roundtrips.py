"""Round trips to PostgreSQL per step: bench/engine.py's models, counted on the wire.

On PostgreSQL a step waits on the server once per round trip, so across a network the count times
the latency is most of a step (at 1 ms between the app and its database, ten round trips are ten
milliseconds). Timing on one machine hides that, and moves by a third from hour to hour; the count
does not move. The runtime here talks to the server through a relay on 127.0.0.1 that counts each
answer: the server's bytes after the client's, on one connection. Each model runs with the writes of
a step pipelined (engine.store.fast.pipelined), as the product does, and again without, to show what
the pipeline saves; and with the runtime's workflow cache warm, then emptied before each step.

Run (from the project root, venv active); DROPS AND RECREATES THE SCHEMA public of that database:
    python bench/roundtrips.py --database-url postgresql+psycopg://stepwise:stepwise@127.0.0.1:5432/stepwise_bench
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import tempfile
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent


def _engine_bench():
    """bench/engine.py as a module (its name is the package's, so it cannot simply be imported)."""
    spec = importlib.util.spec_from_file_location("engine_bench", HERE / "engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_bench"] = module
    spec.loader.exec_module(module)
    return module


class CountingRelay:
    """A TCP relay to the server that counts answers; runs its own event loop in a daemon thread."""

    def __init__(self, host: str, port: int):
        self.answers = 0
        self._target = (host, port)
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._serve, args=(started,), daemon=True).start()
        started.wait()

    def _serve(self, started: threading.Event) -> None:
        async def main():
            server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            await server.serve_forever()

        self._loop.run_until_complete(main())

    async def _relay(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self._target)
        last = ["client"]  # who spoke last on this connection

        async def pump(reader, writer, speaker: str):
            try:
                while data := await reader.read(65536):
                    if speaker == "server" and last[0] == "client":
                        self.answers += 1
                    last[0] = speaker
                    writer.write(data)
                    await writer.drain()
            finally:
                writer.close()

        await asyncio.gather(pump(client_reader, server_writer, "client"), pump(server_reader, client_writer, "server"),
                             return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server (its schema public is recreated)")
    parser.add_argument("--instances", type=int, default=2, help="instances per model and setting (default 2)")
    args = parser.parse_args(argv)
    bench = _engine_bench()
    from engine.runtime import repository
    from engine.store import fast

    url = make_url(args.database_url)
    if not url.drivername.startswith("postgresql"):
        raise SystemExit("--database-url must name a PostgreSQL server")
    relay = CountingRelay(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    db = bench.fresh_database(relayed, Path(tempfile.gettempdir()) / "unused.db")
    supported = fast._pipelines_supported
    print("| model | user tasks | round trips per step | without pipelining | cold cache | cold, without pipelining |")
    print("|---|---:|---:|---:|---:|---:|")
    try:
        for model in bench.models_to_run():
            bench.deploy(db, list(model.files))
            bench.warm_up(db, model)
            figures = []
            for cold in (False, True):
                for pipelining in (True, False):
                    fast._pipelines_supported = supported if pipelining else (lambda conn: False)
                    bench.persisted_instance(db, model, f"WARM-{model.name}-{cold}-{pipelining}")
                    answers = steps = 0
                    for i in range(args.instances):
                        instance_id, pending = bench.start_instance(db, model, f"C-{model.name}-{cold}-{pipelining}-{i}")
                        while True:
                            if cold:
                                repository.cache.clear()
                            before = relay.answers
                            if not bench.complete_next(db, model, instance_id, pending):
                                break
                            answers += relay.answers - before
                            steps += 1
                    figures.append(f"{answers / steps:.1f}")
            print(f"| {model.name} | {model.user_tasks} | " + " | ".join(figures) + " |")
    finally:
        fast._pipelines_supported = supported
        db.dispose()
    print("\nround trips: answers from the server per completed user task (runtime.complete), counted by a relay;"
          " the transaction's pool check-out (pre-ping), BEGIN and COMMIT included.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

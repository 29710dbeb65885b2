"""Instructions per step: bench/engine.py's models, bare and persisted, counted by callgrind.

Wall-clock figures on a shared virtual machine move by a third from one hour to the next (the bare
chain-20 step has measured 0.12 and 0.23 ms on the same machine the same day); the number of
instructions a step executes moves by about 1 % (random task ids and hash seeds lay dictionaries
out differently), so a change smaller than that is not seen. Use this to judge a change to the per-step path, and
bench/engine.py for the figures the issue asks for. Instructions are not time: the persisted
step also waits on system calls (SQLite's writes and locks) that callgrind does not count.

Run (from the project root, venv active; needs valgrind):
    python bench/instructions.py                  # every model, 3 instances each (about 2 min)
    python bench/instructions.py chain-20 --instances 5
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _engine_bench():
    """bench/engine.py as a module (its name is the package's, so it cannot simply be imported)."""
    spec = importlib.util.spec_from_file_location("engine_bench", HERE / "engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_bench"] = module
    spec.loader.exec_module(module)
    return module


def _callgrind(switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True)


def child(model_name: str, kind: str, instances: int) -> None:
    """Runs under callgrind with instrumentation off; counts only the steps of `instances` instances."""
    bench = _engine_bench()
    model = {m.name: m for m in bench.models_to_run()}[model_name]
    with tempfile.TemporaryDirectory(prefix="stepwise-instructions-") as tmp:
        db = bench.fresh_database(None, Path(tmp) / "steps.db")
        bench.deploy(db, list(model.files))
        bench.warm_up(db, model)
        spec, subprocess_specs = bench.parse_model(model)
        for i in range(2):  # warm every cache the timed steps use, as bench/engine.py does
            bench.persisted_instance(db, model, f"WARM-{i}")
            bench.bare_instance(model, spec, subprocess_specs)
        if kind == "persisted":
            runs = [bench.start_instance(db, model, f"COUNTED-{i}") for i in range(instances)]
            _callgrind("on")
            for instance_id, pending in runs:
                while bench.complete_next(db, model, instance_id, pending):
                    pass
            _callgrind("off")
        else:
            workflows = [bench.bare_workflow(spec, subprocess_specs) for _ in range(instances)]
            _callgrind("on")
            for workflow in workflows:
                while bench.bare_step(model, workflow):
                    pass
            _callgrind("off")
        db.dispose()


def count(model_name: str, kind: str, instances: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/out",
             sys.executable, __file__, "--child", model_name, kind, str(instances)],
            capture_output=True, text=True, cwd=ROOT)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{model_name} {kind}: callgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("models", nargs="*", help="chain-20, chain-50, chain-200, review, realistic (default: all)")
    parser.add_argument("--instances", type=int, default=3, help="instances counted per model and kind")
    parser.add_argument("--child", nargs=3, metavar=("MODEL", "KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        model_name, kind, instances = args.child
        return child(model_name, kind, int(instances))
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian package valgrind)")
    bench = _engine_bench()
    models = {m.name: m for m in bench.models_to_run()}
    for name in args.models or list(models):
        steps = models[name].user_tasks * args.instances
        bare, persisted = (count(name, kind, args.instances) / steps for kind in ("bare", "persisted"))
        print(f"{name}: bare {bare / 1e6:.2f} M instructions/step, persisted {persisted / 1e6:.2f} M, "
              f"ratio {persisted / bare:.2f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Sweeps with the unchanged client: `wandb sweep` and `wandb agent` against Cairn as the
controller, then `wandb.Api().sweep()` and Cairn's /api/v1 to check what happened.

Four sweeps run at once (each agent heartbeats every 5 s, so one after the other would
take minutes):
- a grid of 6 with two agents: exactly the 6 combinations, all finished, agents exit;
- a random search with run_cap 5: exactly 5 runs;
- a bayes search of 8 runs;
- an open random search steered from the CLI: --pause, --resume, --cancel.
Then a sweep driven by the local controller (`controller: {type: local}`, `wandb
controller`), when the `sweeps` package is installed.
"""

import itertools
import json
import os
import re
import subprocess
import sys
import time

import wandb

from _cairn import ENTITY, cairn_get, check, main

# Not "sweeps": the client strips "/sweeps/" from a path before splitting it.
PROJECT = "hpo"
BIN = os.path.join(os.path.dirname(sys.executable), "wandb")
# The CLI's messages (the sweep id, the agent's errors) are what these tests read.
LOUD = {k: v for k, v in os.environ.items() if k != "WANDB_SILENT"}
# The agent runs `python train.py`: this venv's python, and from a folder of its own
# (a `wandb/` run folder beside the script would shadow the package).
LOUD["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
WORK = os.path.abspath("sweep-work")

TRAIN = '''
import math, sys, wandb
run = wandb.init()
lr, bs = run.config.get("lr", 0.1), run.config.get("bs", 16)
opt = run.config.get("optimizer", "sgd")
for step in range(4):
    loss = (math.log10(lr) + 2) ** 2 + bs / 64 + (0.1 if opt == "sgd" else 0) + 1.0 / (step + 1)
    run.log({"loss": loss})
run.finish()
'''


def sh(*args, timeout=120, env=None):
    """Run the wandb CLI; (exit status, stdout and stderr together)."""
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=env or LOUD)
    return p.returncode, p.stdout + p.stderr


def create(config_yaml, name):
    path = os.path.abspath(f"{name}.yaml")
    with open(path, "w") as f:
        f.write(config_yaml)
    code, out = sh("sweep", "--project", PROJECT, "--entity", ENTITY, path)
    m = re.search(r"Creating sweep with ID: (\w+)", out)
    check(code == 0 and m, f"`wandb sweep {name}.yaml` creates a sweep", out[-2000:])
    sweep_id = m.group(1)
    check(f"/{ENTITY}/{PROJECT}/sweeps/{sweep_id}" in out, "it prints the sweep's URL", out[-2000:])
    check(f"wandb agent {ENTITY}/{PROJECT}/{sweep_id}" in out, "and the agent command", out[-2000:])
    return sweep_id


def agent(sweep_id, log_name):
    log = open(os.path.abspath(f"agent-{log_name}.log"), "w")
    return subprocess.Popen([BIN, "agent", f"{ENTITY}/{PROJECT}/{sweep_id}"], stdout=log,
                            stderr=subprocess.STDOUT, text=True, env=LOUD, cwd=WORK)


def wait_all(procs, timeout):
    deadline = time.time() + timeout
    for p in procs:
        left = max(1.0, deadline - time.time())
        try:
            p.wait(timeout=left)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return False
    return True


def agent_log(name):
    with open(os.path.abspath(f"agent-{name}.log")) as f:
        return f.read()[-3000:]


def sweep_of(sweep_id):
    return wandb.Api().sweep(f"{ENTITY}/{PROJECT}/{sweep_id}")


def runs_of(sweep_id):
    status, body = cairn_get(f"sweeps/{ENTITY}/{PROJECT}/{sweep_id}")
    if status != 200:
        check(False, f"GET /api/v1/sweeps/…/{sweep_id} answers 200", body)
    return body


def wait_state(sweep_id, want, timeout=60):
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        state = sweep_of(sweep_id).state
        if state == want:
            return state
        time.sleep(1)
    return state


def test():
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "train.py"), "w") as f:
        f.write(TRAIN)
    grid = create("""program: train.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  lr: {values: [0.001, 0.01, 0.1]}
  optimizer: {values: [sgd, adam]}
""", "grid")
    capped = create("""program: train.py
method: random
run_cap: 5
metric: {name: loss, goal: minimize}
parameters:
  lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
  bs: {values: [16, 32, 64]}
""", "random")
    bayes = create("""program: train.py
method: bayes
run_cap: 8
metric: {name: loss, goal: minimize}
parameters:
  lr: {distribution: log_uniform_values, min: 0.0001, max: 1.0}
  bs: {distribution: int_uniform, min: 8, max: 64}
""", "bayes")
    steered = create("""program: train.py
method: random
parameters:
  lr: {min: 0.001, max: 0.1}
""", "steered")

    procs = {
        "grid-a": agent(grid, "grid-a"),
        "grid-b": agent(grid, "grid-b"),
        "random": agent(capped, "random"),
        "bayes": agent(bayes, "bayes"),
        "steered": agent(steered, "steered"),
    }

    # Steering from the CLI while the others run.
    deadline = time.time() + 90
    while time.time() < deadline and len(runs_of(steered)["runs"]) < 1:
        time.sleep(1)
    check(sweep_of(steered).state == "RUNNING", "the steered sweep is running once its agent asked")
    code, out = sh("sweep", "--pause", f"{ENTITY}/{PROJECT}/{steered}")
    check(code == 0, "`wandb sweep --pause` succeeds", out[-2000:])
    check(sweep_of(steered).state == "PAUSED", "the sweep is paused")
    time.sleep(12)
    paused_runs = len(runs_of(steered)["runs"])
    time.sleep(12)
    check(len(runs_of(steered)["runs"]) == paused_runs, "a paused sweep hands out no new runs")
    code, out = sh("sweep", "--resume", f"{ENTITY}/{PROJECT}/{steered}")
    check(code == 0 and sweep_of(steered).state == "RUNNING", "`--resume` runs it again", out[-2000:])
    deadline = time.time() + 60
    while time.time() < deadline and len(runs_of(steered)["runs"]) <= paused_runs:
        time.sleep(1)
    check(len(runs_of(steered)["runs"]) > paused_runs, "resumed, it hands out runs again")
    code, out = sh("sweep", "--cancel", f"{ENTITY}/{PROJECT}/{steered}")
    check(code == 0 and sweep_of(steered).state == "CANCELED", "`--cancel` cancels it", out[-2000:])
    check(wait_all([procs["steered"]], 90), "the cancelled sweep's agent exits", agent_log("steered"))
    code, out = sh("sweep", "--resume", f"{ENTITY}/{PROJECT}/{steered}")
    check(code != 0, "a cancelled sweep cannot be resumed", out[-1500:])
    code, out = sh("agent", f"{ENTITY}/{PROJECT}/{steered}", timeout=60)
    check(code != 0 and f"Sweep {steered} is not running" in out,
          "a new agent on the cancelled sweep stops with the server's message", out[-1500:])

    ok = wait_all([procs[k] for k in ("grid-a", "grid-b", "random", "bayes")], 240)
    check(ok, "every agent exits by itself once its sweep is done",
          {k: agent_log(k) for k in ("grid-a", "grid-b", "random", "bayes")})

    # The grid: exactly its six combinations, each once, all finished.
    s = sweep_of(grid)
    check(s.state == "FINISHED", f"the grid sweep is finished (got {s.state})")
    check(s.expected_run_count == 6, f"it expected 6 runs (got {s.expected_run_count})")
    runs = list(s.runs)
    combos = sorted((r.config["lr"], r.config["optimizer"]) for r in runs)
    want = sorted(itertools.product([0.001, 0.01, 0.1], ["sgd", "adam"]))
    check(combos == want, "the grid ran exactly its 6 combinations, once each", combos)
    check(all(r.state == "finished" for r in runs), "all 6 runs finished", [r.state for r in runs])
    check(all(r.sweep_name == grid for r in runs), "each run knows its sweep", [r.sweep_name for r in runs])
    check(s.best_loss is not None and abs(s.best_loss - min(r.summary["loss"] for r in runs)) < 1e-9,
          f"bestLoss is the smallest final loss ({s.best_loss})")
    best = s.best_run()
    check(best is not None and best.summary["loss"] == min(r.summary["loss"] for r in runs),
          "best_run() is the run with the lowest loss")
    detail = runs_of(grid)
    check(len(detail["agents"]) == 2 and sum(a["total_runs"] for a in detail["agents"]) == 6,
          "two agents shared the six runs", detail["agents"])

    s = sweep_of(capped)
    runs = list(s.runs)
    check(len(runs) == 5 and s.state == "FINISHED", f"run_cap 5 made exactly 5 runs (got {len(runs)}, {s.state})")
    s = sweep_of(bayes)
    runs = list(s.runs)
    check(len(runs) == 8 and all(r.state == "finished" for r in runs),
          f"the bayes sweep ran 8 runs (got {len(runs)})", [r.state for r in runs])
    check(all(1e-4 <= r.config["lr"] <= 1.0 and 8 <= r.config["bs"] <= 64 for r in runs),
          "its suggestions stay inside the bounds", [r.config for r in runs])

    sweeps = list(wandb.Api().project(PROJECT, entity=ENTITY).sweeps())
    check({x.id for x in sweeps} >= {grid, capped, bayes, steered}, "project.sweeps() lists all four",
          [x.id for x in sweeps])

    local_controller()


def local_controller():
    try:
        import sweeps  # noqa: F401  (wandb[sweeps], needed by the local controller)
    except ImportError:
        check(False, "the `sweeps` package is installed for the local controller (.ci/wandb installs it)")
    sweep_id = create("""program: train.py
method: grid
controller: {type: local}
metric: {name: loss, goal: minimize}
parameters:
  lr: {values: [0.01, 0.1]}
""", "local")
    ctl_log = open(os.path.abspath("controller.log"), "w")
    controller = subprocess.Popen([BIN, "controller", sweep_id], stdout=ctl_log, stderr=subprocess.STDOUT,
                                  text=True, cwd=WORK, env={**LOUD, "WANDB_ENTITY": ENTITY, "WANDB_PROJECT": PROJECT})
    worker = agent(sweep_id, "local")
    deadline = time.time() + 150
    runs = []
    while time.time() < deadline:
        runs = runs_of(sweep_id)["runs"]
        if len(runs) == 2 and all(r["state"] == "finished" for r in runs):
            break
        time.sleep(2)
    with open(os.path.abspath("controller.log")) as f:
        ctl_out = f.read()[-3000:]
    check(len(runs) == 2 and all(r["state"] == "finished" for r in runs),
          "the local controller's schedule became 2 finished runs", {"runs": runs, "controller": ctl_out,
                                                                     "agent": agent_log("local")})
    check(sorted(r["values"][0] for r in runs) == [0.01, 0.1], "with the two grid values", runs)
    # Its search is used up and its runs ended: at the agent's next heartbeat the server
    # finishes the sweep itself. `--stop` either comes first and finishes it, or comes
    # after and the client answers "Sweep already finished."; either way it ends finished.
    code, out = sh("sweep", "--stop", f"{ENTITY}/{PROJECT}/{sweep_id}")
    check(code == 0 or "Sweep already finished" in out, "`wandb sweep --stop` finishes it", out[-1500:])
    state = wait_state(sweep_id, "FINISHED")
    check(state == "FINISHED", f"the local sweep is finished (got {state})")
    check(wait_all([worker, controller], 60), "its agent and controller exit",
          {"agent": agent_log("local"), "controller": ctl_out})


if __name__ == "__main__":
    main(test)

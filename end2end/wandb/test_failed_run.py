"""Runs that end badly end up `failed`, both ways a W&B user ends one:

1. explicitly: `run.finish(exit_code=1)`;
2. by crashing: the script raises after logging, and the client's exit hook finishes the
   run with a non-zero exit code (checked in a child process, whose uncaught exception
   is the point).

The state is read back through Cairn's own API (and, for the first, wandb.Api()).
"""

import os
import re
import subprocess
import sys
import tempfile

import wandb

from _cairn import ENTITY, check, main, wait_for_final_state

PROJECT = "wandb-compat"

# A user script that dies with an exception in the middle of its run. It runs from a file:
# under `python -c`, wandb 0.31.0 does not see the exception and reports exit code 0.
CRASHING = f"""
import wandb
run = wandb.init(entity={ENTITY!r}, project={PROJECT!r}, name="crashing-run")
print("CRASH_RUN_ID=" + run.id, flush=True)
for step in range(5):
    run.log({{"loss": 1.0 / (step + 1)}})
raise ValueError("the training loop blew up on purpose")
"""


def explicit_exit_code():
    print("run.finish(exit_code=1):", flush=True)
    run = wandb.init(entity=ENTITY, project=PROJECT, name="failing-run")
    for step in range(10):
        run.log({"loss": 1.0 / (step + 1)})
    print("about to fail", flush=True)
    run.finish(exit_code=1)

    detail = wait_for_final_state(PROJECT, run.id)
    check(detail.get("state") == "failed", f"Cairn says failed (got {detail.get('state')!r})", detail)
    check(detail.get("exit_code") == 1, f"Cairn keeps exit code 1 (got {detail.get('exit_code')!r})")
    r = wandb.Api(timeout=30).run(f"{ENTITY}/{PROJECT}/{run.id}")
    check(r.state == "failed", f"wandb.Api() says failed (got {r.state!r})")


def uncaught_exception():
    print("uncaught exception in the user script:", flush=True)
    script = os.path.join(tempfile.mkdtemp(prefix="crashing-", dir=os.environ.get("WANDB_DIR")), "train.py")
    with open(script, "w") as f:
        f.write(CRASHING)
    # Its own wandb service: after this process's wandb.init, WANDB_SERVICE names ours, and
    # a child attached to it does not get its crash reported when it exits.
    env = {k: v for k, v in os.environ.items() if k != "WANDB_SERVICE"}
    child = subprocess.run([sys.executable, script], env=env,
                           capture_output=True, text=True, timeout=120)
    output = child.stdout + "\n--- stderr ---\n" + child.stderr
    check(child.returncode != 0, f"the script exits non-zero (got {child.returncode})", output[-3000:])
    found = re.findall(r"^CRASH_RUN_ID=(\S+)$", child.stdout, re.M)
    check(len(found) == 1, "the crashing script started its run", output[-3000:])
    detail = wait_for_final_state(PROJECT, found[0])
    check(detail.get("state") == "failed", f"Cairn says failed (got {detail.get('state')!r})", detail)
    check(detail.get("exit_code") not in (None, 0), f"Cairn keeps a non-zero exit code (got {detail.get('exit_code')!r})")


def test():
    explicit_exit_code()
    uncaught_exception()


if __name__ == "__main__":
    main(test)

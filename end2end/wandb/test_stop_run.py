"""Stopping a run from Cairn ends the script that logs it, as "Stop run" does on W&B.

A child script logs with the official client in an endless loop. Once Cairn has its
run, the test stops it through `/api/v1` (the same server operation as the app's ⋮ →
Stop run). The client learns it from the `"stopped": true` of its next file_stream
answer and interrupts the script. Expected: the script ends within a minute (the
client polls every 15 s), the run stays `killed` (the final post, with exit code 255,
does not turn it into `failed`, and it never returns to `running`), and it stops
growing.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import json

from _cairn import API_KEY, CAIRN_URL, ENTITY, cairn_get, check, http, main, run_path

PROJECT = "wandb-stop"

ENDLESS = f"""
import time, wandb
run = wandb.init(entity={ENTITY!r}, project={PROJECT!r}, name="endless",
                 settings=wandb.Settings(x_file_stream_transmit_interval=1))
print("STOP_RUN_ID=" + run.id, flush=True)
step = 0
try:
    while True:
        run.log({{"loss": 1.0 / (step + 1)}}, step=step)
        step += 1
        time.sleep(0.05)
except KeyboardInterrupt:
    print("INTERRUPTED_AT_STEP=" + str(step), flush=True)
    raise
"""


def test():
    script = os.path.join(tempfile.mkdtemp(prefix="endless-", dir=os.environ.get("WANDB_DIR")), "train.py")
    with open(script, "w") as f:
        f.write(ENDLESS)
    env = {k: v for k, v in os.environ.items() if k != "WANDB_SERVICE"}
    child = subprocess.Popen([sys.executable, script], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    run_id = None
    lines = []
    deadline = time.time() + 90
    while run_id is None and time.time() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.match(r"^STOP_RUN_ID=(\S+)$", line.strip())
        if m:
            run_id = m.group(1)
    check(run_id is not None, "the endless script started its run", "".join(lines)[-3000:])
    path = run_path(PROJECT, run_id)
    # Let it log for a few seconds, then stop it.
    time.sleep(5)
    status, body = http("POST", f"{CAIRN_URL}/api/v1/runs/{path}/stop", body={},
                        headers={"Authorization": f"Bearer {API_KEY}"})
    check(status == 200, f"POST …/stop answers 200 (got {status})", body)
    answer = json.loads(body)
    check(answer.get("stopped") is True and answer.get("state") == "killed",
          "the run is stopped and killed", answer)
    stopped_at = time.time()
    try:
        rest, _ = child.communicate(timeout=75)
    except subprocess.TimeoutExpired:
        child.kill()
        rest, _ = child.communicate()
        check(False, "the script ends within 75 s of the stop", ("".join(lines) + rest)[-3000:])
    output = "".join(lines) + rest
    took = time.time() - stopped_at
    check("INTERRUPTED_AT_STEP=" in output, f"the client interrupted the script ({took:.0f} s after the stop)",
          output[-3000:])
    check(child.returncode != 0, f"the script exits non-zero (got {child.returncode})", output[-3000:])
    # The run stays killed, and nothing more arrives.
    status, detail = cairn_get(f"runs/{path}")
    check(status == 200 and detail.get("state") == "killed",
          f"Cairn still says killed after the client finished (got {detail.get('state')!r})", detail)
    time.sleep(2)
    status, again = cairn_get(f"runs/{path}")
    check(again.get("state") == "killed", "it never returns to running", again)


if __name__ == "__main__":
    main(test)

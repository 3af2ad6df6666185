"""A wrong API key is refused, quickly and visibly.

* `wandb.init` with a well-formed but unknown key must raise. The server answers 401,
  which the client does not retry; if the server answered 5xx instead, the client would
  retry until its init timeout, so the child process gets WANDB_INIT_TIMEOUT=20 and is
  killed after 60 s.
* A raw `POST /graphql` with that key in Basic auth (`api:<key>`, as wandb-core sends
  it) gets HTTP 401 with a GraphQL-style error body, while the real key gets the viewer.
* Nothing was created for the refused run.
"""

import base64
import os
import secrets
import string
import subprocess
import sys

from _cairn import CAIRN_URL, API_KEY, ENTITY, check, cairn_get, http, main

PROJECT = "wandb-compat-badkey"
# 40 lowercase letters and digits, the shape of a real key, but not one the server issued.
BAD_KEY = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(40))

# What the child runs: init must raise; the markers tell the parent what happened.
CHILD = f"""
import sys, wandb
try:
    run = wandb.init(entity={ENTITY!r}, project={PROJECT!r}, name="must-not-start")
except Exception as e:
    print("INIT_RAISED", type(e).__name__, str(e)[:500], flush=True)
    sys.exit(3)
run.finish()
print("INIT_SUCCEEDED", run.id, flush=True)
"""


def graphql(key, query, operation=None):
    """POST /graphql the way wandb-core does: Basic auth with user `api`."""
    auth = base64.b64encode(f"api:{key}".encode()).decode()
    body = {"query": query, "variables": {}}
    if operation:
        body["operationName"] = operation
    return http("POST", f"{CAIRN_URL}/graphql", body, {"Authorization": f"Basic {auth}"})


def test():
    print("wandb.init with a wrong key:", flush=True)
    check(BAD_KEY != API_KEY, "the wrong key differs from the real one")
    env = dict(os.environ, WANDB_API_KEY=BAD_KEY, WANDB_INIT_TIMEOUT="20", WANDB_MODE="online")
    env.pop("WANDB_SERVICE", None)  # a fresh client, not one attached to a running service
    try:
        child = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")[-2000:] if isinstance(e.stdout, bytes) else (e.stdout or "")[-2000:]
        check(False, "wandb.init with a wrong key fails within 60 s (the server must answer 401, "
              "which is not retried, rather than 5xx)", str(out))
        return
    output = child.stdout + "\n--- stderr ---\n" + child.stderr
    check("INIT_SUCCEEDED" not in child.stdout, "wandb.init did not succeed with a wrong key", output[-3000:])
    check(child.returncode == 3 and "INIT_RAISED" in child.stdout,
          f"wandb.init raised (child exit {child.returncode})", output[-3000:])
    raised = next(line for line in child.stdout.splitlines() if line.startswith("INIT_RAISED"))
    print(f"  (the client said: {raised})", flush=True)

    print("raw POST /graphql:", flush=True)
    viewer = "query Viewer { viewer { id entity username } }"
    status, text = graphql(BAD_KEY, viewer, "Viewer")
    check(status == 401, f"a wrong key in Basic auth gets HTTP 401 (got {status})", text)
    check('"errors"' in text, "the 401 body is a GraphQL error list the client can show", text)
    status, text = graphql(API_KEY, viewer, "Viewer")
    check(status == 200, f"the real key gets HTTP 200 (got {status})", text)
    check(f'"{ENTITY}"' in text, f"the real key's viewer is {ENTITY}", text)

    print("nothing was created:", flush=True)
    status, body = cairn_get(f"runs/{ENTITY}/{PROJECT}")
    check(status == 404 or (status == 200 and body == []),
          f"project {ENTITY}/{PROJECT} does not exist or has no run (got {status})", body)


if __name__ == "__main__":
    main(test)
